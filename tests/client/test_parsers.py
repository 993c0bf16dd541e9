"""Property tests of the response parsers and of the Retry-After parser.

Whatever decoded JSON the API sends, a parser either returns its model or raises
`JouloResponseError`; nothing else may escape. Valid documents parse to exactly the models they were
built from. The Retry-After parser never raises, whatever the header holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, fields
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
import itertools
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.joulo.api import (
    Account,
    Charger,
    ChargerStatus,
    ConnectionType,
    CurrentSession,
    Energy,
    EreAmount,
    EreNetByStatus,
    ErePosition,
    EreQuarter,
    EreUnsold,
    EstimateBasis,
    ForecastConfidence,
    JouloRateLimitedError,
    JouloResponseError,
    MonthlyEnergy,
    RateLimitGate,
    RebootResult,
    Session,
    SessionPage,
    SessionStatus,
)
from custom_components.joulo.api.gate import _parse_retry_after
from custom_components.joulo.api.models import (
    parse_account,
    parse_chargers,
    parse_energy,
    parse_ere_position,
    parse_reboot,
    parse_sessions,
)
from tests.factories import ERE_AMOUNT_FIELDS, QUARTER_FIELDS, SESSION_FIELDS

EXAMPLES = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""For the tests that feed arbitrary JSON to a parser."""
ROUND_TRIPS = settings(EXAMPLES, max_examples=150)
"""For the tests that build valid documents, which take longer to generate."""

CURRENT_SESSION_FIELDS = ("id", "started_at", "kwh_so_far", "id_tag")
CHARGER_FIELDS = (
    "id",
    "nickname",
    "connection_type",
    "status",
    "mid_certified",
    "is_charging",
    "current_session",
    "latest_meter_wh",
    "meter_updated_at",
    "slug",
    "mid_eligible",
)
MONTH_FIELDS = ("month", "kwh", "ere_credits", "sessions", "kwh_all", "sessions_all")
ENERGY_FIELDS = (
    "total_kwh",
    "total_ere_credits",
    "total_sessions",
    "months",
    "total_kwh_all",
    "total_sessions_all",
)
ACCOUNT_FIELDS = ("id", "email", "name", "ere_price_mid", "effective_fee_pct")
ERE_UNSOLD_FIELDS = (
    "ere",
    "ytd_ere",
    "future_ere",
    "forecast_net_eur",
    "ytd_forecast_net_eur",
    "future_forecast_net_eur",
)
NET_BY_STATUS_FIELDS = ("paid", "payable", "reserved")
ERE_POSITION_NUMBERS = (
    "pending_ere",
    "allocatable_ere",
    "ytd_expected_eur",
    "total_expected_eur",
    "pending_forecast_net_eur",
    "effective_fee_pct",
    "indicative_price_per_ere",
    "realized_avg_price",
)
ERE_POSITION_FIELDS = (
    "compliance_year",
    *ERE_POSITION_NUMBERS,
    "forecast_confidence",
    "forecast_is_projected",
    "forecast_history_days",
    "paid",
    "payable",
    "reserved",
    "unsold",
    "quarters",
)
REBOOT_FIELDS = ("confirmed_by_boot", "message")
FIELD_NAMES = sorted(
    {
        "chargers",
        "sessions",
        "limit",
        "offset",
        *CURRENT_SESSION_FIELDS,
        *CHARGER_FIELDS,
        *SESSION_FIELDS,
        *MONTH_FIELDS,
        *ENERGY_FIELDS,
        *ACCOUNT_FIELDS,
        *ERE_UNSOLD_FIELDS,
        *QUARTER_FIELDS,
        *ERE_POSITION_FIELDS,
        *REBOOT_FIELDS,
    }
)

# Strings that look almost right are the ones most likely to reach deep into a parser.
TRICKY_STRINGS = (
    "",
    " ",
    "2026-04-09T08:15:00Z",
    "2026-04-09T08:15:00+02:00",
    "2026-04-09",
    "2026-04",
    "2026-04-01",
    "2026-13",
    "2026-00-01",
    "0000-01",
    "2026",
    "-",
    "2026--04",
    "99999999999999999999-01",
    "2026-99999999999999999999",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "easee",
    "online",
    "completed",
    "quantum",
    "high",
    "2026-Q4",
    "NaN",
    "1e999",
)
TRICKY_NUMBERS: tuple[int | float, ...] = (
    0,
    -1,
    2**53 + 1,
    10**20,
    10**400,
    -(10**400),
    1e308,
    -1e308,
    5e-324,
    0.5,
)

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(),  # includes nan, inf and -inf
    st.sampled_from(TRICKY_NUMBERS),
    st.text(max_size=30),
    st.sampled_from(TRICKY_STRINGS),
)
keys = st.one_of(st.text(max_size=10), st.sampled_from(FIELD_NAMES))
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)

# Values of the right kind for a field; mixed with `json_values` for every field below.
identifiers = st.text(min_size=1, max_size=12)
timestamp_texts = st.one_of(
    st.sampled_from(TRICKY_STRINGS),
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
)
numbers = st.one_of(st.integers(), st.floats(), st.sampled_from(TRICKY_NUMBERS))


