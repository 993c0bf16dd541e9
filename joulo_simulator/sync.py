"""Joulo's upstream sync: cloud chargers are read from their manufacturer's cloud every 15 minutes.

Each cloud charger has its own fixed phase, derived from its id, so its syncs fall on the same
seconds past every quarter hour whenever anyone looks. Between two syncs the API shows the
charger as it was at the last one. OCPP chargers report live and have no syncs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
import hashlib
import math

SYNC_INTERVAL = timedelta(minutes=15)
"""How often Joulo reads a cloud charger."""
_INTERVAL_SECONDS = int(SYNC_INTERVAL.total_seconds())


@lru_cache(maxsize=4096)
def sync_phase(charger_id: str) -> int:
    """Return the seconds (0 to 899) past each quarter hour at which a cloud charger syncs."""
    digest = hashlib.sha256(charger_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % _INTERVAL_SECONDS


def last_sync(charger_id: str, now: datetime) -> datetime:
    """Return the time of the charger's last sync at or before ``now``."""
    phase = sync_phase(charger_id)
    syncs = (math.floor(now.timestamp()) - phase) // _INTERVAL_SECONDS
    return datetime.fromtimestamp(syncs * _INTERVAL_SECONDS + phase, UTC)


def next_sync(charger_id: str, now: datetime) -> datetime:
    """Return the time of the charger's first sync after ``now``."""
    return last_sync(charger_id, now) + SYNC_INTERVAL
