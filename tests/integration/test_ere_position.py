"""The account's ERE money from `/ere-position`: sensors, a missing endpoint, partial and broken answers."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import FaultKind, JouloSimulator
from joulo_simulator.ere_position import ere_position_document

from .common import advance_time, set_up_entry, state_of

pytestmark = pytest.mark.usefixtures("frozen_time")

POSITION_SENSORS = {
    "ere_paid": ("paid", "net_eur"),
    "ere_payable": ("payable", "net_eur"),
    "ere_reserved": ("reserved", "net_eur"),
    "ere_unsold_forecast": ("unsold", "forecast_net_eur"),
    "ere_expected_this_year": ("ytd_expected_eur",),
    "ere_expected_total": ("total_expected_eur",),
    "ere_pending": ("pending_ere",),
    "ere_allocatable": ("allocatable_ere",),
    "ere_indicative_price": ("indicative_price_per_ere",),
    "ere_realized_price": ("realized_avg_price",),
    "ere_forecast_confidence": ("forecast_confidence",),
    "ere_compliance_year": ("compliance_year",),
}
"""Each position sensor (entity `sensor.joulo_<key>`) and where its value is in the API's answer."""
HOUR = timedelta(hours=1)


def _expected(simulator: JouloSimulator) -> dict[str, Any]:
    """The simulator's `/ere-position` answer now."""
    account = simulator.account()
    now = simulator.now()
    return ere_position_document(account, simulator.completed_sessions(account, now), now)


def _lookup(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for key in path:
        value = value[key]
    return value


def _position_requests(simulator: JouloSimulator) -> int:
    return Counter(request.endpoint for request in simulator.requests)["/ere-position"]


async def test_every_position_sensor_shows_the_api_figure(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """Each sensor reads its figure of `/ere-position`; the quarters ride along as attributes."""
    document = _expected(simulator)
    for key, path in POSITION_SENSORS.items():
        assert state_of(hass, f"sensor.joulo_{key}") == str(_lookup(document, path)), key

    quarters = hass.states.get("sensor.joulo_ere_indicative_price")
    assert quarters is not None
    assert [quarter["quarter"] for quarter in quarters.attributes["quarters"]] == [
        quarter["quarter"] for quarter in document["quarters"]
    ]
    current = next(quarter for quarter in document["quarters"] if not quarter["final"])
    state = hass.states.get("sensor.joulo_ere_current_quarter")
    assert state is not None
    assert state.state == str(current["realized_net_eur"])
    assert {key: state.attributes[key] for key in ("quarter", "ere", "sold_ere")} == {
        key: current[key] for key in ("quarter", "ere", "sold_ere")
    }
    paid = hass.states.get("sensor.joulo_ere_paid")
    assert paid is not None
    assert paid.attributes["unit_of_measurement"] == "EUR"
    assert paid.attributes["device_class"] == "monetary"


async def test_missing_endpoint_makes_no_position_entities_and_asks_once_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An account without `/ere-position` (404): no empty entities; asked again once a day."""
    simulator.account().ere_position_available = False
    await set_up_entry(hass, mock_config_entry)

    assert hass.states.get("sensor.joulo_ere_paid") is None
    assert state_of(hass, "sensor.joulo_total_energy") != STATE_UNAVAILABLE
    assert state_of(hass, "sensor.joulo_ere_value") != STATE_UNAVAILABLE
    assert _position_requests(simulator) == 1

    await advance_time(hass, freezer, timedelta(hours=23), step=timedelta(minutes=5))
    assert _position_requests(simulator) == 1
    # The account gains the endpoint: the next daily check finds it, and the entities appear.
    simulator.account().ere_position_available = True
    await advance_time(hass, freezer, timedelta(minutes=90), step=timedelta(minutes=5))
    assert _position_requests(simulator) == 2
    assert state_of(hass, "sensor.joulo_ere_paid") == str(_expected(simulator)["paid"]["net_eur"])


async def test_partial_answer_leaves_the_missing_figures_unknown(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Figures the API leaves out read unknown; the others stand; nothing is logged as an error."""
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS,
        endpoint="/ere-position",
        fields=["paid", "pending_ere", "quarters"],
    )
    await set_up_entry(hass, mock_config_entry)

    assert state_of(hass, "sensor.joulo_ere_paid") == STATE_UNKNOWN
    assert state_of(hass, "sensor.joulo_ere_pending") == STATE_UNKNOWN
    quarter = hass.states.get("sensor.joulo_ere_current_quarter")
    assert quarter is not None
    assert quarter.state == STATE_UNKNOWN
    assert "quarter" not in quarter.attributes
    document = _expected(simulator)
    assert state_of(hass, "sensor.joulo_ere_payable") == str(document["payable"]["net_eur"])
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


STEP = timedelta(minutes=5)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": FaultKind.MALFORMED_JSON}, id="malformed JSON"),
        pytest.param({"kind": FaultKind.HTTP_ERROR, "status": 500}, id="500"),
        pytest.param({"kind": FaultKind.WRONG_SHAPE}, id="wrong shape"),
    ],
)
async def test_broken_answer_makes_the_position_unavailable_only(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    fault: dict[str, Any],
) -> None:
    """A broken `/ere-position`: ridden out once, unavailable the second hour; the rest stays; back."""
    paid = state_of(hass, "sensor.joulo_ere_paid")
    simulator.faults.inject(endpoint="/ere-position", times=None, **fault)
    # The hourly read, and its retry seconds later (at the next step).
    await advance_time(hass, freezer, HOUR + STEP, step=STEP)

    assert simulator.faults.active[0].hits == 2
    assert state_of(hass, "sensor.joulo_ere_paid") == paid
    await advance_time(hass, freezer, HOUR, step=STEP)

    assert state_of(hass, "sensor.joulo_ere_paid") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.joulo_total_energy") != STATE_UNAVAILABLE
    assert state_of(hass, "sensor.garage_status") == "online"

    simulator.faults.clear()
    await advance_time(hass, freezer, HOUR, step=STEP)
    assert state_of(hass, "sensor.joulo_ere_paid") == str(_expected(simulator)["paid"]["net_eur"])


