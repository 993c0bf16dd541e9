"""Describes the session events in the Activity panel (logbook), in words and in the user's language.

"Garage charging session ended, 27.84 kWh, 9.26 ERE (€8.10), cost €4.12"; a charger without a MID
meter earns "no ERE (no MID meter)"; the cost is told when it is known. The logbook shows the
charger's name, then the message, with an icon of its own for a start and an end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.components.logbook.models import LazyEventPartialState
from homeassistant.core import HomeAssistant, callback

from .announcer import EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from .const import DOMAIN
from .phrases import euros, number, phrase

ICON_STARTED = "mdi:ev-station"
ICON_ENDED = "mdi:ev-plug-type2"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[
        [str, str, Callable[[LazyEventPartialState], dict[str, str]]], None
    ],
) -> None:
    """Describe the `joulo_session_started` and `joulo_session_ended` events."""

    @callback
    def describe(event: LazyEventPartialState) -> dict[str, str]:
        data = event.data
        name = str(data.get("charger_name") or "Joulo")
        if event.event_type == EVENT_SESSION_STARTED:
            return {
                LOGBOOK_ENTRY_NAME: name,
                LOGBOOK_ENTRY_MESSAGE: phrase(hass, "logbook_started"),
                LOGBOOK_ENTRY_ICON: ICON_STARTED,
            }
        message = phrase(
            hass,
            "logbook_ended",
            energy=number(_number(data.get("energy_kwh"))),
            ere=_earned(hass, data),
        )
        if (cost := _number(data.get("cost_eur"))) is not None:
            message = phrase(hass, "logbook_with_cost", message=message, cost=euros(cost))
        return {
            LOGBOOK_ENTRY_NAME: name,
            LOGBOOK_ENTRY_MESSAGE: message,
            LOGBOOK_ENTRY_ICON: ICON_ENDED,
        }

    async_describe_event(DOMAIN, EVENT_SESSION_STARTED, describe)
    async_describe_event(DOMAIN, EVENT_SESSION_ENDED, describe)


def _earned(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """What the session earned: its ERE, with their euros when known, or none for lack of MID."""
    if data.get("counts_for_ere") is False:
        return phrase(hass, "logbook_no_ere")
    credits_ = number(_number(data.get("ere_credits")))
    if (value := _number(data.get("ere_value_eur"))) is None:
        return phrase(hass, "logbook_ere", credits=credits_)
    return phrase(hass, "logbook_ere_value", credits=credits_, value=euros(value))


def _number(value: Any) -> float | None:
    """A number from an event's data; anything else (recorded by another version) is unknown."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
