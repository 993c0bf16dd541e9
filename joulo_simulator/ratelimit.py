"""Per-token rate limiting with a sliding window on the simulator's clock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
import math


@dataclass(frozen=True)
class RateLimit:
    """At most ``max_requests`` requests per token in any ``window``."""

    max_requests: int = 30
    window: timedelta = timedelta(seconds=60)


class RateLimiter:
    """Counts the accepted requests of each token in a sliding window."""

    def __init__(self, limit: RateLimit) -> None:
        """Enforce ``limit``."""
        self.limit = limit
        self._accepted: dict[str, deque[datetime]] = {}

    def check(self, key: str, now: datetime) -> int | None:
        """Record a request for ``key`` and return None, or, when over the limit, Retry-After.

        A refused request is not recorded, so a client that waits Retry-After seconds gets in.
        """
        accepted = self._accepted.setdefault(key, deque())
        if accepted and accepted[-1] > now:
            # The clock was set back (a test moved it): what was counted is in the future.
            accepted.clear()
        while accepted and now - accepted[0] >= self.limit.window:
            accepted.popleft()
        if len(accepted) >= self.limit.max_requests:
            wait = (accepted[0] + self.limit.window - now).total_seconds()
            return max(1, math.ceil(wait))
        accepted.append(now)
        return None
