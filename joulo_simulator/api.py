"""The Joulo API's request handling: routing, auth, rate limiting, faults and the endpoints.

Independent of the web framework: :func:`handle_request` takes the parts of a request that matter
and returns an :class:`ApiResponse`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from http import HTTPStatus
import json
from typing import TYPE_CHECKING

from .clock import as_utc
from .ere_position import ere_position_document
from .faults import Fault, FaultKind, corrupt, error_response
from .payloads import chargers_document, energy_document, me_document, sessions_document
from .responses import (
    NOT_FOUND_BODY,
    ApiResponse,
    Json,
    insufficient_scope_body,
    json_response,
    scope_for,
    too_many_requests,
    unauthorized,
)
from .simulator import (
    REBOOT_TYPES,
    ChargerOfflineError,
    JouloSimulator,
    RebootCooldownError,
    RecordedRequest,
    UnknownObjectError,
)

if TYPE_CHECKING:
    from .account import SimAccount, SimSession

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_BEARER = "Bearer "
_REDACTED = "**REDACTED**"

type _Answer = tuple[int, Json]


@dataclass(frozen=True)
class _Call:
    """An authenticated API request, as an endpoint sees it."""

    sim: JouloSimulator
    account: SimAccount
    now: datetime
    query: Mapping[str, str]
    body: bytes


type _Endpoint = Callable[[_Call], _Answer]


class _BadQueryError(ValueError):
    """A query parameter the API would refuse with 400."""


def handle_request(
    sim: JouloSimulator,
    *,
    method: str,
    endpoint: str,
    query: Mapping[str, str],
    authorization: str | None,
    body: bytes = b"",
) -> ApiResponse:
    """Answer an API request for ``endpoint`` (the path after the API base) and log it."""
    now = sim.now()
    response = _respond(
        sim,
        now,
        method=method,
        endpoint=endpoint,
        query=query,
        authorization=authorization,
        body=body,
    )
    sim.record(
        RecordedRequest(
            at=now,
            method=method,
            endpoint=endpoint,
            query={k: _REDACTED if k.lower() == "token" else v for k, v in query.items()},
            status=response.status,
        )
    )
    return response


def _respond(
    sim: JouloSimulator,
    now: datetime,
    *,
    method: str,
    endpoint: str,
    query: Mapping[str, str],
    authorization: str | None,
    body: bytes,
) -> ApiResponse:
    handler = _route(method, endpoint)
    if isinstance(handler, ApiResponse):
        return handler
    fault = sim.faults.match(endpoint, now)
    if fault is not None and fault.overrides_auth:
        sim.faults.consume(fault)
        return error_response(fault, endpoint, method)
    account = _authenticate(sim, query, authorization)
    if account is None:
        return unauthorized()
    limiter = sim.rate_limiter
    if limiter is not None and (retry_after := limiter.check(account.token, now)) is not None:
        return too_many_requests(str(retry_after))
    call = _Call(sim, account, now, query, body)
    fault = fault or sim.faults.draw(endpoint)
    if fault is None:
        return json_response(*handler(call))
    sim.faults.consume(fault)
    return _with_fault(fault, handler, call, endpoint, method)


def _with_fault(
    fault: Fault, handler: _Endpoint, call: _Call, endpoint: str, method: str
) -> ApiResponse:
    """Return the endpoint's answer as ``fault`` changes it."""
    if fault.is_error:
        # The error comes before the API does anything, so a failed command did not happen.
        return error_response(fault, endpoint, method)
    if fault.kind is FaultKind.IGNORED_OFFSET:
        query = {key: value for key, value in call.query.items() if key != "offset"}
        return json_response(*handler(replace(call, query=query)))
    status, payload = handler(call)
    if fault.kind is FaultKind.HANG:
        return replace(json_response(status, payload), delay=fault.delay)
    if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return json_response(status, payload)
    return corrupt(fault, status, payload)


def _route(method: str, endpoint: str) -> _Endpoint | ApiResponse:
    """Return the endpoint's handler, or the 404 or 405 answer."""
    routes = _ROUTES.get(endpoint)
    if routes is None:
        return json_response(HTTPStatus.NOT_FOUND, NOT_FOUND_BODY)
    handler = routes.get("GET" if method == "HEAD" else method)
    if handler is None:
        return json_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"error": "Method not allowed"},
            {"Allow": ", ".join(routes)},
        )
    return handler


def _authenticate(
    sim: JouloSimulator, query: Mapping[str, str], authorization: str | None
) -> SimAccount | None:
    """Return the account of the bearer token; a token in the URL is refused even when valid."""
    if "token" in query or authorization is None or not authorization.startswith(_BEARER):
        return None
    return sim.authenticate(authorization.removeprefix(_BEARER))


def _get_chargers(call: _Call) -> _Answer:
    return HTTPStatus.OK, chargers_document(
        call.account, call.now, lambda charger: call.sim.synced_at(charger, call.now)
    )