def _shaped(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Objects with any subset of `fields`, each of a plausible or an arbitrary value."""
    return st.fixed_dictionaries(
        {}, optional={name: st.one_of(values, json_values) for name, values in fields.items()}
    )


free_texts = st.text(max_size=20)
booleans = st.booleans()

current_session_like = _shaped(
    {"id": identifiers, "started_at": timestamp_texts, "kwh_so_far": numbers, "id_tag": free_texts}
)
charger_like = _shaped(
    {
        "id": identifiers,
        **dict.fromkeys(("nickname", "slug"), free_texts),
        "connection_type": st.sampled_from([*ConnectionType, "zap"]),
        "status": st.sampled_from([*ChargerStatus, "sleeping"]),
        **dict.fromkeys(("mid_certified", "is_charging"), booleans),
        "current_session": current_session_like,
        **dict.fromkeys(("latest_meter_wh",), numbers),
        "meter_updated_at": timestamp_texts,
    }
)
session_like = _shaped(
    {
        **dict.fromkeys(("id", "charger_id"), identifiers),
        **dict.fromkeys(("charger_nickname", "id_tag"), free_texts),
        **dict.fromkeys(("started_at", "ended_at"), timestamp_texts),
        **dict.fromkeys(("kwh", "ere_credits"), numbers),
        "status": st.sampled_from([*SessionStatus, "paused"]),
    }
)
month_like = _shaped(
    {
        "month": st.one_of(timestamp_texts, st.text(max_size=12)),
        **dict.fromkeys(("kwh", "ere_credits", "sessions", "kwh_all", "sessions_all"), numbers),
    }
)
chargers_documents = st.one_of(
    json_values, _shaped({"chargers": st.lists(charger_like, max_size=3)})
)
sessions_documents = st.one_of(
    json_values,
    _shaped({"sessions": st.lists(session_like, max_size=3), "limit": numbers, "offset": numbers}),
)
energy_documents = st.one_of(
    json_values,
    _shaped(
        {
            "months": st.lists(month_like, max_size=3),
            **dict.fromkeys(
                ("total_kwh", "total_ere_credits", "total_sessions", "total_kwh_all"), numbers
            ),
            "total_sessions_all": numbers,
        }
    ),
)
account_documents = st.one_of(
    json_values,
    _shaped(
        {
            "id": identifiers,
            **dict.fromkeys(("email", "name"), free_texts),
            **dict.fromkeys(("ere_price_mid", "effective_fee_pct"), numbers),
        }
    ),
)

ere_amount_like = _shaped(dict.fromkeys(ERE_AMOUNT_FIELDS, numbers))
quarter_like = _shaped(
    {
        "quarter": st.sampled_from(("2026-Q3", "2026-Q4", "")),
        "final": booleans,
        **dict.fromkeys(
            ("ere", "sold_ere", "unsold_ere", "price_per_ere", "realized_net_eur"), numbers
        ),
        "net_eur_by_status": _shaped(dict.fromkeys(NET_BY_STATUS_FIELDS, numbers)),
    }
)
ere_position_documents = st.one_of(
    json_values,
    _shaped(
        {
            **dict.fromkeys(
                ("compliance_year", *ERE_POSITION_NUMBERS, "forecast_history_days"), numbers
            ),
            "forecast_confidence": st.sampled_from([*ForecastConfidence, "certain"]),
            "forecast_is_projected": booleans,
            **dict.fromkeys(("paid", "payable", "reserved"), ere_amount_like),
            "unsold": _shaped(dict.fromkeys(ERE_UNSOLD_FIELDS, numbers)),
            "quarters": st.lists(quarter_like, max_size=3),
        }
    ),
)
reboot_documents = st.one_of(
    json_values,
    _shaped({"confirmed_by_boot": booleans, "message": free_texts}),
)


def _parse_or_reject[T](parse: Callable[[Any], T], data: Any) -> T | None:
    """Parse `data`; None when the parser rejected it with `JouloResponseError`.

    Any other exception propagates and fails the test. The document also goes through a JSON
    round trip first when it can, as the client decodes a body before parsing it.
    """
    try:
        result = parse(data)
    except JouloResponseError:
        return None
    try:
        decoded = json.loads(json.dumps(data))
    except (ValueError, OverflowError):
        return result
    assert parse(decoded) == result or _has_nan(data)
    return result


def _has_nan(data: Any) -> bool:
    """Whether `data` holds a NaN anywhere (NaN compares unequal to itself)."""
    if isinstance(data, float):
        return data != data  # noqa: PLR0124
    if isinstance(data, list):
        return any(_has_nan(item) for item in data)
    if isinstance(data, dict):
        return any(_has_nan(item) for item in data.values())
    return False


@EXAMPLES
@given(chargers_documents)
def test_parse_chargers_raises_only_response_error(data: Any) -> None:
    """Any JSON value either parses to chargers or raises `JouloResponseError`."""
    result = _parse_or_reject(parse_chargers, data)
    if result is not None:
        assert isinstance(result, tuple)
        assert all(isinstance(charger, Charger) for charger in result)
        assert all(charger.id for charger in result)


@EXAMPLES
@given(sessions_documents)
def test_parse_sessions_raises_only_response_error(data: Any) -> None:
    """Any JSON value either parses to a session page or raises `JouloResponseError`."""
    result = _parse_or_reject(parse_sessions, data)
    if result is not None:
        assert isinstance(result, SessionPage)
        assert all(isinstance(session, Session) for session in result.sessions)
        assert all(session.started_at.tzinfo is UTC for session in result.sessions)


@EXAMPLES
@given(energy_documents)
def test_parse_energy_raises_only_response_error(data: Any) -> None:
    """Any JSON value either parses to energy totals or raises `JouloResponseError`."""
    result = _parse_or_reject(parse_energy, data)
    if result is not None:
        assert isinstance(result, Energy)
        assert all(isinstance(entry, MonthlyEnergy) for entry in result.months)
        assert all(entry.month.day == 1 for entry in result.months)


@EXAMPLES
@given(account_documents)
def test_parse_account_raises_only_response_error(data: Any) -> None:
    """Any JSON value either parses to an account or raises `JouloResponseError`."""
    result = _parse_or_reject(parse_account, data)
    if result is not None:
        assert isinstance(result, Account)


@EXAMPLES
@given(ere_position_documents)
def test_parse_ere_position_raises_only_response_error(data: Any) -> None:
    """Any JSON value either parses to an ERE position or raises `JouloResponseError`."""
    result = _parse_or_reject(parse_ere_position, data)
    if result is not None:
        assert isinstance(result, ErePosition)
        assert all(isinstance(quarter, EreQuarter) for quarter in result.quarters)
        assert result.current_quarter is None or result.current_quarter.final is False


@EXAMPLES
@given(reboot_documents, st.booleans())
def test_parse_reboot_raises_only_response_error(data: Any, queued: bool) -> None:
    """Any JSON value either parses to a reboot result or raises `JouloResponseError`."""
    result = _parse_or_reject(lambda body: parse_reboot(body, queued=queued), data)
    if result is not None:
        assert isinstance(result, RebootResult)
        assert result.queued is queued


UNUSABLE_NUMBERS: tuple[int | float, ...] = (math.nan, math.inf, -math.inf, 10**400, -(10**400))
"""Numbers no field can hold: NaN, infinite, or too large for a float."""
USABLE_NUMBERS = tuple(number for number in TRICKY_NUMBERS if number not in UNUSABLE_NUMBERS)


@dataclass(frozen=True)
class ObjectInAnswer:
    """One kind of object in an answer: a document with one of its keys set, and where it parses to."""

    model: type[Any]
    parse: Callable[[Any], Any]
    document: Callable[[str, Any], Any]
    """A valid answer whose object has `key` set to `value` (the object's other keys are valid)."""
    found: Callable[[Any], Any]
    """The object, in what `parse` returned."""


OBJECTS_IN_ANSWERS = (
    ObjectInAnswer(Account, parse_account, lambda key, value: {key: value}, lambda me: me),
    ObjectInAnswer(Energy, parse_energy, lambda key, value: {key: value}, lambda energy: energy),
    ObjectInAnswer(
        MonthlyEnergy,
        parse_energy,
        lambda key, value: {"months": [{"month": "2026-04", key: value}]},
        lambda energy: energy.months[0],
    ),
    ObjectInAnswer(
        Charger,
        parse_chargers,
        lambda key, value: {"chargers": [{"id": "c", key: value}]},
        lambda chargers: chargers[0],
    ),
    ObjectInAnswer(
        CurrentSession,
        parse_chargers,
        lambda key, value: {"chargers": [{"id": "c", "current_session": {"id": "s", key: value}}]},
        lambda chargers: chargers[0].current_session,
    ),
    ObjectInAnswer(
        Session,
        parse_sessions,
        lambda key, value: {
            "sessions": [
                {"id": "s", "charger_id": "c", "started_at": "2026-04-09T08:15:00Z", key: value}
            ]
        },
        lambda page: page.sessions[0],
    ),
    ObjectInAnswer(
        ErePosition, parse_ere_position, lambda key, value: {key: value}, lambda position: position
    ),
    ObjectInAnswer(
        EreAmount,
        parse_ere_position,
        lambda key, value: {"paid": {key: value}},
        lambda position: position.paid,
    ),
    ObjectInAnswer(
        EreUnsold,
        parse_ere_position,
        lambda key, value: {"unsold": {key: value}},
        lambda position: position.unsold,
    ),
    ObjectInAnswer(
        EreQuarter,
        parse_ere_position,
        lambda key, value: {"quarters": [{key: value}]},
        lambda position: position.quarters[0],
    ),
    ObjectInAnswer(
        EreNetByStatus,
        parse_ere_position,
        lambda key, value: {"quarters": [{"net_eur_by_status": {key: value}}]},
        lambda position: position.quarters[0].net_eur_by_status,
    ),
)
"""Every object of the answers that holds numbers, each in a valid answer of its own."""


@pytest.mark.parametrize(
    "place", OBJECTS_IN_ANSWERS, ids=[place.model.__name__ for place in OBJECTS_IN_ANSWERS]
)
def test_number_fields_reject_unusable_numbers(place: ObjectInAnswer) -> None:
    """NaN, infinite and too-large numbers in a key an object reads make the answer malformed.

    In a number field a usable number is read as the nearest float (in a count, if that is whole: 2**53
    + 1 counts 2**53); in any other field a number makes the answer malformed; in a key the object
    does not read, any number is ignored.
    """
    types = {field.name: str(field.type) for field in fields(place.model)}
    for key, number in itertools.product(FIELD_NAMES, (*UNUSABLE_NUMBERS, *USABLE_NUMBERS)):
        document = place.document(key, number)
        if key not in types:
            assert _parse_or_reject(place.parse, document) == place.parse(
                place.document(key, None)
            ), (key, number)
            continue
        usable = float(number) if number in USABLE_NUMBERS else None
        expected = {
            "float | None": usable,
            "int | None": int(usable) if usable is not None and usable.is_integer() else None,
        }.get(types[key])
        if expected is None:
            assert _parse_or_reject(place.parse, document) is None, (key, number)
            continue
        parsed = _parse_or_reject(place.parse, document)
        assert parsed is not None, (key, number)
        assert getattr(place.found(parsed), key) == expected, (key, number)


# Valid documents, built from the models they must parse to.

type Pair[T] = tuple[Any, T]
"""A JSON value and what it must parse to."""

utc_moments = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@st.composite
def timestamps(draw: st.DrawFn) -> Pair[datetime]:
    """An ISO 8601 timestamp as the API might write it (Z, an offset, or naive meaning UTC)."""
    moment = draw(utc_moments)
    form = draw(st.sampled_from(("z", "offset", "naive")))
    if form == "z":
        text = moment.isoformat().replace("+00:00", "Z")
    elif form == "offset":
        text = moment.astimezone(draw(offsets)).isoformat()
    else:
        text = moment.replace(tzinfo=None).isoformat()
    return text, moment


texts: st.SearchStrategy[Pair[str]] = st.text(max_size=20).map(lambda value: (value, value))
required_texts: st.SearchStrategy[Pair[str]] = identifiers.map(lambda value: (value, value))
floats: st.SearchStrategy[Pair[float]] = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(lambda value: (value, value)),
    st.integers(min_value=-(10**15), max_value=10**15).map(lambda value: (value, float(value))),
)
ints: st.SearchStrategy[Pair[int]] = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15).map(lambda value: (value, value)),
    st.integers(min_value=-(10**15), max_value=10**15).map(lambda value: (float(value), value)),
)
bools: st.SearchStrategy[Pair[bool]] = st.booleans().map(lambda value: (value, value))


