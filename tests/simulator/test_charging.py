"""Tests of how cars draw: at the charger's power until full, then nothing; the Garage's schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from joulo_simulator import JouloSimulator, ManualClock
from joulo_simulator.account import (
    CAR_A_TAG,
    CAR_B_TAG,
    CARPORT_ID,
    DRIVEWAY_ID,
    GARAGE_ID,
    GARAGE_SCHEDULE_START,
)
from joulo_simulator.charging import TIME_ZONE, Draw, night_schedule_start, plan_draw
from joulo_simulator.sync import SYNC_INTERVAL, next_sync

from .common import START, SimClient

ONE_AM = time(1, 0)
# START is 14:00 in Amsterdam (summer time): the Garage's night starts at 23:00 UTC.
GARAGE_NIGHT = datetime(2026, 4, 9, 23, 0, tzinfo=UTC)


def _local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TIME_ZONE)


async def _session(client: SimClient, charger_id: str) -> dict[str, Any] | None:
    """The ``current_session`` of a charger in ``/chargers``, None when it is idle."""
    chargers = (await client.get("/chargers")).json()["chargers"]
    charger = next(c for c in chargers if c["id"] == charger_id)
    current: dict[str, Any] | None = charger.get("current_session")
    return current


async def _kwh_so_far(client: SimClient, charger_id: str) -> float:
    current = await _session(client, charger_id)
    assert current is not None
    return float(current["kwh_so_far"])


async def _meter_wh(client: SimClient) -> int:
    chargers = (await client.get("/chargers")).json()["chargers"]
    return int(next(c for c in chargers if c["id"] == DRIVEWAY_ID)["latest_meter_wh"])


@pytest.mark.parametrize(
    ("plugged_in", "night"),
    [
        (_local(2026, 4, 9, 18), _local(2026, 4, 10, 1)),
        (_local(2026, 4, 9, 12), _local(2026, 4, 10, 1)),
        (_local(2026, 4, 10, 0, 59), _local(2026, 4, 10, 1)),
        (_local(2026, 4, 10, 3), _local(2026, 4, 10, 1)),
        (_local(2026, 4, 10, 11, 59), _local(2026, 4, 10, 1)),
        # Winter time: 01:00 in Amsterdam is midnight UTC.
        (_local(2026, 1, 9, 21), _local(2026, 1, 10, 1)),
        # The nights the clocks change: 01:00 is before the change, a day's 23 or 25 hours on.
        (_local(2026, 3, 28, 20), _local(2026, 3, 29, 1)),
        (_local(2026, 10, 24, 20), _local(2026, 10, 25, 1)),
    ],
)
def test_the_night_of_a_plug_in(plugged_in: datetime, night: datetime) -> None:
    """A night runs from noon to noon; its schedule starts at 01:00 local time, in UTC."""
    assert night_schedule_start(plugged_in.astimezone(UTC), ONE_AM) == night
    assert night_schedule_start(plugged_in.astimezone(UTC), ONE_AM).tzinfo is UTC


def test_the_draw_of_a_session() -> None:
    """From plug-in at full power, from the schedule when it fits, evenly when it does not fit."""
    evening = _local(2026, 4, 9, 20).astimezone(UTC)
    night = _local(2026, 4, 10, 1).astimezone(UTC)
    morning = _local(2026, 4, 10, 7).astimezone(UTC)
    # No schedule, or no energy or unplug to plan with: at full power from plug-in.
    assert plan_draw(evening, power_kw=11, kwh=33, unplugged=morning) == Draw(evening, 11)
    assert plan_draw(evening, power_kw=11, schedule_start=ONE_AM) == Draw(evening, 11)
    assert plan_draw(evening, power_kw=11, kwh=33, schedule_start=ONE_AM) == Draw(evening, 11)
    # The schedule: 33 kWh fits in the six hours from 01:00 at 11 kW, 66 kWh exactly, 67 not.
    for kwh in (0, 33, 66):
        assert plan_draw(
            evening, power_kw=11, kwh=kwh, unplugged=morning, schedule_start=ONE_AM
        ) == Draw(night, 11)
    assert plan_draw(
        evening, power_kw=11, kwh=67, unplugged=morning, schedule_start=ONE_AM
    ) == Draw(evening, 11)
    # Unplugged before the schedule starts: from plug-in.
    assert plan_draw(evening, power_kw=11, kwh=11, unplugged=night, schedule_start=ONE_AM) == Draw(
        evening, 11
    )
    # Plugged in after its night's start: from plug-in.
    late = _local(2026, 4, 10, 2).astimezone(UTC)
    assert plan_draw(late, power_kw=11, kwh=11, unplugged=morning, schedule_start=ONE_AM) == Draw(
        late, 11
    )
    # 132 kWh in the 11 hours plugged in cannot be drawn at 11 kW: evenly, at the 12 kW that fits.
    assert plan_draw(
        evening, power_kw=11, kwh=132, unplugged=morning, schedule_start=ONE_AM
    ) == Draw(evening, 12)


async def test_a_car_is_full_long_before_it_is_unplugged(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """OCPP: ``kwh_so_far`` and the meter grow at 11 kW for two hours, then stay flat until unplug."""
    meter_before = await _meter_wh(client)
    session = sim.start_session(DRIVEWAY_ID, power_kw=11, kwh=22, duration=timedelta(hours=8))
    assert (session.id_tag, session.draws_from, session.full_at) == (
        CAR_A_TAG,
        START,
        START + timedelta(hours=2),
    )
    clock.advance(timedelta(minutes=30))
    assert await _kwh_so_far(client, DRIVEWAY_ID) == 5.5
    assert await _meter_wh(client) == meter_before + 5500
    clock.advance(timedelta(minutes=90))
    assert await _kwh_so_far(client, DRIVEWAY_ID) == 22.0
    full_meter = await _meter_wh(client)
    assert full_meter == meter_before + 22000
    # Full: the session is open, the car draws nothing.
    for _ in range(5):
        clock.advance(timedelta(hours=1))
        assert await _kwh_so_far(client, DRIVEWAY_ID) == 22.0
        assert await _meter_wh(client) == full_meter
    assert sim.charger(DRIVEWAY_ID).is_charging
    clock.advance(timedelta(hours=1))
    assert await _session(client, DRIVEWAY_ID) is None
    assert (session.ended_at, session.kwh) == (START + timedelta(hours=8), 22.0)
    assert await _meter_wh(client) == full_meter


async def test_a_car_unplugged_before_it_is_full(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A car unplugged early has what it drew until then; one without a ``kwh`` never gets full."""
    early = sim.start_session(DRIVEWAY_ID, power_kw=11, kwh=22)
    clock.advance(timedelta(hours=1))
    assert sim.end_session(DRIVEWAY_ID).kwh == 11.0
    assert early.full_at == START + timedelta(hours=2)
    endless = sim.start_session(DRIVEWAY_ID, power_kw=11)
    clock.advance(timedelta(hours=10))
    assert (endless.full_at, await _kwh_so_far(client, DRIVEWAY_ID)) == (None, 110.0)
    with pytest.raises(ValueError, match="kwh cannot be negative"):
        sim.start_session(GARAGE_ID, kwh=-1)
    assert sim.start_session(GARAGE_ID, power_kw=0, kwh=5).full_at is None


