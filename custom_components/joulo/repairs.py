"""Fix flows of the repair issues: `unknown_tag` adds the TAG id to a vehicle the user picks.

The vehicle's subentry is updated with the tag among its TAG ids; the entry's update listener reads
the vehicles again, and the issue goes. Whatever changed while the dialog was open (the entry
unloaded, the tag added elsewhere, the vehicles removed) ends the flow with a message, or shows the
form again when only the chosen vehicle was removed.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .coordinator import JouloConfigEntry
from .tag_issues import DATA_ENTRY_ID, DATA_TAG
from .validation import vol
from .vehicles import (
    CONF_ID_TAGS,
    SUBENTRY_TYPE_VEHICLE,
    normalise_tag,
    vehicle_data,
    vehicles_from,
)

type FixFlowResult = FlowResult[Any, str]
"""What a step returns: Home Assistant 2026.10 names it `RepairsFlowResult`, earlier ones do not."""

CONF_VEHICLE = "vehicle"


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """The fix flow of a fixable issue: `unknown_tag`, whose data names its entry and TAG id.

    Data that does not name a loaded entry ends the flow at once, as an entry that unloaded does.
    """
    data = data or {}
    return UnknownTagFlow(str(data.get(DATA_ENTRY_ID)), str(data.get(DATA_TAG)))


class UnknownTagFlow(RepairsFlow):
    """Add an unknown TAG id to the vehicle whose card it is."""

    def __init__(self, entry_id: str, tag: str) -> None:
        """Fix the issue of `tag`, seen on the sessions of the entry `entry_id`."""
        super().__init__()
        self._entry_id = entry_id
        self._tag = tag

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FixFlowResult:
        """Ask which vehicle the tag is (the flow manager's own data is no answer)."""
        return await self.async_step_choose_vehicle()

    async def async_step_choose_vehicle(
        self, user_input: dict[str, Any] | None = None
    ) -> FixFlowResult:
        """Show the entry's vehicles by name; add the tag to the one chosen."""
        entry: JouloConfigEntry | None = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        vehicles = vehicles_from(entry.subentries.values())
        if any(normalise_tag(self._tag) in vehicle.id_tags for vehicle in vehicles):
            return self.async_abort(reason="tag_known")
        if not vehicles:
            return self.async_abort(reason="no_vehicles")
        errors: dict[str, str] = {}
        if user_input is not None:
            subentry = entry.subentries.get(user_input[CONF_VEHICLE])
            if subentry is not None and subentry.subentry_type == SUBENTRY_TYPE_VEHICLE:
                data = vehicle_data(subentry.data)
                data[CONF_ID_TAGS] = [*data[CONF_ID_TAGS], self._tag]
                self.hass.config_entries.async_update_subentry(entry, subentry, data=data)
                return self.async_create_entry(data={})
            errors[CONF_VEHICLE] = "vehicle_removed"
        options = [
            SelectOptionDict(value=vehicle.subentry_id, label=vehicle.name)
            for vehicle in sorted(vehicles, key=lambda vehicle: vehicle.name.casefold())
        ]
        return self.async_show_form(
            step_id="choose_vehicle",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_VEHICLE): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
            description_placeholders={"tag": self._tag},
            errors=errors,
        )
