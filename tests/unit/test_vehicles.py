"""The vehicle rules on their own: which vehicle a session was, reading vehicles, checking a new one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.joulo.cost import SessionCost
from custom_components.joulo.vehicles import (
    Reimbursement,
    Vehicle,
    VehicleFigures,
    normalise_tag,
    sessions_of,
    vehicle_data,
    vehicle_errors,
    vehicle_figures,
    vehicle_from,
    vehicle_of,
    vehicles_from,
)

GARAGE, DRIVEWAY, CARPORT = "charger-garage", "charger-driveway", "charger-carport"
TESLA = Vehicle("sub-tesla", "Tesla", frozenset({"04a1b2c3"}), frozenset({GARAGE}))
LEASE = Vehicle(
    "sub-lease",
    "Lease car",
    frozenset({"lease-card", "spare"}),
    frozenset({DRIVEWAY}),
    Reimbursement.FIXED_RATE,
    0.35,
)
VEHICLES = (TESLA, LEASE)


@dataclass(frozen=True)
class Subentry:
    """A stored subentry, as Home Assistant's `ConfigSubentry` holds it."""

    subentry_id: str
    data: Mapping[str, Any]
    subentry_type: str = "vehicle"


# Which vehicle a session was


@pytest.mark.parametrize("id_tag", ["04A1B2C3", "04a1b2c3", "  04A1b2C3 ", "\t04a1b2c3\n"])
def test_a_tag_is_the_vehicle_that_lists_it_without_case_or_spaces(id_tag: str) -> None:
    """On any charger, a session's TAG id names the vehicle that lists it, however it is written."""
    for charger in (GARAGE, DRIVEWAY, CARPORT):
        assert vehicle_of(id_tag, charger, VEHICLES) is TESLA
    assert vehicle_of("SPARE", None, VEHICLES) is LEASE


@pytest.mark.parametrize("id_tag", [None, "", "   "])
def test_a_session_without_a_tag_is_the_vehicle_that_claims_its_charger(id_tag: str | None) -> None:
    """No TAG id (an empty or blank one is none): the charger says which vehicle it was."""
    assert vehicle_of(id_tag, GARAGE, VEHICLES) is TESLA
    assert vehicle_of(id_tag, DRIVEWAY, VEHICLES) is LEASE


@pytest.mark.parametrize("id_tag", [None, "", "  "])
def test_a_session_without_a_tag_on_an_unclaimed_charger_is_no_vehicle(id_tag: str | None) -> None:
    """No TAG id on a charger no vehicle claims, or without a charger: no vehicle."""
    assert vehicle_of(id_tag, CARPORT, VEHICLES) is None
    assert vehicle_of(id_tag, None, VEHICLES) is None


def test_an_unknown_tag_is_no_vehicle_even_on_a_claimed_charger() -> None:
    """A TAG id no vehicle lists is another car's, even on a charger a vehicle claims."""
    assert vehicle_of("visitor", GARAGE, VEHICLES) is None
    assert vehicle_of("visitor", CARPORT, VEHICLES) is None


def test_without_vehicles_no_session_is_a_vehicles() -> None:
    """An account without vehicles: every session is no vehicle's."""
    assert vehicle_of("04a1b2c3", GARAGE, ()) is None
    assert vehicle_of(None, GARAGE, ()) is None


@pytest.mark.parametrize(
    ("tag", "normalised"), [("04A1B2C3", "04a1b2c3"), ("  Ab Cd  ", "ab cd"), ("ß", "ss")]
)
def test_a_tag_is_compared_without_case_and_surrounding_spaces(tag: str, normalised: str) -> None:
    """Spaces inside a tag stay; case is folded the way Python compares without case."""
    assert normalise_tag(tag) == normalised


# Reading the stored vehicles


def test_a_vehicle_is_read_from_its_subentry() -> None:
    """Its name, its tags normalised, its chargers, its reimbursement and rate."""
    data = {
        "name": "Lease car",
        "id_tags": ["Lease-Card", " spare "],
        "chargers": [DRIVEWAY],
        "reimbursement": "fixed_rate",
        "rate": 0.35,
    }

    assert vehicle_from("sub-lease", data) == LEASE


