"""The sensors of what charging cost and of each vehicle: the sensor platform adds them.

Per charger its last session's cost and this month's; per account this month's cost, net cost and net
price (only with a price source in the options); per vehicle its sessions of this month and its
last session (kWh, cost, ERE value, reimbursement).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Charger
from .coordinator import JouloConfigEntry, JouloCoordinator
from .cost import CostSums, SessionCost
from .data import TOTALS, SessionsData, costs_signal
from .entity import (
    JouloAccountEntity,
    JouloChargerEntity,
    JouloVehicleEntity,
    async_add_charger_entities,
    async_add_vehicle_entities,
)
from .ere import ere_value
from .period_sensor import CURRENCY_EUR, JouloPeriodSensor
from .periods import Period
from .session_costs import SessionCosts
from .vehicles import (
    KeptSession,
    Reimbursement,
    Vehicle,
    VehicleFigures,
    sessions_of,
    vehicle_figures,
)

UNIT_EUR_PER_KWH = f"EUR/{UnitOfEnergy.KILO_WATT_HOUR}"
EUROS: Mapping[str, Any] = MappingProxyType(
    {
        "device_class": SensorDeviceClass.MONETARY,
        "native_unit_of_measurement": CURRENCY_EUR,
        "state_class": SensorStateClass.TOTAL,
        "suggested_display_precision": 2,
    }
)
"""What every sensor of an amount of euros is: monetary, in EUR, a total, shown to the cent."""


@dataclass(frozen=True, kw_only=True)
class JouloAccountCostSensorDescription(SensorEntityDescription):
    """A sensor of what the account's sessions of this month cost."""

    value_fn: Callable[[CostSums], float | None]
    period: Period | None = None


@dataclass(frozen=True, kw_only=True)
class JouloVehicleSensorDescription(SensorEntityDescription):
    """A sensor of a vehicle: of its sessions this month, or of its last session."""

    value_fn: Callable[[VehicleFigures, KeptSession | None], float | None]
    period: Period | None = None
    wanted_fn: Callable[[Vehicle], bool] = lambda _: True


LAST_SESSION_COST = SensorEntityDescription(
    key="last_session_cost",
    translation_key="last_session_cost",
    **EUROS,
)

CHARGER_COST_THIS_MONTH = SensorEntityDescription(
    key="charging_cost_this_month",
    translation_key="charging_cost_this_month",
    **EUROS,
)

ACCOUNT_COST_SENSORS: tuple[JouloAccountCostSensorDescription, ...] = (
    JouloAccountCostSensorDescription(
        key="charging_cost_this_month",
        translation_key="charging_cost_this_month",
        **EUROS,
        period=Period.MONTH,
        value_fn=lambda sums: sums.cost_eur,
    ),
    JouloAccountCostSensorDescription(
        key="net_charging_cost_this_month",
        translation_key="net_charging_cost_this_month",
        **EUROS,
        period=Period.MONTH,
        value_fn=lambda sums: sums.net_cost_eur,
    ),
    JouloAccountCostSensorDescription(
        key="net_price_this_month",
        translation_key="net_price_this_month",
        native_unit_of_measurement=UNIT_EUR_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda sums: sums.net_price_per_kwh,
    ),
)

VEHICLE_SENSORS: tuple[JouloVehicleSensorDescription, ...] = (
    JouloVehicleSensorDescription(
        key="vehicle_energy_this_month",
        translation_key="vehicle_energy_this_month",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        period=Period.MONTH,
        value_fn=lambda month, _: month.kwh,
    ),
    JouloVehicleSensorDescription(
        key="vehicle_last_session_energy",
        translation_key="vehicle_last_session_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda _, last: None if last is None else last.kwh,
    ),
    JouloVehicleSensorDescription(
        key="vehicle_last_session_cost",
        translation_key="vehicle_last_session_cost",
        **EUROS,
        value_fn=lambda _, last: None if last is None or last.cost is None else last.cost.cost_eur,
    ),
    JouloVehicleSensorDescription(
        key="vehicle_charging_cost_this_month",
        translation_key="vehicle_charging_cost_this_month",
        **EUROS,
        period=Period.MONTH,
        value_fn=lambda month, _: month.cost_eur,
    ),
    JouloVehicleSensorDescription(
        key="vehicle_ere_value_this_month",
        translation_key="vehicle_ere_value_this_month",
        **EUROS,
        period=Period.MONTH,
        value_fn=lambda month, _: month.ere_value_eur,
    ),
    JouloVehicleSensorDescription(
        key="vehicle_reimbursement_this_month",
        translation_key="vehicle_reimbursement_this_month",
        **EUROS,
        period=Period.MONTH,
        value_fn=lambda month, _: month.reimbursement_eur,
        wanted_fn=lambda vehicle: vehicle.reimbursement is not Reimbursement.NONE,
    ),
)


