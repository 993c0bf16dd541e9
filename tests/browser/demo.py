"""The browser test's plugin: the demo (a real Home Assistant with the simulator), Chromium, and helpers.

Loaded by scripts/browser_test as `-p tests.browser.demo`, in .venv/browser (Playwright, no Home
Assistant): so neither tests/conftest.py nor the regular test run see it. The demo is `scripts/develop
--fresh` itself, in its own directory (.tmp/browser/demo) on free ports, so the test sees exactly what
a newcomer sees, and a demo you are running on port 8123 is left alone. Chromium is Debian's
(scripts/setup installs it); Playwright never downloads a browser here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import time
from typing import Any
import urllib.request

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
import pytest

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / ".tmp" / "browser"
DOMAIN = "joulo"
READY = re.compile(r"^develop: ready in ([\d.]+) s: (\S+)$", re.MULTILINE)
START_TIMEOUT = 900.0
"""Seconds for scripts/develop to be ready: the first run also builds .venv/develop."""
STOP_TIMEOUT = 60.0
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
LIVE_POWER_KW = 11.0
"""The power of the session the demo starts with (scripts/develop runs the simulator with --charging)."""
VEHICLE_MODEL = "Vehicle"
"""The model of a vehicle's device: the vehicles added to the account (the demo adds two)."""
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium")
"""Debian's chromium binary, then its wrapper script on PATH; $CHROMIUM comes first."""

# The frontend keeps Home Assistant's state, registries and connection on its root element.
HASS = "document.querySelector('home-assistant').hass"
FRONTEND_READY = f"""() => {{
    const hass = document.querySelector('home-assistant')?.hass;
    return Boolean(hass && hass.states && hass.devices && hass.entities
        && Object.values(hass.entities).some((entity) => entity.platform === '{DOMAIN}'));
}}"""