def enums(members: list[str]) -> st.SearchStrategy[Pair[str]]:
    """A known enum value or any other string (which the parser keeps as it is)."""
    return st.one_of(st.sampled_from(members), st.text(max_size=12)).map(
        lambda value: (value, value)
    )


def _maybe[T](
    draw: st.DrawFn, document: dict[str, Any], key: str, values: st.SearchStrategy[Pair[T]]
) -> T | None:
    """Leave `key` out, set it to null, or set it to a drawn value; return what it parses to."""
    form = draw(st.sampled_from(("absent", "null", "value")))
    if form == "absent":
        return None
    if form == "null":
        document[key] = None
        return None
    raw, parsed = draw(values)
    document[key] = raw
    return parsed


def _extras(draw: st.DrawFn, document: dict[str, Any], known: tuple[str, ...]) -> None:
    """Add fields the parser does not know, which it must ignore."""
    extra = draw(
        st.dictionaries(
            st.text(max_size=10).filter(lambda key: key not in known), scalars, max_size=2
        )
    )
    document.update(extra)


def _maybe_fields(
    draw: st.DrawFn,
    document: dict[str, Any],
    names: tuple[str, ...],
    values: st.SearchStrategy[Pair[Any]],
) -> dict[str, Any]:
    """`_maybe` for each of `names`: what each parses to, by name, as keyword arguments of a model.

    Typed `Any`, as several of these go into one model whose fields have other types.
    """
    return {name: _maybe(draw, document, name, values) for name in names}


