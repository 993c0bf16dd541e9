"""Errors raised by the Joulo API client.

The client raises only these: whatever the server or the network does, a caller needs to handle
authentication, rate limiting, connection and response errors and nothing else.
"""

from __future__ import annotations

from datetime import datetime


class JouloError(Exception):
    """Base class of every error the Joulo client raises."""


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

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the HTTP status of a server error; None when no answer came (network, timeout).

        A 503 on a charger command means the charger is offline, not that the API is down.
        """
        super().__init__(message)
        self.status = status


class JouloResponseError(JouloError):
    """The API answered with something the client cannot use (malformed JSON, wrong shape, 4xx)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the HTTP status when the error comes from one."""
        super().__init__(message)
        self.status = status
