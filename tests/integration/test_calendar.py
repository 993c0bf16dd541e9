"""The charging sessions calendar: events of a month, what a second view costs, errors, the state.

The simulator here is built at the end of February, then runs three sessions on the Garage charger in
March (one across the month's first night, one across its last) and one in April before the clock
moves to `NOW`: March's events are exactly those, on any supported Home Assistant version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.joulo.api import format_timestamp
from custom_components.joulo.const import SESSIONS_INTERVAL
from joulo_simulator import FaultKind, JouloSimulator, SimSession
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID
from tests.integration.common import (
    NOW,
    ONE_POLL,
    advance_time,
    registry_snapshot,
)

pytestmark = pytest.mark.upstream_sync
"""As on Joulo: the cloud chargers' sessions show from their next sync on."""

GARAGE_CALENDAR = "calendar.garage_charging_sessions"
OPRIT_CALENDAR = "calendar.oprit_charging_sessions"
PACIFIC = ZoneInfo("US/Pacific")
"""The test time zone of Home Assistant, in which months begin and end."""
MARCH = (datetime(2026, 3, 1, tzinfo=PACIFIC), datetime(2026, 4, 1, tzinfo=PACIFIC))
APRIL = (datetime(2026, 4, 1, tzinfo=PACIFIC), datetime(2026, 5, 1, tzinfo=PACIFIC))
TAG = "CAFE0001"
STATE_TIME = "%Y-%m-%d %H:%M:%S"
"""How a calendar's state shows its current event's start and end."""


@pytest.fixture(autouse=True)
def built_on_27_february(freezer: FrozenDateTimeFactory) -> None:
    """Stand the clock on 27 February, so that the `simulator` builds the default account then."""
    freezer.move_to(datetime(2026, 2, 27, 10, 0, tzinfo=PACIFIC))


@pytest.fixture(autouse=True)
def march_sessions(
    built_on_27_february: None, freezer: FrozenDateTimeFactory, simulator: JouloSimulator
) -> list[SimSession]:
    """Garage sessions around March, charged from 27 February on; the ones overlapping March.

    The clock stands at `NOW` afterwards, when the last session has ended.
    """

    def charge(
        start: datetime, hours: float, power_kw: float, id_tag: str | None = None
    ) -> SimSession:
        freezer.move_to(start)
        return simulator.start_session(
            GARAGE_ID, power_kw=power_kw, duration=timedelta(hours=hours), id_tag=id_tag
        )

    charge(datetime(2026, 2, 27, 19, 0, tzinfo=PACIFIC), 2, 11.0)  # before March: read, not shown
    overlapping = [
        charge(datetime(2026, 2, 28, 22, 0, tzinfo=PACIFIC), 4, 7.4),
        charge(datetime(2026, 3, 14, 18, 0, tzinfo=PACIFIC), 2.5, 11.0, TAG),
        charge(datetime(2026, 3, 31, 21, 0, tzinfo=PACIFIC), 4.5, 7.4),
    ]
    charge(datetime(2026, 4, 2, 20, 0, tzinfo=PACIFIC), 1, 11.0)  # after March
    freezer.move_to(NOW)
    simulator.now()  # the last session ends
    return overlapping


def calendar_reads(simulator: JouloSimulator) -> list[dict[str, str]]:
    """The queries of the calendar's reads: `/sessions` of one charger in a period.

    The polls never ask for a period's end (`to`); the calendar always does.
    """
    return [
        request.query
        for request in simulator.requests
        if request.endpoint == "/sessions"
        and "charger_id" in request.query
        and "to" in request.query
    ]


async def api_events(
    hass_client: ClientSessionGenerator, entity_id: str, start: datetime, end: datetime
) -> tuple[int, Any]:
    """Ask for events as the frontend's calendar panel does; return the HTTP status and body."""
    client = await hass_client()
    response = await client.get(
        f"/api/calendars/{entity_id}", params={"start": start.isoformat(), "end": end.isoformat()}
    )
    return response.status, await response.json()


