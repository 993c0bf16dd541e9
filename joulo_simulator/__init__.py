"""A simulator of the Joulo REST API, for tests, benchmarks and demos.

    sim = JouloSimulator(ManualClock(start))          # no clock: real time; HA tests: dt_util.utcnow
    async with SimulatorServer(sim) as server:         # server.base_url, token DEMO_TOKEN
        sim.start_session(GARAGE_ID, power_kw=11)
        sim.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=503)
        sim.faults.add_random({FaultKind.HTTP_ERROR: 0.05, FaultKind.HANG: 0.01}, seed=1)

``python -m joulo_simulator`` runs it alone (see ``--help``).
"""

from .account import (
    CAR_A_TAG,
    CAR_B_TAG,
    CARPORT_ID,
    DEFAULT_ID_TAG,
    DEMO_TOKEN,
    DRIVEWAY_ID,
    ERE_FOSSIL_REFERENCE,
    ERE_RENEWABLE_FRACTION,
    GARAGE_ID,
    REBOOT_COOLDOWN,
    REBOOT_OFFLINE,
    SimAccount,
    SimCharger,
    SimReboot,
    SimSession,
    ere_credits_for,
)
from .app import ADMIN_PATH, API_PATH, create_app
from .clock import Clock, ManualClock, system_clock
from .faults import Fault, FaultKind, FaultSet, Outage, RandomFaults
from .ratelimit import RateLimit
from .server import SimulatorServer
from .simulator import (
    DEFAULT_RATE_LIMIT,
    REBOOT_TYPES,
    ChargerOfflineError,
    JouloSimulator,
    RebootCooldownError,
    RecordedRequest,
    SimulatorStateError,
    UnknownObjectError,
)

__all__ = [
    "ADMIN_PATH",
    "API_PATH",
    "CARPORT_ID",
    "CAR_A_TAG",
    "CAR_B_TAG",
    "DEFAULT_ID_TAG",
    "DEFAULT_RATE_LIMIT",
    "DEMO_TOKEN",
    "DRIVEWAY_ID",
    "ERE_FOSSIL_REFERENCE",
    "ERE_RENEWABLE_FRACTION",
    "GARAGE_ID",
    "REBOOT_COOLDOWN",
    "REBOOT_OFFLINE",
    "REBOOT_TYPES",
    "ChargerOfflineError",
    "Clock",
    "Fault",
    "FaultKind",
    "FaultSet",
    "JouloSimulator",
    "ManualClock",
    "Outage",
    "RandomFaults",
    "RateLimit",
    "RebootCooldownError",
    "RecordedRequest",
    "SimAccount",
    "SimCharger",
    "SimReboot",
    "SimSession",
    "SimulatorServer",
    "SimulatorStateError",
    "UnknownObjectError",
    "create_app",
    "ere_credits_for",
    "system_clock",
]
