"""What a person sees of Joulo in Home Assistant's frontend: the demo, driven by headless Chromium.

Run by scripts/browser_test (not by the regular test run: the name does not start with `test_`).
Each test opens the demo's real frontend, waits for what a person would look at, checks it against
what Home Assistant and the simulator know, and saves a screenshot (scripts/screenshots puts them in
docs/screenshots, which the README shows).
"""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import re
import time
from typing import Any

from playwright.sync_api import Locator, Page, ViewportSize, expect
import pytest

from .demo import (
    DOMAIN,
    FIGURES,
    LIVE_POWER_KW,
    REPO,
    VIEWPORT,
    Demo,
    Device,
    ErePrice,
    Frontend,
    Vehicle,
    eventually,
)

DASHBOARD = "/dashboard-joulo"
DEVICE_PAGE: ViewportSize = {"width": 1280, "height": 1400}
POWER_TOLERANCE = 0.05
"""How far a live charger's power may read from the true power (within 5%)."""
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
KWH_ROUNDING = 0.005
"""The API gives kWh to 2 decimals."""
MISSED = "ere_missed_this_year"
"""The key of what a charger without a MID meter misses."""
PRICE_ENTITY = "sensor.electricity_price"
"""The demo's dynamic electricity price (scripts/develop_config), which its Joulo entry prices with."""
YEAR = {"days": 366}
LEASE_CAR = "Lease car"
VEHICLES = (LEASE_CAR, "Second car")
"""The vehicles the demo adds (scripts/develop_vehicles.py), by name, in order."""
VEHICLE_MONTH = (
    "vehicle_energy_this_month",
    "vehicle_charging_cost_this_month",
    "vehicle_reimbursement_this_month",
)
"""What a vehicle's card shows of its month, in kWh and EUR."""
EURO_ROUNDING = 0.005
"""Costs are given to the cent."""


def english() -> Any:
    """The integration's English texts."""
    path = REPO / "custom_components" / DOMAIN / "translations" / "en.json"
    return json.loads(path.read_text(encoding="utf-8"))


def user_step_strings() -> Any:
    """The English texts of the config flow's first step."""
    return english()["config"]["step"]["user"]


def options_strings() -> Any:
    """The English texts of the options flow's step: where the price of charging comes from."""
    return english()["options"]["step"]["init"]


def vehicle_strings() -> Any:
    """The English texts of the vehicle subentry flow ("Add vehicle")."""
    return english()["config_subentries"]["vehicle"]


def issue_strings() -> Any:
    """The English title and description of the repair for a charger without a MID meter."""
    return english()["issues"]["no_mid_meter"]


def titled_card(page: Page, title: str) -> Locator:
    """The Joulo dashboard's entities card titled `title` (a charger's name, or e.g. "Charging cost")."""
    return page.locator("hui-entities-card").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def row(container: Locator, name: str) -> Locator:
    """The entity row named `name` in a card."""
    return container.locator("hui-generic-entity-row").filter(
        has=container.page.get_by_text(name, exact=True)
    )


def shown_state(frontend: Frontend, entity_id: str) -> str:
    """An entity's state as the frontend writes it, e.g. `0.42 kWh` or `Charging`."""
    return str(frontend.hass("(hass, id) => hass.formatEntityState(hass.states[id])", entity_id))


def number(text: str) -> float:
    """The number in a text such as `1,234.56 kWh` or `9,300 W`."""
    numbers = NUMBER.findall(text)
    assert numbers, f"no number in {text!r}"
    return float(numbers[-1].replace(",", ""))


def history_imported(frontend: Frontend, statistic_ids: list[str]) -> Callable[[], None]:
    """A check that every one of these statistics exists in Home Assistant's recorder."""

    def check() -> None:
        listed = frontend.call({"type": "recorder/list_statistic_ids", "statistic_type": "sum"})
        missing = set(statistic_ids) - {item["statistic_id"] for item in listed}
        assert not missing, f"no statistics yet for {sorted(missing)}"

    return check