async def test_three_hours_cost_three_position_requests(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Setup and two hourly polls: three `/ere-position` requests in three hours."""
    start = dt_util.utcnow()
    await advance_time(hass, freezer, 3 * HOUR - timedelta(seconds=1), step=timedelta(minutes=1))
    assert [
        request.at - start for request in simulator.requests if request.endpoint == "/ere-position"
    ] == [
        timedelta(0),
        HOUR,
        2 * HOUR,
    ]


async def test_a_token_without_the_positions_scope_is_treated_as_missing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A 403 on `/ere-position` only: no position entities, no re-authentication, asked daily."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/ere-position", status=403)
    await set_up_entry(hass, mock_config_entry)

    assert hass.states.get("sensor.joulo_ere_paid") is None
    assert state_of(hass, "sensor.joulo_total_energy") != STATE_UNAVAILABLE
    assert not hass.config_entries.flow.async_progress()
    await advance_time(hass, freezer, 3 * HOUR, step=timedelta(minutes=5))
    assert _position_requests(simulator) == 1


async def test_a_rate_limited_position_read_keeps_the_position(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A 429 on `/ere-position` is the gate's, not the position's: it stays, read at the next hour.

    Also after a failed read before it: a rate limit never counts towards making it unavailable.
    """
    paid = state_of(hass, "sensor.joulo_ere_paid")
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/ere-position", status=500, times=2)
    await advance_time(hass, freezer, HOUR + STEP, step=STEP)  # the read and its retry fail
    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/ere-position", status=429, retry_after="30"
    )
    await advance_time(hass, freezer, HOUR, step=STEP)

    assert state_of(hass, "sensor.joulo_ere_paid") == paid
    before = _position_requests(simulator)
    await advance_time(hass, freezer, HOUR, step=STEP)
    assert _position_requests(simulator) == before + 1
    assert state_of(hass, "sensor.joulo_ere_paid") == str(_expected(simulator)["paid"]["net_eur"])
