"""The vehicle rules on their own: which vehicle a session was, reading vehicles, checking a new one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from custom_components.joulo.vehicles import (
    Reimbursement,
    Vehicle,
    normalise_tag,
    vehicle_data,
    vehicle_errors,
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