@st.composite
def current_sessions(draw: st.DrawFn) -> Pair[CurrentSession]:
    """A valid `current_session` object and its model."""
    raw_id, session_id = draw(required_texts)
    document: dict[str, Any] = {"id": raw_id}
    expected = CurrentSession(
        id=session_id,
        started_at=_maybe(draw, document, "started_at", timestamps()),
        kwh_so_far=_maybe(draw, document, "kwh_so_far", floats),
        id_tag=_maybe(draw, document, "id_tag", texts),
    )
    _extras(draw, document, CURRENT_SESSION_FIELDS)
    return document, expected


@st.composite
def chargers(draw: st.DrawFn) -> Pair[Charger]:
    """A valid charger object and its model; without `is_charging`, charging means a session."""
    raw_id, charger_id = draw(required_texts)
    document: dict[str, Any] = {"id": raw_id}
    current_session = _maybe(draw, document, "current_session", current_sessions())
    is_charging = _maybe(draw, document, "is_charging", bools)
    expected = Charger(
        id=charger_id,
        connection_type=_maybe(draw, document, "connection_type", enums(list(ConnectionType))),
        status=_maybe(draw, document, "status", enums(list(ChargerStatus))),
        is_charging=current_session is not None if is_charging is None else is_charging,
        current_session=current_session,
        meter_updated_at=_maybe(draw, document, "meter_updated_at", timestamps()),
        **_maybe_fields(draw, document, ("nickname", "slug"), texts),
        **_maybe_fields(draw, document, ("mid_certified", "mid_eligible"), bools),
        **_maybe_fields(draw, document, ("latest_meter_wh",), floats),
    )
    _extras(draw, document, CHARGER_FIELDS)
    return document, expected


