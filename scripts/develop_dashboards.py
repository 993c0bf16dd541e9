# ruff: noqa: INP001  (scripts/ holds stand-alone commands, not a package)
"""The demo's dashboards: the "Joulo" dashboard, the Energy dashboard and the landing page.

Used by `develop_setup.py`. Everything goes through Home Assistant's websocket API with the same
commands the frontend sends when a person clicks it together (`lovelace/dashboards/create`,
`lovelace/config/save`, `energy/save_prefs`, `frontend/set_system_data`), so the result is what a
user would have made, stored where Home Assistant stores it.

The cards are built from what the entry really has: its devices and entities from Home Assistant's
registries, sorted by translation key (the entity keys the README lists). An entity that a newer
integration adds shows up at the next start of `scripts/develop`; one that does not exist (yet) is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import aiohttp

URL_PATH = "dashboard-joulo"
"""Where the Joulo dashboard lives: what Home Assistant suggests for a dashboard titled "Joulo"."""
TITLE = "Joulo"
ICON = "mdi:ev-station"

CHARGER_KEYS = (
    "status",
    "charging",
    "charging_power",
    "session_energy",
    "session_started",
    "active_tag_id",
    "energy_meter",
    "last_session_energy",
    "last_session_ere_credits",
    "last_session_ere_value",
    "last_session_cost",
    "last_session_ended",
    "charging_cost_this_month",
    "ere_missed_this_year",
)
"""A charger card's rows, in this order; the charger's other primary entities follow."""
HISTORY_KEYS = ("charging_power", "session_energy")
"""What the history graph shows of every charger."""
MONEY_KEYS = (
    "ere_value",
    "ere_paid",
    "ere_payable",
    "ere_reserved",
    "ere_unsold_forecast",
    "ere_expected_this_year",
    "ere_expected_total",
    "ere_price",
    "ere_indicative_price",
    "ere_pending",
    "ere_allocatable",
)
"""The money card's rows, in this order; the account's other `ere_*` entities follow."""
COST_KEYS = ("net_charging_cost_this_month", "charging_cost_this_month", "net_price_this_month")
"""The account's charging cost card, in this order (the entities exist when the entry has a price)."""
VEHICLE_KEYS = (
    "vehicle_charging",
    "vehicle_energy_this_month",
    "vehicle_charging_cost_this_month",
    "vehicle_reimbursement_this_month",
    "vehicle_ere_value_this_month",
    "vehicle_last_session_energy",
    "vehicle_last_session_cost",
)
"""A vehicle card's rows, in this order; the vehicle's other primary entities follow."""
VEHICLE_MODEL = "Vehicle"
"""The model of a vehicle's device (what the statement action's device selector filters on)."""
ACCOUNT_KEYS = (
    "total_energy",
    "energy_this_month",
    "total_energy_all",
    "energy_this_month_all",
    "total_sessions",
    "total_ere_credits",
    "ere_credits_this_month",
)
"""The account card's rows, in this order; the account's other primary entities follow."""
STATISTICS_DAYS = 30
HISTORY_HOURS = 24


class WebsocketError(Exception):
    """Home Assistant refused a websocket command (or the login)."""


class Websocket:
    """Home Assistant's websocket API (`/api/websocket`), logged in with an access token."""

    def __init__(self, url: str, token: str) -> None:
        """Talk to the Home Assistant at `url` (its root) as the user of `token`."""
        self._url = url.rstrip("/") + "/api/websocket"
        self._token = token
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def __aenter__(self) -> Self:
        """Connect and log in."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        try:
            self._ws = await self._session.ws_connect(self._url, max_msg_size=0)
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self._token})
            reply = await self._ws.receive_json()
        except BaseException:
            await self._session.close()
            raise
        if reply.get("type") != "auth_ok":
            await self._session.close()
            raise WebsocketError(f"the websocket login failed: {reply}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Disconnect."""
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    async def command(self, command: str, **payload: Any) -> Any:
        """Send one command and return its result; an error reply raises `WebsocketError`."""
        if self._ws is None:
            raise WebsocketError("not connected")
        self._id += 1
        await self._ws.send_json({"id": self._id, "type": command, **payload})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == self._id and reply.get("type") == "result":
                break
        if not reply.get("success"):
            error = reply.get("error") or {}
            raise WebsocketError(
                f"{command}: {error.get('code', 'error')}: {error.get('message', reply)}"
            )
        return reply.get("result")


