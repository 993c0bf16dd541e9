"""The `joulo.get_sessions` action: read charging sessions from Joulo, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util

from .api import MAX_SESSIONS_LIMIT, JouloError, Session, format_timestamp
from .const import DOMAIN
from .data import JouloConfigEntry
from .validation import vol

SERVICE_GET_SESSIONS = "get_sessions"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_CHARGER = "charger"
ATTR_FROM = "from"
ATTR_TO = "to"
ATTR_LIMIT = "limit"
DEFAULT_LIMIT = 20

GET_SESSIONS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_CHARGER): cv.string,
        vol.Optional(ATTR_FROM): cv.datetime,
        vol.Optional(ATTR_TO): cv.datetime,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.Coerce(int),
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
    started_from = _as_utc(call.data.get(ATTR_FROM))
    started_to = _as_utc(call.data.get(ATTR_TO))
    if started_from is not None and started_to is not None and started_from >= started_to:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_period",
            translation_placeholders={
                "start": started_from.isoformat(),
                "end": started_to.isoformat(),
            },
        )
    charger_id = None
    if (device_id := call.data.get(ATTR_CHARGER)) is not None:
        charger_id = _charger_id(call.hass, entry, device_id)
    try:
        page = await entry.runtime_data.client.get_sessions(
            charger_id=charger_id,
            started_from=started_from,
            started_to=started_to,
            limit=limit,
        )
    except JouloError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="api_error",
            translation_placeholders={"error": str(err)},
        ) from err
    return {"sessions": [_session_to_api(session) for session in page.sessions]}


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


def _charger_id(hass: HomeAssistant, entry: JouloConfigEntry, device_id: str) -> str:
    """Return the charger id of a device of this entry, or raise a translated validation error."""
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        if device.id != device_id:
            continue
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier in entry.runtime_data.chargers.data:
                return identifier
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


def _as_utc(moment: datetime | None) -> datetime | None:
    """Read a moment without a time zone as Home Assistant's local time."""
    if moment is None:
        return None
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
        "id_tag": session.id_tag,
    }
