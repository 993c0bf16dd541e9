"""How the client's errors reach Home Assistant: the one place that handles them.

Every caller of the client (the coordinators' polls, the session history's reads, the actions, the
calendar's range reads, the buttons' commands, the config flow) goes through this module, so the same
failure means the same thing everywhere: a refused token starts re-authentication, a 429 says when
requests may be sent again, and every message is translated (never the client's own text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    JouloAuthenticationError,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
)
from .const import DOMAIN, LOGGER


class Caller(StrEnum):
    """Who asked the API, which decides how a failure is reported."""

    POLL = "poll"
    """A read in the background (a coordinator, the session history): Home Assistant's update errors."""
    READ = "read"
    """A read a user asked for (an action, a calendar view): an error the user sees."""
    COMMAND = "command"
    """A command a user gave (a restart): as READ, with the command's own refusals explained."""


COMMAND_REFUSALS: dict[tuple[type[JouloError], int | None], str] = {
    (JouloAuthenticationError, HTTPStatus.FORBIDDEN): "control_not_allowed",
    (JouloConnectionError, HTTPStatus.SERVICE_UNAVAILABLE): "charger_offline",
    (JouloResponseError, HTTPStatus.CONFLICT): "restart_cooldown",
}
"""How a command's refusals read: a token that may read but not control chargers, an offline
charger, a restart still under way."""


def to_home_assistant(
    hass: HomeAssistant, entry: ConfigEntry[Any], err: JouloError, caller: Caller
) -> HomeAssistantError:
    """The Home Assistant error for a client error; a refused token starts re-authentication.

    A background read raises `ConfigEntryAuthFailed` (its coordinator starts re-authentication) or
    `UpdateFailed` (with the retry time of a 429); a user's read or command a `HomeAssistantError`.
    Any entry will do (only its reauth is started): the coordinators import this module, not it them.
    """
    key, placeholders = _message(err, caller)
    if key == "authentication_failed":
        if caller is Caller.POLL:
            return token_refused()
        entry.async_start_reauth(hass)
    if caller is not Caller.POLL:
        return _translated(HomeAssistantError, key, placeholders)
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
        retry_after=err.retry_after if isinstance(err, JouloRateLimitedError) else None,
    )


def _message(err: JouloError, caller: Caller) -> tuple[str, dict[str, str] | None]:
    """The translation key (and its placeholders) of what went wrong."""
    if isinstance(err, JouloRateLimitedError):
        return "rate_limited", {"retry_after": f"{err.retry_after:.0f}"}
    command_refusal = COMMAND_REFUSALS.get((type(err), getattr(err, "status", None)))
    if caller is Caller.COMMAND and command_refusal is not None:
        return command_refusal, None
    if isinstance(err, JouloAuthenticationError):
        return "authentication_failed", None
    if isinstance(err, JouloConnectionError):
        return "cannot_connect", None
    return "invalid_response", None


@contextmanager
def joulo_errors(hass: HomeAssistant, entry: ConfigEntry[Any], caller: Caller) -> Iterator[None]:
    """Raise the client's errors inside the block as Home Assistant's (see `to_home_assistant`)."""
    try:
        yield
    except JouloError as err:
        raise to_home_assistant(hass, entry, err, caller) from err


@dataclass(frozen=True, slots=True)
class Unanswered:
    """An optional endpoint gave no answer, and why."""

    missing: bool = False
    """It does not exist for this account, or this token may not read it (404, 403)."""
    refused: bool = False
    """The token was refused (401): nothing else can be read with it either."""
    transient: bool = False
    """It failed in a way that may go better a moment later (see the client's `transient`)."""
    rate_limited: bool = False
    """The entry's rate limit held it (a 429, or the gate still closed by one): it was not asked."""


async def async_read_optional[T](read: Awaitable[T], what: str) -> T | Unanswered:
    """Read an endpoint the integration can do without (`/me`, `/ere-position`); never raise.

    `what` names the endpoint in the debug log. Any failure is an `Unanswered`: the caller decides
    whether it matters (a poll re-authenticates on a refused token, see `token_refused`).
    """
    try:
        return await read
    except JouloAuthenticationError as err:
        LOGGER.debug("%s is not readable with this token", what)
        return Unanswered(
            missing=err.status == HTTPStatus.FORBIDDEN,
            refused=err.status == HTTPStatus.UNAUTHORIZED,
        )
    except JouloError as err:
        LOGGER.debug("%s is not available: %s", what, err)
        return Unanswered(
            missing=isinstance(err, JouloResponseError) and err.status == HTTPStatus.NOT_FOUND,
            transient=err.transient,
            rate_limited=isinstance(err, JouloRateLimitedError),
        )


def is_transient(err: HomeAssistantError) -> bool:
    """Whether a background read failed in a way that may go better a moment later (see the client).

    Such a read is tried once more after the client's `retry_pause`, on Home Assistant's clock.
    """
    return isinstance(err.__cause__, JouloError) and err.__cause__.transient


def token_refused() -> ConfigEntryAuthFailed:
    """The error with which a poll asks for a new token."""
    return _translated(ConfigEntryAuthFailed, "authentication_failed")


async def async_form_error(read: Awaitable[object]) -> str | None:
    """Run a config flow's check of a token; the form's error key, or None when it passed."""
    try:
        await read
    except JouloAuthenticationError:
        return "invalid_auth"
    except (JouloConnectionError, JouloRateLimitedError):
        return "cannot_connect"
    except JouloError:
        LOGGER.exception("Unexpected answer from the Joulo API while checking the token")
        return "unknown"
    return None


def _translated[ErrorT: HomeAssistantError](
    error_type: type[ErrorT], key: str, placeholders: dict[str, str] | None = None
) -> ErrorT:
    return error_type(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
