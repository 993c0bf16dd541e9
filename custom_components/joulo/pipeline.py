"""What happens after each refresh, written down in one place and in one order.

The coordinators only read and say what changed; every consequence of a refresh is a step here. Each
step runs after a refresh that read the API, before any entity writes its new state; what follows a
change runs only when the data changed (or the API came back).

After every chargers poll: a reading of each running session (its kWh so far: even an unchanged
one says the car draws nothing). When it changed: devices (new and stale), new entities,
announcements, the repair issues of chargers without MID. Then, after every chargers poll: the
sessions poll, when a session started that `/sessions` does not list yet, or one that left its
charger is not listed as completed yet.

After a sessions refresh that changed: the costs of the sessions completed since (at once with a fixed
price; from the recorder in the background with a price entity), announcements (a session's end waits
for its cost), statistics (which update the issues when what chargers missed changed), the TAG ids
no vehicle lists (their repair issues), the readings no longer needed, the cost entities, the energy
poll when a charger's newest completed session changed (its totals moved), and faster chargers
polling when Joulo lists a session running that the chargers do not show yet.

When the user adds, changes or removes a vehicle (no refresh, no reload): the vehicles are read
again, their devices registered or renamed, new entities added, the vehicles' entities write
their new states (`vehicles_signal`), then the repair issues of TAG ids no vehicle lists.

When costs that waited for the recorder are known: the announcements that waited for them, the
readings no longer needed, the cost entities. When the session history has been read: its costs,
the TAG ids no vehicle lists, the readings no longer needed, the cost entities.

After an energy refresh that changed: new entities (the account's ERE position may have appeared),
then the issues (the price in them). And whenever the session history's tally of what chargers
without MID missed this year changed (it is read in pages, between polls): the issues.

At the start of each month, local midnight of its first day in Home Assistant's time zone, though
nothing was read: this year's tallies of what chargers missed are shown again (at a new year last
year's go, and with them the issues' euros), then every entity of a month's or a year's figure
writes its new state (`period_signal`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.util import dt as dt_util

from .announcer import SessionAnnouncer
from .api import Session
from .coordinator import JouloConfigEntry
from .data import costs_signal, missed_signal, period_signal, vehicles_signal
from .devices import ChargerDevices
from .issues import NoMidMeterIssues
from .periods import next_month_start
from .statistics import SessionStatistics
from .tag_issues import UnknownTagIssues
from .vehicles import vehicles_from


class RefreshPipeline:
    """Runs the steps that follow each refresh of an entry's coordinators, and each period's start."""

    _stop_period_timer: CALLBACK_TYPE
    """Cancels the timer of the next period's start (set as the pipeline starts)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        devices: ChargerDevices,
        announcer: SessionAnnouncer,
        *,
        statistics: SessionStatistics | None,
        issues: NoMidMeterIssues | None,
        tag_issues: UnknownTagIssues,
    ) -> None:
        """Follow the coordinators of `entry`."""
        self._hass = hass
        self._entry = entry
        self._runtime = entry.runtime_data
        self._devices = devices
        self._announcer = announcer
        self._statistics = statistics
        self._issues = issues
        self._tag_issues = tag_issues

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow every refresh and period start from now on; import what the first refreshes read."""
        runtime = self._runtime
        runtime.chargers.refresh_step = self._after_chargers
        runtime.sessions.refresh_step = self._after_sessions
        runtime.energy.refresh_step = self._after_energy
        runtime.costs.priced_step = self._after_costs
        if self._statistics is not None:
            self._statistics.history_step = self._after_history
        stop_hearing_missed = async_dispatcher_connect(
            self._hass, missed_signal(self._entry.entry_id), self._update_issues
        )
        if self._price(runtime.sessions.data.recent):
            self._costs_changed()
        if self._statistics is not None:
            self._statistics.async_process()
            if runtime.costs.needs_history:
                self._statistics.async_read_history()
        self._update_issues()
        self._tag_issues.async_sessions_read(runtime.sessions.data.recent)
        self._await_next_period()

        @callback
        def stop() -> None:
            runtime.chargers.refresh_step = None
            runtime.sessions.refresh_step = None
            runtime.energy.refresh_step = None
            runtime.costs.priced_step = None
            if self._statistics is not None:
                self._statistics.history_step = None
            stop_hearing_missed()
            self._stop_period_timer()

        return stop

    @callback
    def _await_next_period(self) -> None:
        """Run `_at_period_start` at the next month's start (a year starts with a month)."""
        start = next_month_start(dt_util.utcnow(), dt_util.get_default_time_zone())
        self._stop_period_timer = async_track_point_in_time(
            self._hass, self._at_period_start, start
        )

    @callback
    def _at_period_start(self, _now: datetime) -> None:
        """A month started: this year's tallies (and so the issues), then the period figures."""
        self._await_next_period()
        if self._statistics is not None:
            self._statistics.async_period_started()
        async_dispatcher_send(self._hass, period_signal(self._entry.entry_id))

    @callback
    def _after_chargers(self) -> None:
        if (readings := self._runtime.readings) is not None:
            readings.record(self._runtime.chargers.data.values(), dt_util.utcnow())
        if self._runtime.chargers.data_changed:
            self._devices.async_sync()
            self._add_new_entities()
            self._announcer.async_process()
            self._update_issues()
        runtime = self._runtime
        news = runtime.chargers.data.news
        if news is not None and (
            runtime.finished.awaiting(dt_util.utcnow()) or not runtime.sessions.lists(news.started)
        ):
            runtime.sessions.refresh_for_news(news.asked_at)

    @callback
    def _after_sessions(self) -> None:
        if not self._runtime.sessions.data_changed:
            return
        runtime = self._runtime
        recent = runtime.sessions.data.recent
        priced = self._price(recent)
        self._announcer.async_process()
        if self._statistics is not None:
            self._statistics.async_process()
        self._tag_issues.async_sessions_read(recent)
        self._forget_readings(recent)
        if priced:
            self._costs_changed()
        if runtime.sessions.data.newly_completed:
            runtime.energy.request_refresh_soon()
        charging = runtime.chargers.data
        if any(
            session.ended_at is None
            and (charger := charging.get(session.charger_id)) is not None
            and not charger.is_charging
            for session in runtime.sessions.data.recent
        ):
            runtime.chargers.follow_running_session()

    @callback
    def async_vehicles_changed(self) -> None:
        """Vehicles were added, changed or removed: read them, their devices, entities, states.

        Then the issues of TAG ids no vehicle lists.
        """
        async_read_vehicles(self._entry, self._devices)
        self._add_new_entities()
        async_dispatcher_send(self._hass, vehicles_signal(self._entry.entry_id))
        self._tag_issues.async_update()

    @callback
    def _after_costs(self) -> None:
        """Costs that waited for the recorder are known: their announcements, readings, entities."""
        self._announcer.async_process()
        self._forget_readings(self._runtime.sessions.data.recent)
        self._costs_changed()

    @callback
    def _after_history(self, sessions: Iterable[Session], *, whole: bool) -> None:
        """The session history (`whole` or its newer part) was read: its costs, tags and readings."""
        sessions = tuple(sessions)
        priced = self._price(sessions, history=whole)
        self._tag_issues.async_sessions_read(sessions)
        self._forget_readings(sessions)
        if priced:
            self._costs_changed()

    def _price(self, sessions: Iterable[Session], *, history: bool = False) -> bool:
        """Price the completed sessions not priced yet; whether a cost is known now."""
        return self._runtime.costs.price(sessions, history=history)

    def _forget_readings(self, sessions: Iterable[Session]) -> None:
        """Drop the readings of completed sessions once their statistics and cost are worked out."""
        runtime = self._runtime
        if (readings := runtime.readings) is None:
            return
        statistics, costs = self._statistics, runtime.costs
        readings.forget(
            session.id
            for session in sessions
            if session.id in readings
            and session.is_completed
            and (statistics is None or statistics.counted(session))
            and costs.of(session.id) is not None
        )

    def _costs_changed(self) -> None:
        async_dispatcher_send(self._hass, costs_signal(self._entry.entry_id))

    @callback
    def _after_energy(self) -> None:
        if self._runtime.energy.data_changed:
            self._add_new_entities()
            self._update_issues()

    @callback
    def _update_issues(self) -> None:
        if self._issues is not None:
            self._issues.async_update()

    @callback
    def _add_new_entities(self) -> None:
        for add_new_entities in self._runtime.entity_adders:
            add_new_entities()


@callback
def async_read_vehicles(entry: JouloConfigEntry, devices: ChargerDevices) -> None:
    """Read the entry's vehicles from its subentries, and register their devices."""
    entry.runtime_data.vehicles = vehicles_from(entry.subentries.values())
    devices.async_sync_vehicles()