def joulo_devices_in_energy(frontend: Frontend) -> dict[str, str]:
    """The Energy dashboard's individual devices that are Joulo statistics: id → name."""
    prefs = frontend.call({"type": "energy/get_prefs"})
    return {
        device["stat_consumption"]: device.get("name", "")
        for device in prefs["device_consumption"]
        if device["stat_consumption"].startswith(f"{DOMAIN}:")
    }


def assert_drawn(series: Any, what: str) -> None:
    """A chart's series (ECharts data, as Home Assistant's ha-chart-base holds it) draw something."""
    values = [
        point["value"][1] if isinstance(point, dict) else point[1]
        for line in series or []
        for point in line.get("data", [])
    ]
    assert any(isinstance(value, int | float) and value > 0 for value in values), (
        f"{what} draws nothing"
    )


def assert_euros_shown(
    frontend: Frontend, card: Locator, device: Device, without_mid: set[str], price: ErePrice
) -> None:
    """A charger's card shows its last session's ERE and euros, and, without MID, what it misses.

    With a MID meter, the euros are what its last session's ERE are worth at the demo's price, less
    Joulo's fee. A charger without a MID meter earned nothing with its last session, and its card
    says so.
    """
    expect(card).to_be_visible()
    ere = frontend.entity(device.device_id, "last_session_ere_credits")
    euros = frontend.entity(device.device_id, "last_session_ere_value")
    for entity in (ere, euros):
        expect(row(card, entity.name)).to_contain_text(shown_state(frontend, entity.entity_id))
    shown_euros = shown_state(frontend, euros.entity_id)
    assert "€" in shown_euros, f"{device.name}'s last session's euros read {shown_euros!r}"
    missed = [entity for entity in frontend.entities(device.device_id) if entity.key == MISSED]
    if device.charger_id not in without_mid:
        assert not missed, f"{device.name} counts for ERE, yet shows {missed}"
        credits_ = float(frontend.hass("(hass, id) => hass.states[id].state", ere.entity_id))
        assert credits_ > 0, f"{device.name}'s last session earned no ERE"
        assert number(shown_euros) == price.euros(credits_), (device.name, credits_, shown_euros)
        return
    assert missed, f"{device.name} has no MID meter, yet no {MISSED}"
    text = shown_state(frontend, missed[0].entity_id)
    expect(row(card, missed[0].name)).to_contain_text(text)
    assert number(text) > 0, text
    attributes = frontend.hass("(hass, id) => hass.states[id].attributes", ere.entity_id)
    assert attributes["counts_for_ere"] is False, attributes
    assert number(shown_state(frontend, ere.entity_id)) == 0
    assert number(shown_euros) == 0


def price_range(frontend: Frontend) -> tuple[float, float]:
    """The cheapest and the dearest hour of the demo's price in the last year (EUR/kWh)."""
    extremes = frontend.call(
        {
            "type": "recorder/statistic_during_period",
            "statistic_id": PRICE_ENTITY,
            "types": ["min", "max"],
            "rolling_window": {"duration": YEAR},
        }
    )
    return float(extremes["min"]), float(extremes["max"])


def assert_cost_shown(
    frontend: Frontend, card: Locator, device: Device, prices: tuple[float, float]
) -> None:
    """A charger's card shows its last session's cost in euros, at prices the demo's hours had.

    Its net cost is that cost less the euros its ERE are worth, and its price per kWh lies between
    the year's cheapest and dearest hour.
    """
    cost = frontend.entity(device.device_id, "last_session_cost")
    text = shown_state(frontend, cost.entity_id)
    expect(row(card, cost.name)).to_contain_text(text)
    assert "€" in text, f"{device.name}'s last session cost reads {text!r}"
    attributes = frontend.hass("(hass, id) => hass.states[id].attributes", cost.entity_id)
    ere = frontend.entity(device.device_id, "last_session_ere_value")
    ere_euros = float(frontend.hass("(hass, id) => hass.states[id].state", ere.entity_id))
    assert attributes["net_cost"] == pytest.approx(number(text) - ere_euros, abs=EURO_ROUNDING), (
        device.name,
        text,
        ere_euros,
        attributes,
    )
    cheapest, dearest = prices
    assert cheapest <= attributes["price_per_kwh"] <= dearest, (device.name, attributes, prices)
    assert attributes["basis"] in {"observed", "spread"}, attributes
    FIGURES.append(
        f"{device.name}'s last session cost {text} (net {attributes['net_cost']}, "
        f"{attributes['price_per_kwh']} EUR/kWh, {attributes['basis']})"
    )


