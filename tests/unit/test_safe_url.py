"""Which API URLs the token may be sent to: https anywhere, plain http only to the machine itself."""

from __future__ import annotations

import pytest

from custom_components.joulo.safe_url import is_safe_for_token


@pytest.mark.parametrize(
    "url",
    [
        "https://api.joulo.nl/functions/v1/api",
        "HTTPS://joulo.example.com",
        "https://192.168.1.10:8443/api",
        "http://127.0.0.1:8080/functions/v1/api",
        "http://127.23.4.5/api",  # all of 127.0.0.0/8 is loopback
        "http://[::1]:8080/api",
        "http://localhost:8080/api",
        "http://LocalHost/api",
    ],
)
def test_safe(url: str) -> None:
    """Encrypted anywhere, or plain to a loopback address: the token never crosses a network bare."""
    assert is_safe_for_token(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://joulo.example.com/functions/v1/api",
        "http://192.168.1.10:8080/api",
        "http://0.0.0.0:8080/api",
        "http://[fe80::1]/api",
        "http://localhost.example.com/api",
        "http://127.0.0.1@joulo.example.com/api",  # the host is after the @
        "ftp://127.0.0.1/api",
        "ws://localhost/api",
        "joulo.example.com/api",  # no scheme
        "127.0.0.1:8080",
        "https://",  # no host
        "http://[::1/api",  # unreadable
        "",
    ],
)
def test_unsafe(url: str) -> None:
    """Plain http to another machine, any other scheme, and what is not a URL are refused."""
    assert not is_safe_for_token(url)
