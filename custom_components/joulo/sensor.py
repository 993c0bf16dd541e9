"""Sensors of the Joulo integration: per charger, per charger's last session, and per account."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api import Charger, ChargerStatus, ErePosition, ForecastConfidence, Session
from .const import LOGGER
from .coordinator import JouloConfigEntry, JouloCoordinator
from .cost import CostSums, SessionCost
from .data import (
    ERE_POSITION,
    TOTALS,
    ChargersData,
    EnergyData,
    SessionsData,
    costs_signal,
    missed_signal,
    period_signal,
)
from .entity import (
    JouloAccountEntity,
    JouloChargerEntity,
    JouloChargersPollEntity,
    JouloCoordinatorEntity,
    async_add_charger_entities,
    async_register_entity_adder,
)
from .ere import SessionEre, charger_counts_for_ere, ere_price, ere_value
from .periods import Period, period_start
from .session_costs import SessionCosts

# Coordinators do all the I/O; entities only read their data.
PARALLEL_UPDATES = 0

UNIT_ERE = "ERE"
UNIT_EUR_PER_ERE = "EUR/ERE"
UNIT_EUR_PER_KWH = f"EUR/{UnitOfEnergy.KILO_WATT_HOUR}"
CURRENCY_EUR = "EUR"


@dataclass(frozen=True, kw_only=True)
class JouloChargerSensorDescription(SensorEntityDescription):
    """A sensor of what the chargers poll says of a charger."""

    value_fn: Callable[[Charger], StateType | datetime]
    exists_fn: Callable[[Charger], bool] = lambda _: True


@dataclass(frozen=True, kw_only=True)
class JouloLastSessionSensorDescription(SensorEntityDescription):
    """A sensor of a charger's newest completed session (and of what it earned)."""

    value_fn: Callable[[Session, SessionEre], StateType | datetime]
    attributes_fn: Callable[[SessionEre], Mapping[str, Any]] | None = None
    # What it earned depends on the charger's MID flags and the price too, not on the session only.
    uses_ere: bool = False


@dataclass(frozen=True, kw_only=True)
class JouloAccountSensorDescription(SensorEntityDescription):
    """A sensor of the account's totals."""

    value_fn: Callable[[EnergyData], StateType]
    # Needs `/me`: unavailable, rather than unknown, while the account cannot be read.
    requires_account: bool = False
    # A figure of this period only (`total`): it starts again at the period's local start.
    period: Period | None = None
    exists_fn: Callable[[EnergyData], bool] = lambda _: True


@dataclass(frozen=True, kw_only=True)
class JouloAccountCostSensorDescription(SensorEntityDescription):
    """A sensor of what the account's sessions of this month cost."""

    value_fn: Callable[[CostSums], float | None]
    period: Period | None = None


@dataclass(frozen=True, kw_only=True)
class JouloErePositionSensorDescription(SensorEntityDescription):
    """A sensor of the account's ERE position (`/ere-position`) in the current compliance year."""

    value_fn: Callable[[ErePosition], StateType]
    attributes_fn: Callable[[ErePosition], Mapping[str, Any]] | None = None


def _ere_value(data: EnergyData) -> float | None:
    """Net euro value of all ERE credits, as the Joulo dashboard computes it."""
    credits_ = data.energy.total_ere_credits
    return None if credits_ is None else ere_value(credits_, ere_price(None, data.account))


def _this_month(data: EnergyData) -> tuple[float | None, float | None, float | None]:
    """This month's kWh (ERE and all) and ERE credits: 0 when the API lists no entry for it yet."""
    entry = data.energy.month(dt_util.now().date())
    if entry is None:
        return 0.0, 0.0, 0.0
    return entry.kwh, entry.ere_credits, entry.kwh_all or 0.0


