"""The base of the sensors of a month's or a year's figure, which start again at the period's start."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util

from .data import period_signal
from .entity import JouloCoordinatorEntity
from .periods import Period, period_start

CURRENCY_EUR = "EUR"


class JouloPeriodSensor(JouloCoordinatorEntity[Any], SensorEntity):
    """A sensor that may show a figure of this month or year (`_period`), one that starts again.

    Such a figure is `total`, with `last_reset` at the local start of its period, and it writes its
    new state as a period starts (the refresh pipeline says when), though no data changed.
    """

    _period: Period | None = None

    async def async_added_to_hass(self) -> None:
        """Hear when a period starts, for a figure of one."""
        await super().async_added_to_hass()
        if self._period is not None:
            self.async_on_remove(
                async_dispatcher_connect(
                    self.hass,
                    period_signal(self.coordinator.config_entry.entry_id),
                    self._handle_coordinator_update,
                )
            )

    @property
    def last_reset(self) -> datetime | None:
        """The start of this period, in Home Assistant's time zone; None for other figures."""
        if self._period is None:
            return None
        return period_start(dt_util.utcnow(), self._period, dt_util.get_default_time_zone())
