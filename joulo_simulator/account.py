"""The simulator's data model (accounts, chargers, sessions) and the default account generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
import random
import string
import uuid

from .charging import plan_draw

ERE_RENEWABLE_FRACTION = 0.505
"""Dutch grid renewable fraction for 2026 (CBS)."""
ERE_FOSSIL_REFERENCE = 0.6588
"""RED III fossil reference: 183 g CO2eq/MJ x 3.6 MJ/kWh."""

DEMO_TOKEN = "joulo_simulatordemotoken00000000000000"  # noqa: S105 - a public demo token
"""The token of the account every simulator starts with."""
GARAGE_ID = "5f0c1a2e-7b3d-4c8e-9a61-2d4f8b0e1c37"
"""The default account's Easee charger (MID, online)."""
DRIVEWAY_ID = "9b2e4d6f-1a3c-4e5b-8d7f-0c2a4e6b8d91"
"""The default account's OCPP charger (MID, online, live meter, TAG ids)."""
CARPORT_ID = "c7d9e1f3-5a7b-4c9d-a1e3-f5b7d9c1e3a5"
"""The default account's Wallbox charger (not MID, offline for a few weeks)."""
CAR_A_TAG = "DEADBEEF12345678"
"""The RFID/TAG id of car A, the lease car: it charges mostly at the Oprit, sometimes at the Garage."""
CAR_B_TAG = "C0FFEE0087654321"
"""The RFID/TAG id of car B: it charges at the Garage."""
DEFAULT_ID_TAG = CAR_A_TAG
"""The RFID/TAG id that OCPP sessions carry unless told otherwise: car A's."""
GARAGE_SCHEDULE_START = time(1, 0)
"""The Garage's charging schedule: a car plugged in there in the evening draws from 01:00 local
time (:data:`~joulo_simulator.charging.TIME_ZONE`), when its energy fits before it is unplugged."""

CONNECTION_TYPES = ("easee", "wallbox", "zaptec", "enphase", "ocpp", "smappee", "v2c", "other")
"""The documented values of a charger's ``connection_type``."""
CHARGER_STATUSES = ("online", "offline", "active")
"""The charger statuses the API was seen to return."""

HISTORY_SPAN = timedelta(days=365)
REBOOT_OFFLINE = timedelta(seconds=60)
"""How long a charger reports ``offline`` after an accepted reboot."""
REBOOT_COOLDOWN = timedelta(minutes=5)
"""How long after an accepted reboot another one is refused (409)."""
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_SECONDS_PER_HOUR = 3600.0
_ZERO_KWH_CHANCE = 0.03
_OWNERS = (
    ("Sanne de Vries", "sanne.devries"),
    ("Daan Jansen", "daan.jansen"),
    ("Emma Bakker", "emma.bakker"),
    ("Lucas Visser", "lucas.visser"),
    ("Julia Smit", "julia.smit"),
    ("Sem Meijer", "sem.meijer"),
)


def ere_credits_for(kwh: float) -> float | None:
    """Return the ERE credits of a session with ``kwh`` (None for a session without energy)."""
    if kwh <= 0:
        return None
    return round(kwh * ERE_RENEWABLE_FRACTION * ERE_FOSSIL_REFERENCE, 2)


def seeded_random(seed: int | str) -> random.Random:
    """Return a random generator that gives the same numbers for the same seed."""
    return random.Random(seed)  # noqa: S311 - a repeatable simulation, not security


def new_uuid(rng: random.Random) -> str:
    """Return a version 4 UUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_token(rng: random.Random) -> str:
    """Return an API token (``joulo_`` and 32 letters or digits) drawn from ``rng``."""
    return "joulo_" + "".join(rng.choices(_TOKEN_ALPHABET, k=32))


def whole_seconds(when: datetime) -> datetime:
    """Drop the sub-second part, as the API only shows whole seconds."""
    return when.replace(microsecond=0)


type IdTags = tuple[tuple[str, float], ...]
"""The TAG ids of the cars that charge at a charger, each with its share of the sessions."""


def draw_id_tag(rng: random.Random, id_tags: IdTags) -> str | None:
    """Draw the TAG id of a new session's car, each by its share; None when ``id_tags`` is empty."""
    if not id_tags:
        return None
    tags = [tag for tag, _ in id_tags]
    return rng.choices(tags, weights=[share for _, share in id_tags])[0]