CHARGER_SENSORS: tuple[JouloChargerSensorDescription, ...] = (
    JouloChargerSensorDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ChargerStatus],
        value_fn=lambda charger: charger.status,
    ),
    JouloChargerSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        # 0 when idle; unknown (not 0) while a session runs without `kwh_so_far`, as a drop to 0 would
        # count as a meter reset and add the whole session again to the long-term statistics.
        value_fn=lambda charger: (
            charger.current_session.kwh_so_far if charger.current_session else 0.0
        ),
    ),
    JouloChargerSensorDescription(
        key="session_started",
        translation_key="session_started",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda charger: (
            charger.current_session.started_at if charger.current_session else None
        ),
    ),
    JouloChargerSensorDescription(
        key="active_tag_id",
        translation_key="active_tag_id",
        value_fn=lambda charger: (
            charger.current_session.id_tag if charger.current_session else None
        ),
    ),
    JouloChargerSensorDescription(
        key="energy_meter",
        translation_key="energy_meter",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        exists_fn=lambda charger: charger.latest_meter_wh is not None,
        value_fn=lambda charger: (
            None if charger.latest_meter_wh is None else charger.latest_meter_wh / 1000
        ),
    ),
    JouloChargerSensorDescription(
        key="meter_updated",
        translation_key="meter_updated",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=lambda charger: charger.latest_meter_wh is not None,
        value_fn=lambda charger: charger.meter_updated_at,
    ),
)

CHARGING_POWER = SensorEntityDescription(
    key="charging_power",
    translation_key="charging_power",
    device_class=SensorDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)

LAST_SESSION_SENSORS: tuple[JouloLastSessionSensorDescription, ...] = (
    JouloLastSessionSensorDescription(
        key="last_session_energy",
        translation_key="last_session_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda session, _: session.kwh,
    ),
    JouloLastSessionSensorDescription(
        key="last_session_ere_credits",
        translation_key="last_session_ere_credits",
        native_unit_of_measurement=UNIT_ERE,
        suggested_display_precision=2,
        uses_ere=True,
        value_fn=lambda _, ere: ere.credits,
        attributes_fn=lambda ere: {"counts_for_ere": ere.counts},
    ),
    JouloLastSessionSensorDescription(
        key="last_session_ere_value",
        translation_key="last_session_ere_value",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=CURRENCY_EUR,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        uses_ere=True,
        value_fn=lambda _, ere: ere.value,
    ),
    JouloLastSessionSensorDescription(
        key="last_session_ended",
        translation_key="last_session_ended",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda session, _: session.ended_at,
    ),
)

LAST_SESSION_COST = SensorEntityDescription(
    key="last_session_cost",
    translation_key="last_session_cost",
    device_class=SensorDeviceClass.MONETARY,
    native_unit_of_measurement=CURRENCY_EUR,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
)

CHARGER_COST_THIS_MONTH = SensorEntityDescription(
    key="charging_cost_this_month",
    translation_key="charging_cost_this_month",
    device_class=SensorDeviceClass.MONETARY,
    native_unit_of_measurement=CURRENCY_EUR,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
)

