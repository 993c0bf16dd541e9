"""The repair issue `no_mid_meter`: a charger whose charging earns no ERE, with what it missed.

One issue per charger that has no MID-certified meter and that charged this year: its kWh and the
euros its ERE credits would have brought (a warning the user can ignore; there is nothing to fix
from Home Assistant, Joulo upgrades the charger). It goes away when the charger counts again, when
it leaves the account, and when the entry unloads (a reload shows it again).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .coordinator import JouloConfigEntry
from .ere import charger_counts_for_ere
from .naming import charger_name
from .phrases import euros, number

ISSUE_NO_MID_METER = "no_mid_meter"


class NoMidMeterIssues:
    """Keeps an entry's `no_mid_meter` issues in line with its chargers and this year's tallies."""

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry) -> None:
        """Raise the issues of `entry`'s chargers."""
        self._hass = hass
        self._entry = entry
        self._raised: dict[str, dict[str, str]] = {}
        """The placeholders of each charger's raised issue, by charger id."""

    def _issue_id(self, charger_id: str) -> str:
        return f"{ISSUE_NO_MID_METER}_{self._entry.entry_id}_{charger_id}"

    @callback
    def async_update(self) -> None:
        """Raise, change or remove issues as the chargers, tallies and price now say."""
        runtime = self._entry.runtime_data
        chargers = runtime.chargers.data
        price = runtime.ere_price
        wanted: dict[str, dict[str, str]] = {}
        for charger_id, tally in (runtime.missed_this_year or {}).items():
            charger = chargers.get(charger_id)
            if charger is None or charger_counts_for_ere(charger) or not tally.sessions:
                continue
            wanted[charger_id] = {
                "charger": charger_name(charger_id, charger.nickname),
                "kwh": number(tally.kwh),
                "missed": "?" if price is None else euros(price.value(tally.ere_credits)),
            }
        for charger_id in set(self._raised) - set(wanted):
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(charger_id))
            del self._raised[charger_id]
        for charger_id, placeholders in wanted.items():
            if self._raised.get(charger_id) == placeholders:
                continue
            self._raised[charger_id] = placeholders
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id(charger_id),
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_NO_MID_METER,
                translation_placeholders=placeholders,
            )

    @callback
    def async_clear(self) -> None:
        """Remove every issue raised (on unload)."""
        for charger_id in list(self._raised):
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(charger_id))
        self._raised.clear()
