"""The repair issue of a TAG id no vehicle lists, and its fix flow, as a user meets them.

Sessions with TAG ids made here charge on the simulator (its default account has tagged sessions
of its own, which these tests do not count on); issues are read from Home Assistant's issue
registry, and fixed through the repairs dialog's own HTTP API, as the frontend does.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.joulo.const import DOMAIN
from custom_components.joulo.statistics import PAGE_DELAY
from joulo_simulator import DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID, JouloSimulator, SimSession
from joulo_simulator.account import CAR_B_TAG

from .common import (
    NOW,
    ONE_POLL,
    Live,
    advance_time,
    async_restart_entry,
    async_stop_entry,
    set_up_entry,
    stored_vehicle,
)

pytestmark = [pytest.mark.usefixtures("frozen_time", "quiet_database_log")]

AMSTERDAM = "Europe/Amsterdam"
GUEST_TAG = "CAFE0001"
"""A card no vehicle lists, charging on the simulator in these tests."""
CHARGE = timedelta(minutes=10)
THIRTY_ONE_DAYS = timedelta(days=31)
VEHICLE = "vehicle"
TESLA: dict[str, Any] = {
    "name": "Tesla",
    "id_tags": [DEFAULT_ID_TAG],
    "chargers": [],
    "reimbursement": "none",
}
LEASE_CAR: dict[str, Any] = {
    "name": "Lease car",
    "id_tags": ["LEASE-1", CAR_B_TAG],  # the simulator's second car charges too
    "chargers": [],
    "reimbursement": "none",
}
FIX_URL = "/api/repairs/issues/fix"
"""The repairs dialog's API: POST a handler and issue to start a fix flow, then its form to it."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration; the recorder's database must come before `hass`."""


@pytest.fixture
def with_vehicles(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The account's entry, not set up yet, with two vehicles: the Tesla and the lease car."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[
            stored_vehicle("sub-tesla", TESLA),
            stored_vehicle("sub-lease", LEASE_CAR),
        ],
    )


@pytest.fixture
async def fleet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    with_vehicles: MockConfigEntry,
) -> Live:
    """The entry with its two vehicles, set up in Amsterdam time."""
    await hass.config.async_set_time_zone(AMSTERDAM)
    await set_up_entry(hass, with_vehicles)
    return Live(hass, freezer, simulator, with_vehicles)


async def charge(live: Live, tag: str, charger_id: str = GARAGE_ID) -> SimSession:
    """Charge for ten minutes with `tag`, and poll until the session is listed completed."""
    session = live.simulator.start_session(charger_id, id_tag=tag, duration=CHARGE)
    await advance_time(live.hass, live.freezer, CHARGE + 3 * ONE_POLL, step=ONE_POLL)
    recent = {listed.id: listed for listed in live.entry.runtime_data.sessions.data.recent}
    assert recent[session.id].is_completed
    return session


def tag_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    """The `unknown_tag` repair issues, by the TAG id they name."""
    return {
        issue.translation_placeholders["tag"]: issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
        and issue.translation_key == "unknown_tag"
        and issue.translation_placeholders is not None
    }


def shown(kwh: float) -> str:
    """An amount of kWh as the issue shows it: 2 decimals at most."""
    return f"{kwh:.2f}".rstrip("0").rstrip(".")


def id_tags(entry: MockConfigEntry, subentry_id: str) -> list[str]:
    """The TAG ids a vehicle stores."""
    tags: list[str] = entry.subentries[subentry_id].data["id_tags"]
    return tags


async def reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, **change: Any
) -> None:
    """Change a vehicle through its own reconfigure dialog."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, VEHICLE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    answer = {**entry.subentries[subentry_id].data, **change}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"


class RepairsDialog:
    """The repairs dialog of the frontend: its HTTP API, as an admin uses it."""

    def __init__(self, hass: HomeAssistant, hass_client: ClientSessionGenerator) -> None:
        """Talk to `hass`'s repairs API once `open` set it up."""
        self._hass = hass
        self._hass_client = hass_client

    async def start(self, issue: ir.IssueEntry) -> dict[str, Any]:
        """Press "Fix" on the issue: its fix flow's first form."""
        assert await async_setup_component(self._hass, "repairs", {})
        client = await self._hass_client()
        response = await client.post(FIX_URL, json={"handler": DOMAIN, "issue_id": issue.issue_id})
        assert response.status == HTTPStatus.OK
        result: dict[str, Any] = await response.json()
        return result

    async def send(self, flow_id: str, answer: dict[str, Any]) -> dict[str, Any]:
        """Send the form; let what follows finish."""
        client = await self._hass_client()
        response = await client.post(f"{FIX_URL}/{flow_id}", json=answer)
        assert response.status == HTTPStatus.OK
        result: dict[str, Any] = await response.json()
        await self._hass.async_block_till_done()
        return result


