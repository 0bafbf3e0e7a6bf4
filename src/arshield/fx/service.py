"""Use cases of the rate table: look up the rate in force, convert, list and load rates.

A lookup for ``base``/``quote`` on a date takes the newest stored rate dated on or before that
date, from either the pair itself or its inverse (1 / r to 12 significant digits); on the same
date the pair itself wins. A rate dated more than ``max_age_days`` before the date is stale and
is not used. Services never commit: callers own transactions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from arshield.fx import repository
from arshield.fx.domain import FxQuote, identity_quote, pair_text, stored_quote
from arshield.fx.importing import RatesRejected, import_rates, import_rows
from arshield.fx.models import FxRate
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.kit.time import check_as_of

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "Conversion",
    "FxQuote",
    "RateMissing",
    "RatesRejected",
    "convert",
    "import_rates",
    "import_rows",
    "list_rates",
    "rate_on",
    "rates_for",
]

DEFAULT_MAX_AGE_DAYS = 7
MAX_AGE_LIMIT = 3660


class RateMissing(ValidationFailed):
    """No usable rate: none stored on or before the date, or only stale ones."""

    error_type = "rate_missing"

    def __init__(self, *, pairs: Iterable[tuple[str, str]], on: dt.date, reasons: list[str]):
        self.pairs = tuple(pairs)
        self.on = on
        super().__init__("; ".join(reasons))


@dataclass(frozen=True, slots=True)
class Conversion:
    """``amount_minor`` of ``currency`` converted to ``converted_minor`` of ``to_currency``."""

    amount_minor: int
    currency: str
    converted_minor: int
    to_currency: str
    quote: FxQuote


def rate_on(
    session: Session,
    *,
    org_id: uuid.UUID,
    base: str,
    quote: str,
    on: dt.date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> FxQuote:
    """The rate of 1 ``base`` in ``quote`` in force on ``on`` in ``org_id``'s table.

    Raises ``RateMissing`` naming the pair and date when no rate is dated within
    ``max_age_days`` days on or before ``on``.
    """
    base = normalize_currency(base)
    return rates_for(
        session, org_id=org_id, currencies=[base], to=quote, on=on, max_age_days=max_age_days
    )[base]


def rates_for(
    session: Session,
    *,
    org_id: uuid.UUID,
    currencies: Iterable[str],
    to: str,
    on: dt.date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> dict[str, FxQuote]:
    """For each of ``currencies``, its rate into ``to`` on ``on`` (keyed by the currency).

    One query for all currencies. Raises ``RateMissing`` naming every pair without a usable
    rate (nothing is returned then).
    """
    to = normalize_currency(to)
    check_as_of(on)
    if isinstance(max_age_days, bool) or not 0 <= max_age_days <= MAX_AGE_LIMIT:
        raise ValidationFailed(f"max_age_days must be between 0 and {MAX_AGE_LIMIT}")
    wanted = sorted({normalize_currency(c) for c in currencies})
    found: dict[str, FxQuote] = {}
    others = [c for c in wanted if c != to]
    if to in wanted:
        found[to] = identity_quote(to, on)
    if others:
        earliest = on - dt.timedelta(days=max_age_days)
        rows = repository.rates_in_window(
            session, org_id=org_id, currencies=others, to=to, earliest=earliest, latest=on
        )
        found |= _newest(rows, to=to)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise _missing(session, org_id=org_id, currencies=missing, to=to, on=on, age=max_age_days)
    return found


def _newest(rows: Iterable[FxRate], *, to: str) -> dict[str, FxQuote]:
    """The quote each currency gets from ``rows``: newest date, then the direct pair."""
    best: dict[str, tuple[tuple[dt.date, bool], FxRate]] = {}
    for row in rows:
        inverted = row.base == to
        currency = row.quote if inverted else row.base
        rank = (row.date, not inverted)
        if currency not in best or rank > best[currency][0]:
            best[currency] = (rank, row)
    return {
        currency: stored_quote(
            base=row.base,
            quote=row.quote,
            rate_text_value=row.rate,
            date=row.date,
            source=row.source,
            inverted=row.base == to,
        )
        for currency, (_rank, row) in best.items()
    }


def _missing(
    session: Session, *, org_id: uuid.UUID, currencies: list[str], to: str, on: dt.date, age: int
) -> RateMissing:
    """The error naming each pair and why: no rate at all, or only a stale one."""
    latest = repository.latest_dates(
        session, org_id=org_id, currencies=currencies, to=to, latest=on
    )
    reasons: list[str] = []
    for currency in currencies:
        dates = [d for d in (latest.get((currency, to)), latest.get((to, currency))) if d]
        pair = pair_text(currency, to)
        if dates:
            newest = max(dates)
            reasons.append(
                f"no {pair} rate within {age} days up to {on}: the latest (or its inverse) is "
                f"dated {newest}, {(on - newest).days} days before"
            )
        else:
            reasons.append(f"no {pair} rate (or inverse) on or before {on}")
    return RateMissing(pairs=[(c, to) for c in currencies], on=on, reasons=reasons)


def convert(
    session: Session,
    *,
    org_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    to_currency: str,
    on: dt.date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> Conversion:
    """Convert ``amount_minor`` of ``currency`` into ``to_currency`` at the rate in force on ``on``
    (half-even to the target's minor unit); the result carries the rate and its date."""
    quote = rate_on(
        session, org_id=org_id, base=currency, quote=to_currency, on=on, max_age_days=max_age_days
    )
    return Conversion(
        amount_minor=amount_minor,
        currency=quote.base,
        converted_minor=quote.convert_minor(amount_minor),
        to_currency=quote.quote,
        quote=quote,
    )


def list_rates(
    session: Session,
    *,
    org_id: uuid.UUID,
    base: str | None = None,
    quote: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[FxRate], int]:
    """``org_id``'s rates matching the filters, newest date first, and their total count."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationFailed(f"date_from {date_from} is after date_to {date_to}")
    return repository.list_rates(
        session,
        org_id=org_id,
        base=normalize_currency(base) if base else None,
        quote=normalize_currency(quote) if quote else None,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
