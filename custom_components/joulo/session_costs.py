"""What each completed session cost, worked out once when it is first seen completed, and kept.

A completed session's hours come from the readings taken while it ran (`readings.SessionReadings`),
its prices from the entry's price source (`prices.async_hourly_prices`: a fixed price at once; a price
entity's hours from the recorder, in one read for every session that waits, never per poll), its ERE
value from the price ERE are worth at that moment. The result (`cost.SessionCost`) is stored: a restart
or a later change of the price history never moves it. A session with an hour without a price has an
unknown cost (its `missing_hours`); that is kept only until the entry is set up again, when it is
tried once more (prices may have been imported since).

The stored costs belong to one price source: when the options name another, they start over, and the
session history is read again (`needs_history`) so that older sessions are priced too. Costs of
sessions that started more than `KEEP_FOR` ago are dropped; the energy report works those out itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import Session
from .const import DOMAIN
from .cost import CostSums, SessionCost, session_cost
from .ere import SessionEre
from .periods import Period, period_start
from .prices import async_hourly_prices
from .pricing import PriceSource
from .readings import Hours, SessionReadings
from .session_times import ImpossibleSessions
from .storage import DelayedStore, EntryStore

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
KEEP_FOR = timedelta(days=400)
"""How long a session's cost is kept: this month's and last year's figures need no more."""