@dataclass(eq=False)
class SimSession:
    """A charging session: active while ``ended_at`` is None, completed after."""

    id: str
    charger_id: str
    charger_nickname: str
    started_at: datetime
    mid_certified: bool
    """Whether the charger was MID certified when the session ran: the session counts for ERE (its
    ``counts_for_ere``, and in ``/energy``'s ERE totals)."""
    power_kw: float = 0.0
    """The power the car draws while it charges (from :attr:`draws_from` until it is full)."""
    ended_at: datetime | None = None
    kwh: float = 0.0
    """The final energy; while active, use :meth:`energy_at`."""
    draws_from: datetime | None = None
    """When the car starts drawing (a charger's schedule); None: at plug-in (``started_at``)."""
    wanted_kwh: float | None = None
    """The energy the car takes until it is full, then draws nothing; None: it draws until
    unplugged."""
    ere_credits: float | None = None
    id_tag: str | None = None
    ends_at: datetime | None = None
    """When an active session is scheduled to end by itself."""
    live: bool = True
    """Whether its charger reports live (OCPP); a cloud charger's sessions show at its syncs."""
    listed_started_at: datetime | None = None
    """The start the API lists instead of ``started_at``, as a charger with a wrong clock reports
    it (years ahead, say); None: the real start. Only what is listed changes, not when it shows."""
    listed_ended_at: datetime | None = None
    """The end the API lists instead of ``ended_at`` once the session has ended (before its start,
    years ahead); None: the real end."""

    @property
    def is_active(self) -> bool:
        """Whether the session is still running."""
        return self.ended_at is None

    @property
    def status(self) -> str:
        """The session status as the API reports it."""
        return "charging" if self.is_active else "completed"

    def ended_by(self, at: datetime) -> bool:
        """Whether the session had ended at ``at``."""
        return self.ended_at is not None and self.ended_at <= at

    @property
    def full_at(self) -> datetime | None:
        """When the car has its :attr:`wanted_kwh`, plugged in or not; None if it never gets full."""
        if self.wanted_kwh is None or self.power_kw <= 0:
            return None
        hours = self.wanted_kwh / self.power_kw
        return (self.draws_from or self.started_at) + timedelta(hours=hours)

    def energy_until(self, at: datetime) -> float:
        """Return the unrounded energy (kWh) delivered from the start up to ``at``, in whole seconds.

        The car draws :attr:`power_kw` from :attr:`draws_from` until it has :attr:`wanted_kwh`.
        Whole seconds, as the API's timestamps: the energy at a session's end is then never less
        than what a client saw earlier in the same second, so meters never run backwards.
        """
        until = whole_seconds(at)
        if self.ended_at is not None:
            until = min(until, self.ended_at)
        elapsed = (until - (self.draws_from or self.started_at)).total_seconds()
        drawn = self.power_kw * max(elapsed, 0.0) / _SECONDS_PER_HOUR
        if self.wanted_kwh is None:
            return drawn
        full_at = self.full_at
        if full_at is not None and until >= full_at:
            return self.wanted_kwh
        return min(drawn, self.wanted_kwh)

    def energy_at(self, at: datetime) -> float:
        """Return the energy (kWh, 2 decimals) delivered up to ``at``; the final kWh once ended."""
        if self.ended_by(at):
            return self.kwh
        return round(self.energy_until(at), 2)

    def complete(self, at: datetime) -> float:
        """End the session at ``at``; return the unrounded energy delivered."""
        at = whole_seconds(max(at, self.started_at))
        self.ended_at = at
        delivered = self.energy_until(at)
        self.kwh = round(delivered, 2)
        self.ends_at = None
        self.ere_credits = ere_credits_for(self.kwh)
        return delivered


@dataclass(frozen=True)
class SimReboot:
    """A reboot a charger accepted."""

    at: datetime
    type: str
    """``Soft`` or ``Hard``."""


