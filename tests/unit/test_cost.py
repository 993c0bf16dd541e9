"""What a session cost, from its hourly kWh and the prices of those hours, on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from custom_components.joulo.cost import (
    CostSums,
    SessionCost,
    session_cost,
    time_weighted_hourly_means,
)
from custom_components.joulo.curve import Basis, Reading, curve_basis, hourly_kwh

HOUR = timedelta(hours=1)


def at(hour: int, minute: int = 0, *, day: int = 9) -> datetime:
    """A moment of April 2026, in UTC."""
    return datetime(2026, 4, day, hour, minute, tzinfo=UTC)


EVENING_HOURS = [(at(18), 2.5), (at(19), 5.0), (at(20), 2.5)]
"""10 kWh charged from 18:30 to 20:30."""


# The cost of a session.


def test_a_fixed_price_prices_every_hour() -> None:
    """10 kWh at 0.25 EUR/kWh cost 2.50; an ERE value of 1.10 leaves 1.40."""
    assert session_cost(EVENING_HOURS, 0.25, 1.10, Basis.SPREAD) == SessionCost(
        cost_eur=2.5,
        net_cost_eur=1.4,
        price_per_kwh=0.25,
        missing_hours=(),
        basis="spread",
    )


def test_each_hour_is_priced_at_its_own_price() -> None:
    """2.5 kWh at 0.40, 5 kWh at 0.10 and 2.5 kWh at 0.20: 2.00 EUR, 0.20 EUR/kWh."""
    prices = {at(18): 0.40, at(19): 0.10, at(20): 0.20}

    cost = session_cost(EVENING_HOURS, prices, 0.5, Basis.OBSERVED)

    assert (cost.cost_eur, cost.net_cost_eur, cost.price_per_kwh) == (2.0, 1.5, 0.2)
    assert cost.basis == "observed"


def test_a_price_per_hour_start_in_another_time_zone_is_the_same_hour() -> None:
    """Hour starts are moments: 20:00 in Amsterdam's summer time is 18:00 UTC."""
    summer_time = timezone(timedelta(hours=2))
    prices = {hour.astimezone(summer_time): 0.30 for hour, _ in EVENING_HOURS}

    assert session_cost(EVENING_HOURS, prices, None, Basis.SPREAD).cost_eur == 3.0


def test_an_hour_without_a_price_makes_the_cost_unknown() -> None:
    """A cost from part of the hours would look right and be wrong: none, and which hour lacks."""
    prices = {at(18): 0.40, at(20): 0.20}

    assert session_cost(EVENING_HOURS, prices, 1.1, Basis.OBSERVED) == SessionCost(
        cost_eur=None,
        net_cost_eur=None,
        price_per_kwh=None,
        missing_hours=(at(19),),
        basis="observed",
    )


def test_an_hour_without_energy_needs_no_price() -> None:
    """An idle hour of the session (a full car) is not asked a price."""
    hours = [(at(18), 3.0), (at(19), 0.0), (at(20), 0.0)]

    cost = session_cost(hours, {at(18): 0.30}, None, Basis.OBSERVED)

    assert (cost.cost_eur, cost.missing_hours) == (0.9, ())


@pytest.mark.parametrize(
    ("ere_value_eur", "net_cost_eur"), [(None, None), (0.0, 0.0)], ids=["no ERE", "ERE of 0"]
)
def test_a_session_without_energy_costs_nothing_at_no_price_per_kwh(
    ere_value_eur: float | None, net_cost_eur: float | None
) -> None:
    """No kWh: 0 EUR, whatever the prices, and no price per kWh to speak of."""
    assert session_cost([], {}, ere_value_eur, Basis.SPREAD) == SessionCost(
        cost_eur=0.0,
        net_cost_eur=net_cost_eur,
        price_per_kwh=None,
        missing_hours=(),
        basis="spread",
    )


def test_without_an_ere_value_the_net_cost_is_unknown() -> None:
    """The cost is known; what is left after the ERE is not."""
    cost = session_cost(EVENING_HOURS, 0.25, None, Basis.SPREAD)

    assert (cost.cost_eur, cost.net_cost_eur, cost.price_per_kwh) == (2.5, None, 0.25)


def test_the_cost_is_rounded_to_the_cent_and_the_price_per_kwh_is_not_from_it() -> None:
    """10.333 kWh at 0.2345 cost 2.4230885: 2.42 EUR, and the price per kWh stays 0.2345."""
    cost = session_cost([(at(18), 10.333)], 0.2345, 1.234, Basis.SPREAD)

    assert (cost.cost_eur, cost.net_cost_eur, cost.price_per_kwh) == (2.42, 1.19, 0.2345)


def test_the_price_per_kwh_is_rounded_to_four_decimals() -> None:
    """1 kWh at 0.10 and 2 kWh at 0.20: 0.50 EUR over 3 kWh, 0.1667 EUR/kWh."""
    cost = session_cost([(at(18), 1.0), (at(19), 2.0)], {at(18): 0.1, at(19): 0.2}, 0, "observed")

    assert (cost.cost_eur, cost.price_per_kwh) == (0.5, 0.1667)


