"""An asynchronous client of the Joulo REST API on a caller's `aiohttp.ClientSession`."""

from __future__ import annotations

from datetime import UTC, datetime
import json
import logging
from typing import Any

import aiohttp

from .errors import (
    JouloAuthenticationError,
    JouloConnectionError,
    JouloResponseError,
)
from .gate import RateLimitGate
from .models import (
    Account,
    Charger,
    Energy,
    SessionPage,
    parse_account,
    parse_chargers,
    parse_energy,
    parse_sessions,
)

DEFAULT_BASE_URL = "https://api.joulo.nl/functions/v1/api"
DEFAULT_TIMEOUT = 20.0
MAX_SESSIONS_LIMIT = 100

_LOGGER = logging.getLogger(__name__)


class JouloClient:
    """Reads chargers, sessions, energy totals and the account from the Joulo API.

    Every method raises only the errors of `errors.py`. Requests go through a `RateLimitGate`: after a
    429 nothing is sent until the API's `Retry-After` has passed. Once the API has refused the token
    (401), the client sends nothing more with it: a rotated token never becomes valid again.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        request_timeout: float = DEFAULT_TIMEOUT,
        gate: RateLimitGate | None = None,
    ) -> None:
        """Use `session` for requests, authenticated with `token`."""
        self._session = session
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.gate = gate or RateLimitGate()
        self._token_refused = False

    def __repr__(self) -> str:
        """Describe the client without its token."""
        return f"JouloClient(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The API base URL this client talks to."""
        return self._base_url

    async def get_chargers(self) -> tuple[Charger, ...]:
        """Return every charger linked to the account (`GET /chargers`)."""
        return parse_chargers(await self._get("/chargers"))

    async def get_sessions(
        self,
        *,
        charger_id: str | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> SessionPage:
        """Return one page of sessions, newest first (`GET /sessions`).

        `started_from` and `started_to` filter on the session's start; `limit` is 1 to 100.
        """
        if limit is not None and not 1 <= limit <= MAX_SESSIONS_LIMIT:
            msg = f"limit must be between 1 and {MAX_SESSIONS_LIMIT}"
            raise ValueError(msg)
        if offset is not None and offset < 0:
            msg = "offset must not be negative"
            raise ValueError(msg)
        params: dict[str, str] = {}
        if charger_id is not None:
            params["charger_id"] = charger_id
        if started_from is not None:
            params["from"] = format_timestamp(started_from)
        if started_to is not None:
            params["to"] = format_timestamp(started_to)
        if limit is not None:
            params["limit"] = str(limit)
        if offset is not None:
            params["offset"] = str(offset)
        return parse_sessions(await self._get("/sessions", params))

    async def get_energy(self) -> Energy:
        """Return the account's lifetime and monthly totals (`GET /energy`)."""
        return parse_energy(await self._get("/energy"))

    async def get_account(self) -> Account:
        """Return the account behind the token (`GET /me`)."""
        return parse_account(await self._get("/me"))

    async def _get(self, endpoint: str, params: dict[str, str] | None = None) -> Any:
        """Send one GET through the gate and return its decoded JSON body."""
        if self._token_refused:
            raise JouloAuthenticationError(401)
        self.gate.check()
        try:
            async with self._session.get(
                self._base_url + endpoint,
                params=params,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                body = await response.read()
        except TimeoutError as err:
            msg = f"Timeout while requesting {endpoint} from the Joulo API"
            raise JouloConnectionError(msg) from err
        except (aiohttp.ClientError, OSError) as err:
            msg = f"Error requesting {endpoint} from the Joulo API: {type(err).__name__}"
            raise JouloConnectionError(msg) from err
        _LOGGER.debug("GET %s answered HTTP %s (%d bytes)", endpoint, status, len(body))
        if status in (401, 403):
            self._token_refused = status == 401  # noqa: PLR2004
            raise JouloAuthenticationError(status)
        if status == 429:  # noqa: PLR2004
            raise self.gate.close(retry_after)
        if status >= 500:  # noqa: PLR2004
            msg = f"The Joulo API answered {endpoint} with HTTP {status}"
            raise JouloConnectionError(msg)
        if not 200 <= status < 300:  # noqa: PLR2004
            msg = f"The Joulo API answered {endpoint} with HTTP {status}"
            raise JouloResponseError(msg, status=status)
        self.gate.record_success()
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as err:
            msg = f"The Joulo API answered {endpoint} with malformed JSON"
            raise JouloResponseError(msg, status=status) from err


def format_timestamp(moment: datetime) -> str:
    """Format a moment as the API does: ISO 8601 in UTC with a `Z` (naive moments are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