@pytest.fixture
def dialog(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> RepairsDialog:
    """The repairs dialog."""
    return RepairsDialog(hass, hass_client)


# Raising the issue


async def test_an_account_without_vehicles_has_no_unknown_tag(live: Live) -> None:
    """No vehicle, no question; the first vehicle raises it, removing the last one ends it."""
    hass, entry = live.hass, live.entry
    await charge(live, GUEST_TAG)

    assert tag_issues(hass) == {}

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, VEHICLE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], TESLA)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert GUEST_TAG in tag_issues(hass)
    assert DEFAULT_ID_TAG not in tag_issues(hass)

    (subentry_id,) = entry.subentries
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    assert tag_issues(hass) == {}


async def test_a_tag_no_vehicle_lists_raises_an_issue_with_its_figures(fleet: Live) -> None:
    """Its sessions of the last 31 days, their kWh, when last seen (local time); a fixable warning."""
    hass = fleet.hass
    await charge(fleet, "LEASE-1")  # a listed tag
    first = await charge(fleet, GUEST_TAG)
    second = await charge(fleet, f" {GUEST_TAG.lower()} ", DRIVEWAY_ID)  # the same card

    issues = tag_issues(hass)
    assert "LEASE-1" not in issues
    assert DEFAULT_ID_TAG not in issues
    issue = issues[GUEST_TAG.lower()]  # spelt as its newest session lists it
    assert second.ended_at == NOW + 2 * (CHARGE + 3 * ONE_POLL) + CHARGE  # 12:36 UTC
    assert issue.translation_placeholders == {
        "tag": GUEST_TAG.lower(),
        "sessions": "2",
        "kwh": shown(first.kwh + second.kwh),
        "last_seen": "2026-04-15 14:36",  # in Amsterdam, in summer time
    }
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.is_fixable
    assert not issue.is_persistent


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_the_issue_and_its_dialog_are_translated(fleet: Live, language: str) -> None:
    """Title and description with every figure, the dialog's form, field, error and aborts."""
    hass = fleet.hass
    await charge(fleet, GUEST_TAG)
    placeholders = tag_issues(hass)[GUEST_TAG].translation_placeholders
    assert placeholders is not None
    texts = await async_get_translations(hass, language, "issues", [DOMAIN])
    english = await async_get_translations(hass, "en", "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues.unknown_tag"
    flow = f"{prefix}.fix_flow"
    keys = [
        f"{prefix}.title",
        f"{prefix}.description",
        f"{flow}.step.choose_vehicle.title",
        f"{flow}.step.choose_vehicle.description",
        f"{flow}.step.choose_vehicle.data.vehicle",
        f"{flow}.error.vehicle_removed",
        *(f"{flow}.abort.{reason}" for reason in ("entry_not_loaded", "tag_known", "no_vehicles")),
    ]

    assert all(texts.get(key) for key in keys)
    if language != "en":
        assert [key for key in keys if texts[key] == english[key]] == []
    description = texts[f"{prefix}.description"].format(**placeholders)
    assert all(value in description for value in placeholders.values())
    assert GUEST_TAG in texts[f"{prefix}.title"].format(**placeholders)


# Fixing it


async def test_fixing_adds_the_tag_to_the_vehicle_picked(
    fleet: Live, dialog: RepairsDialog
) -> None:
    """The dialog lists the vehicles by name; the tag joins the one picked, and the issue goes."""
    hass, entry = fleet.hass, fleet.entry
    await charge(fleet, GUEST_TAG)
    issue = tag_issues(hass)[GUEST_TAG]

    form = await dialog.start(issue)

    assert form["type"] == "form"
    assert form["step_id"] == "choose_vehicle"
    assert form["description_placeholders"] == {"tag": GUEST_TAG}
    (field,) = form["data_schema"]
    assert field["name"] == "vehicle"
    assert field["required"] is True
    assert field["selector"]["select"]["options"] == [
        {"value": "sub-lease", "label": "Lease car"},
        {"value": "sub-tesla", "label": "Tesla"},
    ]

    result = await dialog.send(form["flow_id"], {"vehicle": "sub-lease"})

    assert result["type"] == "create_entry"
    assert id_tags(entry, "sub-lease") == ["LEASE-1", CAR_B_TAG, GUEST_TAG]
    assert id_tags(entry, "sub-tesla") == [DEFAULT_ID_TAG]
    assert tag_issues(hass) == {}
    lease_car = next(v for v in entry.runtime_data.vehicles if v.subentry_id == "sub-lease")
    assert lease_car.id_tags == {"lease-1", CAR_B_TAG.lower(), GUEST_TAG.lower()}

    await charge(fleet, f"{GUEST_TAG.lower()} ")
    assert tag_issues(hass) == {}


async def test_a_vehicle_reconfigured_to_list_the_tag_ends_the_issue(fleet: Live) -> None:
    """Added through the vehicle's own dialog, in any case: the issue goes at once."""
    hass, entry = fleet.hass, fleet.entry
    await charge(fleet, GUEST_TAG)
    assert GUEST_TAG in tag_issues(hass)

    await reconfigure(hass, entry, "sub-tesla", id_tags=[DEFAULT_ID_TAG, GUEST_TAG.lower()])

    assert tag_issues(hass) == {}


async def test_a_dialog_left_open_meets_what_changed_meanwhile(
    fleet: Live, dialog: RepairsDialog
) -> None:
    """Things changed while the dialog was open: it says so, and changes nothing.

    The vehicle picked was removed: the form again, without it. The tag was added to a vehicle, or
    no vehicle is left: the dialog ends with why.
    """
    hass, entry = fleet.hass, fleet.entry
    await charge(fleet, GUEST_TAG)
    form = await dialog.start(tag_issues(hass)[GUEST_TAG])

    assert hass.config_entries.async_remove_subentry(entry, "sub-lease")
    result = await dialog.send(form["flow_id"], {"vehicle": "sub-lease"})
    assert result["type"] == "form"
    assert result["errors"] == {"vehicle": "vehicle_removed"}
    assert result["data_schema"][0]["selector"]["select"]["options"] == [
        {"value": "sub-tesla", "label": "Tesla"}
    ]

    await reconfigure(hass, entry, "sub-tesla", id_tags=[DEFAULT_ID_TAG, GUEST_TAG])
    result = await dialog.send(form["flow_id"], {"vehicle": "sub-tesla"})
    assert (result["type"], result["reason"]) == ("abort", "tag_known")

    await reconfigure(hass, entry, "sub-tesla", id_tags=[DEFAULT_ID_TAG])
    form = await dialog.start(tag_issues(hass)[GUEST_TAG])
    assert hass.config_entries.async_remove_subentry(entry, "sub-tesla")
    result = await dialog.send(form["flow_id"], {"vehicle": "sub-tesla"})
    assert (result["type"], result["reason"]) == ("abort", "no_vehicles")
    assert entry.subentries == {}


async def test_a_dialog_of_an_unloaded_account_ends(fleet: Live, dialog: RepairsDialog) -> None:
    """Unloading takes the issue away; a dialog left open says the account is not loaded."""
    hass, entry = fleet.hass, fleet.entry
    await charge(fleet, GUEST_TAG)
    form = await dialog.start(tag_issues(hass)[GUEST_TAG])

    await async_stop_entry(hass, entry)
    assert tag_issues(hass) == {}
    result = await dialog.send(form["flow_id"], {"vehicle": "sub-lease"})

    assert (result["type"], result["reason"]) == ("abort", "entry_not_loaded")
    assert id_tags(entry, "sub-lease") == ["LEASE-1", CAR_B_TAG]


# Forgetting it


async def test_a_tag_last_seen_over_31_days_ago_is_no_issue(fleet: Live) -> None:
    """The issue goes 31 days after the tag's last session ended, and stays away after a restart."""
    hass, freezer, entry = fleet.hass, fleet.freezer, fleet.entry
    session = await charge(fleet, GUEST_TAG)
    assert session.ended_at is not None

    freezer.move_to(session.ended_at + THIRTY_ONE_DAYS - timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert GUEST_TAG in tag_issues(hass)

    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert tag_issues(hass) == {}

    await async_restart_entry(hass, entry)
    assert session.id in {listed.id for listed in entry.runtime_data.sessions.data.recent}
    assert tag_issues(hass) == {}


# The session history


async def test_a_tag_only_in_the_session_history_raises_an_issue_once_it_is_read(
    recorded: Live, with_vehicles: MockConfigEntry
) -> None:
    """A card on a session older than the newest page of 100, within 31 days: seen in the history."""
    hass, freezer, simulator, _ = recorded
    simulator.start_session(GARAGE_ID, id_tag=GUEST_TAG, duration=CHARGE)
    for _ in range(100):  # 100 sessions since, without a tag, push it off the newest page
        freezer.tick(timedelta(minutes=30))
        simulator.start_session(GARAGE_ID, duration=CHARGE)
    freezer.tick(timedelta(minutes=30))

    await set_up_entry(hass, with_vehicles)
    assert GUEST_TAG not in tag_issues(hass)

    await advance_time(hass, freezer, timedelta(minutes=1), step=timedelta(seconds=PAGE_DELAY))
    issue = tag_issues(hass)[GUEST_TAG]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["sessions"] == "1"