# --- what the entry has ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """One of the entry's enabled, visible entities."""

    entity_id: str
    key: str
    """Its translation key (the entity's key), or its entity id when it has none."""
    primary: bool
    """Not a diagnostic or configuration entity."""

    @property
    def domain(self) -> str:
        """The entity's platform domain, e.g. `sensor`."""
        return self.entity_id.split(".", 1)[0]


@dataclass(frozen=True, kw_only=True)
class Device:
    """One of the entry's devices, with its entities."""

    device_id: str
    name: str
    entities: tuple[Entity, ...]

    def entity(self, key: str) -> Entity | None:
        """The device's entity with translation key `key`, if it has one."""
        return next((entity for entity in self.entities if entity.key == key), None)


@dataclass(frozen=True, kw_only=True)
class Charger(Device):
    """A charger's device, with its entities."""

    charger_id: str


@dataclass(frozen=True, kw_only=True)
class Vehicle(Device):
    """A vehicle's device (of a vehicle added to the entry), with its entities."""


@dataclass(frozen=True)
class Entry:
    """What a Joulo entry has, as Home Assistant's registries tell."""

    chargers: tuple[Charger, ...]
    account: tuple[Entity, ...]
    """The entities of the account's service device ("Joulo")."""
    statistic_ids: Mapping[str, str]
    """Charger id → the id of its charging statistic."""
    domain: str
    """The integration's domain, which is also its statistics' source."""
    price_entity: str | None = None
    """The entity whose price the entry's options price charging with, if one."""
    vehicles: tuple[Vehicle, ...] = ()

    def account_entity(self, key: str) -> Entity | None:
        """The account's entity with translation key `key`, if it has one."""
        return next((entity for entity in self.account if entity.key == key), None)

    def vehicle(self, name: str) -> Vehicle | None:
        """The vehicle named `name`, if the entry has it."""
        return next((vehicle for vehicle in self.vehicles if vehicle.name == name), None)

    @property
    def entity_ids(self) -> set[str]:
        """Every entity id of the entry."""
        devices: tuple[Device, ...] = (*self.chargers, *self.vehicles)
        return {e.entity_id for e in self.account} | {
            e.entity_id for device in devices for e in device.entities
        }


async def read_entry(
    ws: Websocket,
    entry_id: str,
    statistic_id: Callable[[str], str],
    domain: str,
    price_entity: str | None = None,
) -> Entry:
    """Read the entry's devices and entities from Home Assistant's registries.

    `statistic_id` maps a charger id to its statistic's id (the integration's own function);
    `price_entity` is the entity the entry's options name (its options flow shows them).
    """
    devices = [
        device
        for device in await ws.command("config/device_registry/list")
        if entry_id in device["config_entries"] and device["disabled_by"] is None
    ]
    entities: dict[str | None, list[Entity]] = {}
    for item in await ws.command("config/entity_registry/list"):
        if (
            item["config_entry_id"] != entry_id
            or item["disabled_by"] is not None
            or item["hidden_by"] is not None
        ):
            continue
        entities.setdefault(item["device_id"], []).append(
            Entity(
                entity_id=item["entity_id"],
                key=item["translation_key"] or item["entity_id"],
                primary=item["entity_category"] is None,
            )
        )
    chargers: list[Charger] = []
    vehicles: list[Vehicle] = []
    account: list[Entity] = []
    for device in devices:
        own = tuple(entities.get(device["id"], []))
        if device["entry_type"] == "service":
            account.extend(own)
            continue
        ident = next((ident for dom, ident in device["identifiers"] if dom == domain), None)
        if ident is None:
            continue
        name = device["name_by_user"] or device["name"] or ident
        if device["model"] == VEHICLE_MODEL:
            vehicles.append(Vehicle(device_id=device["id"], name=name, entities=own))
        else:
            chargers.append(
                Charger(device_id=device["id"], name=name, entities=own, charger_id=ident)
            )
    chargers.sort(key=lambda charger: charger.name.lower())
    vehicles.sort(key=lambda vehicle: vehicle.name.lower())
    return Entry(
        chargers=tuple(chargers),
        account=tuple(account),
        statistic_ids={
            charger.charger_id: statistic_id(charger.charger_id) for charger in chargers
        },
        domain=domain,
        price_entity=price_entity,
        vehicles=tuple(vehicles),
    )


