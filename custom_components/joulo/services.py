"""The Joulo actions: sessions, the energy report and a vehicle's reimbursement statement.

`joulo.get_sessions` (sessions, newest first), `joulo.get_energy_report` and
`joulo.get_reimbursement_statement` (which also writes a CSV file).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any, cast

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util, slugify

from .api import MAX_SESSIONS_LIMIT, Session, format_timestamp
from .const import DOMAIN
from .coordinator import JouloConfigEntry
from .ere import session_counts_for_ere
from .errors import Caller, joulo_errors
from .naming import charger_name, vehicle_key
from .report import GroupBy, energy_report
from .statement import Month, statement, statement_csv, vehicle_sessions
from .validation import vol
from .vehicles import (
    CONF_ID_TAGS,
    SUBENTRY_TYPE_VEHICLE,
    vehicle_data,
    vehicle_from,
    vehicle_of,
    vehicles_from,
)

SERVICE_GET_SESSIONS = "get_sessions"
SERVICE_GET_ENERGY_REPORT = "get_energy_report"
SERVICE_GET_REIMBURSEMENT_STATEMENT = "get_reimbursement_statement"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_CHARGER = "charger"
ATTR_FROM = "from"
ATTR_TO = "to"
ATTR_LIMIT = "limit"
ATTR_GROUP_BY = "group_by"
ATTR_VEHICLE = "vehicle"
ATTR_MONTH = "month"
STATEMENTS_FOLDER = PurePosixPath(DOMAIN, "statements")
"""Where statements are written, in the configuration folder: never under `www/`, which is public."""
DEFAULT_LIMIT = 20
# About three years: enough for any reimbursement or tax period, small enough to read in one go.
MAX_REPORT_PERIOD = timedelta(days=1100)

GET_SESSIONS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_CHARGER): cv.string,
        vol.Optional(ATTR_FROM): cv.datetime,
        vol.Optional(ATTR_TO): cv.datetime,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.Coerce(int),
    }
)
GET_ENERGY_REPORT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_FROM): cv.datetime,
        vol.Required(ATTR_TO): cv.datetime,
        vol.Optional(ATTR_GROUP_BY, default=[GroupBy.MONTH.value]): vol.All(
            cv.ensure_list, [vol.In([dimension.value for dimension in GroupBy])]
        ),
        vol.Optional(ATTR_CHARGER): cv.string,
    }
)
GET_REIMBURSEMENT_STATEMENT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_VEHICLE): cv.string,
        vol.Optional(ATTR_MONTH): cv.string,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the Joulo actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_SESSIONS,
        _async_get_sessions,
        schema=GET_SESSIONS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_ENERGY_REPORT,
        _async_get_energy_report,
        schema=GET_ENERGY_REPORT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_REIMBURSEMENT_STATEMENT,
        _async_get_reimbursement_statement,
        schema=GET_REIMBURSEMENT_STATEMENT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def _async_get_sessions(call: ServiceCall) -> ServiceResponse:
    """Read sessions of the account, or of one of its chargers, in a period."""
    entry = _loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    limit: int = call.data[ATTR_LIMIT]
    if not 1 <= limit <= MAX_SESSIONS_LIMIT:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_limit",
            translation_placeholders={"limit": str(limit), "max": str(MAX_SESSIONS_LIMIT)},
        )
    started_from, started_to = (
        None if (moment := call.data.get(key)) is None else _as_utc(moment)
        for key in (ATTR_FROM, ATTR_TO)
    )
    if started_from is not None and started_to is not None:
        _check_period(started_from, started_to)
    charger_id = _charger_id(call, entry)
    with joulo_errors(call.hass, entry, Caller.READ):
        page = await entry.runtime_data.client.get_sessions(
            charger_id=charger_id,
            started_from=started_from,
            started_to=started_to,
            limit=limit,
        )
    return {"sessions": [_session_to_api(session) for session in page.sessions]}


async def _async_get_energy_report(call: ServiceCall) -> ServiceResponse:
    """Sum the completed sessions that started in a period, per month, charger, TAG id and vehicle.

    Months are Home Assistant's (its time zone). Reads every session of the period, in pages of
    100 through the entry's rate-limit gate. Sessions with impossible times are left out.
    """
    entry = _loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    started_from = _as_utc(call.data[ATTR_FROM])
    started_to = _as_utc(call.data[ATTR_TO])
    _check_period(started_from, started_to)
    if started_to - started_from > MAX_REPORT_PERIOD:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="period_too_long",
            translation_placeholders={
                "start": started_from.isoformat(),
                "end": started_to.isoformat(),
                "max_days": str(MAX_REPORT_PERIOD.days),
            },
        )
    charger_id = _charger_id(call, entry)
    with joulo_errors(call.hass, entry, Caller.READ):
        listed = await entry.runtime_data.client.get_all_sessions(
            charger_id=charger_id, started_from=started_from, started_to=started_to
        )
    runtime = entry.runtime_data
    sessions = runtime.impossible_sessions.possible(listed, dt_util.utcnow())
    chargers = runtime.chargers.data
    costs = runtime.costs
    report = energy_report(
        sessions,
        group_by={GroupBy(dimension) for dimension in call.data[ATTR_GROUP_BY]},
        time_zone=dt_util.get_default_time_zone(),
        charger_name=_charger_names(entry),
        counts=lambda session: session_counts_for_ere(session, chargers.get(session.charger_id)),
        vehicle_of=lambda session: vehicle_of(session.id_tag, session.charger_id, runtime.vehicles),
        price=runtime.ere_price,
        costs=await costs.async_costs_of(sessions) if costs.priced else None,
    )
    return cast("ServiceResponse", report)


async def _async_get_reimbursement_statement(call: ServiceCall) -> ServiceResponse:
    """A vehicle's completed sessions of a month and their totals, also written as a CSV file.

    The month is Home Assistant's (its time zone), the last one when none is given. Reads every
    session of the account that started in it, through the entry's rate-limit gate; those with
    impossible times are left out. The file goes to `STATEMENTS_FOLDER`, replacing an earlier one.
    """
    hass = call.hass
    entry, subentry = _vehicle_subentry(hass, call.data[ATTR_VEHICLE])
    zone = dt_util.get_default_time_zone()
    now = dt_util.utcnow()
    month = _month(call.data.get(ATTR_MONTH), now, zone)
    start, end = month.start(zone), month.end(zone)
    runtime = entry.runtime_data
    with joulo_errors(hass, entry, Caller.READ):
        listed = await runtime.client.get_all_sessions(started_from=start, started_to=end)
    vehicle = vehicle_from(subentry.subentry_id, subentry.data)
    sessions = vehicle_sessions(
        runtime.impossible_sessions.possible(listed, now),
        vehicle,
        # Read from the same stored vehicles as `vehicle`, so that the two always agree.
        vehicles_from(entry.subentries.values()),
        start,
        end,
    )
    costs = runtime.costs
    response = statement(
        vehicle,
        month,
        sessions,
        id_tags=vehicle_data(subentry.data)[CONF_ID_TAGS],
        time_zone=zone,
        charger_name=_charger_names(entry),
        ere_of=runtime.ere_of,
        costs=await costs.async_costs_of(sessions) if costs.priced else None,
    )
    file = STATEMENTS_FOLDER / f"{slugify(vehicle.name)}-{month}.csv"
    await _async_write(hass, file, statement_csv(response))
    return cast("ServiceResponse", response | {"file": str(file)})


def _vehicle_subentry(
    hass: HomeAssistant, device_id: str
) -> tuple[JouloConfigEntry, ConfigSubentry]:
    """The loaded Joulo entry and the vehicle subentry of the device `device_id`.

    Else a translated validation error: the device is not a vehicle's, or its account is not loaded.
    """
    device = dr.async_get(hass).async_get(device_id)
    identifiers = set() if device is None else device.identifiers
    entries: list[JouloConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    for entry in entries:
        for subentry in entry.subentries.values():
            if (
                subentry.subentry_type == SUBENTRY_TYPE_VEHICLE
                and (DOMAIN, vehicle_key(subentry.subentry_id)) in identifiers
            ):
                return entry, subentry
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="vehicle_not_found",
        translation_placeholders={"device_id": device_id},
    )


def _month(text: str | None, now: datetime, zone: tzinfo) -> Month:
    """The month `text` names (`YYYY-MM`), which must have started; the last one without `text`."""
    this_month = Month.of(now, zone)
    if text is None:
        return this_month.previous()
    month = Month.parse(text)
    if month is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_month",
            translation_placeholders={"month": text},
        )
    if month > this_month:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="future_month",
            translation_placeholders={"month": text},
        )
    return month


async def _async_write(hass: HomeAssistant, file: PurePosixPath, text: str) -> None:
    """Write `text` to `file` in the configuration folder, creating its folder; fail translated."""
    path = Path(hass.config.path(*file.parts))
    try:
        await hass.async_add_executor_job(_write, path, text)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="statement_not_written",
            translation_placeholders={"file": str(file), "error": str(err)},
        ) from err


def _write(path: Path, text: str) -> None:
    """Write a UTF-8 text file as it is (its line ends too), creating its folder (in the executor)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")