@dataclass(frozen=True, slots=True)
class PricedSession:
    """A completed session's cost, with what the sums by charger and month need of the session."""

    charger_id: str
    started_at: datetime
    kwh: float
    cost: SessionCost


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A completed session whose hours are known, waiting for their prices."""

    session: Session
    hours: Hours
    basis: str
    ere_value_eur: float | None

    def cost_at(self, prices: Mapping[datetime, float] | float) -> SessionCost:
        """What the session cost at `prices` (EUR/kWh per hour start, or one price)."""
        return session_cost(self.hours, prices, self.ere_value_eur, self.basis)


class StoredCost(TypedDict):
    """What is stored per session."""

    charger_id: str
    started_at: str
    kwh: float
    cost_eur: float
    net_cost_eur: float | None
    price_per_kwh: float | None
    basis: str


class StoredCosts(TypedDict):
    """What is stored per entry: the price source, whether the history was priced, each cost."""

    source: str
    history: bool
    sessions: dict[str, StoredCost]


def source_key(source: PriceSource) -> str:
    """How a price source is named in the store: another name means other costs."""
    if source.entity_id is not None:
        return f"entity:{source.entity_id}"
    return f"fixed:{source.fixed_price}"


class SessionCosts:
    """Prices an entry's completed sessions, keeps their costs, and sums them by charger and month."""

    priced_step: Callable[[], None] | None = None
    """Called after costs that waited for the recorder are known (the refresh pipeline's step)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        source: PriceSource,
        readings: SessionReadings,
        *,
        impossible: ImpossibleSessions,
        ere_of: Callable[[Session], SessionEre],
    ) -> None:
        """Price the sessions of `entry` at `source`, with the hours `readings` draw.

        Sessions `impossible` names are never priced; `ere_of` says what a session earned now.
        """
        self._hass = hass
        self._entry = entry
        self._source = source
        self._readings = readings
        self._impossible = impossible
        self._ere_of = ere_of
        self._store: DelayedStore[StoredCosts] = DelayedStore(
            hass,
            entry.entry_id,
            EntryStore.COSTS,
            version=STORAGE_VERSION,
            delay=SAVE_DELAY,
            serialize=self._to_store,
        )
        self._costs: dict[str, PricedSession] = {}
        self._waiting: dict[str, _Waiting] = {}
        self._reading = False
        self.needs_history = True
        """Whether the session history has to be read for these costs (none stored at this source)."""

    async def async_load(self) -> None:
        """Load the costs stored at this price source; at another, they start over."""
        stored = await self._store.async_load()
        if stored is None or stored["source"] != source_key(self._source):
            if stored is not None:
                self._store.schedule_save()
            return
        self.needs_history = not stored["history"]
        for session_id, cost in stored["sessions"].items():
            if (started_at := dt_util.parse_datetime(cost["started_at"])) is None:
                continue
            self._costs[session_id] = PricedSession(
                charger_id=cost["charger_id"],
                started_at=started_at,
                kwh=cost["kwh"],
                cost=SessionCost(
                    cost_eur=cost["cost_eur"],
                    net_cost_eur=cost["net_cost_eur"],
                    price_per_kwh=cost["price_per_kwh"],
                    missing_hours=(),
                    basis=cost["basis"],
                ),
            )

    async def async_stop(self) -> None:
        """Write what is not written yet (on unload)."""
        await self._store.async_flush()

    def price(self, sessions: Iterable[Session], *, history: bool = False) -> bool:
        """Price the completed sessions not priced yet; whether any cost is known now.

        With a fixed price they are priced at once; with a price entity they wait for one read of
        the recorder (in the background), and `priced_step` follows. `history` says these are the
        whole session history: it need not be read again.
        """
        if history and self.needs_history:
            self.needs_history = False
            self._store.schedule_save()
        now = dt_util.utcnow()
        new = [
            session
            for session in self._impossible.possible(sessions, now)
            if session.is_completed
            and session.id not in self._costs
            and session.id not in self._waiting
            and session.started_at >= now - KEEP_FOR
        ]
        for session in new:
            self._waiting[session.id] = self._waiting_for_prices(session)
        if not self._waiting:
            return False
        if self._source.fixed_price is not None:
            self._settle(self._source.fixed_price)
            return True
        if not self._reading:
            self._reading = True
            self._entry.async_create_background_task(
                self._hass, self._async_read_prices(), f"{DOMAIN} session prices"
            )
        return False

    async def async_costs_of(self, sessions: Iterable[Session]) -> dict[str, SessionCost]:
        """The cost of each completed session: the one kept, else worked out now (not kept).

        Those worked out now are priced in one read of the prices, their hours spread evenly
        unless readings of them are kept (for the energy report, of any period).
        """
        known = {}
        unpriced = []
        for session in sessions:
            if not session.is_completed:
                continue
            if (priced := self._costs.get(session.id)) is not None:
                known[session.id] = priced.cost
            else:
                unpriced.append(self._waiting_for_prices(session))
        if unpriced:
            hours = {hour for waiting in unpriced for hour, _ in waiting.hours}
            prices = await async_hourly_prices(self._hass, self._source, hours)
            known.update((waiting.session.id, waiting.cost_at(prices)) for waiting in unpriced)
        return known

    def waiting(self, session_id: str) -> bool:
        """Whether this session's cost waits for the recorder (its `ended` announcement waits too)."""
        return session_id in self._waiting

    def of(self, session_id: str) -> PricedSession | None:
        """A session's cost, once priced."""
        return self._costs.get(session_id)

    def month_sums(self, charger_id: str | None = None) -> CostSums:
        """The costs of the sessions that started this month (of one charger, or of all)."""
        start = period_start(dt_util.utcnow(), Period.MONTH, dt_util.get_default_time_zone())
        sums = CostSums()
        for priced in self._costs.values():
            if priced.started_at >= start and charger_id in (None, priced.charger_id):
                sums.add(priced.kwh, priced.cost)
        return sums

    async def _async_read_prices(self) -> None:
        """Read the prices of every waiting session's hours at once, until none waits."""
        try:
            while self._waiting:
                hours = {hour for waiting in self._waiting.values() for hour, _ in waiting.hours}
                prices = await async_hourly_prices(self._hass, self._source, hours)
                self._settle(prices)
                if self.priced_step is not None:
                    self.priced_step()
        finally:
            self._reading = False

    def _settle(self, prices: Mapping[datetime, float] | float) -> None:
        """Price every waiting session at `prices` and keep the costs; drop those kept long enough."""
        now = dt_util.utcnow()
        for session_id, waiting in list(self._waiting.items()):
            session = waiting.session
            self._costs[session_id] = PricedSession(
                charger_id=session.charger_id,
                started_at=session.started_at,
                kwh=session.kwh or 0.0,
                cost=waiting.cost_at(prices),
            )
            del self._waiting[session_id]
        for session_id, priced in list(self._costs.items()):
            if priced.started_at < now - KEEP_FOR:
                del self._costs[session_id]
        self._store.schedule_save()

    def _waiting_for_prices(self, session: Session) -> _Waiting:
        """A completed session with its hours and ERE value as they are now, to be priced."""
        hours, basis = self._readings.hours(session)
        return _Waiting(session, hours, basis, self._ere_of(session).value)

    def _to_store(self) -> StoredCosts:
        return StoredCosts(
            source=source_key(self._source),
            history=not self.needs_history,
            sessions={
                session_id: StoredCost(
                    charger_id=priced.charger_id,
                    started_at=priced.started_at.isoformat(),
                    kwh=priced.kwh,
                    cost_eur=priced.cost.cost_eur,
                    net_cost_eur=priced.cost.net_cost_eur,
                    price_per_kwh=priced.cost.price_per_kwh,
                    basis=priced.cost.basis,
                )
                for session_id, priced in self._costs.items()
                if priced.cost.cost_eur is not None
            },
        )
