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


def costs_signal(entry_id: str) -> str:
    """The dispatcher signal that says an entry's session costs changed."""
    return f"joulo_{entry_id}_costs"


def vehicles_signal(entry_id: str) -> str:
    """The dispatcher signal that says an entry's vehicles were added, changed or removed."""
    return f"joulo_{entry_id}_vehicles"


def period_signal(entry_id: str) -> str:
    """The dispatcher signal sent when a month (and maybe a year) starts: period figures start again."""
    return f"joulo_{entry_id}_period_start"


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


MIN_REFRESH_WAIT = timedelta(seconds=1)
"""The shortest wait before the next regular poll (a retry that took most of the interval)."""


@dataclass(frozen=True, slots=True)
class PollHealth:
    """A coordinator's failed refreshes in a row, and when its last good answer came.

    Joulo's API fails a request now and then; one failure should not blank a dashboard, a real
    outage should show. A transient failure is tried once more soon (`retry_due`), and counts as a
    failed refresh only when that retry fails too. A coordinator keeps its last data through a
    failure that `tolerates` allows.
    """

    failures_in_a_row: int = 0
    last_success: datetime | None = None
    """When the latest refresh that succeeded ended; None before the first one."""
    retry_due: bool = False
    """Whether the latest refresh failed transiently and its one retry is still to come."""

    @property
    def good(self) -> bool:
        """Whether the latest refresh read the API."""
        return not self.failures_in_a_row and not self.retry_due

    def failed(self, *, transient: bool) -> PollHealth:
        """The health after one more failed refresh; a `transient` first failure awaits its retry.

        Only a refresh that read the API before retries: before any good answer, a setup fails
        and Home Assistant retries it on its own.
        """
        if transient and not self.retry_due and self.last_success is not None:
            return PollHealth(self.failures_in_a_row, self.last_success, retry_due=True)
        return PollHealth(self.failures_in_a_row + 1, self.last_success)

    @staticmethod
    def succeeded(now: datetime) -> PollHealth:
        """The health after a refresh that succeeded at `now`."""
        return PollHealth(0, now)

    def tolerates(self, now: datetime, ride_out: timedelta) -> bool:
        """Whether the data read before may still be shown at `now`, the failures counted so far.

        Always while a retry is due and through the first failure after a good answer, and through
        more while the last good answer is younger than `ride_out`; never before any good answer
        (there is nothing to show).
        """
        if self.last_success is None:
            return False
        return (
            self.failures_in_a_row < 2  # noqa: PLR2004
            or now - self.last_success < ride_out
        )


def next_refresh_in(
    regular: timedelta,
    *,
    retry_due: bool,
    retry_pause: timedelta,
    rate_limited_for: float | None,
    since_poll: timedelta = timedelta(0),
) -> timedelta:
    """When a coordinator refreshes next: the retry's pause while one is due, else its next poll.

    After a retry, `since_poll` (how long ago the poll it retried began) is taken off, so a retry
    does not shift the cadence. A refresh refused by the rate limit comes again when its
    `Retry-After` (`rate_limited_for`, seconds) has passed, not into the closed gate, also when it
    is the retry of that refresh.
    """
    if rate_limited_for is not None:
        return max(timedelta(seconds=rate_limited_for), MIN_REFRESH_WAIT)
    if retry_due:
        return retry_pause
    return max(regular - since_poll, MIN_REFRESH_WAIT)