# --- the Joulo dashboard -----------------------------------------------------------------------


def ordered(entities: Iterable[Entity], first: tuple[str, ...]) -> list[str]:
    """The primary entities' ids: those with a key in `first` in that order, then the rest by key."""
    chosen = [entity for entity in entities if entity.primary]
    rank = {key: index for index, key in enumerate(first)}
    chosen.sort(key=lambda entity: (rank.get(entity.key, len(first)), entity.key))
    return [entity.entity_id for entity in chosen]


def entities_card(title: str, entity_ids: list[str]) -> dict[str, Any]:
    """An entities card whose rows are named by the entity alone ("Status", not "Garage Status")."""
    return {
        "type": "entities",
        "title": title,
        "state_color": True,
        "entities": [{"entity": entity_id, "name": {"type": "entity"}} for entity_id in entity_ids],
    }


def charger_section(charger: Charger) -> dict[str, Any]:
    """A charger's section: one card with its primary entities (its calendar has its own card)."""
    rows = ordered(
        (entity for entity in charger.entities if entity.domain != "calendar"), CHARGER_KEYS
    )
    return {"type": "grid", "cards": [entities_card(charger.name, rows)]}


def vehicles_section(entry: Entry) -> dict[str, Any] | None:
    """The vehicles' month at a glance: a card per vehicle, if the entry has any."""
    if not entry.vehicles:
        return None
    cards: list[dict[str, Any]] = [{"type": "heading", "heading": "Vehicles", "icon": "mdi:car"}]
    cards.extend(
        entities_card(vehicle.name, ordered(vehicle.entities, VEHICLE_KEYS))
        for vehicle in entry.vehicles
    )
    return {"type": "grid", "cards": cards}


def history_section(entry: Entry) -> dict[str, Any]:
    """Charging over time: live power and session energy, the price, and each charger's kWh per day."""
    live = [
        entity.entity_id
        for key in HISTORY_KEYS
        for charger in entry.chargers
        if (entity := charger.entity(key)) is not None
    ]
    cards: list[dict[str, Any]] = [{"type": "heading", "heading": "Charging", "icon": ICON}]
    if live:
        cards.append(
            {
                "type": "history-graph",
                "title": "Power and session energy",
                "hours_to_show": HISTORY_HOURS,
                "entities": live,
            }
        )
    if entry.price_entity is not None:
        cards.append(
            {
                "type": "history-graph",
                "title": "Electricity price",
                "hours_to_show": HISTORY_HOURS,
                "entities": [entry.price_entity],
            }
        )
    cards.append(
        {
            "type": "statistics-graph",
            "title": f"Charged per day, last {STATISTICS_DAYS} days",
            "chart_type": "bar",
            "period": "day",
            "days_to_show": STATISTICS_DAYS,
            "stat_types": ["change"],
            "entities": list(entry.statistic_ids.values()),
        }
    )
    return {"type": "grid", "column_span": 2, "cards": cards}