FIGURES: list[str] = []
"""What the tests measured, said at the end of the run (captured output shows only on failure)."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say the figures the tests measured."""
    for figure in FIGURES:
        terminalreporter.write_line(f"browser test: {figure}")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--screenshots DIR`: where the screenshots go (scripts/screenshots points it at docs/)."""
    parser.addoption(
        "--screenshots",
        default=str(WORK / "screenshots"),
        help="folder for the screenshots (default: .tmp/browser/screenshots)",
    )


def eventually[T](check: Callable[[], T], timeout: float = 60.0, every: float = 1.0) -> T:
    """Retry `check` until it returns without an AssertionError, for at most `timeout` seconds.

    For what no element of the page can be waited for: Home Assistant's next poll, its statistics.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(every)


# --- the demo ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    """A running `scripts/develop`: Home Assistant's URL and the simulator's admin URL."""

    url: str
    admin_url: str
    ready_seconds: float
    """How long scripts/develop took to report ready."""
    ready_at: float
    """When it did (`time.monotonic()`)."""
    charging_id: str
    """The charger that the simulator started charging (its --charging)."""

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the simulator's admin API (`/_sim/...`) and return its JSON answer."""
        request = urllib.request.Request(  # noqa: S310 - the URL is the simulator's, on 127.0.0.1
            self.admin_url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
            return json.loads(reply.read())

    def account(self) -> dict[str, Any]:
        """The simulated account as it really is: chargers (live, not as last synced), price, fee."""
        account: dict[str, Any] = self.admin("GET", "/state")["accounts"][0]
        return account

    def chargers(self) -> list[dict[str, Any]]:
        """The simulated account's chargers as they really are (live, not as Joulo last synced)."""
        chargers: list[dict[str, Any]] = self.account()["chargers"]
        return chargers

    def ere_price(self) -> ErePrice:
        """The account's price per ERE and Joulo's fee."""
        account = self.account()
        return ErePrice(account["ere_price_mid"], account["effective_fee_pct"])

    def session_kwh(self, charger_id: str) -> float:
        """The running session's kWh on charger `charger_id`, now."""
        charger = next(charger for charger in self.chargers() if charger["id"] == charger_id)
        return float(charger["current_session"]["kwh_so_far"])


@dataclass(frozen=True)
class ErePrice:
    """A price per ERE (EUR) and Joulo's platform fee (%)."""

    per_ere: float
    fee_pct: float

    def euros(self, credits_: float) -> float:
        """What `credits_` ERE are worth after the fee, in cents: Joulo's own rule."""
        return round(credits_ * self.per_ere * (1 - self.fee_pct / 100), 2)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(process: subprocess.Popen[bytes], log: Path) -> re.Match[str]:
    """Wait for scripts/develop's "ready" line; fail with its output if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while not (ready := READY.search(log.read_text(encoding="utf-8", errors="replace"))):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
            pytest.fail(f"scripts/develop did not get ready; its output ends with:\n{tail}")
        time.sleep(0.5)
    return ready


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop scripts/develop and what it started (its own process group), as Ctrl-C would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


@pytest.fixture(scope="session")
def demo() -> Iterator[Demo]:
    """`scripts/develop --fresh` on free ports, in .tmp/browser/demo; stopped after the tests."""
    work = WORK / "demo"
    work.mkdir(parents=True, exist_ok=True)
    log = WORK / "develop.log"
    command = [
        str(REPO / "scripts" / "develop"),
        *("--dir", str(work), "--port", str(free_port()), "--sim-port", str(free_port())),
        "--fresh",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own script
            command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        ready = wait_until_ready(process, log)
        ready_at = time.monotonic()
        simulator_log = (work / "simulator.log").read_text(encoding="utf-8")
        admin_url = re.search(r"^admin_url: (\S+)$", simulator_log, re.MULTILINE)
        assert admin_url, "the simulator did not print its admin URL"
        charging = re.search(r"^charging: (\S+)$", simulator_log, re.MULTILINE)
        assert charging, "the simulator did not start charging (scripts/develop: --charging)"
        FIGURES.append(f"scripts/develop ready in {ready[1]} s at {ready[2]}")
        yield Demo(
            url=ready[2],
            admin_url=admin_url[1],
            ready_seconds=float(ready[1]),
            ready_at=ready_at,
            charging_id=charging[1],
        )
    finally:
        stop(process)


@pytest.fixture(scope="session")
def live_charger(demo: Demo) -> str:
    """The id of the charger that the demo charges from its start (at `LIVE_POWER_KW`, an hour).

    A charger that reports live (OCPP), as the simulator says; still charging.
    """
    charger = next(charger for charger in demo.chargers() if charger["id"] == demo.charging_id)
    assert charger["connection_type"] == "ocpp", charger
    assert charger["is_charging"], charger
    return demo.charging_id


# --- the browser -------------------------------------------------------------------------------


def chromium() -> str:
    """The path of the Chromium to drive: $CHROMIUM, else Debian's."""
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and (path := shutil.which(candidate)):
            return path
    pytest.fail("no chromium: run scripts/setup (apt-get install chromium) or set CHROMIUM")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """A new browser tab, in English and the demo's time zone, without animations."""
    context = browser.new_context(
        viewport=VIEWPORT,
        locale="en-US",
        timezone_id="Europe/Amsterdam",
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save a screenshot of the page as NAME.png in the screenshots folder; returns its path."""
    folder = Path(str(request.config.getoption("--screenshots")))
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=path, animations="disabled")
        return path

    return take


# --- the frontend ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    """A Joulo charger's device, as the frontend knows it."""

    device_id: str
    name: str
    charger_id: str


@dataclass(frozen=True)
class Vehicle:
    """A vehicle's device, as the frontend knows it."""

    device_id: str
    name: str


@dataclass(frozen=True)
class Entity:
    """An entity of a device, as the frontend knows it (the registry's display entry)."""

    entity_id: str
    name: str
    key: str | None
    hidden: bool


class Frontend:
    """Home Assistant's frontend in a browser tab, and what it knows (its `hass` object)."""

    def __init__(self, page: Page, url: str) -> None:
        """Use `page` on the Home Assistant at `url`."""
        self.page = page
        self.url = url

    def open(self, path: str = "/") -> None:
        """Go to `path` and wait until the frontend is connected and knows Joulo's entities."""
        self.page.goto(self.url + path)
        self.page.wait_for_function(FRONTEND_READY)

    def hass(self, expression: str, arg: Any = None) -> Any:
        """Evaluate a function of `(hass, arg)` in the page, e.g. `(hass) => hass.states`."""
        return self.page.evaluate(f"(arg) => ({expression})({HASS}, arg)", arg)

    def chargers(self) -> list[Device]:
        """Joulo's charger devices (not the account's service device nor a vehicle's), by name."""
        devices = self.hass(
            """(hass, [domain, vehicle]) => Object.values(hass.devices)
                .filter((d) => d.entry_type !== 'service' && d.model !== vehicle)
                .map((d) => [d.id, d.name_by_user || d.name,
                             (d.identifiers.find(([dom]) => dom === domain) || [])[1]])
                .filter(([, , chargerId]) => chargerId)""",
            [DOMAIN, VEHICLE_MODEL],
        )
        return sorted((Device(*device) for device in devices), key=lambda d: d.name.lower())

    def vehicles(self) -> list[Vehicle]:
        """The devices of the vehicles added to the Joulo account, by name."""
        devices = self.hass(
            """(hass, [domain, vehicle]) => Object.values(hass.devices)
                .filter((d) => d.model === vehicle
                    && d.identifiers.some(([dom]) => dom === domain))
                .map((d) => [d.id, d.name_by_user || d.name])""",
            [DOMAIN, VEHICLE_MODEL],
        )
        return sorted((Vehicle(*device) for device in devices), key=lambda v: v.name.lower())

    def entities(self, device_id: str) -> list[Entity]:
        """The enabled entities of a device."""
        entities = self.hass(
            """(hass, deviceId) => Object.values(hass.entities)
                .filter((e) => e.device_id === deviceId)
                .map((e) => [e.entity_id, e.name, e.translation_key || null, Boolean(e.hidden)])""",
            device_id,
        )
        return [Entity(*entity) for entity in entities]

    def entity(self, device_id: str, key: str) -> Entity:
        """The device's entity with translation key `key`."""
        found = [entity for entity in self.entities(device_id) if entity.key == key]
        assert found, f"device {device_id} has no '{key}' entity"
        return found[0]

    def call(self, message: dict[str, Any]) -> Any:
        """Send a websocket command over the frontend's own connection; its result."""
        return self.hass("(hass, message) => hass.callWS(message)", message)

    def update(self, entity_id: str) -> None:
        """Ask Home Assistant to refresh an entity now (`homeassistant.update_entity`)."""
        self.hass(
            "(hass, id) => hass.callService('homeassistant', 'update_entity', {entity_id: id})",
            entity_id,
        )


@pytest.fixture
def frontend(page: Page, demo: Demo, live_charger: str) -> Frontend:
    """The demo's frontend in a new tab (with a session running on the live charger)."""
    return Frontend(page, demo.url)
