"""Config flow of the Joulo integration: set up, re-authenticate and reconfigure with an API token.

Its options flow chooses where the price of charging comes from; its subentry flow adds and changes
the account's vehicles. A loaded entry reloads itself when its data or options change (its update
listener) and reads its vehicles again when they change, so the flows here reload only an entry that
is not loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, CONF_API_TOKEN, CONF_URL
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import DEFAULT_BASE_URL, Account, JouloClient
from .const import ACCOUNT_DEVICE_NAME, DOMAIN
from .coordinator import JouloConfigEntry
from .errors import Unanswered, async_form_error, async_read_optional
from .naming import charger_name
from .pricing import CONF_FIXED_PRICE, CONF_PRICE_ENTITY, price_unit_factor
from .safe_url import is_safe_for_token
from .validation import vol
from .vehicles import (
    CONF_CHARGERS,
    CONF_ID_TAGS,
    CONF_NAME,
    CONF_RATE,
    CONF_REIMBURSEMENT,
    SUBENTRY_TYPE_VEHICLE,
    Reimbursement,
    vehicle_data,
    vehicle_errors,
    vehicles_from,
)

TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
EUR_PER_KWH_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=0,
        max=10,
        step="any",  # a tariff may have more decimals than the smallest step (0.001)
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="EUR/kWh",
    )
)
REIMBURSEMENT_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[reimbursement.value for reimbursement in Reimbursement],
        translation_key=CONF_REIMBURSEMENT,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
SECTION_ADVANCED = "advanced"
_BEARER_PREFIX = re.compile(r"^bearer\s+", re.IGNORECASE)


def normalize_token(value: str) -> str:
    """Strip surrounding whitespace and a pasted `Bearer ` prefix from a token."""
    return _BEARER_PREFIX.sub("", value.strip()).strip()


class JouloConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle setting up a Joulo account."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> OptionsFlow:  # noqa: ARG004
        """The options flow: where the price of charging comes from."""
        return JouloOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry[Any],  # noqa: ARG003
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """The subentries of a Joulo account: its vehicles."""
        return {SUBENTRY_TYPE_VEHICLE: VehicleSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the API token, with the API URL in a collapsed advanced section."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = self._entry_data(user_input)
            errors, account = await self._async_validate(data)
            if not errors:
                if account is not None and account.id:
                    existing = await self.async_set_unique_id(account.id)
                    # The account is known: a token pasted again is the newer one, so keep it.
                    self._abort_if_unique_id_configured(
                        updates=data, reload_on_update=not _reloads_itself(existing)
                    )
                else:
                    self._async_abort_entries_match({CONF_API_TOKEN: data[CONF_API_TOKEN]})
                return self.async_create_entry(title=_title(account), data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                self._schema(DEFAULT_BASE_URL), user_input
            ),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the API refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token for the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_TOKEN: normalize_token(user_input[CONF_API_TOKEN])}
            errors, account = await self._async_validate(data)
            if not errors:
                return self._async_update_entry(entry, data, account)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the token (and the API URL) of an existing entry, keeping its entities."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **self._entry_data(user_input)}
            errors, account = await self._async_validate(data)
            if not errors:
                return self._async_update_entry(entry, data, account)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._schema(entry.data.get(CONF_URL, DEFAULT_BASE_URL)),
                {SECTION_ADVANCED: {CONF_URL: entry.data.get(CONF_URL, DEFAULT_BASE_URL)}},
            ),
            errors=errors,
        )

    def _async_update_entry(
        self, entry: ConfigEntry[Any], data: dict[str, Any], account: Account | None
    ) -> ConfigFlowResult:
        """Store new credentials in place and reload, unless they belong to another account.

        When `/me` cannot be read the account cannot be compared, and the working token is taken.
        """
        if entry.unique_id and account is not None and account.id != entry.unique_id:
            return self.async_abort(reason="wrong_account")
        # A loaded entry whose data changes reloads itself; any other is reloaded here, even with
        # the same data: a refused token stopped its polls.
        if not _reloads_itself(entry) or data == entry.data:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_update_and_abort(entry, data=data)

    @staticmethod
    def _schema(default_url: str) -> vol.Schema:
        """The token field, and the API URL in a collapsed section few users need to open.

        Home Assistant retired its "advanced mode"; a collapsed section is what it advises instead.
        The section is optional: `{"api_token": ...}` alone is a complete answer (scripts, the REST
        API), and then the URL stays what it was (the real API for a new entry).
        """
        return vol.Schema(
            {
                vol.Required(CONF_API_TOKEN): TOKEN_SELECTOR,
                vol.Optional(SECTION_ADVANCED): section(
                    vol.Schema({vol.Required(CONF_URL, default=default_url): URL_SELECTOR}),
                    {"collapsed": True},
                ),
            }
        )

    @staticmethod
    def _entry_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
        """Build entry data from the form: a clean token, and the URL when one was given."""
        data: dict[str, Any] = {CONF_API_TOKEN: normalize_token(user_input[CONF_API_TOKEN])}
        advanced = user_input.get(SECTION_ADVANCED, {})
        if url := str(advanced.get(CONF_URL, "")).strip().rstrip("/"):
            data[CONF_URL] = url
        return data

    async def _async_validate(
        self, data: Mapping[str, Any]
    ) -> tuple[dict[str, str], Account | None]:
        """Check the token against the API; return the form's errors, and the account if `/me` works.

        A token is good when `/chargers` accepts it; `/me` only adds the account's id and name.
        Nothing is sent to a URL the token is not safe at.
        """
        base_url = data.get(CONF_URL, DEFAULT_BASE_URL)
        if not is_safe_for_token(base_url):
            return {"base": "insecure_url"}, None
        client = JouloClient(
            async_get_clientsession(self.hass), data[CONF_API_TOKEN], base_url=base_url
        )
        if error := await async_form_error(client.get_chargers()):
            return {"base": error}, None
        account = await async_read_optional(client.get_account(), "The Joulo account (/me)")
        return {}, None if isinstance(account, Unanswered) else account


def _reloads_itself(entry: ConfigEntry[Any] | None) -> bool:
    """Whether an entry reloads itself when its data or options change: a loaded one does."""
    return entry is not None and entry.state is ConfigEntryState.LOADED


def _title(account: Account | None) -> str:
    """The entry's title: the account's name when the API gives one, never the token."""
    if account is None or not account.name:
        return ACCOUNT_DEVICE_NAME
    return f"{ACCOUNT_DEVICE_NAME} ({account.name})"


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_PRICE_ENTITY): EntitySelector(EntitySelectorConfig(domain=SENSOR_DOMAIN)),
        vol.Optional(CONF_FIXED_PRICE): EUR_PER_KWH_SELECTOR,
    }
)


class JouloOptionsFlow(OptionsFlow):
    """Choose the price source: a price sensor, a fixed price, or none.

    The entry reloads when its options change, so a new price source takes effect without a restart.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the two optional fields; store the one given, or none to clear the price."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._price_errors(user_input)
            if not errors:
                return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, self.config_entry.options if user_input is None else user_input
            ),
            errors=errors,
        )

    def _price_errors(self, options: Mapping[str, Any]) -> dict[str, str]:
        """The form's errors: one price source at most, and a price sensor in a price unit."""
        if CONF_PRICE_ENTITY in options and CONF_FIXED_PRICE in options:
            return {"base": "one_price"}
        if (entity_id := options.get(CONF_PRICE_ENTITY)) is None:
            return {}
        state = self.hass.states.get(entity_id)
        unit = None if state is None else state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        if price_unit_factor(unit) is None:
            return {CONF_PRICE_ENTITY: "price_unit"}
        return {}


