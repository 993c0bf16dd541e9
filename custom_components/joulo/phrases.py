"""Phrases in the user's language, for texts Home Assistant does not translate by itself.

The Activity panel's descriptions of session events and the calendar's notes are built in code, in
callbacks that cannot wait for a file. Their phrases live in the integration's translations, under
`common`; Home Assistant loads those with the integration, in its language (and again when the
language changes), with English for what a language lacks. This reads them from that cache.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN


def phrase(hass: HomeAssistant, key: str, **placeholders: str) -> str:
    """The phrase `key` of `common` in Home Assistant's language, with its placeholders filled in."""
    translations = async_get_cached_translations(hass, hass.config.language, "common", DOMAIN)
    template = translations.get(f"component.{DOMAIN}.common.{key}", key)
    return template.format(**placeholders)


def number(value: float | None) -> str:
    """A number as Joulo rounds it (2 decimals), without trailing zeros; "?" when unknown."""
    if value is None:
        return "?"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def euros(value: float) -> str:
    """An amount of euros with its cents."""
    return f"{value:.2f}"
