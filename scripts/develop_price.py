# ruff: noqa: INP001  (scripts/ holds stand-alone commands, not a package)
"""The demo's electricity price: the hourly formula, and its year of hourly statistics.

Used by `develop_setup.py`. The demo's configuration has a dynamic price, the template sensor
`sensor.electricity_price` (configuration.yaml); Joulo prices charging with it. Its states start when
the demo first started, so the year of session history before that would have no price: this imports
the sensor's hourly statistics of that year, from the same formula (`hourly_price`), through Home
Assistant's own websocket command (`recorder/import_statistics`), which is what the integration reads
for hours older than the sensor's state history.

Only hours Home Assistant will not compile itself are written: the hours that ended (the recorder
compiles the hour that ended at ten seconds past the next one, see `COMPILED_BY`), that have no row
or a row off the formula (a row compiled while the demo was stopped carries the price of before).
Importing again changes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from develop_dashboards import Websocket

PRICE_ENTITY = "sensor.electricity_price"
PRICE_UNIT = "EUR/kWh"
PRICE_BANDS = ((0, 6, 0.18), (11, 15, 0.22), (17, 21, 0.38))
"""Local hours [from, to) with their price in EUR/kWh: night and midday cheap, the evening dear."""
ORDINARY_PRICE = 0.27
"""EUR/kWh in every other hour."""
HISTORY = timedelta(days=366)
"""How far back the statistics go: the simulator's year of sessions, and a day."""
HOUR = timedelta(hours=1)
TOLERANCE = 1e-4
"""How far a stored hour's mean may lie from the formula (the sensor moves a moment past the hour)."""
COMPILED_BY = 30
"""Seconds past the hour by which the recorder has compiled the hour that ended (it starts at 10)."""
IMPORT_CHUNK = 1000
"""Rows per `recorder/import_statistics` command (a year is 8,784: under the websocket's 4 MB)."""
METADATA = {
    "has_sum": False,
    "mean_type": 1,  # arithmetic: what Home Assistant keeps for a `measurement` sensor
    "name": None,
    "source": "recorder",
    "statistic_id": PRICE_ENTITY,
    "unit_class": None,  # no unit converter knows a price per energy unit
    "unit_of_measurement": PRICE_UNIT,
}


def hourly_price(moment: datetime) -> float:
    """The demo's price (EUR/kWh, incl. tax) in the hour of `moment`, in Home Assistant's time zone.

    The template sensor's formula: the hour's band, and a few cents up or down by the day, a weekly
    round (the day's ordinal times 5, modulo 7, from -3 to +3 cents).
    """
    base = next(
        (price for start, end, price in PRICE_BANDS if start <= moment.hour < end), ORDINARY_PRICE
    )
    return round(base + ((moment.toordinal() * 5) % 7 - 3) / 100, 2)


async def caught_up(now: datetime) -> datetime:
    """`now`, or a little later if the recorder may still be compiling the hour that just ended.

    Waits until `COMPILED_BY` seconds past the hour when `now` is earlier in it: a row imported
    before Home Assistant compiles that hour would collide with its own.
    """
    if (wait := COMPILED_BY - (now.minute * 60 + now.second)) <= 0:
        return now
    await asyncio.sleep(wait)
    return now + timedelta(seconds=wait)


def hours_ended(now: datetime) -> list[datetime]:
    """The UTC starts of the hours of the last `HISTORY` that ended by `now`."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    count = int(HISTORY / HOUR)
    return [current - HOUR * back for back in range(count, 0, -1)]


async def stored_means(ws: Websocket, hours: list[datetime]) -> dict[datetime, float]:
    """The hourly means the recorder has of the price in `hours`, by UTC hour start."""
    rows = await ws.command(
        "recorder/statistics_during_period",
        start_time=hours[0].isoformat(),
        end_time=(hours[-1] + HOUR).isoformat(),
        statistic_ids=[PRICE_ENTITY],
        period="hour",
        types=["mean"],
    )
    return {
        datetime.fromtimestamp(row["start"] / 1000, UTC): row["mean"]
        for row in rows.get(PRICE_ENTITY, [])
        if row.get("mean") is not None
    }


async def rows_needed(ws: Websocket, now: datetime, zone: tzinfo) -> list[dict[str, Any]]:
    """The statistics rows to import at `now`: each ended hour without a row, or off the formula."""
    hours = hours_ended(now)
    stored = await stored_means(ws, hours)
    needed = []
    for hour in hours:
        price = hourly_price(hour.astimezone(zone))
        mean = stored.get(hour)
        if mean is None or abs(mean - price) > TOLERANCE:
            needed.append({"start": hour.isoformat(), "mean": price, "min": price, "max": price})
    return needed


async def import_statistics(
    ws: Websocket, now: datetime, zone: tzinfo, poll: float = 0.5
) -> list[dict[str, Any]]:
    """Import the rows the price's statistics lack at `now`, and wait until the recorder has them.

    Returns the rows imported (none when the year was there). The recorder writes them from its
    queue; the caller bounds the wait (`asyncio.timeout`).
    """
    rows = await rows_needed(ws, now, zone)
    for first in range(0, len(rows), IMPORT_CHUNK):
        await ws.command(
            "recorder/import_statistics",
            metadata=METADATA,
            stats=rows[first : first + IMPORT_CHUNK],
        )
    pending = rows
    while pending:
        await asyncio.sleep(poll)
        pending = await rows_needed(ws, now, zone)
    return rows


async def problems(ws: Websocket, now: datetime, zone: tzinfo) -> list[str]:
    """What is wrong with the demo's price at `now` (from `caught_up`): the sensor, its statistics.

    The sensor must show the formula's price in its unit (so the formula here and the template
    agree), and the statistics must have every ended hour of the last year at that price.
    """
    found = []
    states = await ws.command("get_states")
    state = next((state for state in states if state["entity_id"] == PRICE_ENTITY), None)
    expected = hourly_price(now.astimezone(zone))
    if state is None:
        found.append(f"no {PRICE_ENTITY}")
    elif state["attributes"].get("unit_of_measurement") != PRICE_UNIT or not _near(
        state["state"], expected
    ):
        found.append(
            f"{PRICE_ENTITY} shows {state['state']} "
            f"{state['attributes'].get('unit_of_measurement')}, not {expected} {PRICE_UNIT}"
        )
    if missing := await rows_needed(ws, now, zone):
        found.append(
            f"{PRICE_ENTITY} lacks {len(missing)} hourly statistics of the last year "
            f"(from {missing[0]['start']})"
        )
    return found


def _near(shown: str, price: float) -> bool:
    """Whether a state reads `price`."""
    try:
        return abs(float(shown) - price) <= TOLERANCE
    except ValueError:
        return False
