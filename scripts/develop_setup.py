# ruff: noqa: INP001  (scripts/ holds stand-alone commands, not a package)
"""The Home Assistant side of `scripts/develop`: config dir, requirements, onboarding, Joulo entry, check.

Run it with the Python of the environment that runs Home Assistant (`requirements` and `prepare` read
Home Assistant's own constants, the dashboards use its aiohttp and the integration's statistic ids)::

    develop_setup.py requirements TEMPLATE        # what Home Assistant will ask for, as a requirements file
    develop_setup.py prepare CONFIG --port 8123   # write the config dir (idempotent)
    develop_setup.py setup --url URL --config CONFIG --api-url SIM_URL --token TOKEN [--hass-pid PID]
    develop_setup.py check --url URL --config CONFIG --api-url SIM_URL --token TOKEN

`setup` drives Home Assistant over HTTP the way the frontend does: onboarding (owner, analytics,
integration step), then the Joulo config flow with the simulator's token, and its URL in the form's
collapsed "Advanced options" section, then the entry's options flow (Configure), which chooses the
demo's electricity price to price charging with, then two vehicles through the entry's "Add vehicle"
subentry flow (`develop_vehicles.py`: the simulator's lease car and second car). The price's year of
hourly statistics is imported before that (`develop_price.py`), so that the integration prices the
session history it reads once it has a price. It is idempotent: on a config dir that is already
set up it logs in and changes nothing (unless the simulator moved to another port: then the entry
goes through its reconfigure flow; or the price's statistics lacked hours: then the entry is
reloaded, to price what it could not; a vehicle already there, by name, is left alone). Then
it makes the dashboards (`develop_dashboards.py`): the "Joulo" dashboard, the Energy dashboard, and
the Joulo dashboard as every user's landing page. It returns once the Joulo dashboard has what it
shows at first sight: each charger's imported charging history in the statistics graph, a charger
charging, with its power, each charger's last session cost, the account's net cost this month, and
each vehicle's entities with its kWh and reimbursement this month.

`check` looks at what a person would see: the entry, its entities, each charger's last session in ERE,
euros and cost, what a charger without a MID meter misses and its repair, the month's charging cost,
the electricity price and its year of statistics, the first sight above, each vehicle's month, the
lease car's reimbursement statement of last month (its totals the sums of its rows, its CSV file), the
dashboards, the log, and that nothing the simulator says (nor any Joulo entity or statistic) lies
ahead of Home Assistant's clock.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
import importlib
import json
import os
from pathlib import Path
import re
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

import aiohttp
import develop_dashboards as dashboards
from develop_dashboards import Websocket, WebsocketError
import develop_price as price
import develop_vehicles as vehicles

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "develop_config" / "configuration.yaml"
DOMAIN = "joulo"

# The demo's only user. The server listens on 127.0.0.1 only, where no password is asked (trusted
# networks); the password matters only to those who pick "Home Assistant local" on the login page.
OWNER = {"name": "Demo", "username": "demo", "password": "demo", "language": "en"}

# Onboarding's core_config step, when posted, adds sample integrations that need the internet (Met.no,
# Radio Browser, Google Translate TTS) and a shopping list. Its settings (location, units, currency)
# come from configuration.yaml here, so a new config dir starts with that step marked done instead.
ONBOARDING_SEED = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config"]},
}
ONBOARDING_STEPS = ("user", "core_config", "analytics", "integration")

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
CLOCK_TOLERANCE = 1.0
"""Seconds a timestamp may lie ahead of Home Assistant's clock (the simulator rounds to the second)."""
FUTURE_BY_DESIGN = re.compile(r"^state\.calendar\.[^.]+\.attributes\.end_time$")
"""A calendar's current event, a running session, ends a while ahead of now (until the next look)."""
SIMULATOR_ENDPOINTS = ("/chargers", "/sessions?limit=100", "/energy", "/me", "/ere-position")
FIRST_SIGHT_POLL = 0.5
"""Seconds between two looks at whether the dashboards have what they should show."""
READING_DELAY = 2
"""Seconds into a whole minute by which a live charger's meter reading of that minute is there."""
VEHICLE_MONTH_KEYS = ("vehicle_energy_this_month", "vehicle_reimbursement_this_month")
"""What each of the demo's vehicles shows from the start: its kWh and reimbursement this month."""
OPTIONS_FLOW = "/api/config/config_entries/options/flow"
PRICE_OPTION = "price_entity"
"""The options flow's field naming the price entity."""
IGNORED_REPAIRS = {("homeassistant", "deprecated_method")}
"""Repairs that only say how the demo runs Home Assistant (from a venv: "Core"); ignored, as a user would."""


class DevelopError(Exception):
    """Something the person running `scripts/develop` needs to know about; ends the command."""


def say(message: str) -> None:
    """Print a line of progress."""
    sys.stdout.write(f"develop: {message}\n")
    sys.stdout.flush()


# --- requirements ------------------------------------------------------------------------------


def integration_requirements(template: Path) -> list[str]:
    """The Python requirements of every integration Home Assistant sets up with this config.

    These are the integrations set up without being configured (`DEFAULT_INTEGRATIONS`), the top-level
    keys of the configuration, Joulo, and all of their dependencies. Home Assistant would install these
    itself at its first start, slowly and while starting; this lets them be installed beforehand.
    """
    from homeassistant import bootstrap, components  # noqa: PLC0415 - only in the HA environment

    builtin = Path(components.__file__).parent
    wanted = {
        *bootstrap.CORE_INTEGRATIONS,
        *getattr(bootstrap, "DEFAULT_INTEGRATIONS", ()),
        *re.findall(r"^([a-z0-9_]+):", template.read_text(encoding="utf-8"), re.MULTILINE),
        DOMAIN,
    } - {"homeassistant", "logger"}  # configured, but with no manifest requirements worth reading
    seen: set[str] = set()
    requirements: set[str] = set()
    while wanted:
        domain = wanted.pop()
        seen.add(domain)
        manifest_path = (
            REPO / "custom_components" / DOMAIN / "manifest.json"
            if domain == DOMAIN
            else builtin / domain / "manifest.json"
        )
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        requirements.update(manifest.get("requirements", []))
        wanted.update(set(manifest.get("dependencies", [])) - seen)
    return sorted(requirements, key=str.lower)


