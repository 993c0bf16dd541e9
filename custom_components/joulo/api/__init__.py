"""A client of the Joulo REST API: typed models, errors and rate limiting, free of Home Assistant.

It is shipped inside the integration but imports nothing from Home Assistant, so it can be published on
its own.
"""

from .client import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    MAX_SESSIONS_LIMIT,
    JouloClient,
    format_timestamp,
)
from .errors import (
    RETRY_PAUSE,
    JouloAuthenticationError,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
    retry_pause,
)
from .gate import RateLimitGate
from .models import (
    Account,
    Charger,
    ChargerStatus,
    ConnectionType,
    CurrentSession,
    Energy,
    EreAmount,
    EreNetByStatus,
    ErePosition,
    EreQuarter,
    EreUnsold,
    EstimateBasis,
    ForecastConfidence,
    MonthlyEnergy,
    RebootResult,
    Session,
    SessionPage,
    SessionStatus,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "MAX_SESSIONS_LIMIT",
    "RETRY_PAUSE",
    "Account",
    "Charger",
    "ChargerStatus",
    "ConnectionType",
    "CurrentSession",
    "Energy",
    "EreAmount",
    "EreNetByStatus",
    "ErePosition",
    "EreQuarter",
    "EreUnsold",
    "EstimateBasis",
    "ForecastConfidence",
    "JouloAuthenticationError",
    "JouloClient",
    "JouloConnectionError",
    "JouloError",
    "JouloRateLimitedError",
    "JouloResponseError",
    "MonthlyEnergy",
    "RateLimitGate",
    "RebootResult",
    "Session",
    "SessionPage",
    "SessionStatus",
    "format_timestamp",
    "retry_pause",
]
