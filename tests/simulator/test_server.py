"""Tests of the simulator's server and its command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
import errno
import http.client
import json
import os
from pathlib import Path
import selectors
import signal
import subprocess
import sys
import time
from typing import IO

import aiohttp
import pytest

from joulo_simulator import DEMO_TOKEN, DRIVEWAY_ID, JouloSimulator, ManualClock, SimulatorServer
from joulo_simulator.__main__ import parse_args, start_charging

from .common import START

ROOT = Path(__file__).parents[2]


async def test_server_urls_and_lifecycle(socket_enabled: None, sim: JouloSimulator) -> None:
    """Port 0 picks a free port; the URLs follow it; stopping twice is harmless."""
    server = SimulatorServer(sim)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port
    await server.start()
    try:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.base_url == server.url + "/functions/v1/api"
        assert server.admin_url == server.url + "/_sim"
        with pytest.raises(RuntimeError, match="already running"):
            await server.start()
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                server.base_url + "/me", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
            ) as response,
        ):
            assert response.status == 200
    finally:
        await server.stop()
    await server.stop()
    with pytest.raises(RuntimeError):
        _ = server.url


async def test_server_on_a_taken_port(socket_enabled: None, sim: JouloSimulator) -> None:
    """A port in use fails to start and leaves nothing running."""
    async with SimulatorServer(sim) as first:
        taken = SimulatorServer(sim, port=first.port)
        with pytest.raises(OSError, match="bind") as raised:
            await taken.start()
        assert raised.value.errno == errno.EADDRINUSE
        with pytest.raises(RuntimeError):
            _ = taken.port


def test_ipv6_urls(sim: JouloSimulator) -> None:
    """IPv6 hosts are bracketed in URLs."""
    server = SimulatorServer(sim, host="::1")
    server._port = 8765
    assert server.url == "http://[::1]:8765"


def _read_lines(stream: IO[bytes], count: int, timeout: float) -> list[str]:
    """Read ``count`` lines from a pipe, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    output = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while output.count(b"\n") < count:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                pytest.fail(f"no {count} lines within {timeout} s: {output!r}")
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                pytest.fail(f"the simulator exited: {output!r}")
            output += chunk
    return output.decode().splitlines()


@pytest.fixture
def simulator_process(request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m joulo_simulator`` on a free port, stopped with SIGTERM afterwards.

    Parametrized indirectly, the parameter is a list of further arguments.
    """
    extra: list[str] = getattr(request, "param", [])
    command = [sys.executable, "-m", "joulo_simulator", "--port", "0", "--speed", "60", *extra]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_command_line(socket_enabled: None, simulator_process: subprocess.Popen[bytes]) -> None:
    """The command prints its base URL and the demo token, serves, and stops on SIGTERM."""
    assert simulator_process.stdout is not None
    base_line, token_line, _ = _read_lines(simulator_process.stdout, 3, timeout=15)
    assert base_line.startswith("base_url: http://127.0.0.1:")
    assert base_line.endswith("/functions/v1/api")
    assert token_line == f"token: {DEMO_TOKEN}"
    base_url = base_line.removeprefix("base_url: ")
    host_port = base_url.removeprefix("http://").split("/")[0]
    connection = http.client.HTTPConnection(host_port, timeout=5)
    try:
        connection.request(
            "GET", "/functions/v1/api/chargers", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
        )
        response = connection.getresponse()
        assert response.status == 200
        assert len(json.loads(response.read())["chargers"]) == 3
        connection.request("GET", "/_sim/state")
        state = json.loads(connection.getresponse().read())
        assert (state["autopilot"], state["upstream_sync"]) == (True, True)
    finally:
        connection.close()
    simulator_process.send_signal(signal.SIGTERM)
    assert simulator_process.wait(timeout=10) == 0


def test_command_line_switches() -> None:
    """The autopilot and the upstream sync are on unless switched off; no session at the start."""
    defaults = parse_args([])
    assert (defaults.autopilot, defaults.upstream_sync, defaults.charging) == (True, True, False)
    off = parse_args(["--no-autopilot", "--no-upstream-sync"])
    assert (off.autopilot, off.upstream_sync) == (False, False)


@pytest.mark.parametrize("simulator_process", [["--charging"]], indirect=True)
def test_command_line_starts_charging(
    socket_enabled: None, simulator_process: subprocess.Popen[bytes]
) -> None:
    """With --charging, the live (OCPP) charger is charging from the start, and says which."""
    assert simulator_process.stdout is not None
    base_line, _, _, charging_line = _read_lines(simulator_process.stdout, 4, timeout=15)
    assert charging_line == f"charging: {DRIVEWAY_ID}"
    host_port = base_line.removeprefix("base_url: http://").split("/")[0]
    connection = http.client.HTTPConnection(host_port, timeout=5)
    try:
        connection.request(
            "GET", "/functions/v1/api/chargers", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
        )
        chargers = json.loads(connection.getresponse().read())["chargers"]
    finally:
        connection.close()
    assert [charger["id"] for charger in chargers if charger["is_charging"]] == [DRIVEWAY_ID]


def test_start_charging_runs_an_hour_at_11_kw(sim: JouloSimulator, clock: ManualClock) -> None:
    """The session --charging starts: 11 kW on the live charger, ending by itself after an hour."""
    session = start_charging(sim)
    charger = sim.charger(DRIVEWAY_ID)
    assert (session.charger_id, charger.current_session) == (DRIVEWAY_ID, session)
    clock.advance(timedelta(minutes=30))
    assert session.energy_at(sim.now()) == pytest.approx(5.5, abs=0.01)
    clock.advance(timedelta(minutes=30))
    assert session not in sim.active_sessions()
    assert charger.current_session is None
    assert session.ended_at == START + timedelta(hours=1)
    assert session.kwh == pytest.approx(11.0, abs=0.01)
