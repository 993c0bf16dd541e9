"""The aiohttp application: the Joulo API under :data:`API_PATH`, admin routes under ``/_sim/``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web

from .account import SimAccount
from .api import handle_request
from .clock import ManualClock, as_utc
from .faults import FaultKind
from .payloads import charger_json, session_json, timestamp
from .responses import NOT_FOUND_BODY, Json
from .simulator import JouloSimulator, SimulatorStateError, UnknownObjectError

API_PATH = "/functions/v1/api"
"""Where the API lives, as on ``https://api.joulo.nl``."""
ADMIN_PATH = "/_sim"
"""Where the simulator's own admin routes live; never part of the real API."""
SIMULATOR_KEY = web.AppKey("joulo_simulator", JouloSimulator)
"""The application's simulator."""

_RELEASE_HANGS = web.AppKey("joulo_simulator_release_hangs", asyncio.Event)
_SHOWN_TOKEN_CHARS = 10

type _Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(sim: JouloSimulator) -> web.Application:
    """Return an application that serves ``sim``."""
    app = web.Application(middlewares=[_json_errors])
    app[SIMULATOR_KEY] = sim
    app[_RELEASE_HANGS] = asyncio.Event()
    app.router.add_route("*", API_PATH, _api)
    app.router.add_route("*", API_PATH + "/{endpoint:.*}", _api)
    app.on_shutdown.append(_release_hangs)

    admin = web.Application(middlewares=[_admin_errors])
    admin.add_routes(
        [
            web.get("/faults", _list_faults),
            web.post("/faults", _inject_fault),
            web.post("/faults/random", _add_random_faults),
            web.post("/faults/outage", _add_outage),
            web.delete("/faults", _clear_faults),
            web.post("/latency", _set_latency),
            web.get("/requests", _list_requests),
            web.delete("/requests", _clear_requests),
            web.post("/clock/advance", _advance_clock),
            web.post("/upstream-sync", _switch_upstream_sync),
            web.post("/sessions/start", _start_session),
            web.post("/sessions/stop", _stop_session),
            web.post("/chargers", _add_charger),
            web.delete("/chargers/{charger_id}", _remove_charger),
            web.post("/chargers/{charger_id}/status", _set_charger_status),
            web.post("/accounts", _add_account),
            web.post("/accounts/settings", _account_settings),
            web.post("/tokens/rotate", _rotate_token),
            web.get("/state", _state),
        ]
    )
    app.add_subapp(ADMIN_PATH, admin)
    return app


async def _api(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIMULATOR_KEY]
    answer = handle_request(
        sim,
        method=request.method,
        endpoint="/" + request.match_info.get("endpoint", ""),
        query={key: request.query[key] for key in request.query},
        authorization=request.headers.get(hdrs.AUTHORIZATION),
        body=await request.read() if request.can_read_body else b"",
    )
    # The latency and a hang fault wait alike, and end at once when the server stops.
    if (delay := sim.latency + answer.delay) > 0:
        release = request.app[_RELEASE_HANGS]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), delay)
        if release.is_set():
            return web.json_response(
                {"error": "Shutting down"}, status=HTTPStatus.SERVICE_UNAVAILABLE
            )
    return web.Response(
        status=answer.status,
        body=answer.body,
        content_type=answer.content_type,
        charset="utf-8",
        headers=answer.headers,
    )


async def _release_hangs(app: web.Application) -> None:
    """Let hanging requests finish at once, so the server stops without waiting for them."""
    app[_RELEASE_HANGS].set()


@web.middleware
async def _json_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Answer unknown routes and methods with JSON, as the API does."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        body = NOT_FOUND_BODY if err.status == HTTPStatus.NOT_FOUND else {"error": err.reason}
        response = web.json_response(body, status=err.status)
        if hdrs.ALLOW in err.headers:
            response.headers[hdrs.ALLOW] = err.headers[hdrs.ALLOW]
        return response


@web.middleware
async def _admin_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Turn the simulator's refusals into 404, 409 and 400 answers."""
    try:
        return await handler(request)
    except UnknownObjectError as err:
        return _error(HTTPStatus.NOT_FOUND, err)
    except SimulatorStateError as err:
        return _error(HTTPStatus.CONFLICT, err)
    except (ValueError, TypeError) as err:
        return _error(HTTPStatus.BAD_REQUEST, err)


def _error(status: HTTPStatus, err: Exception) -> web.Response:
    message = err.args[0] if err.args else status.phrase
    return web.json_response({"error": str(message)}, status=status)


