"""Typed, immutable models of the Joulo API's objects, and their parsers.

Every parser takes decoded JSON of unknown shape and either returns a model or raises
`JouloResponseError`. Optional fields may be missing or null; enum-like strings the API adds later are
kept as they are (a `StrEnum` member when known, the plain string otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from enum import StrEnum
import math
from typing import TYPE_CHECKING, Any

from .errors import JouloResponseError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class ConnectionType(StrEnum):
    """How a charger is connected to Joulo."""

    EASEE = "easee"
    WALLBOX = "wallbox"
    ZAPTEC = "zaptec"
    ENPHASE = "enphase"
    OCPP = "ocpp"
    SMAPPEE = "smappee"
    V2C = "v2c"
    OTHER = "other"


class ChargerStatus(StrEnum):
    """Connection status of a charger, as far as the values are known."""

    ONLINE = "online"
    OFFLINE = "offline"
    ACTIVE = "active"


class SessionStatus(StrEnum):
    """Status of a charging session."""

    ACTIVE = "active"
    CHARGING = "charging"
    COMPLETED = "completed"
    STOPPED = "stopped"


class ForecastConfidence(StrEnum):
    """How sure Joulo is of its ERE forecast (`forecast_confidence` of `/ere-position`)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentSession:
    """The session a charger is running right now (`current_session` of a charger)."""

    id: str
    started_at: datetime | None
    kwh_so_far: float | None
    id_tag: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Charger:
    """A charger linked to the account."""

    id: str
    nickname: str | None
    connection_type: ConnectionType | str | None
    status: ChargerStatus | str | None
    mid_certified: bool | None
    is_charging: bool
    current_session: CurrentSession | None
    latest_meter_wh: float | None
    meter_updated_at: datetime | None
    slug: str | None = None
    mid_eligible: bool | None = None
    """Whether the charger's sessions can count for ERE; where given, it decides over `mid_certified`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A charging session, running or completed."""

    id: str
    charger_id: str
    charger_nickname: str | None
    started_at: datetime
    ended_at: datetime | None
    kwh: float | None
    status: SessionStatus | str | None
    ere_credits: float | None
    id_tag: str | None = None
    counts_for_ere: bool | None = None
    """Whether Joulo counts the session for ERE (`ere_credits` is given either way)."""

    @property
    def ended_or_started_at(self) -> datetime:
        """When the session ended; when the API gives no end (yet), when it started."""
        return self.ended_at or self.started_at

    @property
    def is_completed(self) -> bool:
        """Whether the session has ended and its final values are recorded."""
        return self.ended_at is not None and self.status in (
            SessionStatus.COMPLETED,
            SessionStatus.STOPPED,
            None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateBasis:
    """The price per ERE and the platform fee (%) Joulo uses for its own euro estimates."""

    price_per_ere: float | None = None
    effective_fee_pct: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPage:
    """One page of `GET /sessions`, newest first, with the answer's `estimate_basis` if it had one."""

    sessions: tuple[Session, ...]
    limit: int | None
    offset: int | None
    estimate_basis: EstimateBasis | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthlyEnergy:
    """Energy and ERE credits of one calendar month."""

    month: date
    kwh: float | None
    ere_credits: float | None
    sessions: int | None
    kwh_all: float | None = None
    sessions_all: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Energy:
    """Lifetime and monthly totals of the account (`GET /energy`)."""

    total_kwh: float | None
    total_ere_credits: float | None
    total_sessions: int | None
    months: tuple[MonthlyEnergy, ...]
    total_kwh_all: float | None = None
    total_sessions_all: int | None = None

    def month(self, day: date) -> MonthlyEnergy | None:
        """Return the entry of the month that `day` falls in, if the API listed it."""
        first = day.replace(day=1)
        return next((entry for entry in self.months if entry.month == first), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """The account behind the token (`GET /me`); every field is optional."""

    id: str | None
    email: str | None
    name: str | None
    ere_price_mid: float | None
    effective_fee_pct: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EreAmount:
    """ERE with one sales status (paid, payable or reserved) and their net value."""

    ere: float | None = None
    net_eur: float | None = None
    price_per_ere: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EreUnsold:
    """ERE not sold yet, and what they are forecast to bring (net)."""

    ere: float | None = None
    ytd_ere: float | None = None
    future_ere: float | None = None
    forecast_net_eur: float | None = None
    ytd_forecast_net_eur: float | None = None
    future_forecast_net_eur: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EreNetByStatus:
    """A quarter's net euros by sales status."""

    paid: float | None = None
    payable: float | None = None
    reserved: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EreQuarter:
    """One quarter (`YYYY-Qn`) of the compliance year; `final` is False while it runs."""

    quarter: str | None = None
    final: bool | None = None
    ere: float | None = None
    sold_ere: float | None = None
    unsold_ere: float | None = None
    price_per_ere: float | None = None
    realized_net_eur: float | None = None
    net_eur_by_status: EreNetByStatus | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ErePosition:
    """The money side of the account's ERE in one compliance year (`GET /ere-position`).

    Every field is optional; amounts are net euros (after the platform fee).
    """

    compliance_year: int | None = None
    pending_ere: float | None = None
    allocatable_ere: float | None = None
    ytd_expected_eur: float | None = None
    total_expected_eur: float | None = None
    pending_forecast_net_eur: float | None = None
    effective_fee_pct: float | None = None
    indicative_price_per_ere: float | None = None
    realized_avg_price: float | None = None
    forecast_confidence: ForecastConfidence | str | None = None
    forecast_is_projected: bool | None = None
    forecast_history_days: int | None = None
    paid: EreAmount | None = None
    payable: EreAmount | None = None
    reserved: EreAmount | None = None
    unsold: EreUnsold | None = None
    quarters: tuple[EreQuarter, ...] = ()

    @property
    def current_quarter(self) -> EreQuarter | None:
        """The quarter in progress (`final: false`), the newest by name if several are; else None."""
        running = [quarter for quarter in self.quarters if quarter.final is False]
        return max(running, key=lambda quarter: quarter.quarter or "", default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class RebootResult:
    """What the API said to a reboot command.

    `queued` is False when the charger confirmed (HTTP 200, with `confirmed` from
    `confirmed_by_boot`), True when the command was only sent on (HTTP 202, with its `message`).
    """

    queued: bool
    confirmed: bool | None = None
    message: str | None = None


def parse_chargers(data: Any) -> tuple[Charger, ...]:
    """Parse the body of `GET /chargers`."""
    return tuple(_parse_charger(item) for item in _list(_object(data, "chargers"), "chargers"))


def parse_sessions(data: Any) -> SessionPage:
    """Parse the body of `GET /sessions`."""
    body = _object(data, "sessions")
    return SessionPage(
        sessions=tuple(
            _read(Session, _object(item, "session")) for item in _list(body, "sessions")
        ),
        limit=_optional_int(body, "limit"),
        offset=_optional_int(body, "offset"),
        estimate_basis=_parse_estimate_basis(body.get("estimate_basis")),
    )


def _parse_estimate_basis(data: Any) -> EstimateBasis | None:
    """Read the observed, optional `estimate_basis`: one that is not as expected is left out.

    Only seen in other clients, it must not make a whole page of sessions unreadable.
    """
    if not isinstance(data, dict):
        return None
    try:
        basis = _read(EstimateBasis, data)
    except JouloResponseError:
        return None
    return None if basis == EstimateBasis() else basis


def parse_energy(data: Any) -> Energy:
    """Parse the body of `GET /energy`."""
    body = _object(data, "energy")
    months = _optional_list(body, "months", _parse_month)
    return _read(Energy, body, months=months)


def parse_account(data: Any) -> Account:
    """Parse the body of `GET /me`."""
    return _read(Account, _object(data, "me"))


def parse_ere_position(data: Any) -> ErePosition:
    """Parse the body of `GET /ere-position`."""
    return _read(ErePosition, _object(data, "ere-position"))


def parse_reboot(data: Any, *, queued: bool) -> RebootResult:
    """Parse the body of a successful `POST /chargers/reboot` (200 if not `queued`, else 202)."""
    body = _object(data, "reboot")
    return RebootResult(
        queued=queued,
        confirmed=_optional_bool(body, "confirmed_by_boot"),
        message=_optional_str(body, "message"),
    )


def _parse_charger(data: Any) -> Charger:
    body = _object(data, "charger")
    current = body.get("current_session")
    current_session = (
        None if current is None else _read(CurrentSession, _object(current, "current_session"))
    )
    is_charging = _optional_bool(body, "is_charging")
    return _read(
        Charger,
        body,
        is_charging=current_session is not None if is_charging is None else is_charging,
        current_session=current_session,
    )


def _parse_month(data: Any) -> MonthlyEnergy:
    body = _object(data, "month")
    return _read(MonthlyEnergy, body, month=_parse_month_key(_required_str(body, "month")))


def _parse_month_key(value: str) -> date:
    """Read `YYYY-MM` or `YYYY-MM-DD` (both were seen) as the first day of that month."""
    try:
        year, month = value.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, OverflowError) as err:
        raise JouloResponseError(f"Unreadable month {value!r}") from err


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise JouloResponseError(f"Expected an object for {what}, got {type(data).__name__}")
    return data


type _Reader = Callable[[dict[str, Any], str], Any]
"""Reads the value of one key of an object, or raises `JouloResponseError`."""


def _read[ModelT: DataclassInstance](
    model: type[ModelT], body: dict[str, Any], **given: Any
) -> ModelT:
    """Build `model` from `body`: each field not `given` from the key of its name, read by its type."""
    if (readers := _FIELD_READERS.get(model)) is None:
        readers = _FIELD_READERS[model] = tuple(
            (field.name, _reader_for(str(field.type))) for field in fields(model)
        )
    values = {
        name: read(body, name) for name, read in readers if read is not None and name not in given
    }
    return model(**values, **given)


_FIELD_READERS: dict[type[DataclassInstance], tuple[tuple[str, _Reader | None], ...]] = {}
"""Each model's fields with their readers, worked out at its first read (parsing is on every poll)."""


def _reader_for(annotation: str) -> _Reader | None:
    """The reader of a field annotated `annotation` (a string: this module's annotations are).

    A scalar, a `StrEnum` (`Enum | str | None`), a nested model (`Model | None`) or a tuple of models
    (`tuple[Model, ...]`); None for another type, a field its parser must give. The types are looked
    up by name: the tests' frozen clock replaces `datetime`, so resolving the annotations would not
    find it in `_SCALAR_READERS`.
    """
    if (reader := _SCALAR_READERS.get(annotation)) is not None:
        return reader
    if annotation.startswith("tuple["):  # a list that may be missing or null
        item = globals()[annotation.removeprefix("tuple[").removesuffix(", ...]")]
        return lambda body, key: _optional_list(
            body, key, lambda value: _read(item, _object(value, key))
        )
    kind = globals().get(annotation.split(" | ", maxsplit=1)[0])
    if kind is None:  # e.g. `bool`: derived from other fields
        return None
    if issubclass(kind, StrEnum):  # a value the API added later stays a str
        return lambda body, key: _optional_enum(body, key, kind)
    return lambda body, key: _optional_object(body, key, lambda value: _read(kind, value))


def _optional_object[ModelT](
    body: dict[str, Any], key: str, parse: Callable[[dict[str, Any]], ModelT]
) -> ModelT | None:
    value = body.get(key)
    return None if value is None else parse(_object(value, key))


def _list(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if not isinstance(value, list):
        raise JouloResponseError(f"Expected a list in {key!r}, got {type(value).__name__}")
    return value


def _optional_list[ModelT](
    body: dict[str, Any], key: str, parse: Callable[[Any], ModelT]
) -> tuple[ModelT, ...]:
    """Parse each item of a list that may be missing or null (then empty)."""
    return () if body.get(key) is None else tuple(parse(item) for item in _list(body, key))


def _required_str(body: dict[str, Any], key: str) -> str:
    value = _optional_str(body, key)
    if not value:
        raise JouloResponseError(f"Missing {key!r}")
    return value


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise JouloResponseError(f"Expected a string in {key!r}, got {type(value).__name__}")


def _optional_enum[EnumT: StrEnum](
    body: dict[str, Any], key: str, enum: type[EnumT]
) -> EnumT | str | None:
    value = _optional_str(body, key)
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return value


def _optional_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise JouloResponseError(f"Expected a boolean in {key!r}, got {type(value).__name__}")


def _optional_float(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JouloResponseError(f"Expected a number in {key!r}, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise JouloResponseError(f"Expected a finite number in {key!r}")
    return number


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    number = _optional_float(body, key)
    if number is None:
        return None
    if not number.is_integer():
        raise JouloResponseError(f"Expected a whole number in {key!r}")
    return int(number)


def _optional_datetime(body: dict[str, Any], key: str) -> datetime | None:
    value = _optional_str(body, key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError) as err:
        raise JouloResponseError(f"Unreadable timestamp in {key!r}") from err


def _required_datetime(body: dict[str, Any], key: str) -> datetime:
    moment = _optional_datetime(body, key)
    if moment is None:
        raise JouloResponseError(f"Missing {key!r}")
    return moment


_SCALAR_READERS: dict[str, _Reader] = {
    "str": _required_str,
    "str | None": _optional_str,
    "bool | None": _optional_bool,
    "float | None": _optional_float,
    "int | None": _optional_int,
    "datetime": _required_datetime,
    "datetime | None": _optional_datetime,
}