def money_section(entry: Entry) -> dict[str, Any]:
    """The account: what charging cost, its ERE money (every `ere_*` entity but the totals), totals."""
    cost = [entity for entity in entry.account if entity.key in COST_KEYS]
    money = [
        entity
        for entity in entry.account
        if entity.key.startswith("ere_") and entity.key not in ACCOUNT_KEYS
    ]
    rest = [entity for entity in entry.account if entity not in money and entity not in cost]
    cards: list[dict[str, Any]] = [{"type": "heading", "heading": "Account", "icon": "mdi:cash"}]
    if cost_rows := ordered(cost, COST_KEYS):
        cards.append(entities_card("Charging cost", cost_rows))
    if money_rows := ordered(money, MONEY_KEYS):
        cards.append(entities_card("ERE money", money_rows))
    if account_rows := ordered(rest, ACCOUNT_KEYS):
        cards.append(entities_card("Energy and ERE credits", account_rows))
    return {"type": "grid", "cards": cards}


def calendar_section(entry: Entry) -> dict[str, Any] | None:
    """The chargers' session calendars in one card, if they have any."""
    calendars = [
        entity.entity_id
        for charger in entry.chargers
        for entity in charger.entities
        if entity.domain == "calendar"
    ]
    if not calendars:
        return None
    return {
        "type": "grid",
        "column_span": 2,
        "cards": [{"type": "calendar", "initial_view": "listWeek", "entities": calendars}],
    }


def dashboard_config(entry: Entry) -> dict[str, Any]:
    """The Joulo dashboard: a sections view with every charger and vehicle, the history and the money."""
    sections = [charger_section(charger) for charger in entry.chargers]
    if (vehicles := vehicles_section(entry)) is not None:
        sections.append(vehicles)
    sections += [money_section(entry), history_section(entry)]
    if (calendar := calendar_section(entry)) is not None:
        sections.append(calendar)
    return {
        "title": TITLE,
        "views": [
            {
                "title": TITLE,
                "path": "joulo",
                "icon": ICON,
                "type": "sections",
                "max_columns": 4,
                "sections": sections,
            }
        ],
    }


def referenced_ids(config: Any) -> set[str]:
    """Every entity and statistic id that a dashboard config names in a card's `entities`."""
    found: set[str] = set()
    if isinstance(config, dict):
        for key, value in config.items():
            if key == "entities" and isinstance(value, list):
                found.update(
                    item if isinstance(item, str) else str(item.get("entity"))
                    for item in value
                    if isinstance(item, str | dict)
                )
            else:
                found |= referenced_ids(value)
    elif isinstance(config, list):
        for item in config:
            found |= referenced_ids(item)
    return found


async def graph_statistics(ws: Websocket, entry: Entry, now: datetime) -> dict[str, list[Any]]:
    """What the statistics graph draws at `now`: each charger statistic's days that have rows.

    The same query as the card's (days of the last `STATISTICS_DAYS`, their change); a statistic
    without rows in that window is left out.
    """
    if not entry.statistic_ids:
        return {}
    rows: dict[str, list[Any]] = await ws.command(
        "recorder/statistics_during_period",
        start_time=(now - timedelta(days=STATISTICS_DAYS)).isoformat(),
        statistic_ids=sorted(entry.statistic_ids.values()),
        period="day",
        types=["change"],
    )
    return {statistic: days for statistic, days in rows.items() if days}


# --- the Energy dashboard ----------------------------------------------------------------------


def device_consumption(entry: Entry, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Energy dashboard's individual devices: the user's own, then each charger's statistic.

    A charger's device is named after the charger unless the user named it (its statistic has no
    name until the history is imported), and its rate is the charger's live power
    (`charging_power`) where that exists. Statistics of chargers that are gone are dropped.
    """
    chargers = {entry.statistic_ids[charger.charger_id]: charger for charger in entry.chargers}
    devices = {str(device.get("stat_consumption")): device for device in current}
    kept = [
        device
        for statistic, device in devices.items()
        if not statistic.startswith(f"{entry.domain}:")
    ]
    for statistic, charger in chargers.items():
        device = {"name": charger.name, **devices.get(statistic, {}), "stat_consumption": statistic}
        if (power := charger.entity("charging_power")) is not None:
            device["stat_rate"] = power.entity_id
        kept.append(device)
    return kept


async def energy_devices(ws: Websocket) -> list[dict[str, Any]]:
    """The Energy dashboard's individual devices now (none before it was ever set up)."""
    try:
        prefs = await ws.command("energy/get_prefs")
    except WebsocketError as err:
        if ": not_found:" in str(err):
            return []
        raise
    return list(prefs.get("device_consumption") or [])