def write_requirements(template: Path) -> None:
    """Print a requirements file: the integrations' requirements under Home Assistant's constraints."""
    from homeassistant import __file__ as ha_init  # noqa: PLC0415 - only in the HA environment

    constraints = Path(ha_init).parent / "package_constraints.txt"
    lines = [f"-c {constraints}"] if constraints.is_file() else []
    sys.stdout.write("\n".join([*lines, *integration_requirements(template)]) + "\n")


# --- prepare -----------------------------------------------------------------------------------


def link(target: Path, link_path: Path) -> None:
    """Make `link_path` a relative symlink to `target` (replacing an older symlink)."""
    if link_path.is_symlink():
        link_path.unlink()
    elif link_path.exists():
        raise DevelopError(f"{link_path} exists and is not a symlink; move it away first")
    link_path.parent.mkdir(parents=True, exist_ok=True)
    link_path.symlink_to(os.path.relpath(target, link_path.parent))


def link_files(source: Path, target: Path) -> None:
    """Make `target` a folder of symlinks to the files in `source`, dropping links to removed files.

    Files, not the folder: Home Assistant finds blueprints with `Path.glob("**/*.yaml")`, which does
    not descend into symlinked folders since Python 3.13.
    """
    if target.is_symlink():  # a folder link, as an older scripts/develop made
        target.unlink()
    for stale in target.rglob("*") if target.is_dir() else ():
        if stale.is_symlink() and not stale.exists():
            stale.unlink()
    for file in source.rglob("*") if source.is_dir() else ():
        if file.is_file():
            link(file, target / file.relative_to(source))


def http_storage(storage: Path, port: int) -> None:
    """Have Home Assistant's HTTP server listen on 127.0.0.1:`port`.

    Since 2026.8 Home Assistant keeps these settings in `.storage/http`; `http:` in YAML is migrated
    there once, as a trial that must be confirmed in the UI within 5 minutes or is reverted with a
    restart. So the settings are written to the store directly, as the confirmed ("stable") ones,
    built with Home Assistant's own schema. Home Assistant must not be running.
    """
    http = importlib.import_module("homeassistant.components.http.config")
    path = storage / http.STORAGE_KEY
    wanted = {"server_port": port, "server_host": ["127.0.0.1"]}
    stored: dict[str, Any] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        stable = stored.get("data", {}).get("stable", {})
        if all(stable.get(key) == value for key, value in wanted.items()):
            return
    meta = ("created_at", "error", "error_message")
    stable = {k: v for k, v in stored.get("data", {}).get("stable", {}).items() if k not in meta}
    stable = http.HTTP_STORAGE_SCHEMA({**stable, **wanted})
    stored = {
        "version": http.STORAGE_VERSION,
        "minor_version": http.STORAGE_MINOR_VERSION,
        "key": http.STORAGE_KEY,
        "data": {
            "stable": {
                **stable,
                "created_at": datetime.now(UTC).isoformat(),
                "error": None,
                "error_message": None,
            },
            "pending": None,
            "yaml_migration_done": True,
        },
    }
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")


def prepare(config: Path, port: int) -> None:
    """Write or update the config dir: configuration.yaml, links to this checkout, seeded storage.

    configuration.yaml is rewritten from the template every time; what Home Assistant stores itself
    (`.storage/`, the database, automations made in the UI) is kept, except the HTTP port.
    """
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(
        TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8"
    )
    for name, empty in (("automations.yaml", "[]\n"), ("scripts.yaml", ""), ("scenes.yaml", "")):
        if not (config / name).exists():
            (config / name).write_text(empty, encoding="utf-8")
    link(REPO / "custom_components" / DOMAIN, config / "custom_components" / DOMAIN)
    link_files(
        REPO / "blueprints" / "automation" / DOMAIN, config / "blueprints" / "automation" / DOMAIN
    )
    if not (storage / "onboarding").exists() and not (storage / "auth").exists():
        (storage / "onboarding").write_text(json.dumps(ONBOARDING_SEED, indent=2), encoding="utf-8")
    http_storage(storage, port)


# --- HTTP --------------------------------------------------------------------------------------


@dataclass
class Response:
    """An HTTP response: its status and its body, parsed as JSON when it is JSON."""

    status: int
    body: Any


