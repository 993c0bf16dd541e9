"""Fault injection: errors, hangs and broken responses.

Three ways: for the next matching requests (:meth:`FaultSet.inject`), at random at given rates
per request (:meth:`FaultSet.add_random`, seeded), and for every request between two moments of
the simulator's clock (:meth:`FaultSet.add_outage`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from http import HTTPStatus
import math

from .account import seeded_random
from .clock import as_utc
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
_SERVER_ERRORS = (500, 502, 503, 504)


class FaultKind(StrEnum):
    """What a fault does to a request."""

    HTTP_ERROR = "http_error"
    """Answer with ``status`` (401, 403, 429, 5xx, ...) and the API's body for it."""
    RATE_LIMITED = "rate_limited"
    """Answer 429 with ``Retry-After: retry_after`` (none when it is None)."""
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
    IGNORED_OFFSET = "ignored_offset"
    """Answer as if the query had no ``offset``: every page of ``/sessions`` is the first."""


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

    @property
    def is_error(self) -> bool:
        """Whether it answers with an error instead of letting the endpoint run."""
        return self.kind in {FaultKind.HTTP_ERROR, FaultKind.RATE_LIMITED}

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


@dataclass(eq=False)
class RandomFaults:
    """Faults drawn at random for each matching request, at a rate per kind (seeded)."""

    rates: dict[FaultKind, float]
    """The chance per request of each kind, e.g. ``{FaultKind.HTTP_ERROR: 0.05}``."""
    seed: int | str
    endpoint: str | None = None
    """The endpoint it applies to; None for every endpoint."""
    statuses: tuple[int, ...] = _SERVER_ERRORS
    """The statuses an ``http_error`` is drawn from."""
    retry_after: str | None = "30"
    """The ``Retry-After`` of a ``rate_limited`` fault."""
    delay: float = 30.0
    """The real seconds of a ``hang``."""
    requests: int = 0
    """How many requests it drew for."""
    hits: Counter[FaultKind] = field(default_factory=Counter)
    """How many faults of each kind it drew."""

    def __post_init__(self) -> None:
        """Start the seeded generator."""
        self._rng = seeded_random(self.seed)

    def draw(self, endpoint: str) -> Fault | None:
        """Draw for one request for ``endpoint``: a fault for it, or None."""
        if self.endpoint is not None and self.endpoint != endpoint:
            return None
        self.requests += 1
        chance = self._rng.random()
        for kind, rate in self.rates.items():
            if chance < rate:
                self.hits[kind] += 1
                status = self._rng.choice(self.statuses) if kind is FaultKind.HTTP_ERROR else None
                return Fault(
                    kind, endpoint, 1, status=status, retry_after=self.retry_after, delay=self.delay
                )
            chance -= rate
        return None

    def as_json(self) -> dict[str, Json]:
        """Describe it for the admin API."""
        return {
            "rates": {kind.value: rate for kind, rate in self.rates.items()},
            "seed": self.seed,
            "endpoint": self.endpoint,
            "statuses": list(self.statuses),
            "retry_after": self.retry_after,
            "delay": self.delay,
            "requests": self.requests,
            "hits": {kind.value: count for kind, count in self.hits.items()},
        }


@dataclass(frozen=True)
class Outage:
    """Every matching request fails from ``start`` (included) to ``end`` on the simulator's clock."""

    start: datetime
    end: datetime
    kind: FaultKind = FaultKind.HTTP_ERROR
    """``http_error`` (answer ``status``) or ``hang`` (wait ``delay`` real seconds)."""
    status: int = 503
    delay: float = 30.0
    endpoint: str | None = None

    def fault_for(self, endpoint: str, now: datetime) -> Fault | None:
        """Return the fault of a request for ``endpoint`` at ``now``, or None outside it."""
        if not self.start <= now < self.end or self.endpoint not in {None, endpoint}:
            return None
        status = self.status if self.kind is FaultKind.HTTP_ERROR else None
        return Fault(self.kind, endpoint, 1, status=status, delay=self.delay)

    def as_json(self) -> dict[str, Json]:
        """Describe it for the admin API."""
        return {
            "start": as_utc(self.start).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": as_utc(self.end).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "kind": self.kind.value,
            "status": self.status,
            "delay": self.delay,
            "endpoint": self.endpoint,
        }