@st.composite
def sessions(draw: st.DrawFn) -> Pair[Session]:
    """A valid session object and its model."""
    raw_id, session_id = draw(required_texts)
    raw_charger_id, charger_id = draw(required_texts)
    raw_started, started_at = draw(timestamps())
    document: dict[str, Any] = {
        "id": raw_id,
        "charger_id": raw_charger_id,
        "started_at": raw_started,
    }
    expected = Session(
        id=session_id,
        charger_id=charger_id,
        started_at=started_at,
        ended_at=_maybe(draw, document, "ended_at", timestamps()),
        status=_maybe(draw, document, "status", enums(list(SessionStatus))),
        counts_for_ere=_maybe(draw, document, "counts_for_ere", bools),
        **_maybe_fields(draw, document, ("charger_nickname", "id_tag"), texts),
        **_maybe_fields(draw, document, ("kwh", "ere_credits"), floats),
    )
    _extras(draw, document, SESSION_FIELDS)
    return document, expected


@st.composite
def months(draw: st.DrawFn) -> Pair[MonthlyEnergy]:
    """A valid `months[]` entry (`YYYY-MM` or `YYYY-MM-01`) and its model."""
    first = draw(st.dates()).replace(day=1)
    key = f"{first.year:04d}-{first.month:02d}"
    document: dict[str, Any] = {"month": draw(st.sampled_from((key, f"{key}-01")))}
    expected = MonthlyEnergy(
        month=first,
        **_maybe_fields(draw, document, ("kwh", "ere_credits", "kwh_all"), floats),
        **_maybe_fields(draw, document, ("sessions", "sessions_all"), ints),
    )
    _extras(draw, document, MONTH_FIELDS)
    return document, expected


def _lists[T](items: st.SearchStrategy[Pair[T]]) -> st.SearchStrategy[Pair[tuple[T, ...]]]:
    """A JSON list of items and the tuple of their models."""
    return st.lists(items, max_size=3).map(
        lambda pairs: ([raw for raw, _ in pairs], tuple(parsed for _, parsed in pairs))
    )


def _json(document: Any) -> Any:
    """The document as the client sees it: encoded and decoded again."""
    return json.loads(json.dumps(document))


@ROUND_TRIPS
@given(_lists(chargers()))
def test_valid_chargers_round_trip(pair: Pair[tuple[Charger, ...]]) -> None:
    """A valid `GET /chargers` body parses to exactly the chargers it was built from."""
    raw, expected = pair
    parsed = parse_chargers(_json({"chargers": raw}))
    assert parsed == expected
    for charger in parsed:
        assert charger.connection_type is None or type(charger.connection_type) in (
            ConnectionType,
            str,
        )
        if charger.connection_type in set(ConnectionType):
            assert isinstance(charger.connection_type, ConnectionType)
        if charger.status in set(ChargerStatus):
            assert isinstance(charger.status, ChargerStatus)
        if charger.meter_updated_at is not None:
            assert charger.meter_updated_at.tzinfo is UTC
        if charger.current_session is not None and charger.current_session.started_at:
            assert charger.current_session.started_at.tzinfo is UTC


@st.composite
def session_pages(draw: st.DrawFn) -> Pair[SessionPage]:
    """A valid `GET /sessions` body and its page."""
    raw_sessions, parsed_sessions = draw(_lists(sessions()))
    document: dict[str, Any] = {"sessions": raw_sessions}
    basis = _maybe(draw, document, "estimate_basis", estimate_bases())
    expected = SessionPage(
        sessions=parsed_sessions,
        limit=_maybe(draw, document, "limit", ints),
        offset=_maybe(draw, document, "offset", ints),
        estimate_basis=basis,
    )
    return document, expected


@st.composite
def estimate_bases(draw: st.DrawFn) -> Pair[EstimateBasis | None]:
    """A valid `estimate_basis` and its model; one without a figure is None."""
    document: dict[str, Any] = {}
    expected = EstimateBasis(
        price_per_ere=_maybe(draw, document, "price_per_ere", floats),
        effective_fee_pct=_maybe(draw, document, "effective_fee_pct", floats),
    )
    return document, None if expected == EstimateBasis() else expected


@pytest.mark.parametrize(
    "basis",
    [
        "0.87",
        [0.87],
        {"price_per_ere": "0.87", "effective_fee_pct": 15},
        {"price_per_ere": 0.87, "effective_fee_pct": True},
        {},
    ],
)
def test_an_unusable_estimate_basis_is_left_out(basis: Any) -> None:
    """`estimate_basis` is only observed: one that is not as expected leaves the page readable."""
    page = parse_sessions({"sessions": [], "estimate_basis": basis})
    assert page == SessionPage(sessions=(), limit=None, offset=None, estimate_basis=None)


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (parse_chargers, {"chargers": [{"id": "c", "mid_eligible": "yes"}]}),
        (
            parse_sessions,
            {
                "sessions": [
                    {
                        "id": "s",
                        "charger_id": "c",
                        "started_at": "2026-04-09T10:00:00Z",
                        "counts_for_ere": 1,
                    }
                ]
            },
        ),
    ],
)
def test_eligibility_flags_must_be_booleans(parse: Callable[[Any], Any], body: Any) -> None:
    """`mid_eligible` and `counts_for_ere` that are not booleans make the answer malformed."""
    with pytest.raises(JouloResponseError, match="Expected a boolean"):
        parse(body)