async def get_events(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The events of `calendar.get_events` for one calendar."""
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return cast("list[dict[str, Any]]", cast("dict[str, Any]", response[entity_id])["events"])


def local(moment: datetime | None) -> str:
    """A moment as the calendar API shows it: ISO 8601 in Home Assistant's time zone."""
    assert moment is not None
    return dt_util.as_local(moment).isoformat()


def summary(session: SimSession) -> str:
    """What a completed session's event is called, from the session's own numbers."""
    assert session.ere_credits is not None
    return f"{session.kwh:g} kWh · {session.ere_credits:g} ERE"


async def test_calendars_snapshot(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Each charger has a charging sessions calendar; idle, it is off with no current event."""
    assert registry_snapshot(hass, init_integration.entry_id, "calendar") == snapshot


async def test_month_across_its_first_and_last_day(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    march_sessions: list[SimSession],
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """March shows its three sessions, with the nights across its edges; a second view is free.

    The first view reads `/sessions` once: the charger's sessions that started in March or up to
    three days before (a session that began in February may reach into March). The second reads
    nothing.
    """
    assert hass.config.time_zone == "US/Pacific"
    simulator.clear_requests()

    status, events = await api_events(hass_client, GARAGE_CALENDAR, *MARCH)

    assert status == 200
    assert [
        {key: event[key] for key in ("uid", "start", "end", "summary", "description")}
        for event in events
    ] == [
        {
            "uid": session.id,
            "start": {"dateTime": local(session.started_at)},
            "end": {"dateTime": local(session.ended_at)},
            "summary": summary(session),
            "description": None if session.id_tag is None else f"TAG {session.id_tag}",
        }
        for session in march_sessions
    ]
    first, tagged, last = events
    assert first["summary"] == "29.6 kWh · 9.85 ERE"  # 4 h at 7.4 kW
    assert first["start"] == {"dateTime": "2026-02-28T22:00:00-08:00"}
    assert first["end"] == {"dateTime": "2026-03-01T02:00:00-08:00"}
    assert tagged["description"] == f"TAG {TAG}"
    assert last["end"] == {"dateTime": "2026-04-01T01:30:00-07:00"}
    assert calendar_reads(simulator) == [
        {
            "charger_id": GARAGE_ID,
            "from": "2026-02-26T08:00:00Z",
            "to": "2026-04-01T07:00:00Z",
            "limit": "100",
            "offset": "0",
        }
    ]

    simulator.clear_requests()
    assert await api_events(hass_client, GARAGE_CALENDAR, *MARCH) == (status, events)
    assert [event["summary"] for event in await get_events(hass, GARAGE_CALENDAR, *MARCH)] == [
        summary(session) for session in march_sessions
    ]
    assert calendar_reads(simulator) == []


async def test_next_period_reads_only_what_is_new(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    march_sessions: list[SimSession],
    init_integration: MockConfigEntry,
) -> None:
    """After March, a view of its last week and April's first reads only from where March ended."""
    await get_events(hass, GARAGE_CALENDAR, *MARCH)
    simulator.clear_requests()

    week = (datetime(2026, 3, 29, tzinfo=PACIFIC), datetime(2026, 4, 5, tzinfo=PACIFIC))
    events = await get_events(hass, GARAGE_CALENDAR, *week)

    assert [event["summary"] for event in events] == [
        summary(march_sessions[-1]),
        "11 kWh · 3.66 ERE",
    ]
    assert calendar_reads(simulator) == [
        {
            "charger_id": GARAGE_ID,
            "from": "2026-04-01T07:00:00Z",
            "to": "2026-04-05T07:00:00Z",
            "limit": "100",
            "offset": "0",
        }
    ]


async def test_a_year_is_read_in_pages(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A period with more than 100 sessions is read 100 at a time, until a page is not full."""
    garage = [
        session for session in simulator.account().sessions if session.charger_id == GARAGE_ID
    ]
    assert len(garage) > 100
    simulator.clear_requests()

    events = await get_events(hass, GARAGE_CALENDAR, NOW - timedelta(days=500), NOW)

    assert len(events) == len(garage)
    assert [query["offset"] for query in calendar_reads(simulator)] == [
        str(offset) for offset in range(0, len(garage) + 1, 100)
    ]


async def test_current_month_follows_sessions_without_requests(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """April, read once, shows a session that starts and ends afterwards without another read.

    While it runs it ends now and has its kWh so far from the chargers poll; once the sessions poll
    lists it completed, it shows its end and ERE credits.
    """
    await get_events(hass, OPRIT_CALENDAR, *APRIL)
    simulator.clear_requests()

    session = simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=30), step=ONE_POLL)
    running = (await get_events(hass, OPRIT_CALENDAR, *APRIL))[-1]
    assert running == {
        "start": local(session.started_at),
        "end": local(dt_util.utcnow() + ONE_POLL),  # now, up to the next whole minute
        "summary": "5.5 kWh",  # 30 minutes at 11 kW, as the last chargers poll saw it
        "description": f"TAG {DEFAULT_ID_TAG}",
    }

    simulator.end_session(DRIVEWAY_ID)
    await advance_time(hass, freezer, 2 * ONE_POLL, step=ONE_POLL)
    completed = (await get_events(hass, OPRIT_CALENDAR, *APRIL))[-1]
    assert completed == {
        "start": local(session.started_at),
        "end": local(session.ended_at),
        "summary": summary(session),
        "description": f"TAG {DEFAULT_ID_TAG}",
    }
    assert calendar_reads(simulator) == []


async def test_reads_the_edge_again_after_the_sessions_poll_failed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """When the sessions poll fails, the next view reads again from where it was last complete.

    That is the start of the session still running (its end is not known), not the whole month.
    """
    session = simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=30), step=ONE_POLL)
    await get_events(hass, OPRIT_CALENDAR, *APRIL)
    simulator.clear_requests()

    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=500, times=None)
    await advance_time(hass, freezer, SESSIONS_INTERVAL, step=ONE_POLL)
    simulator.faults.clear()
    events = await get_events(hass, OPRIT_CALENDAR, *APRIL)

    assert events[-1]["start"] == local(session.started_at)
    reads = calendar_reads(simulator)
    assert [(query["from"], query["to"]) for query in reads] == [
        (format_timestamp(session.started_at), format_timestamp(dt_util.utcnow()))
    ]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "Could not reach the Joulo API"),
        (400, "The Joulo API answered with data that could not be read"),
        (401, "The Joulo API refused the token. Re-authenticate the integration"),
    ],
)
async def test_failing_api_gives_a_clear_error(
    hass: HomeAssistant,
    *,
    simulator: JouloSimulator,
    march_sessions: list[SimSession],
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    status: int,
    message: str,
) -> None:
    """A failed read answers the frontend with a translated message; the next view reads again.

    (Home Assistant drops a message's final period.)

    (`hass_client` comes after the clock is set: its access token must not be from the future.)
    """
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=status)

    assert await api_events(hass_client, GARAGE_CALENDAR, *MARCH) == (
        500,
        {"message": f"Error reading events: {message}"},
    )

    reauth = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(reauth) == (1 if status == 401 else 0)
    if status != 401:
        answer, events = await api_events(hass_client, GARAGE_CALENDAR, *MARCH)
        assert answer == 200
        assert [event["uid"] for event in events] == [session.id for session in march_sessions]


async def test_rate_limited_read_sends_nothing_until_the_gate_opens(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """After a 429 the calendar says when to try again, and sends nothing before then."""
    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/sessions", status=429, retry_after="120"
    )
    simulator.clear_requests()

    expected = (
        500,
        {
            "message": "Error reading events: The Joulo API asked to slow down, so nothing is "
            "sent to it for 120 seconds"
        },
    )
    assert await api_events(hass_client, GARAGE_CALENDAR, *MARCH) == expected
    assert await api_events(hass_client, GARAGE_CALENDAR, *MARCH) == expected
    assert len(calendar_reads(simulator)) == 1


async def test_current_event_while_a_session_runs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """While charging, the calendar is on with the running session, from the chargers poll alone."""
    simulator.clear_requests()
    session = simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=6), step=ONE_POLL)

    state = hass.states.get(OPRIT_CALENDAR)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes == state.attributes | {
        "message": "1.1 kWh",  # 6 minutes at 11 kW
        "all_day": False,
        "start_time": dt_util.as_local(session.started_at).strftime(STATE_TIME),
        # Its end is not known: 20 minutes past the latest data, moved on by each poll that changes.
        "end_time": (dt_util.now() + timedelta(minutes=20)).strftime(STATE_TIME),
        "description": f"TAG {DEFAULT_ID_TAG}",
    }
    assert calendar_reads(simulator) == []

    simulator.end_session(DRIVEWAY_ID)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    state = hass.states.get(OPRIT_CALENDAR)
    assert state is not None
    assert state.state == STATE_OFF
    assert "message" not in state.attributes


async def test_periods_in_any_order_are_read_once(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """April, then February, then March: each view reads only the days no earlier view read."""
    simulator.clear_requests()
    for start, end in (APRIL, (datetime(2026, 2, 1, tzinfo=PACIFIC), MARCH[0]), MARCH):
        await get_events(hass, GARAGE_CALENDAR, start, end)

    assert [(query["from"], query["to"]) for query in calendar_reads(simulator)] == [
        ("2026-03-29T07:00:00Z", "2026-04-15T12:00:00Z"),  # up to now, then followed
        ("2026-01-29T08:00:00Z", "2026-03-01T08:00:00Z"),
        ("2026-03-01T08:00:00Z", "2026-03-29T07:00:00Z"),  # only the days between the two
    ]


async def test_while_the_sessions_poll_fails_views_read_the_last_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Without the sessions poll, a view reads again what `/sessions` may still list late.

    Cloud chargers' sessions are listed up to 15 minutes after they start, so each view reads the
    15 minutes before its previous one again.
    """
    await get_events(hass, GARAGE_CALENDAR, *APRIL)
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=503, times=None)
    await advance_time(hass, freezer, SESSIONS_INTERVAL, step=ONE_POLL)
    simulator.faults.clear()
    simulator.clear_requests()

    await get_events(hass, GARAGE_CALENDAR, *APRIL)
    await get_events(hass, GARAGE_CALENDAR, *APRIL)

    assert [(query["from"], query["to"]) for query in calendar_reads(simulator)] == [
        ("2026-04-15T11:45:00Z", "2026-04-15T12:10:00Z"),
        ("2026-04-15T11:55:00Z", "2026-04-15T12:10:00Z"),
    ]


async def test_session_started_since_the_last_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A session `/sessions` lists but the chargers poll has not seen yet runs until now."""
    session = simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(seconds=30))  # the next poll is at NOW + 1 min

    events = await get_events(hass, OPRIT_CALENDAR, *APRIL)

    assert events[-1] == {
        "start": local(session.started_at),
        "end": local(NOW + ONE_POLL),
        "summary": "0.09 kWh",  # 30 s at 11 kW
        "description": f"TAG {DEFAULT_ID_TAG}",
    }
    state = hass.states.get(OPRIT_CALENDAR)
    assert state is not None
    assert state.state == STATE_OFF  # the state follows the chargers poll


async def test_session_without_energy(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    march_sessions: list[SimSession],
    init_integration: MockConfigEntry,
) -> None:
    """A session listed without its kWh says so instead of showing 0."""
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/sessions", fields=("kwh",))

    events = await get_events(hass, GARAGE_CALENDAR, *MARCH)

    assert [event["summary"] for event in events] == [
        f"? kWh · {session.ere_credits:g} ERE" for session in march_sessions
    ]


async def test_running_session_writes_only_with_new_data(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Between two syncs of a cloud charger the calendar stays on and writes nothing.

    A running session has no end yet; no timer rewrites it every minute.
    """
    assert simulator.upstream_sync
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    for _ in range(16):  # the charger's next sync, within 15 minutes
        await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
        if (state := hass.states.get(GARAGE_CALENDAR)) is not None and state.state == STATE_ON:
            break
    seen = hass.states.get(GARAGE_CALENDAR)
    assert seen is not None
    assert seen.state == STATE_ON

    await advance_time(hass, freezer, timedelta(minutes=10), step=ONE_POLL)

    later = hass.states.get(GARAGE_CALENDAR)
    assert later is not None
    assert (later.state, later.last_updated) == (STATE_ON, seen.last_updated)


async def test_live_session_energy_reaches_the_state_every_five_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An OCPP session's energy grows at every poll: the calendar's summary follows it each 5 minutes.

    The session energy sensor has every poll's energy; the calendar's state is written again only
    when its summary is at least five minutes old (its range queries always have the latest).
    """
    simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    first = hass.states.get(OPRIT_CALENDAR)
    assert first is not None
    assert first.state == STATE_ON

    await advance_time(hass, freezer, 2 * ONE_POLL, step=ONE_POLL)
    unchanged = hass.states.get(OPRIT_CALENDAR)
    assert unchanged is not None
    assert unchanged.attributes["message"] == first.attributes["message"]
    assert unchanged.last_updated == first.last_updated

    await advance_time(hass, freezer, 3 * ONE_POLL, step=ONE_POLL)
    refreshed = hass.states.get(OPRIT_CALENDAR)
    energy = hass.states.get("sensor.oprit_session_energy")
    assert refreshed is not None
    assert energy is not None
    assert refreshed.attributes["message"] != first.attributes["message"]
    assert refreshed.attributes["message"].startswith(f"{float(energy.state):g} kWh")


async def test_a_charger_without_mid_shows_no_ere(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """The Carport (no MID meter): each session shows its kWh only, and says it earned no ERE.

    Joulo lists ERE credits for them all the same.
    """
    january = (datetime(2026, 1, 1, tzinfo=PACIFIC), datetime(2026, 2, 1, tzinfo=PACIFIC))
    expected = sorted(
        (
            session
            for session in simulator.account().sessions
            if session.charger_id == CARPORT_ID and january[0] <= session.started_at < january[1]
        ),
        key=lambda session: session.started_at,
    )
    assert expected
    assert all(session.ere_credits for session in expected if session.kwh)

    events = await get_events(hass, "calendar.carport_charging_sessions", *january)

    assert [(event["summary"], event["description"]) for event in events] == [
        (
            f"{session.kwh:g} kWh",
            "Earned no ERE: the charger has no MID-certified meter.",
        )
        for session in expected
    ]