class JouloCostSensor(JouloPeriodSensor):
    """A sensor of session costs: it also writes when costs change (the refresh pipeline says so)."""

    @property
    def _costs(self) -> SessionCosts:
        """The entry's kept sessions and their costs."""
        costs: SessionCosts = self.coordinator.config_entry.runtime_data.costs
        return costs

    async def async_added_to_hass(self) -> None:
        """Also hear when costs change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                costs_signal(self.coordinator.config_entry.entry_id),
                self._handle_coordinator_update,
            )
        )


class JouloLastSessionCostSensor(
    JouloChargerEntity[JouloCoordinator[SessionsData]], JouloCostSensor
):
    """What a charger's newest completed session cost; unknown until it is priced, or priceless."""

    def _cost(self) -> SessionCost | None:
        session = self.coordinator.data.last_completed.get(self.charger_id)
        priced = None if session is None else self._costs.of(session.id)
        return None if priced is None else priced.cost

    @property
    def native_value(self) -> float | None:
        """The session's cost in EUR."""
        cost = self._cost()
        return None if cost is None else cost.cost_eur

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Its price per kWh, its cost net of its ERE, how its hours were found, hours unpriced."""
        if (cost := self._cost()) is None:
            return None
        return {
            "price_per_kwh": cost.price_per_kwh,
            "net_cost": cost.net_cost_eur,
            "basis": cost.basis,
            "missing_hours": [hour.isoformat() for hour in cost.missing_hours],
        }


class JouloChargerCostThisMonthSensor(
    JouloChargerEntity[JouloCoordinator[SessionsData]], JouloCostSensor
):
    """What a charger's completed sessions that started this month cost (those priced)."""

    _period = Period.MONTH

    @property
    def native_value(self) -> float:
        """The cost in EUR."""
        return self._costs.month_sums(self.charger_id).cost_eur

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """How many sessions started this month, and how many of them are priced."""
        sums = self._costs.month_sums(self.charger_id)
        return {"sessions": sums.sessions, "sessions_priced": sums.sessions_priced}


class JouloAccountCostSensor(JouloAccountEntity[JouloCoordinator[SessionsData]], JouloCostSensor):
    """A sensor of what the account's sessions that started this month cost."""

    entity_description: JouloAccountCostSensorDescription

    def __init__(
        self,
        coordinator: JouloCoordinator[SessionsData],
        description: JouloAccountCostSensorDescription,
    ) -> None:
        """Create the sensor `description` describes."""
        super().__init__(coordinator, description)
        self._period = description.period

    @property
    def native_value(self) -> float | None:
        """The account's figure of this month."""
        return self.entity_description.value_fn(self._costs.month_sums())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """How many sessions started this month, and how many of them are priced."""
        sums = self._costs.month_sums()
        return {"sessions": sums.sessions, "sessions_priced": sums.sessions_priced}


class JouloVehicleSensor(JouloVehicleEntity[JouloCoordinator[SessionsData]], JouloCostSensor):
    """A sensor of a vehicle's sessions: those that started this month, or its last one.

    They are the kept sessions whose TAG id (or, without one, charger) is the vehicle's; it writes
    when they or their costs change, when the vehicle is changed, and as a month starts.
    """

    entity_description: JouloVehicleSensorDescription

    def __init__(
        self,
        coordinator: JouloCoordinator[SessionsData],
        vehicle: Vehicle,
        description: JouloVehicleSensorDescription,
    ) -> None:
        """Create the sensor `description` describes for `vehicle`."""
        super().__init__(coordinator, vehicle, description, context=TOTALS)
        self._period = description.period

    async def async_added_to_hass(self) -> None:
        """Also follow the account's ERE price."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._runtime.energy.async_add_listener(self._handle_coordinator_update, TOTALS)
        )

    @property
    def native_value(self) -> float | None:
        """The vehicle's figure."""
        runtime = self._runtime
        vehicle = self.vehicle
        kept = self._costs
        last = sessions_of(vehicle, runtime.vehicles, kept.kept())
        figures = vehicle_figures(
            vehicle,
            sessions_of(vehicle, runtime.vehicles, kept.this_month()),
            priced=kept.priced,
            ere_value=lambda credits_: ere_value(credits_, runtime.ere_price),
        )
        return self.entity_description.value_fn(figures, last[-1] if last else None)


@callback
def async_add_cost_sensors(
    entry: JouloConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the account's and chargers' cost sensors (with a price source), and the vehicles'."""
    runtime = entry.runtime_data
    if runtime.costs.priced:  # only with a price source in the options
        async_add_entities(
            JouloAccountCostSensor(runtime.sessions, description)
            for description in ACCOUNT_COST_SENSORS
        )
        for description, sensor in (
            (LAST_SESSION_COST, JouloLastSessionCostSensor),
            (CHARGER_COST_THIS_MONTH, JouloChargerCostThisMonthSensor),
        ):
            async_add_charger_entities(
                entry,
                async_add_entities,
                (description,),
                partial(_charger_cost_sensor, sensor, runtime.sessions),
            )
    async_add_vehicle_entities(
        entry,
        async_add_entities,
        VEHICLE_SENSORS,
        lambda vehicle, description: JouloVehicleSensor(runtime.sessions, vehicle, description),
        lambda vehicle, description: description.wanted_fn(vehicle),
    )


def _charger_cost_sensor(
    sensor: type[JouloLastSessionCostSensor | JouloChargerCostThisMonthSensor],
    sessions: JouloCoordinator[SessionsData],
    _chargers: object,
    charger: Charger,
    description: SensorEntityDescription,
) -> JouloLastSessionCostSensor | JouloChargerCostThisMonthSensor:
    """A charger's cost sensor, fed by the sessions coordinator (and the costs)."""
    return sensor(sessions, charger, description)