def assert_month_shown(frontend: Frontend, rows: Locator, vehicle: Vehicle) -> str:
    """A vehicle's rows show its month: kWh, cost and reimbursement, known; a summary of them.

    Its reimbursement is in euros, and more than nothing once it charged this month.
    """
    shown = {}
    for key in VEHICLE_MONTH:
        entity = frontend.entity(vehicle.device_id, key)
        text = shown_state(frontend, entity.entity_id)
        expect(row(rows, entity.name).first).to_contain_text(text)
        state = frontend.hass("(hass, id) => hass.states[id].state", entity.entity_id)
        assert state not in {"unknown", "unavailable"}, f"{vehicle.name}'s {key} is {state}"
        shown[key] = text
    energy, cost, reimbursed = shown.values()
    assert "kWh" in energy, f"{vehicle.name}'s energy this month reads {energy!r}"
    assert "€" in reimbursed, f"{vehicle.name}'s reimbursement this month reads {reimbursed!r}"
    if number(energy) > 0:
        assert number(reimbursed) > 0, (vehicle.name, energy, reimbursed)
    return f"{vehicle.name} this month: {energy}, cost {cost}, reimbursed {reimbursed}"


def assert_account_costs_shown(frontend: Frontend, page: Page) -> None:
    """The account's "Charging cost" card shows this month's cost and net cost, in euros."""
    costs = titled_card(page, "Charging cost")
    account = account_device_id(frontend)
    for key in ("net_charging_cost_this_month", "charging_cost_this_month"):
        entity = frontend.entity(account, key)
        text = shown_state(frontend, entity.entity_id)
        expect(row(costs, entity.name)).to_contain_text(text)
        assert "€" in text, f"the account's {key} reads {text!r}"
        FIGURES.append(f"the account's {key}: {text}")


def assert_vehicles_shown(frontend: Frontend, page: Page) -> None:
    """The demo's vehicles each have their card on the Joulo dashboard, with their month."""
    vehicles = frontend.vehicles()
    assert tuple(vehicle.name for vehicle in vehicles) == VEHICLES
    for vehicle in vehicles:
        FIGURES.append(assert_month_shown(frontend, titled_card(page, vehicle.name), vehicle))


def account_device_id(frontend: Frontend) -> str:
    """The id of the account's device ("Joulo", a service)."""
    return str(
        frontend.hass(
            """(hass, domain) => Object.values(hass.devices).find((d) => d.entry_type === 'service'
                && d.identifiers.some(([dom]) => dom === domain)).id""",
            DOMAIN,
        )
    )


