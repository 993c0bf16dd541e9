"""Which sessions earn ERE, and what ERE credits are worth in euros: Joulo's rules, kept pure.

Joulo's `/sessions` gives `ere_credits` for every session, but only sessions on a charger with a
MID-certified meter earn them. A session says so itself (`counts_for_ere`) when Joulo sends that; else
its charger decides (`mid_eligible` when given, else `mid_certified`). A session whose charger is not
known (any more) and that does not say counts for nothing: this integration never shows money Joulo
may not pay.

Euros are net of Joulo's fee: `credits * price * (1 - fee / 100)`, rounded to cents, with the price
and fee of the `/sessions` answer's `estimate_basis` when it gives them, else those of `/me`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .api import Account, Charger, EstimateBasis, Session

EURO_DECIMALS = 2


def charger_counts_for_ere(charger: Charger | None) -> bool:
    """Whether a charger's sessions count for ERE: `mid_eligible` when given, else `mid_certified`."""
    if charger is None:
        return False
    if charger.mid_eligible is not None:
        return charger.mid_eligible
    return charger.mid_certified is True


def session_counts_for_ere(session: Session, charger: Charger | None) -> bool:
    """Whether a session counts for ERE: its own `counts_for_ere` wins over its charger's flag."""
    if session.counts_for_ere is not None:
        return session.counts_for_ere
    return charger_counts_for_ere(charger)


def counting_credits(session: Session, charger: Charger | None) -> float:
    """The ERE credits of a session that count: its `ere_credits` (0 when null) if it counts, else 0."""
    if not session_counts_for_ere(session, charger):
        return 0.0
    return session.ere_credits or 0.0


@dataclass(frozen=True, slots=True)
class ErePrice:
    """The price of one ERE (EUR) and Joulo's platform fee (%) that euro values are computed with."""

    price: float
    fee_pct: float

    def value(self, credits_: float) -> float:
        """The net euro value of `credits_`, in cents."""
        return round(credits_ * self.price * (1 - self.fee_pct / 100), EURO_DECIMALS)


def ere_price(basis: EstimateBasis | None, account: Account | None) -> ErePrice | None:
    """The price to value ERE with: the `/sessions` estimate basis when it has a price, else `/me`.

    A fee that is not given counts as 0; None when neither gives a price.
    """
    if basis is not None and basis.price_per_ere is not None:
        return ErePrice(basis.price_per_ere, basis.effective_fee_pct or 0.0)
    if account is not None and account.ere_price_mid is not None:
        return ErePrice(account.ere_price_mid, account.effective_fee_pct or 0.0)
    return None


def ere_value(credits_: float | None, price: ErePrice | None) -> float | None:
    """The net euro value of ERE credits (null credits are 0); None while no price is known."""
    if price is None:
        return None
    return price.value(credits_ or 0.0)


@dataclass(frozen=True, slots=True)
class SessionEre:
    """What a session earns: whether it counts, its ERE credits that count and their euro value."""

    counts: bool
    credits: float
    value: float | None


def session_ere(session: Session, charger: Charger | None, price: ErePrice | None) -> SessionEre:
    """What `session` on `charger` earns at `price` (value None while no price is known)."""
    credits_ = counting_credits(session, charger)
    return SessionEre(
        session_counts_for_ere(session, charger), credits_, ere_value(credits_, price)
    )
