"""Buttons of the Joulo integration: restart a charger (soft, or hard) through `POST /chargers/reboot`.

Joulo tokens are read-only unless made with the right to control chargers, so a refused command is
explained, not treated as a broken login; a token the API no longer accepts at all starts reauth.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# Newer Home Assistant moved ButtonDeviceClass to button.const; the package still re-exports it.
from homeassistant.components.button import (  # type: ignore[attr-defined,unused-ignore]
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import JouloClient
from .const import LOGGER
from .coordinator import JouloConfigEntry
from .entity import JouloChargersPollEntity, async_add_charger_entities
from .errors import Caller, joulo_errors

# One command at a time: each press is a request to Joulo (Home Assistant's rule for actions).
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class JouloButtonDescription(ButtonEntityDescription):
    """A button that sends a command for one charger."""

    press_fn: Callable[[JouloClient, str], Awaitable[object]]


BUTTONS: tuple[JouloButtonDescription, ...] = (
    JouloButtonDescription(
        key="restart",
        translation_key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda client, charger_id: client.reboot_charger(charger_id),
    ),
    JouloButtonDescription(
        key="hard_restart",
        translation_key="hard_restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        press_fn=lambda client, charger_id: client.reboot_charger(charger_id, hard=True),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the restart buttons of each charger."""
    async_add_charger_entities(entry, async_add_entities, BUTTONS, JouloButton)


class JouloButton(JouloChargersPollEntity, ButtonEntity):
    """Sends its command for the charger when pressed."""

    entity_description: JouloButtonDescription

    async def async_press(self) -> None:
        """Send the command, then poll the chargers so that the restart shows in the status.

        Live (OCPP) chargers report the restart at once, so one refresh right away shows it, and the
        regular poll shows the charger coming back. Cloud chargers change only at Joulo's next sync,
        which no refresh can hasten. The refresh is debounced: presses in a row share refreshes.
        """
        entry = self.coordinator.config_entry
        with joulo_errors(self.hass, entry, Caller.COMMAND):
            result = await self.entity_description.press_fn(
                entry.runtime_data.client, self.charger_id
            )
        LOGGER.debug(
            "Joulo accepted %s for charger %s: %s",
            self.entity_description.key,
            self.charger_id,
            result,
        )
        await self.coordinator.async_request_refresh()