async def test_the_garage_charges_from_one_in_the_night(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """Plugged in at 14:00 until 10:00: the Garage's car draws nothing until 01:00, then 3 hours."""
    session = sim.start_session(GARAGE_ID, power_kw=11, kwh=33, duration=timedelta(hours=20))
    assert session.id_tag in {CAR_A_TAG, CAR_B_TAG}
    assert sim.charger(GARAGE_ID).schedule_start == GARAGE_SCHEDULE_START == ONE_AM
    clock.set(GARAGE_NIGHT - timedelta(seconds=1))
    assert await _kwh_so_far(client, GARAGE_ID) == 0.0
    clock.set(GARAGE_NIGHT)
    assert await _kwh_so_far(client, GARAGE_ID) == 0.0
    clock.advance(timedelta(minutes=30))
    assert await _kwh_so_far(client, GARAGE_ID) == 5.5
    clock.set(GARAGE_NIGHT + timedelta(hours=3))
    assert await _kwh_so_far(client, GARAGE_ID) == 33.0
    clock.set(START + timedelta(hours=20) - timedelta(seconds=1))
    assert await _kwh_so_far(client, GARAGE_ID) == 33.0
    clock.set(START + timedelta(hours=20))
    assert await _session(client, GARAGE_ID) is None
    assert (session.ended_at, session.kwh) == (START + timedelta(hours=20), 33.0)


async def test_the_garage_charges_at_once_when_waiting_leaves_the_car_short(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """33 kWh do not fit between 01:00 and an unplug at 03:00: the car draws from plug-in."""
    clock.set(GARAGE_NIGHT - timedelta(hours=4))
    sim.start_session(GARAGE_ID, power_kw=11, kwh=33, duration=timedelta(hours=6))
    clock.advance(timedelta(hours=1))
    assert await _kwh_so_far(client, GARAGE_ID) == 11.0
    clock.advance(timedelta(hours=3))
    assert await _kwh_so_far(client, GARAGE_ID) == 33.0


async def test_the_final_kwh_is_reached_exactly_at_unplug(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A car whose kWh does not fit at the charger's power draws evenly, full when unplugged."""
    session = sim.start_session(CARPORT_ID, power_kw=7.4, kwh=10, duration=timedelta(hours=1))
    assert session.power_kw == 10
    clock.advance(timedelta(minutes=59))
    seen = await _kwh_so_far(client, CARPORT_ID)
    assert seen == round(10 * 59 / 60, 2) < 10
    clock.advance(timedelta(minutes=1))
    assert await _session(client, CARPORT_ID) is None
    assert (session.ended_at, session.kwh) == (START + timedelta(hours=1), 10.0)
    assert session.energy_until(START + timedelta(days=1)) == 10


@pytest.mark.upstream_sync
async def test_a_cloud_charger_shows_a_full_car_at_its_syncs(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """The Garage's synced ``kwh_so_far`` grows at 11 kW, then stays at the session's kWh."""
    clock.set(next_sync(GARAGE_ID, START))
    sim.start_session(GARAGE_ID, power_kw=11, kwh=8.25, duration=timedelta(hours=4))
    seen = []
    for _ in range(8):
        clock.advance(SYNC_INTERVAL)
        seen.append(await _kwh_so_far(client, GARAGE_ID))
    assert seen == [2.75, 5.5, 8.25, 8.25, 8.25, 8.25, 8.25, 8.25]


def test_history_sessions_are_full_before_they_are_unplugged(sim: JouloSimulator) -> None:
    """The year's sessions draw at their charger's power until full; the Garage's from 01:00."""
    powers = {GARAGE_ID: 11.0, DRIVEWAY_ID: 11.0, CARPORT_ID: 7.4}
    sessions = sim.account().sessions
    for session in sessions:
        assert session.ended_at is not None
        assert session.wanted_kwh == session.kwh
        assert session.energy_until(session.ended_at) == session.kwh
        assert session.energy_until(session.ended_at - timedelta(minutes=1)) <= session.kwh
        assert session.power_kw == pytest.approx(powers[session.charger_id], rel=0.01)
        assert session.draws_from is not None
        if session.charger_id != GARAGE_ID or session.draws_from == session.started_at:
            assert session.draws_from == session.started_at
            continue
        # Waiting for the Garage's schedule: nothing before 01:00 local, full power after.
        assert session.draws_from.astimezone(TIME_ZONE).time() == ONE_AM
        assert session.energy_until(session.draws_from) == 0
        hour_on = session.draws_from + timedelta(hours=1)
        assert session.energy_until(hour_on) == pytest.approx(min(11.0, session.kwh))
    flat_tail = [
        s
        for s in sessions
        if s.full_at is not None
        and s.ended_at is not None
        and s.full_at <= s.ended_at - timedelta(hours=1)
    ]
    assert len(flat_tail) > 0.8 * len(sessions)
    scheduled = [s for s in sessions if s.draws_from != s.started_at]
    garage = [s for s in sessions if s.charger_id == GARAGE_ID]
    assert 0.2 * len(garage) < len(scheduled) < len(garage)


def test_the_oprit_meter_stays_flat_once_the_car_is_full(sim: JouloSimulator) -> None:
    """The OCPP meter of the past follows the car: up at 11 kW, then flat until unplug."""
    oprit = sim.charger(DRIVEWAY_ID)
    session = next(
        s
        for s in reversed(oprit.sessions)
        if s.full_at is not None and s.ended_at and s.full_at < s.ended_at - timedelta(hours=1)
    )
    assert session.ended_at is not None
    assert session.full_at is not None
    start = oprit.meter_value_at(session.started_at)
    hour_on = oprit.meter_value_at(session.started_at + timedelta(hours=1))
    assert hour_on - start == pytest.approx(min(11_000, session.kwh * 1000))
    full = oprit.meter_value_at(session.full_at + timedelta(seconds=1))
    assert full - start == pytest.approx(session.kwh * 1000)
    assert oprit.meter_value_at(session.ended_at - timedelta(seconds=1)) == full
    assert oprit.meter_value_at(session.ended_at) == pytest.approx(full)
