"""API responses independent of the web framework, and the error bodies the API documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json

type Json = dict[str, Json] | list[Json] | str | int | float | bool | None
"""A JSON value."""

JSON_CONTENT_TYPE = "application/json"

UNAUTHORIZED_BODY: Json = {"error": "Missing or invalid API token"}
TOO_MANY_REQUESTS_BODY: Json = {"error": "Too many requests"}
NOT_FOUND_BODY: Json = {"error": "Not found"}


@dataclass(frozen=True)
class ApiResponse:
    """What to answer an API request with."""

    status: int
    body: bytes
    content_type: str = JSON_CONTENT_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Real seconds to wait before answering (the hang fault)."""


def encode(payload: Json) -> bytes:
    """Encode ``payload`` as compact JSON."""
    return json.dumps(payload, separators=(",", ":")).encode()


def json_response(
    status: int, payload: Json, headers: Mapping[str, str] | None = None
) -> ApiResponse:
    """Return a JSON response."""
    return ApiResponse(status=int(status), body=encode(payload), headers=headers or {})


CONTROL_SCOPE = "chargers:control"
"""The scope a token needs for ``POST /chargers/reboot``."""


def scope_for(endpoint: str, method: str = "GET") -> str:
    """Return the token scope an endpoint needs, e.g. ``chargers:read``."""
    if endpoint == "/chargers/reboot":
        return CONTROL_SCOPE
    access = "read" if method in {"GET", "HEAD"} else "write"
    return f"{endpoint.strip('/') or 'api'}:{access}"


def unauthorized() -> ApiResponse:
    """Return the documented 401 answer."""
    return json_response(401, UNAUTHORIZED_BODY)


def insufficient_scope_body(scope: str) -> Json:
    """Return the documented 403 body for a token without ``scope``."""
    return {"error": "Insufficient scope", "required_scope": scope}


def insufficient_scope(scope: str) -> ApiResponse:
    """Return the documented 403 answer for a token without ``scope``."""
    return json_response(403, insufficient_scope_body(scope))


def too_many_requests(retry_after: str | None) -> ApiResponse:
    """Return a 429 answer, with a Retry-After header when ``retry_after`` is given."""
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return json_response(429, TOO_MANY_REQUESTS_BODY, headers)