class VehicleSubentryFlow(ConfigSubentryFlow):
    """Add a vehicle to a Joulo account, or change one."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for a new vehicle; its name is the subentry's title."""
        return self._async_vehicle_step("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a vehicle: the form shows what it stores."""
        return self._async_vehicle_step("reconfigure", user_input, self._get_reconfigure_subentry())

    def _async_vehicle_step(
        self, step_id: str, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        """Show the vehicle's form; store the answer once it is valid (in `subentry`, if given)."""
        entry: JouloConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        errors: dict[str, str] = {}
        shown = vehicle_data(subentry.data) if subentry else {}
        if user_input is not None:
            shown = user_input
            data = vehicle_data(user_input)
            others = [
                vehicle
                for vehicle in vehicles_from(entry.subentries.values())
                if subentry is None or vehicle.subentry_id != subentry.subentry_id
            ]
            if not (errors := vehicle_errors(data, others)):
                if subentry is None:
                    return self.async_create_entry(title=data[CONF_NAME], data=data)
                return self.async_update_and_abort(
                    entry, subentry, title=data[CONF_NAME], data=data
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _vehicle_schema(_charger_options(entry, shown.get(CONF_CHARGERS, []))), shown
            ),
            errors=errors,
        )


def _vehicle_schema(chargers: list[SelectOptionDict]) -> vol.Schema:
    """The vehicle's form, with `chargers` to choose from."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME): TextSelector(),
            vol.Optional(CONF_ID_TAGS): TextSelector(TextSelectorConfig(multiple=True)),
            vol.Optional(CONF_CHARGERS): SelectSelector(
                SelectSelectorConfig(options=chargers, multiple=True, mode=SelectSelectorMode.LIST)
            ),
            vol.Required(CONF_REIMBURSEMENT, default=Reimbursement.NONE.value): (
                REIMBURSEMENT_SELECTOR
            ),
            vol.Optional(CONF_RATE): EUR_PER_KWH_SELECTOR,
        }
    )


def _charger_options(entry: JouloConfigEntry, chosen: list[str]) -> list[SelectOptionDict]:
    """The chargers to choose from, by name: the account's, and those `chosen` it no longer lists.

    A charger that left stays a choice while the vehicle claims it, so that the form can be sent
    unchanged; it is named by its id, as its device was without a nickname.
    """
    chargers = entry.runtime_data.chargers.data
    names = {
        charger.id: charger_name(charger.id, charger.nickname) for charger in chargers.values()
    }
    names |= {
        charger_id: charger_name(charger_id) for charger_id in chosen if charger_id not in names
    }
    return [
        SelectOptionDict(value=charger_id, label=name)
        for charger_id, name in sorted(names.items(), key=lambda item: item[1].casefold())
    ]
