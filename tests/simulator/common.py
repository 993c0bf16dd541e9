"""Helpers for the simulator's tests: the start time and a small HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import json
from typing import Any

import aiohttp

from joulo_simulator import DEMO_TOKEN, SimulatorServer

START = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
"""Where the tests' manual clock starts."""


@dataclass(frozen=True)
class Reply:
    """What the simulator answered."""

    status: int
    headers: Mapping[str, str]
    text: str

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        return self.headers.get("Content-Type", "").split(";")[0]

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.text)


class SimClient:
    """Talks to a running simulator: the API with a bearer token, and the admin routes."""

    def __init__(self, session: aiohttp.ClientSession, server: SimulatorServer) -> None:
        """Use ``session`` to reach ``server``."""
        self.session = session
        self.server = server

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        give_up_after: float | None = None,
    ) -> Reply:
        """Send a request and read the whole answer."""
        async with self.session.request(
            method,
            url,
            params=params,
            headers=headers,
            json=body,
            timeout=aiohttp.ClientTimeout(total=give_up_after) if give_up_after else None,
        ) as response:
            return Reply(response.status, dict(response.headers), await response.text())

    async def api(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        token: str | None = DEMO_TOKEN,
        give_up_after: float | None = None,
    ) -> Reply:
        """Call an API endpoint, e.g. ``/chargers``, with ``token`` as bearer (None: no token)."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return await self.request(
            method,
            self.server.base_url + endpoint,
            params=params,
            headers=headers,
            body=body,
            give_up_after=give_up_after,
        )

    async def get(
        self,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        *,
        token: str | None = DEMO_TOKEN,
        give_up_after: float | None = None,
    ) -> Reply:
        """GET an API endpoint with ``params``."""
        return await self.api(
            "GET", endpoint, params=params, token=token, give_up_after=give_up_after
        )

    async def post(
        self, endpoint: str, body: Any = None, *, token: str | None = DEMO_TOKEN
    ) -> Reply:
        """POST ``body`` as JSON to an API endpoint, e.g. ``/chargers/reboot``."""
        return await self.api("POST", endpoint, body=body, token=token)

    async def admin(self, method: str, path: str, body: Any = None) -> Reply:
        """Call an admin route, e.g. ``POST /faults``."""
        return await self.request(method, self.server.admin_url + path, body=body)


async def all_sessions(
    client: SimClient, params: Mapping[str, str] | None = None, *, token: str = DEMO_TOKEN
) -> list[dict[str, Any]]:
    """Page through ``/sessions`` with the largest page size and return every session."""
    sessions: list[dict[str, Any]] = []
    while True:
        query = {**(params or {}), "limit": "100", "offset": str(len(sessions))}
        reply = await client.get("/sessions", query, token=token)
        assert reply.status == 200, reply.text
        page = reply.json()["sessions"]
        sessions.extend(page)
        if len(page) < 100:
            return sessions