@dataclass(eq=False)
class SimCharger:
    """A charger linked to an account."""

    id: str
    nickname: str
    connection_type: str
    mid_certified: bool
    status: str = "online"
    meter_wh: float | None = None
    """The meter reading without the active session; None for a charger without meter data."""
    meter_updated_at: datetime | None = None
    """When the meter was last read while idle (the end of the last session, or the link)."""
    current_session: SimSession | None = None
    sessions: list[SimSession] = field(default_factory=list)
    """Every session on the charger, oldest first (they never overlap)."""
    linked_at: datetime | None = None
    """When the charger was linked to its account; None for "before anyone looked"."""
    status_changes: list[tuple[datetime, str]] = field(default_factory=list)
    """When the status changed and what it was before, oldest first (see :meth:`status_at`)."""
    reboots: list[SimReboot] = field(default_factory=list)
    """The reboots it accepted, oldest first."""
    id_tags: IdTags = ()
    """The TAG ids of the cars that charge here, each with its share; empty: sessions carry none."""
    schedule_start: time | None = None
    """The local time from which it lets a car plugged in during the evening draw (see
    :func:`~joulo_simulator.charging.plan_draw`); None: a car draws from plug-in."""

    @property
    def is_charging(self) -> bool:
        """Whether a session is active on the charger."""
        return self.current_session is not None

    @property
    def reports_live(self) -> bool:
        """Whether the charger reports live (OCPP) rather than through a manufacturer cloud."""
        return self.connection_type == "ocpp"

    def set_status(self, status: str, at: datetime) -> None:
        """Change the connection status at ``at``, remembering the old one for :meth:`status_at`."""
        self.status_changes.append((at, self.status))
        self.status = status

    def status_at(self, at: datetime) -> str:
        """Return the connection status the charger had at ``at``."""
        return next((old for changed, old in self.status_changes if at < changed), self.status)

    def session_at(self, at: datetime) -> SimSession | None:
        """Return the session that was running at ``at``, if any."""
        for session in reversed(self.sessions):
            if session.started_at <= at:
                return None if session.ended_by(at) else session
        return None

    def rebooting(self, now: datetime) -> bool:
        """Whether the charger is still restarting after its last accepted reboot."""
        last = self.reboots[-1].at if self.reboots else None
        return last is not None and last <= now < last + REBOOT_OFFLINE

    def meter_at(self, now: datetime) -> tuple[int, datetime] | None:
        """Return the latest meter reading (Wh) and its time at ``now``, or None without a meter.

        While charging, an OCPP charger sends a reading at the start and every whole minute (its
        energy exact for its time); other chargers read every second. Idle, the meter keeps the
        reading of the last session's end.
        """
        if self.meter_wh is None or self.meter_updated_at is None:
            return None
        session = self.current_session
        if session is None or session.started_at > now:
            return int(self.meter_wh), self.meter_updated_at
        read = whole_seconds(now)
        if self.reports_live:
            read = max(session.started_at, read.replace(second=0))
        return int(self.meter_wh + session.energy_until(read) * 1000), read

    def synced_meter(self, at: datetime) -> tuple[int, datetime] | None:
        """Return the meter reading (Wh) a cloud sync at ``at`` made, or None without a meter."""
        if self.meter_wh is None or self.meter_updated_at is None:
            return None
        return int(self.meter_value_at(at)), at

    def meter_value_at(self, at: datetime) -> float:
        """Return the unrounded meter value (Wh) at ``at`` (0 for a charger without a meter)."""
        value = self.meter_wh or 0.0
        for session in reversed(self.sessions):
            if session.ended_by(at):
                break
            # meter_wh holds the energy of completed sessions; take back what came after ``at``.
            counted = 0.0 if session.ended_at is None else session.energy_until(session.ended_at)
            value += (session.energy_until(at) - counted) * 1000
        return value

    def finish_session(self, session: SimSession, at: datetime) -> None:
        """End the charger's active ``session`` at ``at``; the meter keeps its energy."""
        delivered = session.complete(at)
        if self.meter_wh is not None:
            self.meter_wh += delivered * 1000
            self.meter_updated_at = session.ended_at
        self.current_session = None


@dataclass(eq=False)
class SimAccount:
    """A Joulo account: its token, chargers and session history."""

    id: str
    email: str
    name: str
    token: str
    chargers: dict[str, SimCharger] = field(default_factory=dict)
    sessions: list[SimSession] = field(default_factory=list)
    ere_price_mid: float = 0.87
    effective_fee_pct: float = 12.5
    me_available: bool = True
    """Whether ``GET /me`` answers (404 when False)."""
    ere_position_available: bool = True
    """Whether ``GET /ere-position`` answers (404 when False)."""
    can_control: bool = True
    """Whether the account's token may control chargers (``POST /chargers/reboot``)."""


@dataclass(frozen=True)
class _ChargerPlan:
    nickname: str
    connection_type: str
    mid_certified: bool
    status: str
    power_kw: float
    sessions_per_week: float
    id_tags: IdTags = ()
    schedule_start: time | None = None
    meter_start_wh: int | None = None
    quiet_days: tuple[int, int] = (0, 0)
    """The range of days (before now) the charger has been without sessions."""


_DEFAULT_PLANS = (
    _ChargerPlan(
        "Garage",
        "easee",
        mid_certified=True,
        status="online",
        power_kw=11.0,
        sessions_per_week=3.5,
        id_tags=((CAR_B_TAG, 3.0), (CAR_A_TAG, 1.0)),
        schedule_start=GARAGE_SCHEDULE_START,
    ),
    _ChargerPlan(
        "Oprit",
        "ocpp",
        mid_certified=True,
        status="online",
        power_kw=11.0,
        sessions_per_week=2.5,
        id_tags=((CAR_A_TAG, 1.0),),
        meter_start_wh=1_250_000,
    ),
    _ChargerPlan(
        "Carport",
        "wallbox",
        mid_certified=False,
        status="offline",
        power_kw=7.4,
        sessions_per_week=2.0,
        quiet_days=(14, 35),
    ),
)