def test_only_vehicle_subentries_are_vehicles() -> None:
    """Subentries of another type are left out; the vehicles keep their order."""
    subentries = [
        Subentry("sub-tesla", {"name": "Tesla", "id_tags": ["04A1B2C3"], "chargers": [GARAGE]}),
        Subentry("sub-other", {"name": "Something else"}, subentry_type="other"),
        Subentry("sub-bike", {"name": "Bike", "chargers": [CARPORT]}),
    ]

    vehicles = vehicles_from(subentries)

    assert [vehicle.subentry_id for vehicle in vehicles] == ["sub-tesla", "sub-bike"]
    assert vehicles[0] == TESLA
    assert vehicles[1].reimbursement is Reimbursement.NONE
    assert vehicles[1].rate is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, Vehicle("sub", "Vehicle", frozenset(), frozenset())),
        (
            {"name": "  ", "id_tags": "04A1", "chargers": GARAGE},
            Vehicle("sub", "Vehicle", frozenset({"04a1"}), frozenset({GARAGE})),
        ),
        (
            {"name": 7, "id_tags": [3, None, "", " x "], "chargers": {"a": 1}, "rate": "0.3"},
            Vehicle("sub", "Vehicle", frozenset({"x"}), frozenset()),
        ),
        (
            {"name": "Car", "reimbursement": "by the boss", "rate": True},
            Vehicle("sub", "Car", frozenset(), frozenset()),
        ),
        (
            {"name": "Car", "reimbursement": ["cost"], "rate": 1},
            Vehicle("sub", "Car", frozenset(), frozenset(), Reimbursement.NONE, 1.0),
        ),
    ],
)
def test_bad_stored_data_is_read_as_not_set(data: dict[str, Any], expected: Vehicle) -> None:
    """What cannot be read counts as not set; one text where a list belongs is a list of one."""
    assert vehicle_from("sub", data) == expected


def test_a_form_answer_is_stored_clean() -> None:
    """Name and tags stripped; blank tags dropped; each tag (as first spelled) and charger once."""
    answer = {
        "name": " Tesla ",
        "id_tags": [" 04A1B2C3", "", "  ", "04a1b2c3 ", "Spare"],
        "chargers": [GARAGE, GARAGE, DRIVEWAY],
        "reimbursement": "net_cost",
    }

    assert vehicle_data(answer) == {
        "name": "Tesla",
        "id_tags": ["04A1B2C3", "Spare"],
        "chargers": [GARAGE, DRIVEWAY],
        "reimbursement": "net_cost",
    }
    assert vehicle_data({**answer, "rate": 0})["rate"] == 0.0


# Checking a vehicle against the others


@dataclass
class Form:
    """A vehicle's form answer, with what the tests vary."""

    id_tags: list[str] = field(default_factory=list)
    chargers: list[str] = field(default_factory=list)
    reimbursement: str = "none"
    rate: float | None = None

    def data(self) -> dict[str, Any]:
        """The answer as stored."""
        answer: dict[str, Any] = {
            "name": "New car",
            "id_tags": self.id_tags,
            "chargers": self.chargers,
            "reimbursement": self.reimbursement,
        }
        if self.rate is not None:
            answer["rate"] = self.rate
        return vehicle_data(answer)


@pytest.mark.parametrize(
    "form",
    [
        Form(id_tags=["new-card"]),
        Form(chargers=[CARPORT]),
        Form(id_tags=["new-card"], chargers=[CARPORT], reimbursement="fixed_rate", rate=0.0),
        Form(id_tags=["new-card"], reimbursement="cost"),
    ],
)
def test_a_vehicle_with_its_own_tag_or_charger_is_valid(form: Form) -> None:
    """A tag or a charger no other vehicle has is enough; a fixed rate of 0 is a rate."""
    assert vehicle_errors(form.data(), VEHICLES) == {}


@pytest.mark.parametrize("form", [Form(), Form(id_tags=["", "  "])])
def test_a_vehicle_needs_a_tag_or_a_charger(form: Form) -> None:
    """Without a tag (blank ones are none) or a charger its sessions cannot be recognised."""
    assert vehicle_errors(form.data(), VEHICLES) == {"base": "no_tag_or_charger"}


@pytest.mark.parametrize("tag", ["04A1B2C3", " spare", "LEASE-CARD"])
def test_a_tag_of_another_vehicle_is_in_use(tag: str) -> None:
    """Another vehicle lists the tag (compared without case or spaces)."""
    form = Form(id_tags=["new-card", tag])

    assert vehicle_errors(form.data(), VEHICLES) == {"id_tags": "tag_in_use"}
    assert vehicle_errors(form.data(), (TESLA,) if tag != "04A1B2C3" else (LEASE,)) == {}


def test_a_charger_another_vehicle_claims_is_in_use() -> None:
    """Another vehicle claims the charger's sessions without a TAG id."""
    form = Form(id_tags=["new-card"], chargers=[CARPORT, GARAGE])

    assert vehicle_errors(form.data(), VEHICLES) == {"chargers": "charger_in_use"}
    assert vehicle_errors(form.data(), (LEASE,)) == {}


def test_a_fixed_rate_needs_a_rate() -> None:
    """Reimbursed at a fixed rate, without the rate."""
    form = Form(chargers=[CARPORT], reimbursement="fixed_rate")

    assert vehicle_errors(form.data(), VEHICLES) == {"rate": "rate_required"}


def test_every_error_at_once() -> None:
    """A tag and a charger in use and no rate: each field says what is wrong with it."""
    form = Form(id_tags=["spare"], chargers=[GARAGE], reimbursement="fixed_rate")

    assert vehicle_errors(form.data(), VEHICLES) == {
        "id_tags": "tag_in_use",
        "chargers": "charger_in_use",
        "rate": "rate_required",
    }