ACCOUNT_COST_SENSORS: tuple[JouloAccountCostSensorDescription, ...] = (
    JouloAccountCostSensorDescription(
        key="charging_cost_this_month",
        translation_key="charging_cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=CURRENCY_EUR,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        period=Period.MONTH,
        value_fn=lambda sums: sums.cost_eur,
    ),
    JouloAccountCostSensorDescription(
        key="net_charging_cost_this_month",
        translation_key="net_charging_cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=CURRENCY_EUR,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
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

ERE_MISSED_THIS_YEAR = SensorEntityDescription(
    key="ere_missed_this_year",
    translation_key="ere_missed_this_year",
    device_class=SensorDeviceClass.MONETARY,
    native_unit_of_measurement=CURRENCY_EUR,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
)

ACCOUNT_SENSORS: tuple[JouloAccountSensorDescription, ...] = (
    JouloAccountSensorDescription(
        key="total_energy",
        translation_key="total_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda data: data.energy.total_kwh,
    ),
    JouloAccountSensorDescription(
        key="total_ere_credits",
        translation_key="total_ere_credits",
        native_unit_of_measurement=UNIT_ERE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda data: data.energy.total_ere_credits,
    ),
    JouloAccountSensorDescription(
        key="total_sessions",
        translation_key="total_sessions",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.energy.total_sessions,
    ),
    JouloAccountSensorDescription(
        key="energy_this_month",
        translation_key="energy_this_month",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL,
        period=Period.MONTH,
        suggested_display_precision=2,
        value_fn=lambda data: _this_month(data)[0],
    ),
    JouloAccountSensorDescription(
        key="ere_credits_this_month",
        translation_key="ere_credits_this_month",
        native_unit_of_measurement=UNIT_ERE,
        state_class=SensorStateClass.TOTAL,
        period=Period.MONTH,
        suggested_display_precision=2,
        value_fn=lambda data: _this_month(data)[1],
    ),
    JouloAccountSensorDescription(
        key="total_energy_all",
        translation_key="total_energy_all",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        exists_fn=lambda data: data.energy.total_kwh_all is not None,
        value_fn=lambda data: data.energy.total_kwh_all,
    ),
    JouloAccountSensorDescription(
        key="energy_this_month_all",
        translation_key="energy_this_month_all",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL,
        period=Period.MONTH,
        suggested_display_precision=2,
        exists_fn=lambda data: data.energy.total_kwh_all is not None,
        value_fn=lambda data: _this_month(data)[2],
    ),
    JouloAccountSensorDescription(
        key="ere_value",
        translation_key="ere_value",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=CURRENCY_EUR,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        requires_account=True,
        value_fn=_ere_value,
    ),
    JouloAccountSensorDescription(
        key="ere_price",
        translation_key="ere_price",
        native_unit_of_measurement=UNIT_EUR_PER_ERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        requires_account=True,
        value_fn=lambda data: data.account.ere_price_mid if data.account else None,
    ),
    JouloAccountSensorDescription(
        key="platform_fee",
        translation_key="platform_fee",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        requires_account=True,
        value_fn=lambda data: data.account.effective_fee_pct if data.account else None,
    ),
)


def _current_quarter_attributes(position: ErePosition) -> Mapping[str, Any]:
    quarter = position.current_quarter
    if quarter is None:
        return {}
    return {
        "quarter": quarter.quarter,
        "ere": quarter.ere,
        "sold_ere": quarter.sold_ere,
        "unsold_ere": quarter.unsold_ere,
        "price_per_ere": quarter.price_per_ere,
    }


def _known_confidence(position: ErePosition) -> str | None:
    """The forecast confidence; a value this version does not know reads unknown."""
    value = position.forecast_confidence
    return value if value in ForecastConfidence.__members__.values() else None


def _ere_money(
    key: str, value_fn: Callable[[ErePosition], StateType]
) -> JouloErePositionSensorDescription:
    """A sensor of net euros from the ERE position."""
    return JouloErePositionSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=CURRENCY_EUR,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=value_fn,
    )


def _ere_figure(
    key: str,
    unit: str,
    value_fn: Callable[[ErePosition], StateType],
    *,
    entity_category: EntityCategory | None = None,
    attributes_fn: Callable[[ErePosition], Mapping[str, Any]] | None = None,
) -> JouloErePositionSensorDescription:
    """A measured figure (ERE, or a price per ERE) from the ERE position."""
    return JouloErePositionSensorDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=unit,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=entity_category,
        suggested_display_precision=2,
        value_fn=value_fn,
        attributes_fn=attributes_fn,
    )


