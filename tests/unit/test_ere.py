"""The ERE rules on their own: which sessions count, and what their credits bring in euros."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.joulo.api import Account, Charger, ConnectionType, EstimateBasis, Session
from custom_components.joulo.ere import (
    ErePrice,
    SessionEre,
    charger_counts_for_ere,
    counting_credits,
    ere_price,
    ere_value,
    session_counts_for_ere,
    session_ere,
)
from tests.factories import make_charger, make_session

STARTED = datetime(2026, 4, 9, 18, tzinfo=UTC)
PRICE = ErePrice(0.87, 12.5)


def charger(*, mid_certified: bool | None, mid_eligible: bool | None = None) -> Charger:
    """A charger with these MID flags."""
    return make_charger(
        "c",
        nickname="Carport",
        connection_type=ConnectionType.WALLBOX,
        mid_certified=mid_certified,
        mid_eligible=mid_eligible,
    )


def session(*, counts_for_ere: bool | None = None, ere_credits: float | None = 9.26) -> Session:
    """A completed session of 27.84 kWh on charger `c`."""
    return make_session(
        "s",
        charger_id="c",
        nickname="Carport",
        started_at=STARTED,
        ended_at=STARTED,
        kwh=27.84,
        ere_credits=ere_credits,
        counts_for_ere=counts_for_ere,
    )


@pytest.mark.parametrize(
    ("counts_for_ere", "on", "counts"),
    [
        # The session's own flag wins over its charger's, either way round.
        (True, charger(mid_certified=False, mid_eligible=False), True),
        (False, charger(mid_certified=True, mid_eligible=True), False),
        (True, None, True),
        # Without it, the charger's `mid_eligible` decides, over `mid_certified`.
        (None, charger(mid_certified=False, mid_eligible=True), True),
        (None, charger(mid_certified=True, mid_eligible=False), False),
        # Without either, `mid_certified`; unknown counts as not certified.
        (None, charger(mid_certified=True), True),
        (None, charger(mid_certified=False), False),
        (None, charger(mid_certified=None), False),
        # A charger not known (any more): the session does not count.
        (None, None, False),
    ],
)
def test_which_sessions_count(
    counts_for_ere: bool | None, on: Charger | None, counts: bool
) -> None:
    """A session counts by its own flag, else by its charger's MID flags; unknown: it does not."""
    assert session_counts_for_ere(session(counts_for_ere=counts_for_ere), on) is counts
    assert counting_credits(session(counts_for_ere=counts_for_ere), on) == (9.26 if counts else 0.0)


def test_charger_flags_alone() -> None:
    """A charger's sessions count when it is MID eligible, else certified; None counts for nothing."""
    assert charger_counts_for_ere(charger(mid_certified=False, mid_eligible=True))
    assert not charger_counts_for_ere(charger(mid_certified=None))
    assert not charger_counts_for_ere(None)


def test_null_credits_count_as_zero() -> None:
    """A session without energy has null credits: it earns 0 ERE and 0 EUR."""
    assert counting_credits(session(counts_for_ere=True, ere_credits=None), None) == 0.0
    assert session_ere(session(counts_for_ere=True, ere_credits=None), None, PRICE) == SessionEre(
        counts=True, credits=0.0, value=0.0
    )
    assert ere_value(None, PRICE) == 0.0


def test_euros_are_net_of_the_fee_in_cents() -> None:
    """9.26 ERE at 0.87 EUR less 12.5%: 7.049175 EUR, which is 7.05."""
    assert ere_value(9.26, PRICE) == 7.05
    assert session_ere(session(counts_for_ere=True), None, PRICE) == SessionEre(True, 9.26, 7.05)
    assert session_ere(session(counts_for_ere=False), None, PRICE) == SessionEre(False, 0.0, 0.0)


def test_no_price_no_euros() -> None:
    """While no price is known there is no euro value; the credits still count."""
    assert ere_value(9.26, None) is None
    assert session_ere(session(counts_for_ere=True), None, None) == SessionEre(True, 9.26, None)


ACCOUNT = Account(id="a", email=None, name=None, ere_price_mid=0.91, effective_fee_pct=10.0)


@pytest.mark.parametrize(
    ("basis", "account", "price"),
    [
        # The estimate basis of `/sessions` first, a missing fee there is 0 ...
        (EstimateBasis(price_per_ere=0.87, effective_fee_pct=15.0), ACCOUNT, ErePrice(0.87, 15.0)),
        (EstimateBasis(price_per_ere=0.87), ACCOUNT, ErePrice(0.87, 0.0)),
        # ... one without a price gives way to `/me` ...
        (EstimateBasis(effective_fee_pct=15.0), ACCOUNT, ErePrice(0.91, 10.0)),
        (None, ACCOUNT, ErePrice(0.91, 10.0)),
        (
            None,
            Account(id=None, email=None, name=None, ere_price_mid=0.91, effective_fee_pct=None),
            ErePrice(0.91, 0.0),
        ),
        # ... and without either there is no price.
        (
            None,
            Account(id=None, email=None, name=None, ere_price_mid=None, effective_fee_pct=8.0),
            None,
        ),
        (None, None, None),
    ],
)
def test_the_price_comes_from_the_estimate_basis_else_the_account(
    basis: EstimateBasis | None, account: Account | None, price: ErePrice | None
) -> None:
    """Joulo's own estimate basis wins; `/me` is the fallback."""
    assert ere_price(basis, account) == price