@dataclass(frozen=True)
class _Kept:
    """A kept session: what a vehicle's figures read of it."""

    charger_id: str
    id_tag: str | None
    started_at: datetime
    kwh: float
    ere_credits: float
    cost: SessionCost | None


def _kept(
    day: int, kwh: float, *, tag: str | None, charger: str = GARAGE, cost: float | None = None
) -> _Kept:
    priced = (
        None
        if cost is None
        else SessionCost(
            cost_eur=cost,
            net_cost_eur=None,
            price_per_kwh=None,
            missing_hours=(),
            basis="spread",
        )
    )
    started = datetime(2026, 4, day, 18, tzinfo=UTC)
    return _Kept(charger, tag, started, kwh, round(kwh * 0.33, 2), priced)


def _figures(vehicle: Vehicle, sessions: list[_Kept], *, priced: bool = True) -> VehicleFigures:
    return vehicle_figures(
        vehicle,
        sessions_of(vehicle, VEHICLES, sessions),
        priced=priced,
        ere_value=lambda credits_: round(credits_ * 0.8, 2),
    )


def test_a_vehicles_sessions_are_its_tags_and_its_chargers_untagged_ones_oldest_first() -> None:
    """The Tesla: its card anywhere, and the Garage's sessions without a card; nothing else."""
    sessions = [
        _kept(3, 10.0, tag="04A1B2C3", charger=DRIVEWAY),
        _kept(1, 5.0, tag=None),
        _kept(2, 7.0, tag="FFFF"),
        _kept(4, 3.0, tag=None, charger=CARPORT),
    ]
    assert [session.kwh for session in sessions_of(TESLA, VEHICLES, sessions)] == [5.0, 10.0]


@pytest.mark.parametrize(
    ("reimbursement", "rate", "expected"),
    [
        (Reimbursement.NONE, None, None),
        (Reimbursement.FIXED_RATE, 0.35, round(15.0 * 0.35, 2)),
        (Reimbursement.COST, None, 4.5),
        (Reimbursement.NET_COST, None, round(4.5 - round(15.0 * 0.33 * 0.8, 2), 2)),
    ],
)
def test_each_kind_of_reimbursement_pays_back_its_own_figure(
    reimbursement: Reimbursement, rate: float | None, expected: float | None
) -> None:
    """Fixed rate: kWh times rate; cost: the cost; net cost: the cost less the ERE value."""
    vehicle = Vehicle("sub-car", "Car", frozenset({"aa"}), frozenset(), reimbursement, rate)
    sessions = [_kept(1, 5.0, tag="AA", cost=1.5), _kept(2, 10.0, tag="aa", cost=3.0)]
    figures = vehicle_figures(
        vehicle, sessions, priced=True, ere_value=lambda credits_: round(credits_ * 0.8, 2)
    )
    assert figures == VehicleFigures(
        sessions=2,
        kwh=15.0,
        cost_eur=4.5,
        ere_value_eur=round(round(5.0 * 0.33, 2) * 0.8 + round(10.0 * 0.33, 2) * 0.8, 2),
        reimbursement_eur=expected,
    )


def test_without_a_price_source_the_cost_and_what_follows_from_it_are_unknown() -> None:
    """No price source: cost unknown, so a cost or net-cost reimbursement too; kWh still add up."""
    vehicle = Vehicle("sub-car", "Car", frozenset({"aa"}), frozenset(), Reimbursement.NET_COST)
    figures = vehicle_figures(
        vehicle, [_kept(1, 5.0, tag="aa")], priced=False, ere_value=lambda _: None
    )
    assert (figures.kwh, figures.cost_eur, figures.ere_value_eur) == (5.0, None, None)
    assert figures.reimbursement_eur is None


def test_a_month_without_sessions_cost_nothing_and_one_never_priced_is_unknown() -> None:
    """With a price source: no session is €0; sessions none of which has a cost are unknown."""
    vehicle = Vehicle("sub-car", "Car", frozenset({"aa"}), frozenset(), Reimbursement.COST)
    empty = vehicle_figures(vehicle, [], priced=True, ere_value=lambda _: 0.0)
    assert (empty.sessions, empty.kwh, empty.cost_eur, empty.reimbursement_eur) == (0, 0, 0.0, 0.0)
    unknown = vehicle_figures(
        vehicle, [_kept(1, 5.0, tag="aa")], priced=True, ere_value=lambda _: 0.0
    )
    assert (unknown.cost_eur, unknown.reimbursement_eur) == (None, None)


def test_a_fixed_rate_without_its_rate_pays_back_nothing_known() -> None:
    """A fixed rate stored without a rate (old or damaged data): unknown, not €0."""
    vehicle = Vehicle("sub-car", "Car", frozenset({"aa"}), frozenset(), Reimbursement.FIXED_RATE)
    assert _figures(vehicle, [_kept(1, 5.0, tag="aa")]).reimbursement_eur is None
