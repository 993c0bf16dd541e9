"""The simulator's state and behaviour: accounts, tokens, live sessions and the autopilot.

Nothing runs in the background: every call first brings the model up to the clock's time, so a
frozen or jumping clock (a test's) and a real one (the demo's) both give consistent answers.
Nothing is ever ahead of the clock: a faster demo has shorter, more frequent sessions instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import math
import random
from typing import TYPE_CHECKING

from .account import (
    CARPORT_ID,
    DEFAULT_ID_TAG,
    DEMO_TOKEN,
    DRIVEWAY_ID,
    GARAGE_ID,
    REBOOT_COOLDOWN,
    SimAccount,
    SimCharger,
    SimReboot,
    SimSession,
    build_account,
    draw_id_tag,
    new_token,
    new_uuid,
    seeded_random,
    whole_seconds,
)
from .charging import plan_draw
from .clock import Clock, as_utc, system_clock
from .faults import FaultSet
from .ratelimit import RateLimit, RateLimiter
from .sync import SYNC_INTERVAL, last_sync

if TYPE_CHECKING:
    from collections.abc import Iterator

DEFAULT_RATE_LIMIT = RateLimit()
"""30 requests per token per minute."""

_AUTOPILOT_FIRST_GAP_MINUTES = (10, 90)
"""Wait before a charger's first session, so a demo shows charging soon."""
_AUTOPILOT_GAP_MINUTES = (120, 600)
_AUTOPILOT_DURATION_MINUTES = (60, 360)
_AUTOPILOT_POWER_KW = (7.0, 11.0)
_AUTOPILOT_FULL_SHARE = (0.3, 1.0)
"""The car is full after this share of what it could draw while plugged in."""
REBOOT_TYPES = ("Soft", "Hard")
"""The reboot types ``POST /chargers/reboot`` accepts."""


class UnknownObjectError(LookupError):
    """An account, token or charger the simulator does not know."""


class SimulatorStateError(ValueError):
    """An action that does not fit the current state, e.g. starting a session twice."""


class RebootCooldownError(SimulatorStateError):
    """A reboot within :data:`REBOOT_COOLDOWN` of the charger's last accepted one (409)."""


class ChargerOfflineError(SimulatorStateError):
    """A command for a charger that is offline (503)."""


@dataclass(frozen=True)
class RecordedRequest:
    """An API request as the simulator saw it (never with its token)."""

    at: datetime
    """The simulator's time of the request."""
    method: str
    endpoint: str
    """The path after the API base, e.g. ``/chargers``."""
    query: dict[str, str]
    status: int


@dataclass(eq=False)
class _Autopilot:
    """The random schedule of one charger in demo mode."""

    rng: random.Random
    next_start: datetime | None
    car_rng: random.Random
    """The cars' TAG ids and needs: a stream of its own, so ``rng`` draws what it always drew."""