def _get_sessions(call: _Call) -> _Answer:
    query = call.query
    try:
        limit = _integer(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _integer(query, "offset", 0, 0, None)
        start = _timestamp(query, "from")
        end = _timestamp(query, "to")
    except _BadQueryError as err:
        return HTTPStatus.BAD_REQUEST, {"error": str(err)}
    charger_id = query.get("charger_id")
    sessions = [
        (session, shown)
        for session, shown in call.sim.shown_sessions(call.account, call.now)
        if (charger_id is None or session.charger_id == charger_id)
        and (start is None or session.started_at >= start)
        and (end is None or session.started_at < end)
    ]
    sessions.sort(key=lambda pair: (pair[0].started_at, pair[0].id), reverse=True)
    page = sessions[offset : offset + limit]
    return HTTPStatus.OK, sessions_document(call.account, page, limit=limit, offset=offset)


def _get_energy(call: _Call) -> _Answer:
    return HTTPStatus.OK, energy_document(_completed(call))


def _get_ere_position(call: _Call) -> _Answer:
    if not call.account.ere_position_available:
        return HTTPStatus.NOT_FOUND, NOT_FOUND_BODY
    return HTTPStatus.OK, ere_position_document(call.account, _completed(call), call.now)


def _completed(call: _Call) -> list[SimSession]:
    """The account's sessions that the API shows as completed."""
    return call.sim.completed_sessions(call.account, call.now)


def _get_me(call: _Call) -> _Answer:
    if not call.account.me_available:
        return HTTPStatus.NOT_FOUND, NOT_FOUND_BODY
    return HTTPStatus.OK, me_document(call.account)


def _post_chargers(_call: _Call) -> _Answer:
    return HTTPStatus.FORBIDDEN, insufficient_scope_body(scope_for("/chargers", "POST"))


def _post_reboot(call: _Call) -> _Answer:
    if not call.account.can_control:
        return HTTPStatus.FORBIDDEN, insufficient_scope_body(scope_for("/chargers/reboot", "POST"))
    try:
        charger_id, reboot_type = _reboot_body(call.body)
    except ValueError as err:
        return HTTPStatus.BAD_REQUEST, {"error": str(err)}
    try:
        call.sim.reboot_charger(charger_id, token=call.account.token, reboot_type=reboot_type)
    except UnknownObjectError:
        return HTTPStatus.NOT_FOUND, {"error": "Charger not found"}
    except (RebootCooldownError, ChargerOfflineError) as err:
        return _REBOOT_REFUSALS[type(err)], {"error": str(err)}
    if call.account.chargers[charger_id].reports_live:
        return HTTPStatus.OK, {"confirmed_by_boot": True}
    return HTTPStatus.ACCEPTED, {"message": "Reboot command sent"}


_REBOOT_REFUSALS: dict[type[Exception], HTTPStatus] = {
    RebootCooldownError: HTTPStatus.CONFLICT,
    ChargerOfflineError: HTTPStatus.SERVICE_UNAVAILABLE,
}


def _reboot_body(body: bytes) -> tuple[str, str]:
    """Return the charger id and reboot type of a reboot request's JSON body."""
    try:
        data = json.loads(body)
    except ValueError:
        msg = "The body must be a JSON object"
        raise ValueError(msg) from None
    if not isinstance(data, dict):
        msg = "The body must be a JSON object"
        raise ValueError(msg)  # noqa: TRY004 - the answer is a 400, whatever the type
    charger_id, reboot_type = data.get("charger_id"), data.get("type")
    if not isinstance(charger_id, str) or not charger_id:
        msg = "'charger_id' is required"
        raise ValueError(msg)
    if reboot_type not in REBOOT_TYPES:
        msg = f"'type' must be one of {', '.join(REBOOT_TYPES)}"
        raise ValueError(msg)
    return charger_id, reboot_type


def _integer(
    query: Mapping[str, str], name: str, default: int, lowest: int, highest: int | None
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() else None
    if value is None or value < lowest or (highest is not None and value > highest):
        bounds = f"from {lowest} to {highest}" if highest is not None else f"of at least {lowest}"
        msg = f"'{name}' must be a whole number {bounds}"
        raise _BadQueryError(msg)
    return value


def _timestamp(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        msg = f"'{name}' must be an ISO 8601 timestamp"
        raise _BadQueryError(msg) from None


_ROUTES: dict[str, dict[str, _Endpoint]] = {
    "/chargers": {"GET": _get_chargers, "POST": _post_chargers},
    "/sessions": {"GET": _get_sessions},
    "/energy": {"GET": _get_energy},
    "/me": {"GET": _get_me},
    "/ere-position": {"GET": _get_ere_position},
    "/chargers/reboot": {"POST": _post_reboot},
}