class FaultSet:
    """The faults of a simulator: injected ones (oldest first), random ones and outages."""

    def __init__(self) -> None:
        """Start without faults."""
        self._active: list[Fault] = []
        self._random: list[RandomFaults] = []
        self._outages: list[Outage] = []

    @property
    def active(self) -> list[Fault]:
        """The injected faults that still apply, oldest first."""
        return list(self._active)

    @property
    def random(self) -> list[RandomFaults]:
        """The random faults, in the order they draw."""
        return list(self._random)

    @property
    def outages(self) -> list[Outage]:
        """The outages, past ones included."""
        return list(self._outages)

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
        _check_delay(delay)
        if isinstance(fields, str):
            msg = "fields must be a sequence of field names, not a string"
            raise TypeError(msg)
        fault = Fault(
            kind=fault_kind,
            endpoint=_endpoint(endpoint),
            times=times,
            status=status,
            retry_after=retry_after,
            fields=tuple(fields),
            delay=delay,
        )
        self._active.append(fault)
        return fault

    def add_random(
        self,
        rates: Mapping[FaultKind, float] | Mapping[str, float],
        *,
        seed: int | str = 0,
        endpoint: str | None = None,
        statuses: Sequence[int] = _SERVER_ERRORS,
        retry_after: str | None = "30",
        delay: float = 30.0,
    ) -> RandomFaults:
        """Fail each request for ``endpoint`` (None: all) at random, at ``rates`` per kind.

        E.g. ``{FaultKind.HTTP_ERROR: 0.05, FaultKind.HANG: 0.01, FaultKind.RATE_LIMITED: 0.005}``:
        5% answer a status drawn from ``statuses``, 1% hang ``delay`` real seconds, 0.5% answer
        429 with ``Retry-After: retry_after``. The same seed and requests give the same faults.
        Injected faults and outages come first; random ones draw only for requests with a valid
        token within the rate limit.
        """
        kinds = {FaultKind(kind): float(rate) for kind, rate in rates.items()}
        if any(not 0 <= rate <= 1 for rate in kinds.values()) or sum(kinds.values()) > 1:
            msg = "rates must be from 0 to 1 and add up to at most 1"
            raise ValueError(msg)
        if not statuses or any(status not in _ERROR_STATUSES for status in statuses):
            msg = "statuses must be from 400 to 599"
            raise ValueError(msg)
        _check_delay(delay)
        faults = RandomFaults(
            kinds,
            seed,
            _endpoint(endpoint),
            statuses=tuple(statuses),
            retry_after=retry_after,
            delay=delay,
        )
        self._random.append(faults)
        return faults

    def add_outage(
        self,
        start: datetime,
        end: datetime,
        *,
        kind: FaultKind | str = FaultKind.HTTP_ERROR,
        status: int = 503,
        delay: float = 30.0,
        endpoint: str | None = None,
    ) -> Outage:
        """Fail every request for ``endpoint`` (None: all) from ``start`` to ``end`` (excluded).

        Times are on the simulator's clock; ``kind`` ``http_error`` answers ``status``, ``hang``
        waits ``delay`` real seconds first. An outage wins over injected and random faults.
        """
        fault_kind = FaultKind(kind)
        if fault_kind not in {FaultKind.HTTP_ERROR, FaultKind.HANG}:
            msg = "an outage is an http_error or a hang"
            raise ValueError(msg)
        if status not in _ERROR_STATUSES:
            msg = "an outage needs a status from 400 to 599"
            raise ValueError(msg)
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            msg = "an outage must end after it starts"
            raise ValueError(msg)
        _check_delay(delay)
        outage = Outage(start, end, fault_kind, status, delay, _endpoint(endpoint))
        self._outages.append(outage)
        return outage

    def clear(self) -> int:
        """Remove every fault, random ones and outages too, and return how many there were."""
        count = len(self._active) + len(self._random) + len(self._outages)
        self._active.clear()
        self._random.clear()
        self._outages.clear()
        return count

    def match(self, endpoint: str, now: datetime | None = None) -> Fault | None:
        """Return the fault of an outage at ``now``, else the oldest injected one for ``endpoint``.

        An injected fault is not used up until :meth:`consume`.
        """
        if now is not None:
            for outage in self._outages:
                if (fault := outage.fault_for(endpoint, now)) is not None:
                    return fault
        return next((fault for fault in self._active if fault.matches(endpoint)), None)

    def draw(self, endpoint: str) -> Fault | None:
        """Draw the random faults for a request for ``endpoint``; the first one drawn, or None."""
        for faults in self._random:
            if (fault := faults.draw(endpoint)) is not None:
                return fault
        return None

    def consume(self, fault: Fault) -> None:
        """Count one request against ``fault``; it goes away when it is used up."""
        fault.hits += 1
        if fault.remaining == 0 and fault in self._active:
            self._active.remove(fault)


def error_response(fault: Fault, endpoint: str, method: str) -> ApiResponse:
    """Return the answer of an ``http_error`` or ``rate_limited`` fault."""
    if fault.kind is FaultKind.RATE_LIMITED:
        return too_many_requests(fault.retry_after)
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


def _endpoint(endpoint: str | None) -> str | None:
    """Normalise an endpoint to ``/name``; None stays None (every endpoint)."""
    return None if endpoint is None else "/" + endpoint.strip("/")


def _check_delay(delay: float) -> None:
    if delay < 0 or not math.isfinite(delay):
        msg = "delay cannot be negative"
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
