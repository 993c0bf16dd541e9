"""The rate-limit gate: after a 429, no request leaves until the API said we may try again.

Joulo limits requests per token, so one gate is shared by everything that uses the same token. It only
keeps time; the client consults it before every request and tells it about every 429 and success.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from .errors import JouloRateLimitedError

INITIAL_BACKOFF = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=15)
# A Retry-After further away than this is taken as a server mistake, not as a reason to stop for days.
MAX_RETRY_AFTER = timedelta(hours=6)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RateLimitGate:
    """Holds every request until a 429's `Retry-After` has passed, with doubling back-off without one."""

    def __init__(self, now: Callable[[], datetime] = _utcnow) -> None:
        """Create an open gate; `now` is the wall clock (injectable for tests)."""
        self._now = now
        self._closed_until: datetime | None = None
        self._next_backoff = INITIAL_BACKOFF

    @property
    def closed_until(self) -> datetime | None:
        """When the gate opens again, or None when it is open."""
        if self._closed_until is not None and self._now() >= self._closed_until:
            self._closed_until = None
        return self._closed_until

    def check(self) -> None:
        """Raise `JouloRateLimitedError` while the gate is closed."""
        if (until := self.closed_until) is not None:
            raise self._error(until)

    def close(self, retry_after: str | None) -> JouloRateLimitedError:
        """Close the gate after a 429 and return the error to raise for it."""
        now = self._now()
        until = _parse_retry_after(retry_after, now)
        if until is None:
            until = now + self._next_backoff
            self._next_backoff = min(self._next_backoff * 2, MAX_BACKOFF)
        self._closed_until = min(max(until, now + timedelta(seconds=1)), now + MAX_RETRY_AFTER)
        return self._error(self._closed_until)

    def record_success(self) -> None:
        """Forget the back-off once the API answers normally again."""
        self._next_backoff = INITIAL_BACKOFF

    def _error(self, until: datetime) -> JouloRateLimitedError:
        return JouloRateLimitedError(until, (until - self._now()).total_seconds())


def _parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Read `Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    if value is None or not (value := value.strip()):
        return None
    try:
        return now + timedelta(seconds=max(0.0, float(value)))
    except (ValueError, OverflowError):
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
