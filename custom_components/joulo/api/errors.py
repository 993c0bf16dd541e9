"""Errors raised by the Joulo API client.

The client raises only these: whatever the server or the network does, a caller needs to handle
authentication, rate limiting, connection and response errors and nothing else.
"""

from __future__ import annotations

from datetime import datetime
import random

RETRY_PAUSE = (1.0, 3.0)
"""A transient failure is worth one more try after a pause of this many seconds (drawn between)."""


def retry_pause() -> float:
    """A pause before trying a transient failure again, in seconds, jittered within `RETRY_PAUSE`.

    The client never waits itself: the caller schedules the retry on its own clock.
    """
    return random.uniform(*RETRY_PAUSE)  # noqa: S311 - jitter, not a secret


class JouloError(Exception):
    """Base class of every error the Joulo client raises."""

    transient = False
    """Whether the same request may go better a moment later (see `retry_pause`)."""


class JouloAuthenticationError(JouloError):
    """The API refused the token (HTTP 401 or 403)."""

    def __init__(self, status: int) -> None:
        """Keep the HTTP status; the token never goes into the message."""
        super().__init__(f"The Joulo API refused the token (HTTP {status})")
        self.status = status


class JouloRateLimitedError(JouloError):
    """The API asked us to slow down (HTTP 429), or the rate-limit gate is still closed."""

    def __init__(self, retry_at: datetime, retry_after: float) -> None:
        """Keep when requests may be sent again, as a moment and as seconds from now."""
        super().__init__(f"Rate limited by the Joulo API; retry in {retry_after:.0f} s")
        self.retry_at = retry_at
        self.retry_after = retry_after


class JouloConnectionError(JouloError):
    """The API could not be reached, timed out, or answered with a server error (5xx)."""

    transient = True

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the HTTP status of a server error; None when no answer came (network, timeout).

        A 503 on a charger command means the charger is offline, not that the API is down.
        """
        super().__init__(message)
        self.status = status


class JouloResponseError(JouloError):
    """The API answered with something the client cannot use (malformed JSON, wrong shape, 4xx)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the HTTP status when the error comes from one.

        A broken body of a 2xx is transient; a 4xx (a missing endpoint, a bad request) would only be
        refused again.
        """
        super().__init__(message)
        self.status = status
        self.transient = status is None or status < 400  # noqa: PLR2004
