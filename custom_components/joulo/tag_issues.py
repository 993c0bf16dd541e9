"""The repair issue `unknown_tag`: a TAG id that charged lately and that no vehicle lists.

One issue per such TAG id (see `unknown_tags`), with how many sessions of the last 31 days carry it,
their kWh and when it was last seen: a warning the user can ignore, or fix by adding the TAG id to one
of the account's vehicles (the fix flow in `repairs.py`). It goes when a vehicle lists the tag, when
the account has no vehicle any more, when its last session is older than 31 days, and when the entry
unloads (a reload shows it again).

The tags come from the completed sessions the entry read: each page of the sessions poll and, when it
is read, the session history. Those of the last 31 days are remembered while the entry is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api import Session
from .coordinator import JouloConfigEntry
from .issues import EntryIssues, WantedIssue
from .phrases import number
from .unknown_tags import UnknownTag, next_leaves_window, tagged_in_window, unknown_tags

ISSUE_UNKNOWN_TAG = "unknown_tag"
DATA_ENTRY_ID = "entry_id"
DATA_TAG = "tag"
"""The fields of the issue's data, for its fix flow: the entry, and the TAG id as sessions list it."""


class UnknownTagIssues:
    """Keeps an entry's `unknown_tag` issues in line with its recent sessions and its vehicles."""

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry) -> None:
        """Show the issues of `entry`, whose runtime data is set up."""
        self._hass = hass
        self._entry = entry
        self._issues = EntryIssues(hass, entry.entry_id, ISSUE_UNKNOWN_TAG)
        self._seen: dict[str, Session] = {}
        """The completed sessions with a TAG id of the last 31 days, by id."""
        self._stop_timer: CALLBACK_TYPE | None = None

    @callback
    def async_sessions_read(self, sessions: Iterable[Session]) -> None:
        """Remember the tagged sessions of a read (those with impossible times left out); update."""
        now = dt_util.utcnow()
        possible = self._entry.runtime_data.impossible_sessions.possible(sessions, now)
        self._seen.update((session.id, session) for session in tagged_in_window(possible, now))
        self.async_update()

    @callback
    def async_update(self) -> None:
        """Raise, change or remove issues as the sessions remembered and the vehicles now say.

        Again when the oldest session remembered leaves the 31 days.
        """
        now = dt_util.utcnow()
        self._seen = {session.id: session for session in tagged_in_window(self._seen.values(), now)}
        found = unknown_tags(self._seen.values(), self._entry.runtime_data.vehicles, now)
        self._issues.async_show({tag: self._wanted(unknown) for tag, unknown in found.items()})
        self._stop_waiting()
        if (leaves := next_leaves_window(self._seen.values())) is not None:
            self._stop_timer = async_track_point_in_utc_time(self._hass, self._window_moved, leaves)

    @callback
    def async_clear(self) -> None:
        """Remove every issue raised, and stop waiting (on unload)."""
        self._stop_waiting()
        self._issues.async_clear()

    def _wanted(self, unknown: UnknownTag) -> WantedIssue:
        return WantedIssue(
            placeholders={
                "tag": unknown.tag,
                "sessions": str(unknown.sessions),
                "kwh": number(unknown.kwh),
                "last_seen": dt_util.as_local(unknown.last_seen).strftime("%Y-%m-%d %H:%M"),
            },
            data={DATA_ENTRY_ID: self._entry.entry_id, DATA_TAG: unknown.tag},
        )

    @callback
    def _window_moved(self, _now: datetime) -> None:
        self._stop_timer = None
        self.async_update()

    def _stop_waiting(self) -> None:
        if self._stop_timer is not None:
            self._stop_timer()
            self._stop_timer = None