@ROUND_TRIPS
@given(session_pages())
def test_valid_sessions_round_trip(pair: Pair[SessionPage]) -> None:
    """A valid `GET /sessions` body parses to exactly the page it was built from."""
    raw, expected = pair
    parsed = parse_sessions(_json(raw))
    assert parsed == expected
    for session in parsed.sessions:
        assert session.started_at.tzinfo is UTC
        if session.status in set(SessionStatus):
            assert isinstance(session.status, SessionStatus)


@st.composite
def energies(draw: st.DrawFn) -> Pair[Energy]:
    """A valid `GET /energy` body and its model."""
    document: dict[str, Any] = {}
    expected = Energy(
        months=_maybe(draw, document, "months", _lists(months())) or (),
        **_maybe_fields(
            draw, document, ("total_kwh", "total_ere_credits", "total_kwh_all"), floats
        ),
        **_maybe_fields(draw, document, ("total_sessions", "total_sessions_all"), ints),
    )
    _extras(draw, document, ENERGY_FIELDS)
    return document, expected


@ROUND_TRIPS
@given(energies(), st.integers(min_value=1, max_value=28))
def test_valid_energy_round_trips(pair: Pair[Energy], day: int) -> None:
    """A valid `GET /energy` body parses to its model, and `Energy.month()` finds each month."""
    raw, expected = pair
    parsed = parse_energy(_json(raw))
    assert parsed == expected
    for entry in parsed.months:
        first_listed = next(other for other in parsed.months if other.month == entry.month)
        assert parsed.month(entry.month.replace(day=day)) is first_listed
    listed = {entry.month for entry in parsed.months}
    unlisted = next(
        first
        for first in (date(2000 + offset // 12, offset % 12 + 1, 1) for offset in range(12 * 10))
        if first not in listed
    )
    assert parsed.month(unlisted.replace(day=day)) is None


@st.composite
def accounts(draw: st.DrawFn) -> Pair[Account]:
    """A valid `GET /me` body and its model (every field optional)."""
    document: dict[str, Any] = {}
    expected = Account(
        **_maybe_fields(draw, document, ("id", "email", "name"), texts),
        **_maybe_fields(draw, document, ("ere_price_mid", "effective_fee_pct"), floats),
    )
    _extras(draw, document, ACCOUNT_FIELDS)
    return document, expected


@ROUND_TRIPS
@given(accounts())
def test_valid_account_round_trips(pair: Pair[Account]) -> None:
    """A valid `GET /me` body parses to exactly the account it was built from."""
    raw, expected = pair
    assert parse_account(_json(raw)) == expected


def _objects[T](fields: tuple[str, ...], model: Callable[..., T]) -> st.SearchStrategy[Pair[T]]:
    """A valid object whose fields are all optional numbers, and its model."""

    @st.composite
    def build(draw: st.DrawFn) -> Pair[T]:
        document: dict[str, Any] = {}
        expected = model(**_maybe_fields(draw, document, fields, floats))
        _extras(draw, document, fields)
        return document, expected

    return build()


@st.composite
def quarters(draw: st.DrawFn) -> Pair[EreQuarter]:
    """A valid `quarters[]` entry and its model."""
    document: dict[str, Any] = {}
    expected = EreQuarter(
        quarter=_maybe(draw, document, "quarter", texts),
        final=_maybe(draw, document, "final", bools),
        **_maybe_fields(
            draw,
            document,
            ("ere", "sold_ere", "unsold_ere", "price_per_ere", "realized_net_eur"),
            floats,
        ),
        net_eur_by_status=_maybe(
            draw,
            document,
            "net_eur_by_status",
            _objects(NET_BY_STATUS_FIELDS, EreNetByStatus),
        ),
    )
    _extras(draw, document, QUARTER_FIELDS)
    return document, expected


@st.composite
def ere_positions(draw: st.DrawFn) -> Pair[ErePosition]:
    """A valid `GET /ere-position` body and its model (every field optional)."""
    document: dict[str, Any] = {}
    expected = ErePosition(
        forecast_confidence=_maybe(
            draw, document, "forecast_confidence", enums(list(ForecastConfidence))
        ),
        forecast_is_projected=_maybe(draw, document, "forecast_is_projected", bools),
        unsold=_maybe(draw, document, "unsold", _objects(ERE_UNSOLD_FIELDS, EreUnsold)),
        quarters=_maybe(draw, document, "quarters", _lists(quarters())) or (),
        **_maybe_fields(draw, document, ERE_POSITION_NUMBERS, floats),
        **_maybe_fields(draw, document, ("compliance_year", "forecast_history_days"), ints),
        **_maybe_fields(
            draw, document, ("paid", "payable", "reserved"), _objects(ERE_AMOUNT_FIELDS, EreAmount)
        ),
    )
    _extras(draw, document, ERE_POSITION_FIELDS)
    return document, expected


@ROUND_TRIPS
@given(ere_positions())
def test_valid_ere_position_round_trips(pair: Pair[ErePosition]) -> None:
    """A valid `GET /ere-position` body parses to exactly the position it was built from."""
    raw, expected = pair
    parsed = parse_ere_position(_json(raw))
    assert parsed == expected
    if parsed.forecast_confidence in set(ForecastConfidence):
        assert isinstance(parsed.forecast_confidence, ForecastConfidence)
    running = [quarter for quarter in parsed.quarters if quarter.final is False]
    if not running:
        assert parsed.current_quarter is None
    else:
        assert parsed.current_quarter in running
        assert all(
            (quarter.quarter or "") <= (parsed.current_quarter.quarter or "") for quarter in running
        )


@st.composite
def reboots(draw: st.DrawFn) -> Pair[RebootResult]:
    """A valid body of a successful reboot, with its answer's kind, and its result."""
    document: dict[str, Any] = {}
    queued = draw(st.booleans())
    expected = RebootResult(
        queued=queued,
        confirmed=_maybe(draw, document, "confirmed_by_boot", bools),
        message=_maybe(draw, document, "message", texts),
    )
    _extras(draw, document, REBOOT_FIELDS)
    return document, expected


@ROUND_TRIPS
@given(reboots())
def test_valid_reboot_round_trips(pair: Pair[RebootResult]) -> None:
    """A 200 or 202 body of `POST /chargers/reboot` parses to the result it was built from."""
    raw, expected = pair
    assert parse_reboot(_json(raw), queued=expected.queued) == expected


@settings(ROUND_TRIPS, max_examples=25)
@given(ere_positions())
def test_ere_position_is_frozen_and_hashable(pair: Pair[ErePosition]) -> None:
    """Parsing the same position twice gives equal, equally hashed models that cannot change."""
    position = parse_ere_position(_json(pair[0]))
    again = parse_ere_position(_json(pair[0]))
    assert position == again
    assert hash(position) == hash(again)
    with pytest.raises(FrozenInstanceError):
        position.pending_ere = 1.0  # type: ignore[misc]


@settings(ROUND_TRIPS, max_examples=25)
@given(_lists(chargers()), session_pages(), energies(), accounts())
def test_models_are_frozen_and_hashable(
    charger_pair: Pair[tuple[Charger, ...]],
    page_pair: Pair[SessionPage],
    energy_pair: Pair[Energy],
    account_pair: Pair[Account],
) -> None:
    """Parsing the same body twice gives equal, equally hashed models that cannot be changed."""
    page = parse_sessions(_json(page_pair[0]))
    assert page == parse_sessions(_json(page_pair[0]))
    assert hash(page) == hash(parse_sessions(_json(page_pair[0])))
    energy = parse_energy(_json(energy_pair[0]))
    assert hash(energy) == hash(parse_energy(_json(energy_pair[0])))
    account = parse_account(_json(account_pair[0]))
    assert hash(account) == hash(parse_account(_json(account_pair[0])))
    found = parse_chargers(_json({"chargers": charger_pair[0]}))
    assert hash(found) == hash(parse_chargers(_json({"chargers": charger_pair[0]})))
    with pytest.raises(FrozenInstanceError):
        page.limit = 1  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        energy.total_kwh = 1.0  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        account.name = "x"  # type: ignore[misc]


# The Retry-After parser.

NOW = datetime(2026, 4, 9, 10, 30, tzinfo=UTC)

date_like_headers = st.builds(
    "{}, {} {} {} {}:{}:{} {}".format,
    st.sampled_from(("Mon", "Thu", "Xyz", "")),
    st.integers(),
    st.sampled_from(("Jan", "Apr", "Dec", "Foo")),
    st.one_of(st.integers(), st.integers(min_value=-(10**30), max_value=10**30)),
    st.integers(),
    st.integers(),
    st.integers(),
    st.one_of(st.sampled_from(("GMT", "UTC", "EST", "+0200", "-9999", "")), st.text(max_size=6)),
)
retry_after_headers = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789.-+eE ,:GMTinfa", max_size=30),
    st.floats().map(str),
    st.integers().map(str),
    date_like_headers,
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: format_datetime(moment, usegmt=True)),
)