class _Body:
    """The JSON object of an admin request, with typed access to its fields."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @classmethod
    async def read(cls, request: web.Request) -> _Body:
        if not request.can_read_body:
            return cls({})
        try:
            data = await request.json()
        except ValueError:
            msg = "the body must be JSON"
            raise ValueError(msg) from None
        if not isinstance(data, dict):
            msg = "the body must be a JSON object"
            raise TypeError(msg)
        return cls(data)

    def _wrong(self, key: str, kind: str) -> TypeError:
        return TypeError(f"'{key}' must be {kind}")

    def has(self, key: str) -> bool:
        return key in self._data

    def text(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(key, "a string")

    def required_text(self, key: str) -> str:
        return _present(self.text(key), key)

    def number(self, key: str) -> float | None:
        value = self._data.get(key)
        if value is None:
            return None
        # bool is an int in Python, but not a number in JSON.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong(key, "a number")
        return float(value)

    def integer(self, key: str) -> int | None:
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "a whole number")
        return value

    def flag(self, key: str) -> bool | None:
        value = self._data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self._wrong(key, "true or false")

    def integers(self, key: str) -> list[int]:
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise self._wrong(key, "a list of whole numbers")
        return value

    def rates(self, key: str) -> dict[str, float]:
        value = self._data.get(key)
        if not isinstance(value, dict) or not all(
            isinstance(rate, int | float) and not isinstance(rate, bool) for rate in value.values()
        ):
            raise self._wrong(key, "an object of fault kinds and rates")
        return {kind: float(rate) for kind, rate in value.items()}

    def required_timestamp(self, key: str) -> datetime:
        text = self.required_text(key)
        try:
            return as_utc(datetime.fromisoformat(text))
        except ValueError:
            msg = f"'{key}' must be an ISO 8601 timestamp"
            raise ValueError(msg) from None

    def texts(self, key: str) -> list[str]:
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(key, "a list of strings")
        return value


def _present[T](value: T | None, key: str) -> T:
    """Return a body field's value, refusing a missing one."""
    if value is None:
        msg = f"'{key}' is required"
        raise ValueError(msg)
    return value


def _sim(request: web.Request) -> JouloSimulator:
    return request.config_dict[SIMULATOR_KEY]


async def _list_faults(request: web.Request) -> web.Response:
    return web.json_response(_faults(_sim(request)))


def _faults(sim: JouloSimulator) -> dict[str, Json]:
    return {
        "faults": [fault.as_json() for fault in sim.faults.active],
        "random": [faults.as_json() for faults in sim.faults.random],
        "outages": [outage.as_json() for outage in sim.faults.outages],
    }


async def _add_random_faults(request: web.Request) -> web.Response:
    body = await _Body.read(request)
    seed = body.integer("seed")
    delay = body.number("delay")
    statuses = body.integers("statuses")
    faults = _sim(request).faults.add_random(
        body.rates("rates"),
        seed=0 if seed is None else seed,
        endpoint=body.text("endpoint"),
        statuses=statuses or (500, 502, 503, 504),
        retry_after=body.text("retry_after") if body.has("retry_after") else "30",
        delay=30.0 if delay is None else delay,
    )
    return web.json_response(faults.as_json(), status=HTTPStatus.CREATED)


async def _add_outage(request: web.Request) -> web.Response:
    body = await _Body.read(request)
    status = body.integer("status")
    delay = body.number("delay")
    outage = _sim(request).faults.add_outage(
        body.required_timestamp("start"),
        body.required_timestamp("end"),
        kind=FaultKind(body.text("kind") or FaultKind.HTTP_ERROR),
        status=HTTPStatus.SERVICE_UNAVAILABLE if status is None else status,
        delay=30.0 if delay is None else delay,
        endpoint=body.text("endpoint"),
    )
    return web.json_response(outage.as_json(), status=HTTPStatus.CREATED)


async def _set_latency(request: web.Request) -> web.Response:
    sim = _sim(request)
    sim.latency = _present((await _Body.read(request)).number("seconds"), "seconds")
    return web.json_response({"latency": sim.latency})


async def _inject_fault(request: web.Request) -> web.Response:
    body = await _Body.read(request)
    delay = body.number("delay")
    fault = _sim(request).faults.inject(
        FaultKind(body.required_text("kind")),
        endpoint=body.text("endpoint"),
        times=body.integer("times") if body.has("times") else 1,
        status=body.integer("status"),
        retry_after=body.text("retry_after"),
        fields=body.texts("fields"),
        delay=30.0 if delay is None else delay,
    )
    return web.json_response(fault.as_json(), status=HTTPStatus.CREATED)


async def _clear_faults(request: web.Request) -> web.Response:
    return web.json_response({"cleared": _sim(request).faults.clear()})


async def _list_requests(request: web.Request) -> web.Response:
    sim = _sim(request)
    counts: dict[str, int] = {}
    for recorded in sim.requests:
        counts[recorded.endpoint] = counts.get(recorded.endpoint, 0) + 1
    log: list[Json] = [
        {
            "at": timestamp(recorded.at),
            "method": recorded.method,
            "endpoint": recorded.endpoint,
            "query": dict(recorded.query),
            "status": recorded.status,
        }
        for recorded in sim.requests
    ]
    return web.json_response({"total": len(sim.requests), "counts": counts, "requests": log})


async def _clear_requests(request: web.Request) -> web.Response:
    _sim(request).clear_requests()
    return web.json_response({"cleared": True})