def test_the_joulo_dashboard_at_ready_shows_history_euros_and_the_running_session(
    demo: Demo,
    frontend: Frontend,
    live_charger: str,
    page: Page,
    screenshot: Callable[[str], Path],
) -> None:
    """The landing page, first thing after the demo reports ready: the Joulo dashboard.

    Its graphs draw at once (the charging history is imported before ready), a card per charger
    with its last session's euros (at the demo's price) and cost (at the demo's electricity price),
    the Carport (no MID meter) with what it misses, the account's charging cost this month, and the
    running session live, and each vehicle's month (kWh, cost, reimbursement).
    """
    frontend.open("/")
    expect(page).to_have_url(re.compile(re.escape(DASHBOARD)))
    opened = time.monotonic() - demo.ready_at
    # At the first look, not eventually: the demo is ready only once the history is in.
    history_imported(frontend, list(joulo_devices_in_energy(frontend)))()
    graphs = {
        "the statistics graph": page.locator("hui-statistics-graph-card ha-chart-base"),
        "the history graph": page.locator("hui-history-graph-card ha-chart-base").first,
    }

    def graphs_drawn() -> None:
        for what, graph in graphs.items():
            expect(graph).to_be_visible()
            assert_drawn(graph.evaluate("(chart) => chart.data"), what)

    eventually(graphs_drawn, timeout=30)
    FIGURES.append(
        f"the Joulo dashboard opened {opened:.1f} s after ready, its graphs drawn "
        f"{time.monotonic() - demo.ready_at:.1f} s after ready"
    )

    chargers = frontend.chargers()
    assert sorted(device.charger_id for device in chargers) == sorted(
        charger["id"] for charger in demo.chargers()
    )
    without_mid = {charger["id"] for charger in demo.chargers() if not charger["mid_certified"]}
    assert without_mid, "the demo has no charger without a MID meter"
    price = demo.ere_price()
    prices = price_range(frontend)
    for device in chargers:
        assert_euros_shown(frontend, titled_card(page, device.name), device, without_mid, price)
        assert_cost_shown(frontend, titled_card(page, device.name), device, prices)
    assert_account_costs_shown(frontend, page)
    assert_vehicles_shown(frontend, page)

    live = next(device for device in chargers if device.charger_id == live_charger)
    card = titled_card(page, live.name)
    energy = frontend.entity(live.device_id, "session_energy")
    charging = frontend.entity(live.device_id, "charging")
    power = frontend.entity(live.device_id, "charging_power")
    # Charging, with its power, from the first look.
    assert frontend.hass("(hass, id) => hass.states[id].state", charging.entity_id) == "on"
    watts = shown_state(frontend, power.entity_id)
    expect(row(card, power.name)).to_contain_text(watts)
    assert number(watts) == pytest.approx(LIVE_POWER_KW * 1000, rel=POWER_TOLERANCE), watts

    def shows_the_running_session() -> None:
        before = demo.session_kwh(live_charger)
        frontend.update(energy.entity_id)
        page.wait_for_function(
            "(arg) => Number(document.querySelector('home-assistant').hass"
            ".states[arg.id].state) >= arg.least",
            arg={"id": energy.entity_id, "least": before - KWH_ROUNDING},
        )
        text = shown_state(frontend, energy.entity_id)
        expect(row(card, energy.name)).to_contain_text(text)
        expect(row(card, charging.name)).to_contain_text(shown_state(frontend, charging.entity_id))
        after = demo.session_kwh(live_charger)
        assert number(text) > 0, text
        assert before - KWH_ROUNDING <= number(text) <= after + KWH_ROUNDING, (text, before, after)

    eventually(shows_the_running_session, timeout=120, every=10)

    # Every card in one picture: a window as tall as the dashboard (the sidebar then reaches down).
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    eventually(graphs_drawn, timeout=30)
    screenshot("dashboard")