@settings(max_examples=300, deadline=None)
@given(retry_after_headers)
def test_retry_after_parser_never_raises(value: str | None) -> None:
    """Any Retry-After header parses to an aware moment or to None; it never raises."""
    moment = _parse_retry_after(value, NOW)
    assert moment is None or moment.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(retry_after_headers)
def test_gate_close_always_gives_a_rate_limited_error(value: str | None) -> None:
    """Closing the gate with any Retry-After returns the error and leaves the gate closed."""
    gate = RateLimitGate(lambda: NOW)
    error = gate.close(value)
    assert isinstance(error, JouloRateLimitedError)
    assert error.retry_after >= 1
    assert gate.closed_until == error.retry_at
    with pytest.raises(JouloRateLimitedError):
        gate.check()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(("", " ", "\t")))
def test_retry_after_seconds(seconds: int, padding: str) -> None:
    """A Retry-After of delta-seconds means that many seconds from now."""
    assert _parse_retry_after(f"{padding}{seconds}{padding}", NOW) == NOW + timedelta(
        seconds=seconds
    )


@settings(max_examples=200, deadline=None)
@given(utc_moments)
def test_retry_after_http_date(moment: datetime) -> None:
    """A Retry-After HTTP date means that moment."""
    moment = moment.replace(microsecond=0)
    assert _parse_retry_after(format_datetime(moment, usegmt=True), NOW) == moment


# The ERE position by example: the documented answer and breakage. Absent and null figures are drawn
# by `ere_positions` above, and met over HTTP in `test_ere_position.py`.