class JouloSimulator:
    """A simulated Joulo back end, starting with one account whose token is :data:`DEMO_TOKEN`."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        seed: int = 1,
        autopilot: bool = False,
        speed: float = 1.0,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        upstream_sync: bool = True,
        latency: float = 0.0,
    ) -> None:
        """Create the simulator and its default account (seeded, relative to the clock's now).

        The clock defaults to real time. With ``autopilot``, online chargers start sessions by
        themselves: 1 to 6 hours at 7 to 11 kW, 2 to 10 hours apart, or ``speed`` times shorter
        and more frequent (at the same power); the car is full after 30% to all of that time.
        With ``upstream_sync`` (the default), the API shows cloud chargers as Joulo sees them: as
        they were at their last 15-minute sync (see :mod:`joulo_simulator.sync`); without it,
        every charger is live. The HTTP server waits ``latency`` real seconds before it answers
        each API request.
        """
        if speed <= 0:
            msg = "speed must be positive"
            raise ValueError(msg)
        self.clock: Clock = clock if clock is not None else system_clock
        self.seed = seed
        self.speed = speed
        """How many times shorter and more frequent the autopilot's sessions are."""
        self.faults = FaultSet()
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._autopilot_enabled = autopilot
        self.upstream_sync = upstream_sync
        """Whether cloud chargers show only at their syncs; may be switched at any time."""
        self._rng = seeded_random(seed)
        self._tag_rng = seeded_random(f"{seed}:tags")
        self._accounts: list[SimAccount] = []
        self._tokens: dict[str, SimAccount] = {}
        self._autopilots: dict[str, _Autopilot] = {}
        self._rate_limit = rate_limit
        self._limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        now = as_utc(self.clock())
        self.default_account = build_account(
            self._rng,
            now,
            tag_rng=self._tag_rng,
            token=DEMO_TOKEN,
            charger_ids=(GARAGE_ID, DRIVEWAY_ID, CARPORT_ID),
        )
        self._register(self.default_account, now)

    @property
    def autopilot(self) -> bool:
        """Whether online chargers start sessions by themselves."""
        return self._autopilot_enabled

    @property
    def latency(self) -> float:
        """Real seconds the HTTP server waits before answering each API request; may be changed."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if not 0 <= seconds < math.inf:
            msg = "latency must be a number of seconds from 0"
            raise ValueError(msg)
        self._latency = float(seconds)

    @property
    def rate_limit(self) -> RateLimit | None:
        """The per-token rate limit; None when there is none. Setting it starts counting anew."""
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        self._rate_limit = limit
        self._limiter = RateLimiter(limit) if limit is not None else None

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The limiter that counts requests against :attr:`rate_limit`."""
        return self._limiter

    @property
    def accounts(self) -> list[SimAccount]:
        """Every account, the default one first."""
        return list(self._accounts)

    def now(self) -> datetime:
        """Return the clock's time, after bringing the model up to it."""
        now = as_utc(self.clock())
        self._catch_up(now)
        return now

    def last_sync(self, charger_id: str) -> datetime | None:
        """Return the moment whose state the API shows of a charger: its last sync (or its link).

        None when the charger reports live: an OCPP charger, or any charger without the sync.
        """
        _, charger = self._charger_of(charger_id, None)
        return self.synced_at(charger, self.now())

    def next_sync(self, charger_id: str) -> datetime | None:
        """Return when the API will next show new data of a cloud charger; None when it is live."""
        synced = self.last_sync(charger_id)
        return None if synced is None else last_sync(charger_id, synced) + SYNC_INTERVAL

    def synced_at(self, charger: SimCharger, now: datetime) -> datetime | None:
        """Return the sync whose state the API shows of ``charger`` at ``now``; None when live."""
        if charger.reports_live or not self.upstream_sync:
            return None
        synced = last_sync(charger.id, now)
        return synced if charger.linked_at is None else max(synced, charger.linked_at)

    def shown_at(self, session: SimSession, now: datetime) -> datetime:
        """Return the moment whose state the API shows of ``session`` at ``now``."""
        if session.live or not self.upstream_sync:
            return now
        if session.ended_at is not None and session.ended_at <= now - SYNC_INTERVAL:
            return now  # Every sync since has seen it completed.
        return last_sync(session.charger_id, now)

    def shown_sessions(
        self, account: SimAccount, now: datetime
    ) -> list[tuple[SimSession, datetime]]:
        """Return the sessions the API lists at ``now``, each with the moment whose state it shows.

        A cloud charger's session is listed from its charger's first sync after it started.
        """
        return [
            (session, shown)
            for session in account.sessions
            if session.started_at <= (shown := self.shown_at(session, now))
        ]

    def completed_sessions(self, account: SimAccount, now: datetime) -> list[SimSession]:
        """Return the sessions the API shows as completed at ``now`` (what ``/energy`` counts)."""
        return [s for s, shown in self.shown_sessions(account, now) if s.ended_by(shown)]

    def add_account(
        self,
        token: str | None = None,
        *,
        empty: bool = False,
        account_id: str | None = None,
        can_control: bool = True,
        mid_upgraded_days_ago: float | None = None,
    ) -> SimAccount:
        """Add an account with its own chargers and history (none when ``empty``).

        Its token may control chargers unless ``can_control`` is False (see
        :meth:`set_token_can_control`). With ``mid_upgraded_days_ago``, its charger without a MID
        meter got one that many days ago: its earlier sessions do not count for ERE, later ones do.
        """
        if token is not None and token in self._tokens:
            msg = "that token belongs to another account"
            raise ValueError(msg)
        if account_id is not None and any(a.id == account_id for a in self._accounts):
            msg = f"an account with id {account_id} exists"
            raise ValueError(msg)
        now = self.now()
        account = build_account(
            self._rng,
            now,
            tag_rng=self._tag_rng,
            token=token or new_token(self._rng),
            account_id=account_id,
            empty=empty,
            mid_upgraded_at=(
                None
                if mid_upgraded_days_ago is None
                else now - timedelta(days=mid_upgraded_days_ago)
            ),
        )
        account.can_control = can_control
        self._register(account, now)
        return account

    def account(self, token: str | None = None) -> SimAccount:
        """Return the account of ``token``; without one, the default account."""
        if token is None:
            return self.default_account
        try:
            return self._tokens[token]
        except KeyError:
            msg = "unknown or revoked token"
            raise UnknownObjectError(msg) from None

    def authenticate(self, token: str) -> SimAccount | None:
        """Return the account of a valid ``token``, or None."""
        return self._tokens.get(token)

    def rotate_token(self, old: str, new: str | None = None) -> str:
        """Replace ``old`` (which stops working at once) with ``new`` or a random token."""
        account = self.account(old)
        if new is not None and new in self._tokens:
            msg = "that token is already in use"
            raise ValueError(msg)
        token = new or new_token(self._rng)
        del self._tokens[old]
        self._tokens[token] = account
        account.token = token
        return token

    def revoke_token(self, token: str) -> None:
        """Make ``token`` invalid at once; its account gets a new token nobody has been told."""
        self.rotate_token(token)

    def set_token_can_control(self, token: str, can_control: bool) -> None:  # noqa: FBT001
        """Let ``token`` control chargers, or make it read-only (403 on ``POST /chargers/reboot``).

        The scope belongs to the account's token and survives a rotation.
        """
        self.account(token).can_control = can_control

    def add_charger(
        self,
        *,
        token: str | None = None,
        nickname: str = "Charger",
        connection_type: str = "easee",
        mid_certified: bool = True,
        status: str = "online",
        charger_id: str | None = None,
        meter_wh: int | None = None,
    ) -> SimCharger:
        """Link a new charger to the account of ``token`` (default: the default account).

        OCPP chargers report a meter (starting at ``meter_wh`` or 0) and tag their sessions with
        :data:`DEFAULT_ID_TAG`; others have a meter only when ``meter_wh`` is given, and no tags.
        """
        account = self.account(token)
        if charger_id is not None and self._find(charger_id) is not None:
            msg = f"a charger with id {charger_id} exists"
            raise ValueError(msg)
        now = self.now()
        ocpp = connection_type == "ocpp"
        has_meter = meter_wh is not None or ocpp
        charger = SimCharger(
            id=charger_id or new_uuid(self._rng),
            nickname=nickname,
            connection_type=connection_type,
            mid_certified=mid_certified,
            status=status,
            meter_wh=float(meter_wh or 0) if has_meter else None,
            meter_updated_at=whole_seconds(now) if has_meter else None,
            linked_at=whole_seconds(now),
            id_tags=((DEFAULT_ID_TAG, 1.0),) if ocpp else (),
        )
        account.chargers[charger.id] = charger
        self._track(charger, now)
        return charger

    def charger(self, charger_id: str, *, token: str | None = None) -> SimCharger:
        """Return a charger (of the account of ``token``, when given)."""
        return self._charger_of(charger_id, token)[1]

    def remove_charger(self, charger_id: str, *, token: str | None = None) -> None:
        """Unlink a charger; an active session on it ends first and stays in the history."""
        account, charger = self._charger_of(charger_id, token)
        now = self.now()
        if charger.current_session is not None:
            self._finish(charger, charger.current_session, now)
        del account.chargers[charger_id]
        self._autopilots.pop(charger_id, None)

    def set_charger_status(self, charger_id: str, status: str, *, token: str | None = None) -> None:
        """Set a charger's connection status (``online``, ``offline``, or anything else)."""
        _, charger = self._charger_of(charger_id, token)
        now = self.now()
        charger.set_status(status, now)
        autopilot = self._autopilots.get(charger_id)
        if autopilot is not None:
            autopilot.next_start = self._next_autostart(
                charger, autopilot, whole_seconds(now), _AUTOPILOT_FIRST_GAP_MINUTES
            )

    def start_session(
        self,
        charger_id: str,
        *,
        token: str | None = None,
        power_kw: float = 11.0,
        duration: timedelta | None = None,
        id_tag: str | None = None,
        kwh: float | None = None,
    ) -> SimSession:
        """Plug a car in now that draws ``power_kw``; with ``duration``, it is unplugged by itself.

        With ``kwh``, the car is full once it has that much and draws nothing after; without, it
        draws until unplugged. A session that cannot draw its ``kwh`` at ``power_kw`` within its
        ``duration`` draws evenly at the power that fits; on a charger with a schedule, one with
        both may wait for the schedule's start (see :func:`~joulo_simulator.charging.plan_draw`).
        Without ``id_tag``, the session carries the TAG id of one of the charger's cars, if any
        (:data:`DEFAULT_ID_TAG` on an OCPP charger).
        """
        if power_kw < 0:
            msg = "power_kw cannot be negative"
            raise ValueError(msg)
        if kwh is not None and kwh < 0:
            msg = "kwh cannot be negative"
            raise ValueError(msg)
        if duration is not None and duration <= timedelta(0):
            msg = "duration must be positive"
            raise ValueError(msg)
        account, charger = self._charger_of(charger_id, token)
        now = self.now()
        if charger.current_session is not None:
            msg = f"charger {charger_id} is already charging"
            raise SimulatorStateError(msg)
        return self._begin(
            account,
            charger,
            start=whole_seconds(now),
            power_kw=power_kw,
            duration=duration,
            id_tag=id_tag,
            kwh=kwh,
            rng=self._rng,
            car_rng=self._tag_rng,
        )

    def end_session(self, charger_id: str, *, token: str | None = None) -> SimSession:
        """End the session on a charger now and return it, completed."""
        _, charger = self._charger_of(charger_id, token)
        now = self.now()
        session = charger.current_session
        if session is None:
            msg = f"charger {charger_id} is not charging"
            raise SimulatorStateError(msg)
        self._finish(charger, session, now)
        return session

    def reboot_charger(
        self, charger_id: str, *, token: str | None = None, reboot_type: str = "Soft"
    ) -> SimReboot:
        """Reboot a charger now: it reports ``offline`` for a minute; a running session goes on.

        Raises :class:`RebootCooldownError` within 5 minutes of its last accepted reboot and
        :class:`ChargerOfflineError` when the charger is offline.
        """
        if reboot_type not in REBOOT_TYPES:
            msg = f"the reboot type must be one of {', '.join(REBOOT_TYPES)}"
            raise ValueError(msg)
        _, charger = self._charger_of(charger_id, token)
        now = self.now()
        last = charger.reboots[-1].at if charger.reboots else None
        if last is not None and last <= now < last + REBOOT_COOLDOWN:
            wait = math.ceil((last + REBOOT_COOLDOWN - now).total_seconds())
            msg = f"Reboot cooldown active, try again in {wait} seconds"
            raise RebootCooldownError(msg)
        if charger.status == "offline":
            msg = "Charger is offline"
            raise ChargerOfflineError(msg)
        reboot = SimReboot(at=whole_seconds(now), type=reboot_type)
        charger.reboots.append(reboot)
        return reboot

    def active_sessions(self) -> list[SimSession]:
        """Return the sessions that are running now, in every account."""
        self.now()
        return [s for a in self._accounts for s in a.sessions if s.is_active]

    def record(self, request: RecordedRequest) -> None:
        """Add an API request to the log."""
        self.requests.append(request)

    def request_count(self, endpoint: str | None = None) -> int:
        """Count the logged API requests, for one endpoint (e.g. ``/chargers``) or all."""
        if endpoint is None:
            return len(self.requests)
        return sum(1 for request in self.requests if request.endpoint == endpoint)

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.requests.clear()

    def _register(self, account: SimAccount, now: datetime) -> None:
        self._accounts.append(account)
        self._tokens[account.token] = account
        for charger in account.chargers.values():
            self._track(charger, now)

    def _track(self, charger: SimCharger, now: datetime) -> None:
        """Give a new charger its autopilot schedule, in demo mode."""
        if not self._autopilot_enabled:
            return
        # Seeded per charger, so each charger's sessions do not depend on when anyone looks.
        autopilot = _Autopilot(
            rng=seeded_random(f"{self.seed}:{charger.id}"),
            next_start=None,
            car_rng=seeded_random(f"{self.seed}:{charger.id}:car"),
        )
        autopilot.next_start = self._next_autostart(
            charger, autopilot, whole_seconds(now), _AUTOPILOT_FIRST_GAP_MINUTES
        )
        self._autopilots[charger.id] = autopilot

    def _next_autostart(
        self,
        charger: SimCharger,
        autopilot: _Autopilot,
        after: datetime,
        gap_minutes: tuple[int, int] = _AUTOPILOT_GAP_MINUTES,
    ) -> datetime | None:
        if charger.status != "online":
            return None
        return after + self._autopilot_span(autopilot, gap_minutes)

    def _autopilot_span(self, autopilot: _Autopilot, minutes: tuple[int, int]) -> timedelta:
        """Draw a gap or duration in ``minutes``, :attr:`speed` times shorter, in whole seconds."""
        seconds = autopilot.rng.randint(*minutes) * 60 / self.speed
        return timedelta(seconds=max(1, round(seconds)))

    def _find(self, charger_id: str) -> tuple[SimAccount, SimCharger] | None:
        for account in self._accounts:
            charger = account.chargers.get(charger_id)
            if charger is not None:
                return account, charger
        return None

    def _charger_of(self, charger_id: str, token: str | None) -> tuple[SimAccount, SimCharger]:
        """Find a charger in the account of ``token``, or in any account without a token."""
        if token is not None:
            account = self.account(token)
            if charger_id in account.chargers:
                return account, account.chargers[charger_id]
        elif (found := self._find(charger_id)) is not None:
            return found
        msg = f"unknown charger {charger_id}"
        raise UnknownObjectError(msg)

    def _begin(
        self,
        account: SimAccount,
        charger: SimCharger,
        *,
        start: datetime,
        power_kw: float,
        duration: timedelta | None,
        id_tag: str | None,
        kwh: float | None,
        rng: random.Random,
        car_rng: random.Random,
    ) -> SimSession:
        """Plug a car in on ``charger``: ids from ``rng``, its TAG id (if not given) from ``car_rng``."""
        ends_at = None if duration is None else start + duration
        draw = plan_draw(
            start,
            power_kw=power_kw,
            kwh=kwh,
            unplugged=ends_at,
            schedule_start=charger.schedule_start,
        )
        session = SimSession(
            id=new_uuid(rng),
            charger_id=charger.id,
            charger_nickname=charger.nickname,
            started_at=start,
            mid_certified=charger.mid_certified,
            power_kw=draw.power_kw,
            id_tag=draw_id_tag(car_rng, charger.id_tags) if id_tag is None else id_tag,
            ends_at=ends_at,
            live=charger.reports_live,
            draws_from=draw.starts_at,
            wanted_kwh=kwh,
        )
        account.sessions.append(session)
        charger.sessions.append(session)
        charger.current_session = session
        return session

    def _finish(self, charger: SimCharger, session: SimSession, at: datetime) -> None:
        charger.finish_session(session, at)
        autopilot = self._autopilots.get(charger.id)
        if autopilot is not None:
            autopilot.next_start = self._next_autostart(charger, autopilot, whole_seconds(at))

    def _catch_up(self, now: datetime) -> None:
        """Apply every scheduled session end and autopilot start up to ``now``, in time order."""
        while (event := self._next_event(now)) is not None:
            at, account, charger = event
            if charger.current_session is not None:
                self._finish(charger, charger.current_session, at)
                continue
            autopilot = self._autopilots[charger.id]
            autopilot.next_start = None
            power = round(autopilot.rng.uniform(*_AUTOPILOT_POWER_KW), 1)
            duration = self._autopilot_span(autopilot, _AUTOPILOT_DURATION_MINUTES)
            plugged_hours = duration.total_seconds() / 3600
            share = autopilot.car_rng.uniform(*_AUTOPILOT_FULL_SHARE)
            self._begin(
                account,
                charger,
                start=at,
                power_kw=power,
                duration=duration,
                id_tag=None,
                kwh=power * plugged_hours * share,
                rng=autopilot.rng,
                car_rng=autopilot.car_rng,
            )

    def _next_event(self, now: datetime) -> tuple[datetime, SimAccount, SimCharger] | None:
        earliest: tuple[datetime, SimAccount, SimCharger] | None = None
        for account, charger, at in self._scheduled():
            if at <= now and (earliest is None or at < earliest[0]):
                earliest = (at, account, charger)
        return earliest

    def _scheduled(self) -> Iterator[tuple[SimAccount, SimCharger, datetime]]:
        """Yield each charger's next scheduled change: a session end or an autopilot start."""
        for account in self._accounts:
            for charger in account.chargers.values():
                session = charger.current_session
                if session is not None:
                    if session.ends_at is not None:
                        yield account, charger, session.ends_at
                    continue
                autopilot = self._autopilots.get(charger.id)
                if autopilot is not None and autopilot.next_start is not None:
                    yield account, charger, autopilot.next_start
