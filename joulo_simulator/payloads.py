"""The API's JSON documents, built from the data model at a given time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from .account import SimAccount, SimCharger, SimSession
from .clock import as_utc
from .responses import Json


def timestamp(when: datetime) -> str:
    """Format ``when`` the way the API does: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return as_utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def charger_json(
    charger: SimCharger, now: datetime, *, synced_at: datetime | None = None
) -> dict[str, Json]:
    """Return the ``/chargers`` object of ``charger``: live, or as its sync at ``synced_at`` saw it.

    A charger that is restarting after a reboot reports offline at once, sync or not: Joulo sent
    the reboot itself.
    """
    shown = now if synced_at is None else synced_at
    session = charger.current_session if synced_at is None else charger.session_at(synced_at)
    data: dict[str, Json] = {
        "id": charger.id,
        "nickname": charger.nickname,
        "connection_type": charger.connection_type,
        "status": "offline" if charger.rebooting(now) else charger.status_at(shown),
        "mid_certified": charger.mid_certified,
        "mid_eligible": charger.mid_certified,
        "is_charging": session is not None,
    }
    if session is not None:
        current: dict[str, Json] = {
            "id": session.id,
            "started_at": timestamp(session.listed_started_at or session.started_at),
            "kwh_so_far": session.energy_at(shown),
        }
        if session.id_tag is not None:
            current["id_tag"] = session.id_tag
        data["current_session"] = current
    meter = charger.meter_at(now) if synced_at is None else charger.synced_meter(synced_at)
    if meter is not None:
        meter_wh, updated_at = meter
        data["latest_meter_wh"] = meter_wh
        data["meter_updated_at"] = timestamp(updated_at)
    return data


def session_json(session: SimSession, at: datetime) -> dict[str, Json]:
    """Return the ``/sessions`` object of ``session`` as it was at ``at``."""
    ended = session.ended_at is not None and session.ended_at <= at
    data: dict[str, Json] = {
        "id": session.id,
        "charger_id": session.charger_id,
        "charger_nickname": session.charger_nickname,
        "started_at": timestamp(session.listed_started_at or session.started_at),
        "ended_at": (
            timestamp(session.listed_ended_at or session.ended_at)
            if ended and session.ended_at
            else None
        ),
        "kwh": session.energy_at(at),
        "status": "completed" if ended else "charging",
        "ere_credits": session.ere_credits if ended else None,
        "counts_for_ere": session.mid_certified,
    }
    if session.id_tag is not None:
        data["id_tag"] = session.id_tag
    return data


def chargers_document(
    account: SimAccount, now: datetime, synced_at: Callable[[SimCharger], datetime | None]
) -> dict[str, Json]:
    """Return the ``GET /chargers`` answer; ``synced_at`` tells which chargers show a sync."""
    return {
        "chargers": [
            charger_json(charger, now, synced_at=synced_at(charger))
            for charger in account.chargers.values()
        ]
    }


def sessions_document(
    account: SimAccount,
    sessions: Iterable[tuple[SimSession, datetime]],
    *,
    limit: int,
    offset: int,
) -> dict[str, Json]:
    """Return the ``GET /sessions`` answer for one page of sessions, each as it was at a time.

    Its ``estimate_basis`` is the price and fee of ``/me``, as Joulo's own euro estimate uses them.
    """
    return {
        "sessions": [session_json(session, at) for session, at in sessions],
        "limit": limit,
        "offset": offset,
        "estimate_basis": {
            "price_per_ere": round(account.ere_price_mid, 2),
            "effective_fee_pct": round(account.effective_fee_pct, 2),
        },
    }


class _Totals:
    """Sums over completed sessions: the MID (ERE-eligible) ones and all of them."""

    def __init__(self) -> None:
        self.kwh = 0.0
        self.ere_credits = 0.0
        self.sessions = 0
        self.kwh_all = 0.0
        self.sessions_all = 0

    def add(self, session: SimSession) -> None:
        self.kwh_all += session.kwh
        self.sessions_all += 1
        if session.mid_certified:
            self.kwh += session.kwh
            self.ere_credits += session.ere_credits or 0.0
            self.sessions += 1


def energy_document(completed: Iterable[SimSession]) -> dict[str, Json]:
    """Return the ``GET /energy`` answer: totals and months (newest first) of ``completed``.

    ``total_kwh``, ``total_ere_credits`` and ``total_sessions`` count sessions on MID chargers;
    the ``*_all`` fields count every charger.
    """
    total = _Totals()
    months: defaultdict[str, _Totals] = defaultdict(_Totals)
    for session in completed:
        total.add(session)
        started = as_utc(session.started_at)
        months[f"{started.year:04d}-{started.month:02d}"].add(session)
    return {
        "total_kwh": round(total.kwh, 2),
        "total_ere_credits": round(total.ere_credits, 2),
        "total_sessions": total.sessions,
        "total_kwh_all": round(total.kwh_all, 2),
        "total_sessions_all": total.sessions_all,
        "months": [
            {
                "month": month,
                "kwh": round(sums.kwh, 2),
                "ere_credits": round(sums.ere_credits, 2),
                "sessions": sums.sessions,
                "kwh_all": round(sums.kwh_all, 2),
                "sessions_all": sums.sessions_all,
            }
            for month, sums in sorted(months.items(), reverse=True)
        ],
    }


def me_document(account: SimAccount) -> dict[str, Json]:
    """Return the ``GET /me`` answer."""
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "ere_price_mid": round(account.ere_price_mid, 2),
        "effective_fee_pct": round(account.effective_fee_pct, 2),
    }