DOCUMENTED_ERE_POSITION: dict[str, Any] = {
    "compliance_year": 2026,
    "pending_ere": 412.3,
    "allocatable_ere": 398.1,
    "ytd_expected_eur": 4920.85,
    "total_expected_eur": 6241.6,
    "pending_forecast_net_eur": 1580.4,
    "effective_fee_pct": 8,
    "indicative_price_per_ere": 13.5,
    "realized_avg_price": 12.9,
    "forecast_confidence": "high",
    "forecast_is_projected": False,
    "forecast_history_days": 90,
    "paid": {"ere": 210.0, "net_eur": 2450.30, "price_per_ere": 12.1},
    "payable": {"ere": 40.0, "net_eur": 490.15, "price_per_ere": 12.9},
    "reserved": {"ere": 25.0, "net_eur": 320.0, "price_per_ere": 13.1},
    "unsold": {
        "ere": 137.3,
        "ytd_ere": 120.0,
        "future_ere": 17.3,
        "forecast_net_eur": 1580.4,
        "ytd_forecast_net_eur": 1400.0,
        "future_forecast_net_eur": 180.4,
    },
    "quarters": [
        {
            "quarter": "2026-Q3",
            "final": True,
            "ere": 120.0,
            "sold_ere": 120.0,
            "unsold_ere": 0,
            "price_per_ere": 12.4,
            "realized_net_eur": 1369.0,
            "net_eur_by_status": {"paid": 1369.0, "payable": 0, "reserved": 0},
        },
        {
            "quarter": "2026-Q4",
            "final": False,
            "ere": 60.0,
            "sold_ere": 25.0,
            "unsold_ere": 35.0,
            "price_per_ere": 13.1,
            "realized_net_eur": 301.3,
            "net_eur_by_status": {"paid": 0, "payable": 0, "reserved": 301.3},
        },
    ],
}
"""The example answer in the API's documentation."""


def test_documented_ere_position() -> None:
    """The documented answer parses to every figure it holds, and Q4 is the current quarter."""
    q4 = EreQuarter(
        quarter="2026-Q4",
        final=False,
        ere=60.0,
        sold_ere=25.0,
        unsold_ere=35.0,
        price_per_ere=13.1,
        realized_net_eur=301.3,
        net_eur_by_status=EreNetByStatus(paid=0.0, payable=0.0, reserved=301.3),
    )
    position = parse_ere_position(_json(DOCUMENTED_ERE_POSITION))

    assert position == ErePosition(
        compliance_year=2026,
        pending_ere=412.3,
        allocatable_ere=398.1,
        ytd_expected_eur=4920.85,
        total_expected_eur=6241.6,
        pending_forecast_net_eur=1580.4,
        effective_fee_pct=8.0,
        indicative_price_per_ere=13.5,
        realized_avg_price=12.9,
        forecast_confidence=ForecastConfidence.HIGH,
        forecast_is_projected=False,
        forecast_history_days=90,
        paid=EreAmount(ere=210.0, net_eur=2450.30, price_per_ere=12.1),
        payable=EreAmount(ere=40.0, net_eur=490.15, price_per_ere=12.9),
        reserved=EreAmount(ere=25.0, net_eur=320.0, price_per_ere=13.1),
        unsold=EreUnsold(
            ere=137.3,
            ytd_ere=120.0,
            future_ere=17.3,
            forecast_net_eur=1580.4,
            ytd_forecast_net_eur=1400.0,
            future_forecast_net_eur=180.4,
        ),
        quarters=(
            EreQuarter(
                quarter="2026-Q3",
                final=True,
                ere=120.0,
                sold_ere=120.0,
                unsold_ere=0.0,
                price_per_ere=12.4,
                realized_net_eur=1369.0,
                net_eur_by_status=EreNetByStatus(paid=1369.0, payable=0.0, reserved=0.0),
            ),
            q4,
        ),
    )
    assert position.current_quarter == q4
    assert type(position.compliance_year) is int
    assert type(position.forecast_history_days) is int


def test_current_quarter_is_the_newest_that_is_not_final() -> None:
    """Of several quarters in progress the newest is current; a missing `final` is not `false`."""
    position = parse_ere_position(
        {
            "quarters": [
                {"quarter": "2026-Q2", "final": False},
                {"quarter": "2026-Q4"},
                {"quarter": "2026-Q3", "final": False},
                {"quarter": "2026-Q1", "final": True},
            ]
        }
    )
    assert position.current_quarter == EreQuarter(quarter="2026-Q3", final=False)


@pytest.mark.parametrize(
    "document",
    [
        [],
        "position",
        {"paid": 12.0},
        {"unsold": [1, 2]},
        {"quarters": {"quarter": "2026-Q4"}},
        {"quarters": [None]},
        {"quarters": [{"net_eur_by_status": "none"}]},
        {"quarters": [{"final": "false"}]},
        {"quarters": [{"quarter": 4}]},
        {"compliance_year": 2026.5},
        {"forecast_history_days": "90"},
        {"forecast_confidence": 3},
        {"forecast_is_projected": "no"},
        {"pending_ere": "412.3"},
        {"payable": {"net_eur": True}},
        {"reserved": {"ere": 10**400}},
    ],
)
def test_malformed_ere_position_raises_response_error(document: Any) -> None:
    """A body of the wrong shape, anywhere inside, raises `JouloResponseError`."""
    with pytest.raises(JouloResponseError):
        parse_ere_position(document)
