"""Which API URLs the token may be sent to: pure, so the config flow refuses the others before asking.

The token travels in every request's header: only encrypted (`https`), or in plain `http` to this
machine (a loopback address, e.g. a simulator), where it never crosses a network.
"""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import urlsplit


def is_safe_for_token(url: str) -> bool:
    """Whether the token may be sent to `url`: over https, or over http to a loopback address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    if not host or parts.scheme not in {"https", "http"}:
        return False
    return parts.scheme == "https" or _is_loopback(host)


def _is_loopback(host: str) -> bool:
    """Whether `host` is the machine itself: `localhost`, or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return False