def test_negative_prices_lower_the_cost() -> None:
    """A dynamic tariff may pay for power at midday: those hours take off the cost."""
    cost = session_cost([(at(12), 4.0), (at(13), 4.0)], {at(12): -0.05, at(13): 0.15}, 0.0, "x")

    assert (cost.cost_eur, cost.price_per_kwh) == (0.4, 0.05)


def test_a_car_full_by_half_past_ten_is_priced_at_the_evening_hours() -> None:
    """Plugged in 18:30 to 06:45, full at 22:30: the dear evening, not the cheap night, is paid."""
    started_at, ended_at = at(18, 30, day=8), at(6, 45)
    readings = [Reading(at(20, 30, day=8), 20.0), Reading(at(22, 30, day=8), 40.0)]
    readings += [Reading(at(hour), 40.0) for hour in range(6)]
    hours = [at(18, day=8) + n * HOUR for n in range(13)]
    prices = {hour: 0.10 if hour.hour < 6 else 0.40 for hour in hours}

    observed = session_cost(
        hourly_kwh(started_at, ended_at, 40.0, readings),
        prices,
        None,
        curve_basis(started_at, ended_at, readings),
    )
    spread = session_cost(
        hourly_kwh(started_at, ended_at, 40.0, ()),
        prices,
        None,
        curve_basis(started_at, ended_at, ()),
    )

    assert (observed.cost_eur, observed.basis) == (16.0, "observed")
    # Spread: six of its 12.25 hours at night (0.10), the other 6.25 hours in the evening (0.40).
    assert spread.cost_eur == pytest.approx(40 / 12.25 * (6 * 0.10 + 6.25 * 0.40), abs=0.01)
    assert spread.basis == "spread"


# The price of each hour from a price entity's states.


def test_a_constant_price_is_the_mean_of_every_hour_after_it() -> None:
    """One state before the first hour lasts: every hour has it."""
    assert time_weighted_hourly_means([(at(10, 12), 0.25)], [at(18), at(19)]) == {
        at(18): 0.25,
        at(19): 0.25,
    }


def test_a_change_within_the_hour_is_weighted_by_time() -> None:
    """0.20 until 18:15, then 0.40: a quarter and three quarters of the hour, 0.35."""
    states = [(at(17, 50), 0.20), (at(18, 15), 0.40), (at(19, 30), 0.10)]

    assert time_weighted_hourly_means(states, [at(18), at(19)]) == {
        at(18): pytest.approx(0.35),
        at(19): pytest.approx(0.25),
    }


def test_states_in_any_order_give_the_same_means() -> None:
    """States are taken in time order, whatever order they come in."""
    states = [(at(18, 15), 0.40), (at(17, 50), 0.20)]

    assert time_weighted_hourly_means(states, [at(18)]) == {at(18): pytest.approx(0.35)}


def test_an_hour_is_averaged_over_the_part_with_a_known_price() -> None:
    """Unavailable from 18:20 to 18:40: the mean of 0.30 and 0.60 over the other 40 minutes."""
    states = [(at(18), 0.30), (at(18, 20), None), (at(18, 40), 0.60)]

    assert time_weighted_hourly_means(states, [at(18)]) == {at(18): pytest.approx(0.45)}


def test_a_price_known_from_within_the_hour_is_its_mean() -> None:
    """Nothing known before 18:30: the half hour known is the hour's mean."""
    assert time_weighted_hourly_means([(at(18, 30), 0.40)], [at(18)]) == {at(18): 0.40}


def test_an_hour_without_a_known_price_is_left_out() -> None:
    """Before the first state, and while unknown all hour long, there is no price."""
    states = [(at(17), 0.30), (at(18), None), (at(19), 0.20)]

    assert time_weighted_hourly_means(states, [at(16), at(18), at(19)]) == {at(19): 0.20}


def test_no_states_give_no_prices() -> None:
    """A price entity without history prices nothing."""
    assert time_weighted_hourly_means([], [at(18)]) == {}


def _priced(cost: float | None, net: float | None) -> SessionCost:
    return SessionCost(
        cost_eur=cost, net_cost_eur=net, price_per_kwh=None, missing_hours=(), basis="spread"
    )


def test_sums_count_every_session_and_add_the_priced_ones() -> None:
    """Unknown costs count as sessions only; the net price is over the kWh with a known net cost."""
    sums = CostSums()
    sums.add(10.0, _priced(3.0, 1.0))
    sums.add(5.0, _priced(None, None))
    sums.add(20.0, _priced(4.0, None))
    sums.add(10.0, _priced(2.5, -0.5))
    assert (sums.sessions, sums.sessions_priced) == (4, 3)
    assert (sums.cost_eur, sums.net_cost_eur) == (9.5, 0.5)
    assert sums.net_price_per_kwh == 0.025


def test_sums_of_nothing_have_no_net_price() -> None:
    """Without kWh of a known net cost there is no price per kWh."""
    assert CostSums().net_price_per_kwh is None
