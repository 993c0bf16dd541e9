"""How each of the client's errors reaches Home Assistant, for each kind of caller."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.joulo.api import (
    JouloAuthenticationError,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
)
from custom_components.joulo.errors import (
    Caller,
    Unanswered,
    async_form_error,
    async_read_optional,
    to_home_assistant,
)

RATE_LIMITED = JouloRateLimitedError(datetime(2026, 4, 15, tzinfo=UTC), 42.4)
TIMEOUT = JouloConnectionError("timeout")
OFFLINE = JouloConnectionError("HTTP 503", status=503)
CONFLICT = JouloResponseError("HTTP 409", status=409)
MALFORMED = JouloResponseError("malformed JSON", status=200)


@pytest.mark.parametrize(
    ("err", "caller", "error_type", "key"),
    [
        (
            JouloAuthenticationError(401),
            Caller.POLL,
            ConfigEntryAuthFailed,
            "authentication_failed",
        ),
        (
            JouloAuthenticationError(403),
            Caller.POLL,
            ConfigEntryAuthFailed,
            "authentication_failed",
        ),
        (JouloAuthenticationError(401), Caller.READ, HomeAssistantError, "authentication_failed"),
        (
            JouloAuthenticationError(401),
            Caller.COMMAND,
            HomeAssistantError,
            "authentication_failed",
        ),
        (JouloAuthenticationError(403), Caller.COMMAND, HomeAssistantError, "control_not_allowed"),
        (RATE_LIMITED, Caller.POLL, UpdateFailed, "rate_limited"),
        (RATE_LIMITED, Caller.READ, HomeAssistantError, "rate_limited"),
        (RATE_LIMITED, Caller.COMMAND, HomeAssistantError, "rate_limited"),
        (TIMEOUT, Caller.POLL, UpdateFailed, "cannot_connect"),
        (OFFLINE, Caller.READ, HomeAssistantError, "cannot_connect"),
        (OFFLINE, Caller.COMMAND, HomeAssistantError, "charger_offline"),
        (TIMEOUT, Caller.COMMAND, HomeAssistantError, "cannot_connect"),
        (MALFORMED, Caller.POLL, UpdateFailed, "invalid_response"),
        (CONFLICT, Caller.READ, HomeAssistantError, "invalid_response"),
        (CONFLICT, Caller.COMMAND, HomeAssistantError, "restart_cooldown"),
        (JouloError("other"), Caller.READ, HomeAssistantError, "invalid_response"),
    ],
)
def test_each_error_maps_to_one_translated_error(
    err: JouloError, caller: Caller, error_type: type[HomeAssistantError], key: str
) -> None:
    """The same failure reads the same everywhere, translated; the client's text never shows."""
    entry = MagicMock()

    mapped = to_home_assistant(MagicMock(), entry, err, caller)

    assert type(mapped) is error_type
    assert mapped.translation_domain == "joulo"
    assert mapped.translation_key == key
    assert str(err) not in (mapped.translation_placeholders or {}).values()
    # A user's read or command with a refused token asks for a new one; a poll's coordinator does.
    asks_reauth = key == "authentication_failed" and caller is not Caller.POLL
    assert entry.async_start_reauth.called == asks_reauth


def test_a_rate_limit_says_when_to_try_again() -> None:
    """A 429 carries its retry time: in the message, and for a poll's coordinator to wait."""
    polled = to_home_assistant(MagicMock(), MagicMock(), RATE_LIMITED, Caller.POLL)
    read = to_home_assistant(MagicMock(), MagicMock(), RATE_LIMITED, Caller.READ)

    assert isinstance(polled, UpdateFailed)
    assert polled.retry_after == pytest.approx(42.4)
    assert polled.translation_placeholders == read.translation_placeholders == {"retry_after": "42"}


async def _raise(err: Exception) -> None:
    raise err


async def _answer() -> str:
    return "answer"


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (JouloAuthenticationError(401), Unanswered(refused=True)),
        (JouloAuthenticationError(403), Unanswered(missing=True)),
        (JouloResponseError("HTTP 404", status=404), Unanswered(missing=True)),
        (MALFORMED, Unanswered(transient=True)),
        (TIMEOUT, Unanswered(transient=True)),
        (RATE_LIMITED, Unanswered(rate_limited=True)),
    ],
)
async def test_an_optional_read_never_raises(err: JouloError, expected: Unanswered) -> None:
    """An optional endpoint's failure says whether it is missing, or the token refused."""
    assert await async_read_optional(_raise(err), "/me") == expected


async def test_an_optional_read_that_answers() -> None:
    """An answer is passed on as it is."""
    assert await async_read_optional(_answer(), "/me") == "answer"


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (JouloAuthenticationError(401), "invalid_auth"),
        (JouloAuthenticationError(403), "invalid_auth"),
        (TIMEOUT, "cannot_connect"),
        (RATE_LIMITED, "cannot_connect"),
        (MALFORMED, "unknown"),
    ],
)
async def test_a_token_check_gives_the_forms_error(err: JouloError, expected: str) -> None:
    """The config flow's form shows what went wrong."""
    assert await async_form_error(_raise(err)) == expected
    assert await async_form_error(_answer()) is None