def test_the_config_flow_dialog_asks_for_the_token_and_has_advanced_options(
    frontend: Frontend, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Settings → Devices & services → Add integration → Joulo: the token, and "Advanced options"."""
    strings = user_step_strings()
    frontend.open("/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.get_by_placeholder("Search for a brand name").fill("Joulo")
    page.locator("ha-integration-list-item").filter(has_text="Joulo").click()
    dialog = page.locator("dialog-data-entry-flow")
    expect(dialog.get_by_text(strings["title"])).to_be_visible()
    expect(dialog.get_by_role("textbox", name=strings["data"]["api_token"])).to_be_visible()
    advanced = strings["sections"]["advanced"]
    url_field = dialog.get_by_role("textbox", name=advanced["data"]["url"])
    expect(url_field).to_be_hidden()
    dialog.get_by_role("button", name=advanced["name"]).click()
    expect(url_field).to_be_visible()
    screenshot("config-flow")
    page.keyboard.press("Escape")
    expect(dialog.get_by_text(strings["title"])).to_be_hidden()


def test_the_options_dialog_offers_a_price_sensor_or_a_fixed_price(
    frontend: Frontend, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Settings → Devices & services → Joulo → Configure: the price sensor the demo chose, or a price.

    The dialog shows the demo's electricity price as the entry's price sensor (the demo chose it
    through this same flow), and a fixed price field, empty.
    """
    strings = options_strings()
    frontend.open(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name="Configure", exact=True).click()
    dialog = page.locator("dialog-data-entry-flow")
    expect(dialog.get_by_text(strings["title"])).to_be_visible()
    picker = dialog.locator("ha-selector-entity")
    label = strings["data"]["price_entity"]
    expect(picker.locator("label").get_by_text(label, exact=True)).to_be_visible()
    name = frontend.hass("(hass, id) => hass.states[id].attributes.friendly_name", PRICE_ENTITY)
    expect(picker.get_by_text(name, exact=True)).to_be_visible()
    fixed = dialog.get_by_role("spinbutton", name=strings["data"]["fixed_price"])
    expect(fixed).to_be_visible()
    expect(fixed).to_have_value("")
    screenshot("options")
    page.keyboard.press("Escape")
    expect(dialog.get_by_text(strings["title"])).to_be_hidden()


def test_a_chargers_device_page_lists_its_entities(
    frontend: Frontend, live_charger: str, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Settings → Devices → a charger: every entity of it, by name, in the device's cards.

    The charger is charging, and its page says so once Home Assistant has read it.
    """
    page.set_viewport_size(DEVICE_PAGE)
    frontend.open("/")
    device = next(d for d in frontend.chargers() if d.charger_id == live_charger)
    entities = [entity for entity in frontend.entities(device.device_id) if not entity.hidden]
    assert {"status", "charging", "session_energy", "last_session_energy"} <= {
        entity.key for entity in entities
    }
    frontend.open(f"/config/devices/device/{device.device_id}")
    cards = page.locator("ha-device-entities-card")
    for entity in entities:
        expect(row(cards, entity.name).first).to_be_visible()
    charging = frontend.entity(device.device_id, "charging")
    frontend.update(charging.entity_id)
    page.wait_for_function(
        "(id) => document.querySelector('home-assistant').hass.states[id].state === 'on'",
        arg=charging.entity_id,
    )
    expect(row(cards, charging.name).first).to_contain_text(
        shown_state(frontend, charging.entity_id)
    )
    screenshot("device")


def test_the_add_vehicle_dialog_asks_for_tags_chargers_and_reimbursement(
    frontend: Frontend, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Settings → Devices & services → Joulo → Add vehicle: the vehicle's form.

    Its name, TAG ids, the account's chargers to choose from, how it is reimbursed, and a rate.
    """
    strings = vehicle_strings()
    step = strings["step"]["user"]
    frontend.open(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name=strings["initiate_flow"]["user"]).click()
    dialog = page.locator("dialog-data-entry-flow")
    expect(dialog.get_by_text(step["title"])).to_be_visible()
    fields = step["data"]
    expect(dialog.get_by_role("textbox", name=fields["name"])).to_be_visible()
    expect(dialog.get_by_role("button", name=fields["id_tags"])).to_be_visible()
    # The chargers field: a checkbox per charger of the account.
    for charger in frontend.chargers():
        expect(dialog.get_by_role("checkbox", name=charger.name, exact=True)).to_be_visible()
    no_reimbursement = english()["selector"]["reimbursement"]["options"]["none"]
    expect(dialog.get_by_role("button", name=fields["reimbursement"])).to_contain_text(
        no_reimbursement
    )
    expect(dialog.get_by_role("spinbutton", name=fields["rate"], exact=True)).to_have_value("")
    screenshot("add-vehicle")
    page.keyboard.press("Escape")
    expect(dialog.get_by_text(step["title"])).to_be_hidden()


def test_a_vehicles_device_page_shows_its_month(
    frontend: Frontend, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Settings → Devices → the lease car: its entities, with this month's kWh and reimbursement."""
    page.set_viewport_size(DEVICE_PAGE)
    frontend.open("/")
    car = next(vehicle for vehicle in frontend.vehicles() if vehicle.name == LEASE_CAR)
    entities = [entity for entity in frontend.entities(car.device_id) if not entity.hidden]
    assert set(VEHICLE_MONTH) <= {entity.key for entity in entities}
    frontend.open(f"/config/devices/device/{car.device_id}")
    cards = page.locator("ha-device-entities-card")
    for entity in entities:
        expect(row(cards, entity.name).first).to_be_visible()
    FIGURES.append(f"device page: {assert_month_shown(frontend, cards, car)}")
    screenshot("vehicle")


def test_the_energy_dashboard_draws_each_chargers_charging_history(
    frontend: Frontend, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Energy: each charger is an individual device, and its imported history is drawn."""
    frontend.open("/")
    devices = joulo_devices_in_energy(frontend)
    chargers = frontend.chargers()
    assert sorted(devices.values()) == sorted(device.name for device in chargers)
    history_imported(frontend, list(devices))()  # in before the demo was ready

    frontend.open("/energy")
    page.locator("hui-energy-period-selector ha-date-range-picker").click()
    page.get_by_text("Last 365 days", exact=True).click()
    detail = page.locator("hui-energy-devices-detail-graph-card")
    for device in chargers:
        expect(detail.get_by_text(device.name, exact=True)).to_be_visible()
    totals = page.locator("hui-energy-devices-graph-card ha-chart-base")

    def every_charger_has_history() -> None:
        drawn = {
            point["id"]: point["value"][0]
            for line in totals.evaluate("(chart) => chart.data") or []
            for point in line.get("data", [])
            if isinstance(point, dict) and "id" in point
        }
        assert all(drawn.get(statistic, 0) > 0 for statistic in devices), (drawn, devices)

    eventually(every_charger_has_history, timeout=30)
    screenshot("energy")


def test_the_repairs_page_says_what_the_carport_misses_without_a_mid_meter(
    demo: Demo, frontend: Frontend, page: Page, screenshot: Callable[[str], Path]
) -> None:
    """Settings → Repairs: a warning per charger without a MID meter, with this year's kWh and euros."""
    frontend.open("/")
    strings = issue_strings()
    without_mid = {charger["id"] for charger in demo.chargers() if not charger["mid_certified"]}
    devices = [device for device in frontend.chargers() if device.charger_id in without_mid]
    assert devices, "the demo has no charger without a MID meter"
    issues = [
        issue
        for issue in frontend.call({"type": "repairs/list_issues"})["issues"]
        if issue["domain"] == DOMAIN and issue["translation_key"] == "no_mid_meter"
    ]
    placeholders = {issue["translation_placeholders"]["charger"]: issue for issue in issues}
    assert sorted(placeholders) == sorted(device.name for device in devices)
    frontend.open("/config/repairs")
    for device in devices:
        issue = placeholders[device.name]
        assert (issue["severity"], issue["ignored"]) == ("warning", False)
        missed = frontend.entity(device.device_id, MISSED)
        # The euros the repair names are those the charger's sensor shows.
        euros = float(frontend.hass("(hass, id) => hass.states[id].state", missed.entity_id))
        assert issue["translation_placeholders"]["missed"] == f"{euros:.2f}"
        title = strings["title"].format(**issue["translation_placeholders"])
        description = strings["description"].format(**issue["translation_placeholders"])
        item = page.locator("ha-config-repairs").get_by_text(title, exact=True)
        expect(item).to_be_visible()
        item.click()
        dialog = page.locator("dialog-repairs-issue")
        expect(dialog.get_by_text(description)).to_be_visible()
        assert "has no MID-certified meter, so its charging earns no ERE: this year" in description
        screenshot("repair")
        page.keyboard.press("Escape")
        expect(dialog.get_by_text(description)).to_be_hidden()
