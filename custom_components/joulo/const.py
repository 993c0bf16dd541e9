"""Constants of the Joulo integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "joulo"
LOGGER = logging.getLogger(__package__)

SESSIONS_INTERVAL: Final = timedelta(seconds=600)
ENERGY_INTERVAL: Final = timedelta(seconds=3600)

# Charger entities keep their last state while `/chargers` fails, until its last good answer is this
# old (the sessions and energy entities, until their coordinator's second failed refresh in a row).
CHARGERS_RIDE_OUT: Final = timedelta(minutes=5)

# A charger missing from every `/chargers` answer for this long has left the account: its device and
# entities go. One that is listed again before keeps them.
CHARGER_GONE_AFTER: Final = timedelta(minutes=5)

# Sessions ending one after another on a large account refresh the totals at most this often.
ENERGY_REFRESH_COOLDOWN: Final = timedelta(minutes=5)

# How long a session that left a charger is looked for in /sessions on every chargers poll.
FINISHED_SESSION_WATCH: Final = timedelta(minutes=30)

ACCOUNT_DEVICE_NAME: Final = "Joulo"
MANUFACTURER: Final = "Joulo"
