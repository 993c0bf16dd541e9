"""What happens after each refresh, written down in one place and in one order.

After a chargers refresh: devices (new and stale), then new entities, then announcements, then the
repair issues of chargers without MID. After a sessions refresh: announcements, then statistics (which
update those issues when what chargers missed changed), then faster chargers polling if Joulo lists a
session running. After an energy refresh: new entities (the account's ERE position may have appeared),
then the issues (the price in them). Each step runs before any entity writes its new state, and only
after refreshes that changed something.
"""

from __future__ import annotations

from homeassistant.core import CALLBACK_TYPE, callback

from .announcer import SessionAnnouncer
from .coordinator import JouloChargersCoordinator
from .data import JouloRuntimeData
from .devices import ChargerDevices
from .issues import NoMidMeterIssues
from .statistics import SessionStatistics


class RefreshPipeline:
    """Runs the steps that follow each refresh of an entry's coordinators."""

    def __init__(
        self,
        runtime: JouloRuntimeData,
        chargers: JouloChargersCoordinator,
        devices: ChargerDevices,
        announcer: SessionAnnouncer,
        *,
        statistics: SessionStatistics | None,
        issues: NoMidMeterIssues | None,
    ) -> None:
        """Follow `runtime`'s coordinators (`chargers` is its chargers coordinator)."""
        self._issues = issues
        self._runtime = runtime
        self._chargers = chargers
        self._devices = devices
        self._announcer = announcer
        self._statistics = statistics

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow every refresh from now on, and import what the first refreshes read."""
        runtime = self._runtime
        runtime.chargers.refresh_step = self._after_chargers
        runtime.sessions.refresh_step = self._after_sessions
        runtime.energy.refresh_step = self._after_energy
        if self._statistics is not None:
            self._statistics.async_process()
        self._update_issues()

        @callback
        def stop() -> None:
            runtime.chargers.refresh_step = None
            runtime.sessions.refresh_step = None
            runtime.energy.refresh_step = None

        return stop

    @callback
    def _after_chargers(self) -> None:
        self._devices.async_sync()
        self._add_new_entities()
        self._announcer.async_process()
        self._update_issues()

    @callback
    def _after_energy(self) -> None:
        self._add_new_entities()
        self._update_issues()

    @callback
    def _update_issues(self) -> None:
        if self._issues is not None:
            self._issues.async_update()

    @callback
    def _after_sessions(self) -> None:
        self._announcer.async_process()
        if self._statistics is not None:
            self._statistics.async_process()
        charging = self._runtime.chargers.data
        if any(
            session.ended_at is None
            and (charger := charging.get(session.charger_id)) is not None
            and not charger.is_charging
            for session in self._runtime.sessions.data.recent
        ):
            self._chargers.follow_running_session()

    @callback
    def _add_new_entities(self) -> None:
        for add_new_entities in self._runtime.entity_adders:
            add_new_entities()
