"""`get_all_sessions`: every session of a period, page by page, each once, and always to an end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.joulo.api import JouloClient, RateLimitGate
from joulo_simulator import GARAGE_ID, JouloSimulator
from tests.client.helpers import START

type Pages = Callable[[int], list[int]]
"""The session numbers a stub API lists at an offset."""


def _newest_first(simulator: JouloSimulator) -> list[str]:
    sessions = sorted(
        simulator.default_account.sessions,
        key=lambda session: (session.started_at, session.id),
        reverse=True,
    )
    return [session.id for session in sessions]


async def test_every_session_of_the_account(client: JouloClient, simulator: JouloSimulator) -> None:
    """Without a filter: the whole history, newest first, in `n // 100 + 1` requests."""
    sessions = await client.get_all_sessions()

    expected = _newest_first(simulator)
    assert [session.id for session in sessions] == expected
    assert [request.query for request in simulator.requests] == [
        {"limit": "100", "offset": str(offset)} for offset in range(0, len(expected) + 1, 100)
    ]


async def test_sessions_of_a_charger_in_a_period(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """The charger and the period go into every page's query."""
    start = START - timedelta(days=90)

    sessions = await client.get_all_sessions(
        charger_id=GARAGE_ID, started_from=start, started_to=START
    )

    assert sessions
    assert {session.charger_id for session in sessions} == {GARAGE_ID}
    assert all(start <= session.started_at < START for session in sessions)
    assert {tuple(sorted(request.query)) for request in simulator.requests} == {
        ("charger_id", "from", "limit", "offset", "to")
    }


@pytest.fixture
async def stub_client(
    http_session: aiohttp.ClientSession, gate: RateLimitGate, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[JouloClient, list[int]]]:
    """A client of a stub API that lists the sessions `request.param` gives for each offset.

    Also yields the offsets asked for.
    """
    pages: Pages = request.param
    offsets: list[int] = []

    async def sessions(http_request: web.Request) -> web.Response:
        offset = int(http_request.query["offset"])
        offsets.append(offset)
        listed = [
            {"id": f"s{number}", "charger_id": "c", "started_at": "2026-04-01T10:00:00Z"}
            for number in pages(offset)
        ]
        return web.json_response({"sessions": listed, "limit": 100, "offset": offset})

    app = web.Application()
    app.router.add_get("/api/sessions", sessions)
    async with TestServer(app, host="127.0.0.1") as server:
        client = JouloClient(
            http_session, "joulo_" + "t" * 32, base_url=str(server.make_url("/api")), gate=gate
        )
        yield client, offsets


def _shifted(offset: int) -> list[int]:
    """206 sessions, of which one new arrives after the first page: the next starts one back."""
    first = offset if offset == 0 else offset - 1
    return list(range(first, min(first + 100, 206)))


def _ignoring_offset(_offset: int) -> list[int]:
    """An API that always answers with the first page."""
    return list(range(100))


@pytest.mark.parametrize(
    ("stub_client", "listed", "asked"),
    [
        # A session that shifted to the next page while reading is listed once.
        (_shifted, range(206), [0, 100, 200]),
        # A page with nothing new ends the reading.
        (_ignoring_offset, range(100), [0, 100]),
    ],
    indirect=["stub_client"],
)
async def test_each_session_once_and_always_to_an_end(
    stub_client: tuple[JouloClient, list[int]], listed: range, asked: list[int]
) -> None:
    """However the pages shift, each session is listed once and the reading ends."""
    client, offsets = stub_client

    sessions = await client.get_all_sessions()

    assert [session.id for session in sessions] == [f"s{number}" for number in listed]
    assert offsets == asked
