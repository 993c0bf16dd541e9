"""Event entities of the Joulo integration: a charger's charging session started or ended."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .announcer import SessionAnnouncement, session_signal
from .coordinator import JouloConfigEntry
from .entity import JouloChargersPollEntity, async_add_charger_entities

# Coordinators do all the I/O; entities only read their data.
PARALLEL_UPDATES = 0

CHARGING_SESSION = EventEntityDescription(
    key="charging_session",
    translation_key="charging_session",
    event_types=["started", "ended"],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the charging session event entity of each charger."""
    async_add_charger_entities(
        entry, async_add_entities, (CHARGING_SESSION,), JouloChargingSessionEvent
    )


class JouloChargingSessionEvent(JouloChargersPollEntity, EventEntity):
    """Fires `started` and `ended` for each of a charger's sessions, once each."""

    @property
    def available(self) -> bool:
        """Available while the charger is on the account, also while the API fails.

        An outage delays announcements; it does not make the last event untrue. Going unavailable
        would hide an announcement made from `/sessions` while `/chargers` fails, and coming back
        would look like a new state change to automations.
        """
        return self.charger_id in self.coordinator.data

    async def async_added_to_hass(self) -> None:
        """Listen for the announcements of this charger's sessions."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                session_signal(self.coordinator.config_entry.entry_id, self.charger_id),
                self._async_announced,
            )
        )

    @callback
    def _async_announced(self, announcement: SessionAnnouncement) -> None:
        self._trigger_event(announcement.event_type, announcement.attributes)
        self.async_write_ha_state()
