"""Fault injection: errors, hangs and broken responses for the next matching requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus

from .responses import (
    ApiResponse,
    Json,
    encode,
    insufficient_scope,
    json_response,
    scope_for,
    too_many_requests,
    unauthorized,
)

_UNKNOWN_CHARGER_STATUS = "maintenance"
_UNKNOWN_CONNECTION_TYPE = "tesla"
_UNKNOWN_SESSION_STATUS = "paused"
_AUTH_STATUSES = frozenset({401, 403})
_ERROR_STATUSES = range(400, 600)


class FaultKind(StrEnum):
    """What a fault does to a request."""

    HTTP_ERROR = "http_error"
    """Answer with ``status`` (401, 403, 429, 5xx, ...) and the API's body for it."""
    HANG = "hang"
    """Wait ``delay`` real seconds, then answer normally."""
    MALFORMED_JSON = "malformed_json"
    """Answer as usual (200, 202) but with a truncated JSON body."""
    MISSING_FIELDS = "missing_fields"
    """Answer as usual without ``fields`` (default: every field but ids and containers)."""
    UNKNOWN_ENUM = "unknown_enum"
    """Answer as usual with enum values the API never documented."""
    WRONG_SHAPE = "wrong_shape"
    """Answer as usual with valid JSON of the wrong shape."""


@dataclass(eq=False)
class Fault:
    """An injected fault and how many more requests it applies to."""

    kind: FaultKind
    endpoint: str | None
    """The endpoint it applies to, e.g. ``/chargers``; None for every endpoint."""
    times: int | None
    """How many requests it was injected for; None until cleared."""
    status: int | None = None
    retry_after: str | None = None
    fields: tuple[str, ...] = ()
    delay: float = 30.0
    hits: int = 0
    """How many requests it has been applied to."""

    @property
    def remaining(self) -> int | None:
        """How many more requests it applies to; None until cleared."""
        return None if self.times is None else self.times - self.hits

    @property
    def overrides_auth(self) -> bool:
        """Whether it answers before the token is checked (a 401 or 403)."""
        return self.kind is FaultKind.HTTP_ERROR and self.status in _AUTH_STATUSES

    def matches(self, endpoint: str) -> bool:
        """Whether it applies to a request for ``endpoint``."""
        return self.endpoint is None or self.endpoint == endpoint

    def as_json(self) -> dict[str, Json]:
        """Describe the fault for the admin API."""
        return {
            "kind": self.kind.value,
            "endpoint": self.endpoint,
            "times": self.times,
            "remaining": self.remaining,
            "hits": self.hits,
            "status": self.status,
            "retry_after": self.retry_after,
            "fields": list(self.fields),
            "delay": self.delay,
        }


class FaultSet:
    """The active faults of a simulator, oldest first."""

    def __init__(self) -> None:
        """Start without faults."""
        self._active: list[Fault] = []

    @property
    def active(self) -> list[Fault]:
        """The faults that still apply, oldest first."""
        return list(self._active)

    def inject(
        self,
        kind: FaultKind | str,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        status: int | None = None,
        retry_after: str | None = None,
        fields: Sequence[str] = (),
        delay: float = 30.0,
    ) -> Fault:
        """Apply a fault to the next ``times`` requests for ``endpoint`` (None: all endpoints)."""
        fault_kind = FaultKind(kind)
        if fault_kind is FaultKind.HTTP_ERROR and status not in _ERROR_STATUSES:
            msg = "an http_error fault needs a status from 400 to 599"
            raise ValueError(msg)
        if times is not None and times < 1:
            msg = "times must be at least 1, or None for until cleared"
            raise ValueError(msg)
        if delay < 0:
            msg = "delay cannot be negative"
            raise ValueError(msg)
        if isinstance(fields, str):
            msg = "fields must be a sequence of field names, not a string"
            raise TypeError(msg)
        fault = Fault(
            kind=fault_kind,
            endpoint=None if endpoint is None else "/" + endpoint.strip("/"),
            times=times,
            status=status,
            retry_after=retry_after,
            fields=tuple(fields),
            delay=delay,
        )
        self._active.append(fault)
        return fault

    def clear(self) -> int:
        """Remove every fault and return how many there were."""
        count = len(self._active)
        self._active.clear()
        return count

    def match(self, endpoint: str) -> Fault | None:
        """Return the oldest fault that applies to ``endpoint``, without using it up."""
        return next((fault for fault in self._active if fault.matches(endpoint)), None)

    def consume(self, fault: Fault) -> None:
        """Count one request against ``fault``; it goes away when it is used up."""
        fault.hits += 1
        if fault.remaining == 0 and fault in self._active:
            self._active.remove(fault)


def error_response(fault: Fault, endpoint: str, method: str) -> ApiResponse:
    """Return the answer of an ``http_error`` fault."""
    status = fault.status or HTTPStatus.INTERNAL_SERVER_ERROR
    if status == HTTPStatus.UNAUTHORIZED:
        return unauthorized()
    if status == HTTPStatus.FORBIDDEN:
        return insufficient_scope(scope_for(endpoint, method))
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return too_many_requests(fault.retry_after)
    phrase = _phrase(status)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        page = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
        return ApiResponse(status=status, body=page.encode(), content_type="text/html")
    return json_response(status, {"error": phrase})


def corrupt(fault: Fault, status: int, payload: Json) -> ApiResponse:
    """Return a successful answer (``status``) with ``payload`` broken the way ``fault`` says."""
    match fault.kind:
        case FaultKind.MALFORMED_JSON:
            body = encode(payload)
            return ApiResponse(status=status, body=body[: len(body) // 2])
        case FaultKind.MISSING_FIELDS:
            return json_response(status, _without_fields(payload, frozenset(fault.fields)))
        case FaultKind.UNKNOWN_ENUM:
            return json_response(status, _with_unknown_enums(payload))
        case FaultKind.WRONG_SHAPE:
            return json_response(status, [_numbers_as_strings(payload)])
        case _:
            msg = f"a {fault.kind} fault does not change the response body"
            raise ValueError(msg)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def _without_fields(value: Json, fields: frozenset[str]) -> Json:
    """Remove ``fields`` from every object; with no fields, every scalar that is not an id."""
    if isinstance(value, list):
        return [_without_fields(item, fields) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Json] = {}
    for key, item in value.items():
        if fields:
            if key in fields:
                continue
        elif not (_is_id(key) or isinstance(item, dict | list)):
            continue
        kept[key] = _without_fields(item, fields)
    return kept


def _with_unknown_enums(value: Json) -> Json:
    """Replace charger statuses, connection types and session statuses by undocumented ones."""
    if isinstance(value, list):
        return [_with_unknown_enums(item) for item in value]
    if not isinstance(value, dict):
        return value
    changed = {key: _with_unknown_enums(item) for key, item in value.items()}
    if "connection_type" in changed:
        changed["connection_type"] = _UNKNOWN_CONNECTION_TYPE
        changed["status"] = _UNKNOWN_CHARGER_STATUS
    elif "charger_id" in changed and "status" in changed:
        changed["status"] = _UNKNOWN_SESSION_STATUS
    return changed


def _numbers_as_strings(value: Json) -> Json:
    """Turn every number and boolean into a string."""
    if isinstance(value, list):
        return [_numbers_as_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: _numbers_as_strings(item) for key, item in value.items()}
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value
