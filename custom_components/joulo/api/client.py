"""An asynchronous client of the Joulo REST API on a caller's `aiohttp.ClientSession`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
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
    ErePosition,
    RebootResult,
    Session,
    SessionPage,
    parse_account,
    parse_chargers,
    parse_energy,
    parse_ere_position,
    parse_reboot,
    parse_sessions,
)

DEFAULT_BASE_URL = "https://api.joulo.nl/functions/v1/api"
DEFAULT_TIMEOUT = 20.0
MAX_SESSIONS_LIMIT = 100

_LOGGER = logging.getLogger(__name__)


class JouloClient:
    """Reads chargers, sessions, energy totals, the account and its ERE position; restarts chargers.

    Every method raises only the errors of `errors.py`. Requests go through a `RateLimitGate`: after a
    429 nothing is sent until the API's `Retry-After` has passed. Once the API has refused the token
    (401), the client sends nothing more with it: a rotated token never becomes valid again.

    The API answers a few requests with a server error, a timeout or a broken body: such an error is
    `transient`, and its caller may try the read once more after `retry_pause()`, on its own clock
    (the client never waits). A refused token, a 429 and any other 4xx are not transient.
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
        return await self._get("/chargers", parse_chargers)

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
        return await self._get("/sessions", parse_sessions, params)

    async def get_all_sessions(
        self,
        *,
        charger_id: str | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
    ) -> tuple[Session, ...]:
        """Return every session that started in the period, newest first, in pages of 100.

        Pages are read until one comes back short. A session that a newer one pushed onto the
        next page while reading is listed once; a page that brings nothing new ends the reading,
        so an API that ignores `offset` cannot keep it going. Each page is one request through
        the gate: `n` sessions cost `n // 100 + 1` requests.
        """
        found: dict[str, Session] = {}
        offset = 0
        while True:
            page = await self.get_sessions(
                charger_id=charger_id,
                started_from=started_from,
                started_to=started_to,
                limit=MAX_SESSIONS_LIMIT,
                offset=offset,
            )
            known = len(found)
            for session in page.sessions:
                found.setdefault(session.id, session)
            if len(page.sessions) < MAX_SESSIONS_LIMIT or len(found) == known:
                return tuple(found.values())
            offset += MAX_SESSIONS_LIMIT

    async def get_energy(self) -> Energy:
        """Return the account's lifetime and monthly totals (`GET /energy`)."""
        return await self._get("/energy", parse_energy)

    async def get_account(self) -> Account:
        """Return the account behind the token (`GET /me`)."""
        return await self._get("/me", parse_account)

    async def get_ere_position(self) -> ErePosition:
        """Return the money side of the account's ERE this compliance year (`GET /ere-position`).

        Not every account (or API version) has it: a 404 raises `JouloResponseError` with status 404.
        """
        return await self._get("/ere-position", parse_ere_position)

    async def reboot_charger(self, charger_id: str, *, hard: bool = False) -> RebootResult:
        """Restart a charger, softly or (`hard`) by cutting its power (`POST /chargers/reboot`).

        Needs a token that may control chargers: without that right the API answers 403
        (`JouloAuthenticationError` with status 403). A reboot within about five minutes of the
        last one raises `JouloResponseError` with status 409; an offline charger
        `JouloConnectionError` with status 503.
        """
        if not charger_id:
            msg = "charger_id must not be empty"
            raise ValueError(msg)
        status, data = await self._request(
            "POST",
            "/chargers/reboot",
            body={"charger_id": charger_id, "type": "Hard" if hard else "Soft"},
        )
        return parse_reboot(data, queued=status == HTTPStatus.ACCEPTED)

    async def _get[T](
        self, endpoint: str, parse: Callable[[Any], T], params: dict[str, str] | None = None
    ) -> T:
        """Read `endpoint` and `parse` its JSON body."""
        return parse((await self._request("GET", endpoint, params=params))[1])

    async def _request(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Send one request through the gate; return the status and decoded JSON body of a 2xx."""
        if self._token_refused:
            raise JouloAuthenticationError(401)
        self.gate.check()
        try:
            async with self._session.request(
                method,
                self._base_url + endpoint,
                params=params,
                json=body,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                content = await response.read()
        except TimeoutError as err:
            msg = f"Timeout while requesting {endpoint} from the Joulo API"
            raise JouloConnectionError(msg) from err
        except (aiohttp.ClientError, OSError) as err:
            msg = f"Error requesting {endpoint} from the Joulo API: {type(err).__name__}"
            raise JouloConnectionError(msg) from err
        _LOGGER.debug("%s %s answered HTTP %s (%d bytes)", method, endpoint, status, len(content))
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            self._token_refused = status == HTTPStatus.UNAUTHORIZED
            raise JouloAuthenticationError(status)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise self.gate.close(retry_after)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            msg = f"The Joulo API answered {endpoint} with HTTP {status}"
            raise JouloConnectionError(msg, status=status)
        if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
            msg = f"The Joulo API answered {endpoint} with HTTP {status}"
            raise JouloResponseError(msg, status=status)
        self.gate.record_success()
        try:
            return status, json.loads(content)
        except (ValueError, RecursionError) as err:
            msg = f"The Joulo API answered {endpoint} with malformed JSON"
            raise JouloResponseError(msg, status=status) from err


def format_timestamp(moment: datetime) -> str:
    """Format a moment as the API does: ISO 8601 in UTC with a `Z` (naive moments are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
