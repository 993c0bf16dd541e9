"""An entry's repair issues of one kind (`EntryIssues`), and `no_mid_meter`: a charger without ERE.

`no_mid_meter`: one issue per charger that has no MID-certified meter and that charged this year:
its kWh and the euros its ERE credits would have brought (a warning the user can ignore; there is
nothing to fix from Home Assistant, Joulo upgrades the charger). It goes away when the charger
counts again, when it leaves the account, and when the entry unloads (a reload shows it again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .coordinator import JouloConfigEntry
from .ere import charger_counts_for_ere
from .naming import charger_name
from .phrases import euros, number

ISSUE_NO_MID_METER = "no_mid_meter"

type IssueData = dict[str, str | int | float | None]
"""What a fixable issue hands its fix flow."""


class WantedIssue(NamedTuple):
    """An issue as it should be shown: its placeholders, and for a fixable one its fix flow's data."""

    placeholders: dict[str, str]
    data: IssueData | None = None
    """For the fix flow (`repairs.py`); an issue with data is fixable."""


class EntryIssues:
    """An entry's repair issues of one kind (warnings the user can ignore), one per key.

    Raised, changed and removed to match what is wanted; an issue is written again only when its
    placeholders or data changed.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str, translation_key: str) -> None:
        """Show the `translation_key` issues of the entry `entry_id`."""
        self._hass = hass
        self._entry_id = entry_id
        self._translation_key = translation_key
        self._raised: dict[str, WantedIssue] = {}

    def issue_id(self, key: str) -> str:
        """The id of the issue of `key` (a charger id, a TAG id)."""
        return f"{self._translation_key}_{self._entry_id}_{key}"

    @callback
    def async_show(self, wanted: Mapping[str, WantedIssue]) -> None:
        """Raise, change or remove issues so that exactly the `wanted` ones are shown."""
        for key in set(self._raised) - set(wanted):
            ir.async_delete_issue(self._hass, DOMAIN, self.issue_id(key))
            del self._raised[key]
        for key, issue in wanted.items():
            if self._raised.get(key) == issue:
                continue
            self._raised[key] = issue
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self.issue_id(key),
                data=issue.data,
                is_fixable=issue.data is not None,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=self._translation_key,
                translation_placeholders=issue.placeholders,
            )

    @callback
    def async_clear(self) -> None:
        """Remove every issue raised (on unload)."""
        self.async_show({})


class NoMidMeterIssues:
    """Keeps an entry's `no_mid_meter` issues in line with its chargers and this year's tallies."""

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry) -> None:
        """Show the issues of `entry`'s chargers."""
        self._entry = entry
        self._issues = EntryIssues(hass, entry.entry_id, ISSUE_NO_MID_METER)

    @callback
    def async_update(self) -> None:
        """Raise, change or remove issues as the chargers, tallies and price now say."""
        runtime = self._entry.runtime_data
        chargers = runtime.chargers.data
        price = runtime.ere_price
        wanted: dict[str, WantedIssue] = {}
        for charger_id, tally in (runtime.missed_this_year or {}).items():
            charger = chargers.get(charger_id)
            if charger is None or charger_counts_for_ere(charger) or not tally.sessions:
                continue
            wanted[charger_id] = WantedIssue(
                {
                    "charger": charger_name(charger_id, charger.nickname),
                    "kwh": number(tally.kwh),
                    "missed": "?" if price is None else euros(price.value(tally.ere_credits)),
                }
            )
        self._issues.async_show(wanted)

    @callback
    def async_clear(self) -> None:
        """Remove every issue raised (on unload)."""
        self._issues.async_clear()
