"""The data the coordinators publish, and how healthy their polls are: plain, immutable types.

This module imports nothing of the integration but the client package, so every module can use these
types without importing the coordinators.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .api import Account, Charger, Energy, ErePosition, EstimateBasis, Session


@dataclass(frozen=True, slots=True)
class SessionNews:
    """What a chargers poll saw of sessions: the ones that started, and when the chargers were asked."""

    started: frozenset[str]
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class ChargersData(Mapping[str, Charger]):
    """The account's chargers by id, and the charging power worked out for each (W, or None).

    `missing` are the chargers an answer stopped listing that have not left for good yet, each
    with since when it is missing: their devices and entities stay. `news` is what this poll saw
    start (None at the first poll); it is no part of the data's equality: a poll that brought the
    same chargers changed nothing an entity shows.
    """

    chargers: Mapping[str, Charger]
    power: Mapping[str, float | None] = field(default_factory=dict)
    missing: Mapping[str, datetime] = field(default_factory=dict)
    news: SessionNews | None = field(default=None, compare=False)

    def __getitem__(self, charger_id: str) -> Charger:
        """The charger with this id."""
        return self.chargers[charger_id]

    def __iter__(self) -> Iterator[str]:
        """The chargers' ids."""
        return iter(self.chargers)

    def __len__(self) -> int:
        """How many chargers the account has."""
        return len(self.chargers)

    def left(self, charger_ids: Iterable[str]) -> set[str]:
        """Those of these chargers that left the account: neither listed nor missing for a while."""
        return set(charger_ids) - self.chargers.keys() - self.missing.keys()


@dataclass(frozen=True, slots=True)
class SessionsData:
    """The newest sessions (and those that just finished), and each charger's newest completed one."""

    recent: tuple[Session, ...]
    last_completed: Mapping[str, Session]
    estimate_basis: EstimateBasis | None = None
    """The price and fee of Joulo's own euro estimate, from the latest answer that gave them."""
    newly_completed: frozenset[str] = field(default=frozenset(), compare=False)
    """The chargers whose newest completed session changed at this read."""


@dataclass(slots=True)
class YearTally:
    """A charger's completed sessions of one calendar year that did not count for ERE."""

    year: int
    kwh: float = 0.0
    ere_credits: float = 0.0
    sessions: int = 0


def missed_signal(entry_id: str) -> str:
    """The dispatcher signal sent when what chargers without MID missed this year changed."""
    return f"joulo_{entry_id}_ere_missed"


@dataclass(frozen=True, slots=True)
class EnergyData:
    """The account's totals; the account (`/me`) and its ERE position when they answered."""

    energy: Energy
    account: Account | None
    ere_position: ErePosition | None = None


TOTALS = "totals"
"""The context of the account's entities of `/energy` and `/me`."""
ERE_POSITION = "ere_position"
"""The context of the account's entities of `/ere-position`."""


@dataclass(frozen=True, slots=True)
class PollHealth:
    """A coordinator's failed refreshes in a row, and when its last good answer came.

    Joulo's API fails a request now and then; one failure should not blank a dashboard, a real
    outage should show. A coordinator keeps its last data through a failure that `tolerates` allows.
    """

    failures_in_a_row: int = 0
    last_success: datetime | None = None
    """When the latest refresh that succeeded ended; None before the first one."""

    def failed(self) -> PollHealth:
        """The health after one more failed refresh."""
        return PollHealth(self.failures_in_a_row + 1, self.last_success)

    @staticmethod
    def succeeded(now: datetime) -> PollHealth:
        """The health after a refresh that succeeded at `now`."""
        return PollHealth(0, now)

    def tolerates(self, now: datetime, ride_out: timedelta) -> bool:
        """Whether the data read before may still be shown at `now`, the failures counted so far.

        Always through the first failure after a good answer, and through more while the last good
        answer is younger than `ride_out`; never before any good answer (there is nothing to show).
        """
        if self.last_success is None:
            return False
        return self.failures_in_a_row < 2 or now - self.last_success < ride_out  # noqa: PLR2004