async def _advance_clock(request: web.Request) -> web.Response:
    sim = _sim(request)
    if not isinstance(sim.clock, ManualClock):
        msg = "the clock can only be advanced when it is a ManualClock"
        raise SimulatorStateError(msg)
    sim.clock.advance(_present((await _Body.read(request)).number("seconds"), "seconds"))
    return web.json_response({"now": timestamp(sim.now())})


async def _switch_upstream_sync(request: web.Request) -> web.Response:
    sim = _sim(request)
    sim.upstream_sync = _present((await _Body.read(request)).flag("enabled"), "enabled")
    return web.json_response({"upstream_sync": sim.upstream_sync})


async def _start_session(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _Body.read(request)
    power_kw = body.number("power_kw")
    minutes = body.number("duration_minutes")
    session = sim.start_session(
        body.required_text("charger_id"),
        token=body.text("token"),
        power_kw=11.0 if power_kw is None else power_kw,
        duration=None if minutes is None else timedelta(minutes=minutes),
        id_tag=body.text("id_tag"),
        kwh=body.number("kwh"),
    )
    return web.json_response(session_json(session, sim.now()), status=HTTPStatus.CREATED)


async def _stop_session(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _Body.read(request)
    session = sim.end_session(body.required_text("charger_id"), token=body.text("token"))
    return web.json_response(session_json(session, sim.now()))


async def _add_charger(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _Body.read(request)
    mid_certified = body.flag("mid_certified")
    charger = sim.add_charger(
        token=body.text("token"),
        nickname=body.text("nickname") or "Charger",
        connection_type=body.text("connection_type") or "easee",
        mid_certified=True if mid_certified is None else mid_certified,
        status=body.text("status") or "online",
        charger_id=body.text("charger_id"),
        meter_wh=body.integer("meter_wh"),
    )
    return web.json_response(charger_json(charger, sim.now()), status=HTTPStatus.CREATED)


async def _remove_charger(request: web.Request) -> web.Response:
    _sim(request).remove_charger(request.match_info["charger_id"], token=request.query.get("token"))
    return web.json_response({"removed": request.match_info["charger_id"]})


async def _set_charger_status(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _Body.read(request)
    charger_id = request.match_info["charger_id"]
    token = body.text("token")
    sim.set_charger_status(charger_id, body.required_text("status"), token=token)
    return web.json_response(charger_json(sim.charger(charger_id, token=token), sim.now()))


async def _add_account(request: web.Request) -> web.Response:
    body = await _Body.read(request)
    account = _sim(request).add_account(
        body.text("token"),
        empty=bool(body.flag("empty")),
        account_id=body.text("account_id"),
        mid_upgraded_days_ago=body.number("mid_upgraded_days_ago"),
    )
    _apply_settings(account, body)
    return web.json_response(
        {"id": account.id, "token": account.token, "chargers": list(account.chargers)},
        status=HTTPStatus.CREATED,
    )


async def _account_settings(request: web.Request) -> web.Response:
    """Change the switches of the account of ``token`` (default: the default account)."""
    body = await _Body.read(request)
    account = _sim(request).account(body.text("token"))
    _apply_settings(account, body)
    return web.json_response(_settings(account))


_ACCOUNT_SWITCHES = ("me_available", "ere_position_available", "can_control")


def _apply_settings(account: SimAccount, body: _Body) -> None:
    """Set the account switches the body names (e.g. ``me_available``) and leave the others."""
    for name in _ACCOUNT_SWITCHES:
        value = body.flag(name)
        if value is not None:
            setattr(account, name, value)


def _settings(account: SimAccount) -> dict[str, Json]:
    return {name: getattr(account, name) for name in _ACCOUNT_SWITCHES}


async def _rotate_token(request: web.Request) -> web.Response:
    body = await _Body.read(request)
    token = _sim(request).rotate_token(body.required_text("token"), body.text("new_token"))
    return web.json_response({"token": token})


async def _state(request: web.Request) -> web.Response:
    sim = _sim(request)
    now = sim.now()
    accounts: list[Json] = [
        {
            "id": account.id,
            "name": account.name,
            "email": account.email,
            "token": account.token[:_SHOWN_TOKEN_CHARS],
            **_settings(account),
            "ere_price_mid": account.ere_price_mid,
            "effective_fee_pct": account.effective_fee_pct,
            "sessions": len(account.sessions),
            "chargers": [charger_json(charger, now) for charger in account.chargers.values()],
            "active_sessions": [
                session_json(session, now) for session in account.sessions if session.is_active
            ],
        }
        for account in sim.accounts
    ]
    limit = sim.rate_limit
    return web.json_response(
        {
            "now": timestamp(now),
            "autopilot": sim.autopilot,
            "speed": sim.speed,
            "upstream_sync": sim.upstream_sync,
            "manual_clock": isinstance(sim.clock, ManualClock),
            "rate_limit": None
            if limit is None
            else {"max_requests": limit.max_requests, "window": limit.window.total_seconds()},
            **_faults(sim),
            "latency": sim.latency,
            "requests": sim.request_count(),
            "accounts": accounts,
        }
    )