# --- making and checking them ------------------------------------------------------------------


async def dashboard_item(ws: Websocket) -> dict[str, Any] | None:
    """The Joulo dashboard's entry in the list of dashboards, if it exists."""
    dashboards = await ws.command("lovelace/dashboards/list")
    return next((item for item in dashboards if item.get("url_path") == URL_PATH), None)


async def stored_config(ws: Websocket) -> Any:
    """The Joulo dashboard's stored config (None when it has none)."""
    try:
        return await ws.command("lovelace/config", url_path=URL_PATH)
    except WebsocketError as err:
        if ": config_not_found:" in str(err):
            return None
        raise


async def landing_page(ws: Websocket) -> dict[str, Any]:
    """The frontend's system-wide settings (`core`): the default dashboard of every user."""
    reply = await ws.command("frontend/get_system_data", key="core")
    return dict(reply.get("value") or {})


async def ensure(ws: Websocket, entry: Entry) -> list[str]:
    """Create or update the Joulo dashboard, the Energy dashboard and the landing page.

    Returns what was changed (empty when everything was already so).
    """
    changed: list[str] = []
    item = await dashboard_item(ws)
    fields = {"title": TITLE, "icon": ICON, "show_in_sidebar": True, "require_admin": False}
    if item is None:
        await ws.command("lovelace/dashboards/create", url_path=URL_PATH, mode="storage", **fields)
        changed.append(f"created the dashboard '{TITLE}' (/{URL_PATH})")
    elif any(item.get(key) != value for key, value in fields.items()):
        await ws.command("lovelace/dashboards/update", dashboard_id=item["id"], **fields)
        changed.append(f"updated the dashboard '{TITLE}'")
    config = dashboard_config(entry)
    if await stored_config(ws) != config:
        await ws.command("lovelace/config/save", url_path=URL_PATH, config=config)
        changed.append(
            f"saved the cards of '{TITLE}' ({len(entry.chargers)} chargers, "
            f"{len(entry.vehicles)} vehicles)"
        )
    current = await energy_devices(ws)
    if (devices := device_consumption(entry, current)) != current:
        await ws.command("energy/save_prefs", device_consumption=devices)
        changed.append(f"Energy dashboard: {len(entry.chargers)} chargers as individual devices")
    core = await landing_page(ws)
    if core.get("default_panel") != URL_PATH:
        await ws.command(
            "frontend/set_system_data", key="core", value={**core, "default_panel": URL_PATH}
        )
        changed.append(f"'{TITLE}' is the default dashboard")
    return changed


async def problems(ws: Websocket, entry: Entry, known_ids: set[str]) -> list[str]:
    """What is missing or out of date in the dashboards; `known_ids` are the ids that exist."""
    found: list[str] = []
    item = await dashboard_item(ws)
    if item is None or not item.get("show_in_sidebar"):
        found.append(f"the dashboard /{URL_PATH} is missing or not in the sidebar")
        return found
    config = await stored_config(ws)
    if config != dashboard_config(entry):
        found.append(f"the cards of /{URL_PATH} are missing or out of date")
    missing = sorted(referenced_ids(config) - known_ids)
    found.extend(f"/{URL_PATH} shows {name}, which does not exist" for name in missing)
    listed = {device.get("stat_consumption") for device in await energy_devices(ws)}
    found.extend(
        f"the Energy dashboard lacks {charger.name} ({statistic})"
        for charger in entry.chargers
        if (statistic := entry.statistic_ids[charger.charger_id]) not in listed
    )
    if (await landing_page(ws)).get("default_panel") != URL_PATH:
        found.append(f"/{URL_PATH} is not the default dashboard")
    return found
