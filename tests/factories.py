"""Builders of the client's models and the field names of the API's documents, for every test.

A test names only what matters to it: `make_session(kwh=5.5)` is a completed two-hour session of
charger `c1` with everything else at a plain default.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.joulo.api import (
    Charger,
    ChargerStatus,
    ConnectionType,
    CurrentSession,
    Session,
    SessionStatus,
)

STARTED = datetime(2026, 4, 9, 18, tzinfo=UTC)
"""When a built session starts, unless the test says otherwise."""
SESSION_LENGTH = timedelta(hours=2)
"""How long a built session that has ended ran, unless the test gives its end."""

SESSION_FIELDS = (
    "id",
    "charger_id",
    "charger_nickname",
    "started_at",
    "ended_at",
    "kwh",
    "status",
    "ere_credits",
    "id_tag",
    "counts_for_ere",
)
"""The fields of a session in `GET /sessions` (`id_tag` only when the session has one)."""
ERE_AMOUNT_FIELDS = ("ere", "net_eur", "price_per_ere")
"""The fields of `paid`, `payable` and `reserved` in `GET /ere-position`."""
QUARTER_FIELDS = (
    "quarter",
    "final",
    "ere",
    "sold_ere",
    "unsold_ere",
    "price_per_ere",
    "realized_net_eur",
    "net_eur_by_status",
)
"""The fields of an entry of `quarters` in `GET /ere-position`."""


def make_session(
    session_id: str = "s1",
    *,
    charger_id: str = "c1",
    nickname: str | None = None,
    started_at: datetime = STARTED,
    ended_at: datetime | None = None,
    running: bool = False,
    kwh: float | None = 10.0,
    status: SessionStatus | str | None = None,
    ere_credits: float | None = None,
    id_tag: str | None = None,
    counts_for_ere: bool | None = None,
) -> Session:
    """A session as the client parses it from `/sessions`.

    It ends at `ended_at`, or `SESSION_LENGTH` after it started; a `running` one has no end. Its
    status is `status`, else charging while running and completed after.
    """
    if status is None:
        status = SessionStatus.CHARGING if running else SessionStatus.COMPLETED
    return Session(
        id=session_id,
        charger_id=charger_id,
        charger_nickname=nickname,
        started_at=started_at,
        ended_at=None if running else ended_at or started_at + SESSION_LENGTH,
        kwh=kwh,
        status=status,
        ere_credits=ere_credits,
        id_tag=id_tag,
        counts_for_ere=counts_for_ere,
    )


def make_charger(
    charger_id: str = "c1",
    *,
    nickname: str | None = None,
    connection_type: ConnectionType | str = ConnectionType.EASEE,
    status: ChargerStatus | str = ChargerStatus.ONLINE,
    mid_certified: bool | None = True,
    mid_eligible: bool | None = None,
    session: CurrentSession | None = None,
    meter_wh: float | None = None,
    meter_at: datetime | None = None,
) -> Charger:
    """A charger as the client parses it from `/chargers`; charging while it has a `session`."""
    return Charger(
        id=charger_id,
        nickname=nickname,
        connection_type=connection_type,
        status=status,
        mid_certified=mid_certified,
        is_charging=session is not None,
        current_session=session,
        latest_meter_wh=meter_wh,
        meter_updated_at=meter_at,
        mid_eligible=mid_eligible,
    )
