"""The readings of each running session's kWh so far, kept until the session's hours are known.

After each chargers poll, every running session gets a reading: its `kwh_so_far`, at the moment of the
charger's meter reading when it reports a meter (`meter_updated_at`), else at the poll. They are
thinned as they come (`curve.with_reading`: about one per five minutes while power is drawn, two per
pause) and stored, so a restart keeps them. A completed session's hours come from them
(`curve.hourly_kwh`); once its statistics and cost are worked out, its readings are dropped. Those of
a session that never showed as completed go a few days after their last reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import Charger, Session
from .curve import Basis, Reading, curve_basis, hourly_kwh, with_reading
from .storage import DelayedStore, EntryStore

STORAGE_VERSION = 1
SAVE_DELAY = 60.0
"""Seconds between writes of the store: at most a minute of readings is lost to a crash."""
FORGET_AFTER = timedelta(days=3)
"""Readings of a session not seen running for this long, nor completed, are dropped."""

type Hours = list[tuple[datetime, float]]


class StoredReadings(TypedDict):
    """What is stored per entry: each session's readings, `[ISO time, kWh]` in time order, by id."""

    sessions: dict[str, list[tuple[str, float]]]


class SessionReadings:
    """Keeps the readings of an entry's running sessions, and draws each completed one's hours."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the readings of the config entry `entry_id`."""
        self._store: DelayedStore[StoredReadings] = DelayedStore(
            hass,
            entry_id,
            EntryStore.READINGS,
            version=STORAGE_VERSION,
            delay=SAVE_DELAY,
            serialize=self._to_store,
        )
        self._readings: dict[str, tuple[Reading, ...]] = {}

    async def async_load(self) -> None:
        """Load the readings kept before a restart (a damaged session's are skipped)."""
        stored = await self._store.async_load()
        for session_id, readings in (stored or {"sessions": {}})["sessions"].items():
            self._readings[session_id] = tuple(
                Reading(moment, float(kwh))
                for at, kwh in readings
                if (moment := dt_util.parse_datetime(at)) is not None
            )

    async def async_stop(self) -> None:
        """Write what is not written yet (on unload)."""
        await self._store.async_flush()

    def record(self, chargers: Iterable[Charger], polled_at: datetime) -> None:
        """Add a reading of every running session the chargers show; forget stale sessions."""
        changed = False
        for charger in chargers:
            running = charger.current_session
            if running is None or running.kwh_so_far is None:
                continue
            at = (
                charger.meter_updated_at
                if charger.latest_meter_wh is not None and charger.meter_updated_at is not None
                else polled_at
            )
            before = self._readings.get(running.id, ())
            after = with_reading(before, Reading(at, running.kwh_so_far))
            if after != before:
                self._readings[running.id] = after
                changed = True
        stale = [
            session_id
            for session_id, readings in self._readings.items()
            if not readings or readings[-1].at < polled_at - FORGET_AFTER
        ]
        if stale:
            self.forget(stale)
        elif changed:
            self._store.schedule_save()

    def hours(self, session: Session) -> tuple[Hours, Basis]:
        """A completed session's kWh per UTC hour, and whether readings drew them (see `curve`)."""
        readings = self._readings.get(session.id, ())
        end = session.ended_or_started_at
        return (
            hourly_kwh(session.started_at, end, session.kwh or 0.0, readings),
            curve_basis(session.started_at, end, readings),
        )

    def forget(self, session_ids: Iterable[str]) -> None:
        """Drop the readings of these sessions (their hours are worked out for good)."""
        forgotten = False
        for session_id in session_ids:
            if self._readings.pop(session_id, None) is not None:
                forgotten = True
        if forgotten:
            self._store.schedule_save()

    def __len__(self) -> int:
        """How many sessions have readings kept."""
        return len(self._readings)

    def __contains__(self, session_id: object) -> bool:
        """Whether readings of this session are kept."""
        return session_id in self._readings

    def _to_store(self) -> StoredReadings:
        return StoredReadings(
            sessions={
                session_id: [(reading.at.isoformat(), reading.kwh) for reading in readings]
                for session_id, readings in self._readings.items()
            }
        )


def spread(session: Session) -> tuple[Hours, Basis]:
    """A completed session's kWh spread evenly over its hours: one never seen running."""
    end = session.ended_or_started_at
    return hourly_kwh(session.started_at, end, session.kwh or 0.0, ()), Basis.SPREAD