ERE_POSITION_SENSORS: tuple[JouloErePositionSensorDescription, ...] = (
    _ere_money("ere_paid", lambda position: position.paid.net_eur if position.paid else None),
    _ere_money(
        "ere_payable", lambda position: position.payable.net_eur if position.payable else None
    ),
    _ere_money(
        "ere_reserved", lambda position: position.reserved.net_eur if position.reserved else None
    ),
    _ere_money(
        "ere_unsold_forecast",
        lambda position: position.unsold.forecast_net_eur if position.unsold else None,
    ),
    _ere_money("ere_expected_this_year", lambda position: position.ytd_expected_eur),
    _ere_money("ere_expected_total", lambda position: position.total_expected_eur),
    _ere_figure("ere_pending", UNIT_ERE, lambda position: position.pending_ere),
    _ere_figure("ere_allocatable", UNIT_ERE, lambda position: position.allocatable_ere),
    _ere_figure(
        "ere_indicative_price",
        UNIT_EUR_PER_ERE,
        lambda position: position.indicative_price_per_ere,
        attributes_fn=lambda position: {
            "quarters": [asdict(quarter) for quarter in position.quarters]
        },
    ),
    _ere_figure(
        "ere_realized_price",
        UNIT_EUR_PER_ERE,
        lambda position: position.realized_avg_price,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    JouloErePositionSensorDescription(
        key="ere_current_quarter",
        translation_key="ere_current_quarter",
        native_unit_of_measurement=CURRENCY_EUR,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=2,
        value_fn=lambda position: (
            quarter.realized_net_eur if (quarter := position.current_quarter) else None
        ),
        attributes_fn=_current_quarter_attributes,
    ),
    JouloErePositionSensorDescription(
        key="ere_forecast_confidence",
        translation_key="ere_forecast_confidence",
        device_class=SensorDeviceClass.ENUM,
        options=[confidence.value for confidence in ForecastConfidence],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_known_confidence,
    ),
    JouloErePositionSensorDescription(
        key="ere_compliance_year",
        translation_key="ere_compliance_year",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda position: position.compliance_year,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of an account and of each of its chargers."""
    runtime = entry.runtime_data
    account_sensors_added: set[str] = set()

    def add_account_sensors() -> None:
        """Add the account's sensors, those of the `*_all` totals once `/energy` gives them."""
        new = [
            description
            for description in ACCOUNT_SENSORS
            if description.key not in account_sensors_added
            and description.exists_fn(runtime.energy.data)
        ]
        account_sensors_added.update(description.key for description in new)
        if new:
            async_add_entities(
                JouloAccountSensor(runtime.energy, description) for description in new
            )

    add_account_sensors()
    async_register_entity_adder(entry, add_account_sensors)

    position_sensors_added = False

    def add_position_sensors() -> None:
        """Add the ERE position's sensors once the account's `/ere-position` has answered."""
        nonlocal position_sensors_added
        if position_sensors_added or runtime.energy.data.ere_position is None:
            return
        position_sensors_added = True
        async_add_entities(
            JouloErePositionSensor(runtime.energy, description, context=ERE_POSITION)
            for description in ERE_POSITION_SENSORS
        )

    add_position_sensors()
    async_register_entity_adder(entry, add_position_sensors)

    def create_charger_sensor(
        coordinator: JouloCoordinator[ChargersData],
        charger: Charger,
        description: JouloChargerSensorDescription,
    ) -> JouloChargerSensor | None:
        if not description.exists_fn(charger):
            return None
        return JouloChargerSensor(coordinator, charger, description)

    async_add_charger_entities(entry, async_add_entities, CHARGER_SENSORS, create_charger_sensor)
    async_add_charger_entities(
        entry, async_add_entities, (CHARGING_POWER,), JouloChargingPowerSensor
    )
    async_add_charger_entities(
        entry,
        async_add_entities,
        LAST_SESSION_SENSORS,
        lambda _, charger, description: JouloLastSessionSensor(entry, charger, description),
    )
    if (costs := runtime.costs) is not None:  # only with a price source in the options
        async_add_entities(
            JouloAccountCostSensor(runtime.sessions, costs, description)
            for description in ACCOUNT_COST_SENSORS
        )
        async_add_charger_entities(
            entry,
            async_add_entities,
            (LAST_SESSION_COST,),
            lambda _, charger, description: JouloLastSessionCostSensor(
                runtime.sessions, costs, charger, description
            ),
        )
        async_add_charger_entities(
            entry,
            async_add_entities,
            (CHARGER_COST_THIS_MONTH,),
            lambda _, charger, description: JouloChargerCostThisMonthSensor(
                runtime.sessions, costs, charger, description
            ),
        )
    if runtime.reads_history:  # what chargers without MID missed comes from the session history
        async_add_charger_entities(
            entry,
            async_add_entities,
            (ERE_MISSED_THIS_YEAR,),
            lambda _, charger, description: (
                None
                if charger_counts_for_ere(charger)
                else JouloEreMissedSensor(entry, charger, description)
            ),
        )


class JouloChargerSensor(JouloChargersPollEntity, SensorEntity):
    """A sensor of what the chargers poll says of a charger."""

    entity_description: JouloChargerSensorDescription

    def __init__(
        self,
        coordinator: JouloCoordinator[ChargersData],
        charger: Charger,
        description: JouloChargerSensorDescription,
    ) -> None:
        """Create the sensor; unknown enum values are reported once each."""
        super().__init__(coordinator, charger, description)
        self._reported_unknown: set[str] = set()

    @property
    def native_value(self) -> StateType | datetime:
        """The charger's value; an enum value this version does not know reads unknown."""
        value = self.entity_description.value_fn(self.charger)
        options = self.entity_description.options
        if options is None or value is None or value in options:
            return value
        if value not in self._reported_unknown:
            self._reported_unknown.add(str(value))
            LOGGER.warning(
                "Charger %s reports %s %r, which this integration does not know yet",
                self.charger_id,
                self.entity_description.key,
                value,
            )
        return None


class JouloChargingPowerSensor(JouloChargersPollEntity, SensorEntity):
    """The average power of a charger's running session between its last two readings; 0 when idle.

    For cloud chargers the readings are Joulo's syncs (about every 15 minutes), so this is the
    average over the last sync interval, not an instantaneous value.
    """

    @property
    def native_value(self) -> float | None:
        """The power in W; unknown until the running session has two readings."""
        if not self.charger.is_charging:
            return 0.0
        return self.coordinator.data.power.get(self.charger_id)


class JouloLastSessionSensor(JouloChargerEntity[JouloCoordinator[SessionsData]], SensorEntity):
    """A sensor of a charger's newest completed session; unknown until it has one.

    What the session earned also follows the charger (its MID flags) and the account (its price).
    """

    entity_description: JouloLastSessionSensorDescription

    def __init__(
        self,
        entry: JouloConfigEntry,
        charger: Charger,
        description: JouloLastSessionSensorDescription,
    ) -> None:
        """Create the sensor of `charger`'s last session."""
        super().__init__(entry.runtime_data.sessions, charger, description)
        self._runtime = entry.runtime_data

    async def async_added_to_hass(self) -> None:
        """Also hear of the charger's and the account's changes, when what it shows depends on them."""
        await super().async_added_to_hass()
        if self.entity_description.uses_ere:
            runtime = self._runtime
            self.async_on_remove(
                runtime.chargers.async_add_listener(
                    self._handle_coordinator_update, self.charger_id
                )
            )
            self.async_on_remove(
                runtime.energy.async_add_listener(self._handle_coordinator_update, TOTALS)
            )

    def _session(self) -> tuple[Session, SessionEre] | None:
        session = self.coordinator.data.last_completed.get(self.charger_id)
        if session is None:
            return None
        return session, self._runtime.ere_of(session)

    @property
    def native_value(self) -> StateType | datetime:
        """The value of the charger's newest completed session."""
        found = self._session()
        return None if found is None else self.entity_description.value_fn(*found)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Whether the session counts for ERE, for the sensor of its credits."""
        attributes_fn = self.entity_description.attributes_fn
        found = self._session()
        if attributes_fn is None or found is None:
            return None
        return attributes_fn(found[1])


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


class JouloEreMissedSensor(JouloChargerEntity[JouloCoordinator[SessionsData]], JouloPeriodSensor):
    """What a charger without MID would have earned this year: the net euros of its ERE credits.

    Its completed sessions of this calendar year that did not count are tallied as the session
    history is read and after each sessions refresh; 0 while it has none, and from 1 January on.
    """

    _period = Period.YEAR

    def __init__(
        self, entry: JouloConfigEntry, charger: Charger, description: SensorEntityDescription
    ) -> None:
        """Create the sensor of `charger`."""
        super().__init__(entry.runtime_data.sessions, charger, description)
        self._runtime = entry.runtime_data

    async def async_added_to_hass(self) -> None:
        """Also follow the tally and the account's price."""
        await super().async_added_to_hass()
        runtime = self._runtime
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                missed_signal(self.coordinator.config_entry.entry_id),
                self._handle_coordinator_update,
            )
        )
        self.async_on_remove(
            runtime.energy.async_add_listener(self._handle_coordinator_update, TOTALS)
        )

    def _tally(self) -> tuple[float, float, int] | None:
        """kWh, ERE credits and sessions missed this year; None until the history is read."""
        missed = self._runtime.missed_this_year
        if missed is None:
            return None
        tally = missed.get(self.charger_id)
        if tally is None or tally.year != dt_util.now().year:
            return 0.0, 0.0, 0
        return tally.kwh, tally.ere_credits, tally.sessions

    @property
    def native_value(self) -> float | None:
        """The net euros missed; unknown while no price is known, or the history is being read."""
        tally = self._tally()
        return None if tally is None else ere_value(tally[1], self._runtime.ere_price)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The energy, ERE credits and sessions of this year that did not count."""
        if (tally := self._tally()) is None:
            return None
        kwh, credits_, sessions = tally
        return {"energy_kwh": kwh, "ere_credits": credits_, "sessions": sessions}


class JouloAccountSensor(JouloAccountEntity[JouloCoordinator[EnergyData]], JouloPeriodSensor):
    """A sensor of the account's totals, or of this month's."""

    entity_description: JouloAccountSensorDescription

    def __init__(
        self, coordinator: JouloCoordinator[EnergyData], description: JouloAccountSensorDescription
    ) -> None:
        """Create the sensor `description` describes."""
        super().__init__(coordinator, description)
        self._period = description.period

    @property
    def available(self) -> bool:
        """Available while the API answers; the euro sensors also need the account (`/me`)."""
        if self.entity_description.requires_account and self.coordinator.data.account is None:
            return False
        return super().available

    @property
    def native_value(self) -> StateType:
        """The account's value."""
        return self.entity_description.value_fn(self.coordinator.data)


class JouloErePositionSensor(JouloAccountEntity[JouloCoordinator[EnergyData]], SensorEntity):
    """A sensor of the account's ERE position; unavailable while `/ere-position` fails."""

    entity_description: JouloErePositionSensorDescription

    @property
    def available(self) -> bool:
        """Available while the last `/ere-position` answered."""
        return super().available and self.coordinator.data.ere_position is not None

    @property
    def native_value(self) -> StateType:
        """The position's figure; unknown when the API left it out."""
        position = self.coordinator.data.ere_position
        return None if position is None else self.entity_description.value_fn(position)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The quarters, or the current quarter's figures, for the sensors that carry them."""
        position = self.coordinator.data.ere_position
        attributes_fn = self.entity_description.attributes_fn
        if position is None or attributes_fn is None:
            return None
        return attributes_fn(position)


class JouloCostSensor(JouloPeriodSensor):
    """A sensor of session costs: it also writes when costs change (the refresh pipeline says so)."""

    _costs: SessionCosts

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

    def __init__(
        self,
        coordinator: JouloCoordinator[SessionsData],
        costs: SessionCosts,
        charger: Charger,
        description: SensorEntityDescription,
    ) -> None:
        """Create the sensor of `charger`'s last session's cost."""
        super().__init__(coordinator, charger, description)
        self._costs = costs

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

    def __init__(
        self,
        coordinator: JouloCoordinator[SessionsData],
        costs: SessionCosts,
        charger: Charger,
        description: SensorEntityDescription,
    ) -> None:
        """Create the sensor of `charger`'s cost this month."""
        super().__init__(coordinator, charger, description)
        self._costs = costs

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
        costs: SessionCosts,
        description: JouloAccountCostSensorDescription,
    ) -> None:
        """Create the sensor `description` describes."""
        super().__init__(coordinator, description)
        self._costs = costs
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