def _charger_names(entry: JouloConfigEntry) -> Callable[[Session], str]:
    """How a session's charger is named: its nickname now, else the session's, else its id's start."""
    chargers = entry.runtime_data.chargers.data

    def name_of(session: Session) -> str:
        charger = chargers.get(session.charger_id)
        nickname = None if charger is None else charger.nickname
        return charger_name(session.charger_id, nickname, session.charger_nickname)

    return name_of


def _check_period(start: datetime, end: datetime) -> None:
    """Refuse a period that does not start before it ends."""
    if start >= end:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_period",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> JouloConfigEntry:
    """Return the loaded Joulo entry `entry_id`, or raise a translated validation error."""
    entry: JouloConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry_id": entry_id},
        )
    return entry


def _charger_id(call: ServiceCall, entry: JouloConfigEntry) -> str | None:
    """Return the charger id of the call's `charger` device, None when the call names none.

    The device must be a charger of this entry, else a translated validation error is raised.
    """
    if (device_id := call.data.get(ATTR_CHARGER)) is None:
        return None
    # The entry's own devices, looked up by entry: which entries a device belongs to is read
    # differently by each Home Assistant release this supports.
    registry = dr.async_get(call.hass)
    device = next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if device.id == device_id
        ),
        None,
    )
    if device is not None:
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier in entry.runtime_data.chargers.data:
                return identifier
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


def _as_utc(moment: datetime) -> datetime:
    """Read a moment without a time zone as Home Assistant's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(moment)


def _session_to_api(session: Session) -> dict[str, Any]:
    """A session in the API's own field names and formats."""
    return {
        "id": session.id,
        "charger_id": session.charger_id,
        "charger_nickname": session.charger_nickname,
        "started_at": format_timestamp(session.started_at),
        "ended_at": None if session.ended_at is None else format_timestamp(session.ended_at),
        "kwh": session.kwh,
        "status": session.status,
        "ere_credits": session.ere_credits,
        "counts_for_ere": session.counts_for_ere,
        "id_tag": session.id_tag,
    }