class HttpClient:
    """A JSON-over-HTTP client with an optional bearer token."""

    def __init__(self, url: str, token: str | None = None) -> None:
        """Send requests to paths under `url`, with `token` if given."""
        if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
            raise DevelopError(f"not an http(s) URL: {url}")
        self.url = url.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        """Send one request; HTTP errors are returned as responses, connection errors raised."""
        headers = {}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the scheme was checked in __init__
            self.url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
                return Response(reply.status, _parse(reply.read()))
        except urllib.error.HTTPError as err:
            return Response(err.code, _parse(err.read()))

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its body; any status but 2xx is an error."""
        response = self.call(method, path, **kwargs)
        if not 200 <= response.status < 300:  # noqa: PLR2004
            raise DevelopError(f"{method} {path}: HTTP {response.status}: {response.body}")
        return response.body


class HomeAssistant(HttpClient):
    """A client of Home Assistant's HTTP API, as a browser on this machine would use it."""

    def __init__(self, url: str) -> None:
        """Talk to the Home Assistant at `url` (its root, e.g. http://127.0.0.1:8123)."""
        super().__init__(url)
        self.client_id = f"{self.url}/"

    def wait_until_up(self, timeout: float, hass_pid: int | None) -> None:
        """Wait until Home Assistant's HTTP server answers.

        `/api/onboarding` answers 200 until onboarding is done, and 404 after.
        """
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                if self.call("GET", "/api/onboarding", timeout=5).status in {200, 404}:
                    return
            if hass_pid is not None and not _alive(hass_pid):
                raise DevelopError("Home Assistant exited while starting")
            if time.monotonic() > deadline:
                raise DevelopError(
                    f"Home Assistant did not answer at {self.url} in {timeout:.0f} s"
                )
            time.sleep(0.5)

    def exchange(self, auth_code: str) -> None:
        """Trade an authorization code for an access token, and use that from now on."""
        self.token = None
        body = self.ok(
            "POST",
            "/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": auth_code,
                "client_id": self.client_id,
            },
        )
        self.token = body["access_token"]

    def login_from_localhost(self, *, strict: bool = True) -> None:
        """Log in as a browser here does: the trusted-networks flow must finish without a form.

        Not `strict`: when it shows a form (someone added a second user), log in as the owner with
        the demo password instead.
        """
        self.token = None
        body = self._login_flow(["trusted_networks", None], None)
        if body.get("type") != "create_entry":
            if strict:
                raise DevelopError(f"the login from localhost asked for something: {body}")
            credentials = {"username": OWNER["username"], "password": OWNER["password"]}
            body = self._login_flow(["homeassistant", None], credentials)
            if body.get("type") != "create_entry":
                raise DevelopError(f"cannot log in as '{OWNER['username']}': {body}")
        self.exchange(body["result"])

    def _login_flow(self, handler: list[str | None], answer: Mapping[str, str] | None) -> Any:
        """Start a login flow with `handler`, answer its form with `answer` if given; the result."""
        body = self.ok(
            "POST",
            "/auth/login_flow",
            json_body={
                "client_id": self.client_id,
                "handler": handler,
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )
        if answer is not None and body.get("type") == "form":
            body = self.ok(
                "POST",
                f"/auth/login_flow/{body['flow_id']}",
                json_body={**answer, "client_id": self.client_id},
            )
        return body

    def wait_until_running(self, timeout: float) -> None:
        """Wait until Home Assistant has finished starting."""
        deadline = time.monotonic() + timeout
        while (state := self.ok("GET", "/api/config")["state"]) != "RUNNING":
            if time.monotonic() > deadline:
                raise DevelopError(f"Home Assistant still {state} after {timeout:.0f} s")
            time.sleep(0.5)

    def entries(self) -> list[dict[str, Any]]:
        """The config entries of Joulo."""
        entries: list[dict[str, Any]] = self.ok(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        return entries

    def now(self) -> datetime:
        """Home Assistant's clock."""
        return datetime.fromisoformat(
            str(self.ok("POST", "/api/template", json_body={"template": "{{ now().isoformat() }}"}))
        )

    def zone(self) -> ZoneInfo:
        """Home Assistant's time zone."""
        return ZoneInfo(self.ok("GET", "/api/config")["time_zone"])

    def websocket(self) -> Websocket:
        """Its websocket API, logged in as this client is."""
        if self.token is None:
            raise DevelopError("log in before using the websocket API")
        return Websocket(self.url, self.token)


def _parse(raw: bytes) -> Any:
    """A response body: JSON when it parses, else text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _alive(pid: int) -> bool:
    """Whether the process `pid` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- setup -------------------------------------------------------------------------------------


def onboard(hass: HomeAssistant) -> None:
    """Finish onboarding as the frontend would, and leave `hass` logged in as the owner."""
    response = hass.call("GET", "/api/onboarding")
    if response.status == 404:  # noqa: PLR2004 - onboarding's views exist only until it is done
        hass.login_from_localhost(strict=False)
        return
    if response.status != 200:  # noqa: PLR2004
        raise DevelopError(f"GET /api/onboarding: HTTP {response.status}: {response.body}")
    done = {step["step"] for step in response.body if step["done"]}
    if "user" in done:
        hass.login_from_localhost(strict=False)
    else:
        body = hass.ok(
            "POST", "/api/onboarding/users", json_body={**OWNER, "client_id": hass.client_id}
        )
        hass.exchange(body["auth_code"])
        say(f"onboarding: created the owner '{OWNER['username']}'")
    for step in ONBOARDING_STEPS:
        if step in done or step == "user":
            continue
        body = (
            {"client_id": hass.client_id, "redirect_uri": f"{hass.url}/?auth_callback=1"}
            if step == "integration"
            else {}
        )
        hass.ok("POST", f"/api/onboarding/{step}", json_body=body)
        say(f"onboarding: {step} done")


def flow_input(api_url: str, token: str) -> dict[str, Any]:
    """The user and reconfigure forms' answer: the token, and the URL in the "Advanced options" section."""
    return {"api_token": token, "advanced": {"url": api_url}}


def add_entry(hass: HomeAssistant, api_url: str, token: str) -> dict[str, Any]:
    """Set up Joulo through its config flow, with the simulator's URL in the advanced section."""
    flow = hass.ok(
        "POST",
        "/api/config/config_entries/flow",
        json_body={"handler": DOMAIN},
    )
    if flow.get("type") != "form" or flow.get("step_id") != "user":
        raise DevelopError(f"the Joulo config flow did not show its form: {flow}")
    result = hass.ok(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        json_body=flow_input(api_url, token),
    )
    if result.get("type") != "create_entry":
        raise DevelopError(f"the Joulo config flow did not create an entry: {result}")
    entry: dict[str, Any] = result["result"]
    say(f"config flow: created the entry '{entry['title']}'")
    return entry


def reconfigure(hass: HomeAssistant, entry_id: str, api_url: str, token: str) -> None:
    """Point the entry at the simulator's URL (a new --sim-port) through the reconfigure flow."""
    flow = hass.ok(
        "POST",
        "/api/config/config_entries/flow",
        json_body={"handler": DOMAIN, "entry_id": entry_id},
    )
    if flow.get("type") != "form" or flow.get("step_id") != "reconfigure":
        raise DevelopError(f"the Joulo reconfigure flow did not show its form: {flow}")
    result = hass.ok(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        json_body=flow_input(api_url, token),
    )
    if result.get("reason") != "reconfigure_successful":
        raise DevelopError(f"the Joulo reconfigure flow failed: {result}")
    say(f"reconfigure flow: the entry now uses {api_url}")


def stored_url(config: Path, entry_id: str) -> str | None:
    """The API URL that Home Assistant stored for the entry `entry_id`, if any."""
    path = config / ".storage" / "core.config_entries"
    if not path.is_file():
        return None
    for entry in json.loads(path.read_text(encoding="utf-8"))["data"]["entries"]:
        if entry["entry_id"] == entry_id:
            url = entry["data"].get("url")
            return None if url is None else str(url)
    return None


def wait_until_loaded(hass: HomeAssistant, timeout: float) -> dict[str, Any]:
    """Wait until the Joulo entry is loaded, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        entries = hass.entries()
        if entries and entries[0]["state"] == "loaded":
            return entries[0]
        if time.monotonic() > deadline:
            state = entries[0]["state"] if entries else "missing"
            raise DevelopError(f"the Joulo entry is {state} after {timeout:.0f} s; see the log")
        time.sleep(0.5)


def open_options(hass: HomeAssistant, entry_id: str) -> tuple[str, dict[str, Any]]:
    """Open the entry's options flow (its Configure dialog): the flow's id, and what its form shows."""
    flow = hass.ok("POST", OPTIONS_FLOW, json_body={"handler": entry_id})
    if flow.get("type") != "form" or flow.get("step_id") != "init":
        raise DevelopError(f"the Joulo options flow did not show its form: {flow}")
    shown = {
        field["name"]: (field.get("description") or {}).get("suggested_value")
        for field in flow["data_schema"]
    }
    return flow["flow_id"], shown


def price_entity(hass: HomeAssistant, entry_id: str) -> str | None:
    """The price entity the entry's options name (what its Configure dialog shows), if any."""
    flow_id, shown = open_options(hass, entry_id)
    hass.ok("DELETE", f"{OPTIONS_FLOW}/{flow_id}")
    return shown.get(PRICE_OPTION)


def choose_price(hass: HomeAssistant, entry_id: str, entity_id: str) -> bool:
    """Have the entry price charging with `entity_id`, through its options flow; True if it changed.

    An entry that prices with it already is left alone (its dialog is opened and closed). Home
    Assistant reloads the entry after a change, by itself.
    """
    flow_id, shown = open_options(hass, entry_id)
    if shown.get(PRICE_OPTION) == entity_id:
        hass.ok("DELETE", f"{OPTIONS_FLOW}/{flow_id}")
        return False
    result = hass.ok("POST", f"{OPTIONS_FLOW}/{flow_id}", json_body={PRICE_OPTION: entity_id})
    if result.get("type") != "create_entry":
        raise DevelopError(f"the Joulo options flow did not take {entity_id}: {result}")
    say(f"options flow: Joulo prices charging with {entity_id}")
    return True


def reload(hass: HomeAssistant, entry_id: str) -> None:
    """Reload the entry (as its ⋮ menu's Reload does), and wait until that is done."""
    hass.ok("POST", f"/api/config/config_entries/entry/{entry_id}/reload", timeout=120)
    say("reloaded the Joulo entry, to price the hours whose price was just imported")


async def import_price_history(hass: HomeAssistant) -> int:
    """Import the electricity price's hourly statistics of the year that lacks them; how many hours.

    Says what it imported; returns once the recorder has them.
    """
    zone = await asyncio.to_thread(hass.zone)
    now = await price.caught_up(await asyncio.to_thread(hass.now))
    async with hass.websocket() as ws:
        rows = await price.import_statistics(ws, now, zone)
    if rows:
        say(
            f"{price.PRICE_ENTITY}: imported {len(rows)} hourly statistics "
            f"({rows[0]['start']} to {rows[-1]['start']})"
        )
    else:
        say(f"{price.PRICE_ENTITY}: its hourly statistics of the last year are there")
    return len(rows)


async def priced(ws: Websocket, entry_id: str) -> bool:
    """Whether the entry is loaded with a price: with its cost entities, which only a price makes."""
    entries = await ws.command("config_entries/get", domain=DOMAIN)
    if not any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries):
        return False
    return any(
        item["config_entry_id"] == entry_id and item["translation_key"] in dashboards.COST_KEYS
        for item in await ws.command("config/entity_registry/list")
    )


async def wait_until_priced(hass: HomeAssistant, entry_id: str, seconds: float) -> None:
    """Wait until the entry is loaded with its price (the options flow's reload runs after it)."""
    async with hass.websocket() as ws:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    if await priced(ws, entry_id):
                        return
                    await asyncio.sleep(FIRST_SIGHT_POLL)
        except TimeoutError:
            raise DevelopError(
                f"the Joulo entry has no cost entities {seconds:.0f} s after it got a price"
            ) from None


async def add_vehicles(
    hass: HomeAssistant, entry_id: str, statistic_id: Callable[[str], str], seconds: float
) -> None:
    """Add the demo's vehicles the entry lacks (by name), and wait until their entities are there.

    A vehicle that is there already is left alone, as a person may have changed it.
    """
    async with hass.websocket() as ws:
        there = await vehicles.existing(ws, entry_id)
        for name, answer in vehicles.planned().items():
            if name not in there:
                say(
                    f"vehicle flow: {await asyncio.to_thread(vehicles.add, hass, entry_id, answer)}"
                )
        lacking = ["nothing looked at yet"]
        try:
            async with asyncio.timeout(seconds):
                while True:
                    entry = await dashboards.read_entry(ws, entry_id, statistic_id, DOMAIN)
                    if not (lacking := vehicles_lacking(entry)):
                        return
                    await asyncio.sleep(FIRST_SIGHT_POLL)
        except TimeoutError:
            raise DevelopError(f"after {seconds:.0f} s: {'; '.join(lacking)}") from None


def vehicles_lacking(
    entry: dashboards.Entry, states: Mapping[str, Mapping[str, Any]] | None = None
) -> list[str]:
    """What the demo's vehicles lack: their devices, their entities, with `states` their month.

    Each vehicle's card shows every key of `dashboards.VEHICLE_KEYS`, and its kWh and reimbursement
    this month are known at once (from the sessions the entry keeps).
    """
    lacking = []
    for name in vehicles.NAMES:
        if (vehicle := entry.vehicle(name)) is None:
            lacking.append(f"no vehicle '{name}' (yet)")
        elif absent := [key for key in dashboards.VEHICLE_KEYS if vehicle.entity(key) is None]:
            lacking.append(f"{name} has no {', '.join(absent)} (yet)")
        elif states is not None and (
            unknown := [
                key
                for key in VEHICLE_MONTH_KEYS
                if shown(state_of(vehicle.entity(key), states)) is None
            ]
        ):
            lacking.append(f"{name} shows no {', '.join(unknown)} (yet)")
    return lacking


def load_statistic_id() -> Future[Callable[[str], str]]:
    """The integration's `statistic_id` function, imported in the background (it takes seconds)."""

    def load() -> Callable[[str], str]:
        sys.path.insert(0, str(REPO))
        statistic_id: Callable[[str], str] = importlib.import_module(
            f"custom_components.{DOMAIN}.statistics"
        ).statistic_id
        return statistic_id

    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(load)
    executor.shutdown(wait=False)
    return future


async def make_dashboards(
    hass: HomeAssistant,
    entry_id: str,
    statistic_id: Callable[[str], str],
    price_entity: str | None,
) -> None:
    """Create or update the dashboards from what the entry has, and say which entities it lacks."""
    async with hass.websocket() as ws:
        entry = await dashboards.read_entry(ws, entry_id, statistic_id, DOMAIN, price_entity)
        for change in await dashboards.ensure(ws, entry):
            say(f"dashboards: {change}")
        for issue in (await ws.command("repairs/list_issues"))["issues"]:
            if (issue["domain"], issue["issue_id"]) in IGNORED_REPAIRS and not issue["ignored"]:
                await ws.command(
                    "repairs/ignore_issue",
                    domain=issue["domain"],
                    issue_id=issue["issue_id"],
                    ignore=True,
                )
                say(f"repairs: ignored '{issue['issue_id']}' (how the demo runs Home Assistant)")
    shown = {e.key for e in entry.account} | {e.key for c in entry.chargers for e in c.entities}
    expected = (
        *dashboards.CHARGER_KEYS,
        *dashboards.ACCOUNT_KEYS,
        *dashboards.MONEY_KEYS,
        *dashboards.COST_KEYS,
    )
    if absent := [key for key in expected if key not in shown]:
        say(f"dashboards: no entity (yet) for {', '.join(absent)}")
    say(f"dashboard '{dashboards.TITLE}': {hass.url}/{dashboards.URL_PATH}")


def shown(state: Mapping[str, Any] | None) -> str | None:
    """A state with its unit, e.g. `8.1 EUR`; None when missing, unavailable or unknown."""
    if state is None or state["state"] in {"unavailable", "unknown"}:
        return None
    return f"{state['state']} {state['attributes'].get('unit_of_measurement', '')}".rstrip()


def state_of(
    entity: dashboards.Entity | None, states: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The state of `entity`, if there is one."""
    return None if entity is None else states.get(entity.entity_id)


@dataclass
class FirstSight:
    """What the Joulo dashboard lacks now of what a newcomer should see at once."""

    lacking: list[str]
    charging: list[str]
    """The names of the chargers that are charging."""
    unknown_power: list[str]
    """The `charging_power` entities of charging chargers that have no value yet."""


async def first_sight(ws: Websocket, entry: dashboards.Entry) -> FirstSight:
    """What the Joulo dashboard lacks now of what a newcomer should see at once.

    Each charger's charging history in the statistics graph (the recorder knows its statistic, and
    the graph's window has rows), a charger charging, with its power, with a price each charger's
    last session cost and the account's net cost this month, and each of the demo's vehicles with
    its entities and its kWh and reimbursement this month.
    """
    lacking: list[str] = []
    listed = await ws.command("recorder/list_statistic_ids", statistic_type="sum")
    imported = {item["statistic_id"] for item in listed}
    if absent := [
        charger.name
        for charger in entry.chargers
        if entry.statistic_ids[charger.charger_id] not in imported
    ]:
        lacking.append(f"no charging history (yet) of {', '.join(absent)}")
    elif not await dashboards.graph_statistics(ws, entry, datetime.now(UTC)):
        lacking.append(f"no charging in the last {dashboards.STATISTICS_DAYS} days to draw")
    states = {state["entity_id"]: state for state in await ws.command("get_states")}
    charging = [
        charger
        for charger in entry.chargers
        if (entity := charger.entity("charging")) is not None
        and shown(states.get(entity.entity_id)) == "on"
    ]
    unknown_power = [
        power.entity_id
        for charger in charging
        if (power := charger.entity("charging_power")) is not None
        and shown(states.get(power.entity_id)) is None
    ]
    if not charging:
        lacking.append("no charger is charging")
    elif unknown_power:
        lacking.append(f"no charging power yet: {', '.join(unknown_power)}")
    if entry.price_entity is not None:
        lacking.extend(costs_lacking(entry, states))
    lacking.extend(vehicles_lacking(entry, states))
    return FirstSight(lacking, [charger.name for charger in charging], unknown_power)


def costs_lacking(entry: dashboards.Entry, states: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The costs the Joulo dashboard does not show yet: last sessions', the month's net cost."""
    lacking = []
    if unknown := [
        charger.name
        for charger in entry.chargers
        if shown(state_of(charger.entity("last_session_cost"), states)) is None
    ]:
        lacking.append(f"no last session cost (yet) of {', '.join(unknown)}")
    if shown(state_of(entry.account_entity("net_charging_cost_this_month"), states)) is None:
        lacking.append("no net charging cost this month (yet)")
    return lacking


async def wait_for_first_sight(
    hass: HomeAssistant,
    entry_id: str,
    statistic_id: Callable[[str], str],
    price_entity: str | None,
    seconds: float,
) -> None:
    """Wait until the Joulo dashboard shows what it should at once (see `first_sight`).

    The integration imports the session history in the background after its first refresh, a page
    of sessions every few seconds; the statistics graph draws nothing until it lands. A charger's
    power takes two meter readings, which a live charger makes every whole minute: while it is
    unknown, a poll of the chargers is asked for (as the entity's "update" would) once in each minute,
    just after the minute's reading.
    """
    started = time.monotonic()
    sight = FirstSight(["nothing looked at yet"], [], [])
    async with hass.websocket() as ws:
        entry = await dashboards.read_entry(ws, entry_id, statistic_id, DOMAIN, price_entity)
        asked: int | None = None  # the minute (since the epoch) of the last poll asked for
        try:
            async with asyncio.timeout(seconds):
                said: list[str] = []
                while (sight := await first_sight(ws, entry)).lacking:
                    if sight.lacking != said:
                        said = sight.lacking
                        say(f"waiting {time.monotonic() - started:.1f} s: {'; '.join(said)}")
                    minute, second = divmod(int(time.time()), 60)
                    if sight.unknown_power and asked != minute and second >= READING_DELAY:
                        asked = minute
                        await ws.command(
                            "call_service",
                            domain="homeassistant",
                            service="update_entity",
                            service_data={"entity_id": sight.unknown_power},
                        )
                    await asyncio.sleep(FIRST_SIGHT_POLL)
        except TimeoutError:
            raise DevelopError(f"after {seconds:.0f} s: {'; '.join(sight.lacking)}") from None
    say(
        f"the charging history is drawn and {', '.join(sight.charging)} charging, "
        f"{time.monotonic() - started:.1f} s after the dashboards were made"
    )


def setup(args: argparse.Namespace) -> None:
    """Onboard Home Assistant, make sure it has a loaded Joulo entry for the simulator, and dashboards.

    Returns once the dashboards have something to show: the charging history, a charger charging.
    """
    statistic_id = load_statistic_id()
    hass = HomeAssistant(args.url)
    hass.wait_until_up(args.timeout, args.hass_pid)
    onboard(hass)
    hass.wait_until_running(args.timeout)
    # Before the entry has a price: it prices the session history it reads from then on.
    imported = asyncio.run(import_price_history(hass))
    if not (entries := hass.entries()):
        add_entry(hass, args.api_url, args.token)
    elif stored_url(args.config, entry_id := entries[0]["entry_id"]) != args.api_url:
        reconfigure(hass, entry_id, args.api_url, args.token)
    entry_id = wait_until_loaded(hass, args.timeout)["entry_id"]
    if not choose_price(hass, entry_id, price.PRICE_ENTITY) and imported:
        # It loaded with its price before the hours just imported had one.
        reload(hass, entry_id)
    asyncio.run(wait_until_priced(hass, entry_id, args.timeout))
    entry = wait_until_loaded(hass, args.timeout)
    say(f"Joulo entry '{entry['title']}' is {entry['state']}, priced with {price.PRICE_ENTITY}")
    asyncio.run(add_vehicles(hass, entry_id, statistic_id.result(), args.timeout))
    asyncio.run(make_dashboards(hass, entry_id, statistic_id.result(), price.PRICE_ENTITY))
    asyncio.run(
        wait_for_first_sight(
            hass, entry_id, statistic_id.result(), price.PRICE_ENTITY, args.timeout
        )
    )


# --- check -------------------------------------------------------------------------------------


def log_errors(log: Path) -> list[str]:
    """The ERROR and CRITICAL lines of Home Assistant's log."""
    if not log.is_file():
        return []
    pattern = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if pattern.match(line)]


def timestamps(value: Any, where: str, zone: tzinfo = UTC) -> Iterator[tuple[str, datetime]]:
    """Every ISO 8601 date and time in a JSON value (naive ones taken in `zone`), with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from timestamps(item, f"{where}.{key}" if where else key, zone)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from timestamps(item, f"{where}[{index}]", zone)
    elif isinstance(value, str) and ISO_DATETIME.match(value):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value)
            yield where, moment if moment.tzinfo else moment.replace(tzinfo=zone)


def simulator_answers(api_url: str, token: str) -> dict[str, Any]:
    """What the simulator answers Home Assistant's token now, per endpoint (those that answer)."""
    simulator = HttpClient(api_url, token)
    answers = {}
    for endpoint in SIMULATOR_ENDPOINTS:
        response = simulator.call("GET", endpoint)
        if response.status == 200:  # noqa: PLR2004
            answers[endpoint] = response.body
    return answers


async def statistics_rows(ws: Websocket, statistic_ids: list[str], since: datetime) -> Any:
    """The hourly rows of these statistics that start at or after `since`."""
    if not statistic_ids:
        return {}
    return await ws.command(
        "recorder/statistics_during_period",
        start_time=since.isoformat(),
        statistic_ids=statistic_ids,
        period="hour",
        types=["change"],
    )


MISSED_ATTRIBUTES = ("energy_kwh", "ere_credits", "sessions")
COST_ATTRIBUTES = ("net_cost", "price_per_kwh", "basis")


async def check_money(
    ws: Websocket, entry: dashboards.Entry, states: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Each charger's last session in euros; what a charger without MID misses, and its repair.

    Says the figures (last session kWh, ERE credits, euros, and its cost, with a price; euros missed
    this year; the month's charging cost); returns what lacks.
    """
    lacking: list[str] = []
    without_mid: list[dashboards.Charger] = []
    for charger in entry.chargers:
        figures = []
        for key in ("last_session_energy", "last_session_ere_credits", "last_session_ere_value"):
            entity = charger.entity(key)
            if (figure := shown(state_of(entity, states))) is None:
                lacking.append(f"{charger.name} shows no {key}")
            figures.append(f"{figure}")
        if entry.price_entity is not None:
            figures.append(f"cost {described(charger.entity('last_session_cost'), states)}")
        say(f"check: {charger.name}'s last session: {', '.join(figures)}")
        if (missed := charger.entity("ere_missed_this_year")) is None:
            continue
        without_mid.append(charger)
        state = states.get(missed.entity_id)
        if (figure := shown(state)) is None or state is None:
            lacking.append(f"{charger.name} shows no ere_missed_this_year")
            continue
        details = ", ".join(f"{key} {state['attributes'].get(key)}" for key in MISSED_ATTRIBUTES)
        say(f"check: {charger.name} missed this year: {figure} ({details})")
    if not without_mid:
        lacking.append("no charger shows what it misses without a MID meter")
    if entry.price_entity is not None:
        month = (described(entry.account_entity(key), states) for key in dashboards.COST_KEYS)
        say(f"check: this month, net cost, cost, net price: {', '.join(month)}")
    issues = (await ws.command("repairs/list_issues"))["issues"]
    lacking.extend(
        f"no repair 'no_mid_meter' for {charger.name}"
        for charger in without_mid
        if not any(
            issue["domain"] == DOMAIN
            and issue.get("translation_key") == "no_mid_meter"
            and charger.name in (issue.get("translation_placeholders") or {}).values()
            for issue in issues
        )
    )
    return lacking


def described(entity: dashboards.Entity | None, states: Mapping[str, Mapping[str, Any]]) -> str:
    """An entity's state with its unit and its cost attributes, e.g. `4.12 EUR (net_cost -2.93, ...)`."""
    state = state_of(entity, states)
    if (figure := shown(state)) is None or state is None:
        return f"{figure}"
    attributes = state["attributes"]
    details = ", ".join(f"{key} {attributes[key]}" for key in COST_ATTRIBUTES if key in attributes)
    return f"{figure} ({details})" if details else figure


async def check_dashboards_and_clock(
    hass: HomeAssistant,
    entry_id: str,
    price_entity: str | None,
    statistic_id: Callable[[str], str],
    sim: dict[str, Any],
) -> list[str]:
    """The dashboards' problems, and every Joulo timestamp ahead of Home Assistant's clock.

    `price_entity` is the one the entry's options name. `sim` holds the simulator's answers, read
    before Home Assistant's clock is: what they say happened must have happened by then.
    """
    async with hass.websocket() as ws:
        entry = await dashboards.read_entry(ws, entry_id, statistic_id, DOMAIN, price_entity)
        states = {state["entity_id"]: state for state in await ws.command("get_states")}
        ids = set(states) | set(entry.statistic_ids.values())
        problems = await dashboards.problems(ws, entry, ids)
        sight = await first_sight(ws, entry)
        problems.extend(sight.lacking)
        problems.extend(await check_money(ws, entry, states))
        say_vehicles(entry, states)
        ours = {entity_id: states.get(entity_id) for entity_id in sorted(entry.entity_ids)}
        now = await asyncio.to_thread(hass.now)
        rows = await statistics_rows(ws, sorted(entry.statistic_ids.values()), now)
        drawn = await dashboards.graph_statistics(ws, entry, now)
    say(f"check: {len(entry.chargers)} chargers on /{dashboards.URL_PATH} and the Energy dashboard")
    say(f"check: charging: {', '.join(sight.charging) or 'none'}")
    say(
        f"check: the statistics graph draws {sum(len(days) for days in drawn.values())} days "
        f"of {len(drawn)} chargers"
    )
    moments = [
        *timestamps({"simulator": sim}, ""),
        # A calendar's attributes are naive, in Home Assistant's time zone.
        *timestamps({"state": ours}, "", now.tzinfo or UTC),
        *(
            (f"statistic {statistic_id} row", datetime.fromtimestamp(row["start"] / 1000, UTC))
            for statistic_id, statistic_rows in rows.items()
            for row in statistic_rows
        ),
    ]
    ahead = [
        f"{where} = {moment.isoformat()} is {(moment - now).total_seconds():.0f} s ahead of "
        f"Home Assistant's clock ({now.isoformat()})"
        for where, moment in moments
        if (moment - now).total_seconds() > CLOCK_TOLERANCE and not FUTURE_BY_DESIGN.match(where)
    ]
    say(f"check: {len(moments)} timestamps, {len(ahead)} of them ahead of Home Assistant's clock")
    return problems + ahead


def say_vehicles(entry: dashboards.Entry, states: Mapping[str, Mapping[str, Any]]) -> None:
    """Say each vehicle's figures, as its card on the Joulo dashboard shows them."""
    for vehicle in entry.vehicles:
        figures = (
            f"{key.removeprefix('vehicle_')} {shown(state_of(vehicle.entity(key), states))}"
            for key in dashboards.VEHICLE_KEYS
        )
        say(f"check: {vehicle.name}: {', '.join(figures)}")


async def check_statement(
    hass: HomeAssistant, config: Path, entry_id: str, statistic_id: Callable[[str], str]
) -> list[str]:
    """The lease car's statement of last month: say its totals and its CSV file's first lines.

    Returns its problems: no lease car, no sessions, totals that are not the sums of its rows.
    """
    async with hass.websocket() as ws:
        entry = await dashboards.read_entry(ws, entry_id, statistic_id, DOMAIN)
    if (car := entry.vehicle(vehicles.LEASE_CAR)) is None:
        return [f"no vehicle '{vehicles.LEASE_CAR}' to make a statement of"]
    statement = await asyncio.to_thread(vehicles.statement_of, hass, car.device_id)
    total = statement["total"]
    say(
        f"check: {car.name}'s statement of {statement['month']} ({statement['reimbursement']}, "
        f"rate {statement['rate']}): {', '.join(f'{key} {value}' for key, value in total.items())}"
    )
    say(f"check: its file {statement['file']} begins:")
    for line in await asyncio.to_thread(vehicles.csv_head, config, statement):
        say(f"check:   {line}")
    problems = [f"the statement's total {wrong}" for wrong in vehicles.unsummed(statement)]
    if not statement["sessions"]:
        problems.append(f"{car.name}'s statement of {statement['month']} has no sessions")
    return problems


async def check_price(hass: HomeAssistant) -> list[str]:
    """The electricity price's problems: its state against the formula, its year of statistics."""
    zone = await asyncio.to_thread(hass.zone)
    now = await price.caught_up(await asyncio.to_thread(hass.now))
    async with hass.websocket() as ws:
        problems = await price.problems(ws, now, zone)
    if not problems:
        say(
            f"check: {price.PRICE_ENTITY} = {price.hourly_price(now.astimezone(zone))} "
            f"{price.PRICE_UNIT}, with every hour of the last year in its statistics"
        )
    return problems


def check(args: argparse.Namespace) -> bool:
    """Check what a person would see: a login without password, Joulo's entities and dashboards.

    And that no time the simulator or Home Assistant shows of Joulo lies in the future.
    """
    statistic_id = load_statistic_id()
    hass = HomeAssistant(args.url)
    problems: list[str] = []
    hass.login_from_localhost()
    say("check: logged in from localhost without a password")
    entries = hass.entries()
    if len(entries) != 1 or entries[0]["state"] != "loaded":
        problems.append(f"expected one loaded Joulo entry, got {[e['state'] for e in entries]}")
    else:
        say(f"check: entry '{entries[0]['title']}' is loaded")
    for entity_id in args.entity:
        response = hass.call("GET", f"/api/states/{entity_id}")
        if response.status != 200 or response.body["state"] in {"unavailable", "unknown"}:  # noqa: PLR2004
            problems.append(f"{entity_id}: {response.body}")
            continue
        unit = response.body["attributes"].get("unit_of_measurement", "")
        say(f"check: {entity_id} = {response.body['state']} {unit}".rstrip())
    count = hass.ok(
        "POST",
        "/api/template",
        json_body={"template": f"{{{{ integration_entities('{DOMAIN}') | count }}}}"},
    )
    blank = hass.ok(
        "POST",
        "/api/template",
        json_body={
            "template": f"{{{{ integration_entities('{DOMAIN}') "
            "| select('is_state', ['unavailable', 'unknown']) | join(' ') }}"
        },
    )
    blank_ids = str(blank).split()
    say(f"check: {count} Joulo entities, {len(blank_ids)} of them unavailable or unknown")
    for entity_id in blank_ids:
        say(f"check:   {entity_id}")
    if int(str(count)) == 0:
        problems.append("no Joulo entities")
    problems.extend(asyncio.run(check_price(hass)))
    if entries:
        entry_id = entries[0]["entry_id"]
        if (priced_with := price_entity(hass, entry_id)) != price.PRICE_ENTITY:
            problems.append(
                f"the entry's options price with {priced_with}, not {price.PRICE_ENTITY}"
            )
        answers = simulator_answers(args.api_url, args.token)
        problems.extend(
            asyncio.run(
                check_dashboards_and_clock(
                    hass, entry_id, priced_with, statistic_id.result(), answers
                )
            )
        )
        problems.extend(
            asyncio.run(check_statement(hass, args.config, entry_id, statistic_id.result()))
        )
    errors = log_errors(args.config / "home-assistant.log")
    say(f"check: {len(errors)} errors in home-assistant.log")
    problems.extend(f"log: {line}" for line in errors)
    for problem in problems:
        say(f"check: FAILED: {problem}")
    return not problems


# --- command line ------------------------------------------------------------------------------


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="develop_setup.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    requirements = commands.add_parser("requirements", help="print the integrations' requirements")
    requirements.add_argument("template", type=Path, nargs="?", default=TEMPLATE)

    prep = commands.add_parser("prepare", help="write the config dir")
    prep.add_argument("config", type=Path)
    prep.add_argument("--port", type=int, default=8123)

    run = commands.add_parser("setup", help="onboard and add the Joulo entry")
    run.add_argument("--url", default="http://127.0.0.1:8123")
    run.add_argument("--config", type=Path, required=True)
    run.add_argument("--api-url", required=True, help="the simulator's API base URL")
    run.add_argument("--token", required=True, help="the simulator's demo token")
    run.add_argument("--hass-pid", type=int, help="give up when this process ends")
    run.add_argument("--timeout", type=float, default=300)

    verify = commands.add_parser("check", help="check the running demo")
    verify.add_argument("--url", default="http://127.0.0.1:8123")
    verify.add_argument("--config", type=Path, required=True)
    verify.add_argument("--api-url", required=True, help="the simulator's API base URL")
    verify.add_argument("--token", required=True, help="the simulator's demo token")
    verify.add_argument(
        "--entity",
        action="append",
        default=["sensor.garage_status", "sensor.joulo_total_energy"],
        help="an entity that must have a state (repeatable)",
    )
    return parser.parse_args(None if argv is None else list(argv))


def main(argv: Iterable[str] | None = None) -> int:
    """Run one subcommand; 0 on success."""
    args = parse_args(argv)
    try:
        if args.command == "requirements":
            write_requirements(args.template)
        elif args.command == "prepare":
            prepare(args.config, args.port)
        elif args.command == "setup":
            setup(args)
        elif args.command == "check":
            return 0 if check(args) else 1
    except (
        DevelopError,
        vehicles.VehicleError,
        WebsocketError,
        OSError,
        aiohttp.ClientError,
    ) as err:
        sys.stderr.write(f"develop: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