def build_account(
    rng: random.Random,
    now: datetime,
    *,
    tag_rng: random.Random,
    token: str,
    account_id: str | None = None,
    charger_ids: tuple[str, str, str] | None = None,
    empty: bool = False,
    mid_upgraded_at: datetime | None = None,
) -> SimAccount:
    """Build an account with three chargers and a year of history, or an empty one.

    With ``mid_upgraded_at``, the charger without a MID meter (the Carport) got one at that moment:
    it is MID certified now, its sessions before then do not count for ERE, those after do.
    The Garage is car B's (and sometimes car A's) and charges on its schedule, the Oprit is car A's,
    the Carport's sessions carry no TAG id. Everything random comes from ``rng``, except the cars'
    TAG ids, drawn from ``tag_rng``, so the same seeds and ``now`` give the same account.
    """
    owner_name, owner_mail = rng.choice(_OWNERS)
    account = SimAccount(
        id=account_id or new_uuid(rng),
        email=f"{owner_mail}@example.nl",
        name=owner_name,
        token=token,
    )
    if empty:
        return account
    ids = charger_ids or (new_uuid(rng), new_uuid(rng), new_uuid(rng))
    for charger_id, plan in zip(ids, _DEFAULT_PLANS, strict=True):
        charger = SimCharger(
            id=charger_id,
            nickname=plan.nickname,
            connection_type=plan.connection_type,
            mid_certified=plan.mid_certified,
            status=plan.status,
            id_tags=plan.id_tags,
            schedule_start=plan.schedule_start,
        )
        history = _history(rng, tag_rng, charger, plan, now)
        if mid_upgraded_at is not None and not plan.mid_certified:
            charger.mid_certified = True
            for session in history:
                session.mid_certified = session.started_at >= mid_upgraded_at
        charger.sessions.extend(history)
        if plan.meter_start_wh is not None:
            charger.meter_wh = plan.meter_start_wh + sum(s.kwh * 1000 for s in history)
            charger.meter_updated_at = history[-1].ended_at if history else now - HISTORY_SPAN
        account.chargers[charger.id] = charger
        account.sessions.extend(history)
    return account


def _history(
    rng: random.Random,
    tag_rng: random.Random,
    charger: SimCharger,
    plan: _ChargerPlan,
    now: datetime,
) -> list[SimSession]:
    """Return a year of completed sessions, at most one starting each evening or night.

    The car draws as :func:`~joulo_simulator.charging.plan_draw` says: most are full well before
    they are unplugged. Its TAG id comes from ``tag_rng``, so ``rng`` draws what it always drew.
    """
    first = now - HISTORY_SPAN
    last_end = now - timedelta(days=rng.randint(*plan.quiet_days))
    chance = plan.sessions_per_week / 7
    sessions: list[SimSession] = []
    day = datetime.combine(first.date(), time(), tzinfo=UTC)
    while day < now:
        # Draw for every day, even skipped ones, so each day's sessions depend only on the seed.
        wanted = rng.random() < chance
        start = day + timedelta(minutes=rng.randrange(16 * 60, 26 * 60))
        kwh = 0.0 if rng.random() < _ZERO_KWH_CHANCE else round(rng.uniform(3.0, 60.0), 2)
        shortest = max(1.0, kwh / plan.power_kw)
        duration = timedelta(minutes=round(rng.uniform(shortest, 12.0) * 60))
        if wanted and start >= first and start + duration <= last_end:
            draw = plan_draw(
                start,
                power_kw=plan.power_kw,
                kwh=kwh,
                unplugged=start + duration,
                schedule_start=plan.schedule_start,
            )
            sessions.append(
                SimSession(
                    id=new_uuid(rng),
                    charger_id=charger.id,
                    charger_nickname=charger.nickname,
                    started_at=start,
                    ended_at=start + duration,
                    mid_certified=charger.mid_certified,
                    power_kw=draw.power_kw,
                    kwh=kwh,
                    ere_credits=ere_credits_for(kwh),
                    id_tag=draw_id_tag(tag_rng, charger.id_tags),
                    live=charger.reports_live,
                    draws_from=draw.starts_at,
                    wanted_kwh=kwh,
                )
            )
        day += timedelta(days=1)
    return sessions
