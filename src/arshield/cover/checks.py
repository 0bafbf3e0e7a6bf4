"""Credit checks: the call an ERP makes before every shipment.

A check compares the shipment plus the buyer's current exposure (open invoices on the ledger and
orders already checked but not yet invoiced) with the cover in force on the ship date, and
answers ``ok``, ``warn`` or ``block`` with every reason. An order checked with a reference is
held as exposure until an invoice carries that ``order_ref`` (or for ``ORDER_HOLD_DAYS``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Insert,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arshield.buyers.domain import CompanyStatus
from arshield.buyers.models import Company
from arshield.cover.domain import (
    CoverKind,
    CoverStatus,
    DecisionPoint,
    InForce,
    Reason,
    in_force,
    pending_change,
)
from arshield.cover.facts import FX_MAX_AGE_DAYS, money_text
from arshield.cover.models import CheckedOrder, CoverDecision, Policy
from arshield.fx.domain import FxQuote, stored_quote
from arshield.fx.models import FxRate
from arshield.kit.db import lock_for_write
from arshield.kit.errors import NotFound, ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.orgs.repository import KEY_HOLDER
from arshield.receivables.models import Invoice, LedgerEntry, open_until

ORDER_HOLD_DAYS = 90
WARN_UTILISATION_BP = 9000
WARN_EXPIRY_DAYS = 30
MAX_ORDER_REF = 64


class CheckResult(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class CheckIn:
    buyer_id: uuid.UUID
    amount: int
    currency: str
    order_ref: str | None = None
    ship_date: dt.date | None = None
    policy_id: uuid.UUID | None = None


@dataclass
class CheckOut:
    """A check's answer; amounts in minor units of ``currency`` (the policy's)."""

    result: CheckResult
    buyer_id: uuid.UUID
    buyer_ref: str
    ship_date: dt.date
    currency: str
    amount: int | None
    policy_id: uuid.UUID | None = None
    policy_number: str | None = None
    cover_amount: int = 0
    cover_state: str = "none"
    cover_basis: str = "none"
    cover_expires_on: dt.date | None = None
    open_invoices: int = 0
    checked_orders: int = 0
    overdue_amount: int = 0
    max_days_overdue: int = 0
    reasons: list[Reason] = field(default_factory=list)
    order_ref: str | None = None

    @property
    def exposure(self) -> int:
        return self.open_invoices + self.checked_orders

    @property
    def available(self) -> int:
        return self.cover_amount - self.exposure


@dataclass(frozen=True, slots=True)
class PolicyView:
    """The terms of a policy a check reads."""

    id: uuid.UUID
    number: str
    currency: str
    starts_on: dt.date
    ends_on: dt.date
    countries: tuple[str, ...]
    declaration_threshold: int
    stop_delivery_days: int


@dataclass(slots=True)
class CoverOnBuyer:
    """One of the seller's policies and the history of its cover on the buyer."""

    policy: PolicyView
    points: list[DecisionPoint] = field(default_factory=list)
    decided: bool = False  # any decision at all, a refused increase included


@dataclass(frozen=True, slots=True)
class BuyerView:
    id: uuid.UUID
    ref: str
    country: str
    status: CompanyStatus


_POLICY_COLUMNS = (
    Policy.id,
    Policy.number,
    Policy.currency,
    Policy.starts_on,
    Policy.ends_on,
    Policy.countries,
    Policy.declaration_threshold,
    Policy.stop_delivery_days,
)
_DECISION_COLUMNS = (
    CoverDecision.seq,
    CoverDecision.status,
    CoverDecision.amount,
    CoverDecision.effective_from,
    CoverDecision.expires_on,
    CoverDecision.kind,
    CoverDecision.changes_cover,
)


def _buyer_rows(*, by_policy: bool, org: ColumnElement[Any], records: bool) -> Select[Any]:
    """The buyer and each of the seller ``org``'s policies (newest first) with its decisions
    on the buyer; ``records`` makes each row one column (a record of the same values)."""
    on_policy = Policy.org_id == org
    if by_policy:
        on_policy = and_(on_policy, Policy.id == bindparam("policy_id"))
    columns = (
        Company.id,
        Company.ref,
        Company.country,
        Company.status,
        *_POLICY_COLUMNS,
        *_DECISION_COLUMNS,
    )
    return (
        (select(tuple_(*columns)) if records else select(*columns))
        .select_from(Company)
        .outerjoin(Policy, on_policy)
        .outerjoin(
            CoverDecision,
            and_(CoverDecision.policy_id == Policy.id, CoverDecision.company_id == Company.id),
        )
        .where(Company.id == bindparam("buyer_id"))
        .order_by(Policy.starts_on.desc(), Policy.number, CoverDecision.seq)
    )


@functools.cache
def _buyer_query(*, by_policy: bool, lock: bool) -> Select[Any]:
    """:func:`_buyer_rows` of the seller ``:org_id``: built once per variant, so a check pays
    for neither building nor cache keys."""
    query = _buyer_rows(by_policy=by_policy, org=bindparam("org_id"), records=False)
    return query.with_for_update(of=Company) if lock else query


def buyer_statement(
    *, org_id: uuid.UUID, buyer_id: uuid.UUID, policy_id: uuid.UUID | None, lock: bool
) -> tuple[Select[Any], dict[str, Any]]:
    """The statement reading the buyer and the seller's policies with their cover on it, and
    its parameters; ``lock`` holds the buyer's row until the transaction ends."""
    query = _buyer_query(by_policy=policy_id is not None, lock=lock)
    return query, {"org_id": org_id, "buyer_id": buyer_id, "policy_id": policy_id}


def buyer_and_covers(
    rows: Sequence[Any], *, buyer_id: uuid.UUID, policy_id: uuid.UUID | None
) -> tuple[BuyerView, list[CoverOnBuyer]]:
    """The buyer and the seller's policies with their cover on it, from the rows of
    :func:`buyer_statement` (as any driver returns them: enums may come as their text)."""
    if not rows:
        raise NotFound(f"no buyer {buyer_id}")
    first = rows[0]
    buyer = BuyerView(id=first[0], ref=first[1], country=first[2], status=CompanyStatus(first[3]))
    if policy_id is not None and first[4] is None:
        raise NotFound(f"no policy {policy_id}")
    covers: dict[uuid.UUID, CoverOnBuyer] = {}
    for row in rows:
        if row[4] is None:
            continue
        cover = covers.get(row[4])
        if cover is None:
            cover = covers[row[4]] = CoverOnBuyer(
                PolicyView(
                    id=row[4],
                    number=row[5],
                    currency=row[6],
                    starts_on=row[7],
                    ends_on=row[8],
                    countries=tuple(row[9].split(",")),
                    declaration_threshold=row[10],
                    stop_delivery_days=row[11],
                )
            )
        if row[12] is None:
            continue
        cover.decided = True
        seq, status, amount, effective_from, expires_on, kind, changes_cover = row[12:19]
        if changes_cover:
            cover.points.append(
                DecisionPoint(
                    seq, CoverStatus(status), amount, effective_from, expires_on, CoverKind(kind)
                )
            )
    return buyer, list(covers.values())


class Rates:
    """Converts minor units into ``to`` with one seller's rates on one day; a currency without
    a usable rate converts to None. ``stored`` holds the rate row chosen for each currency as
    (base, quote, rate, date, source); its quote is made when first needed."""

    def __init__(
        self, *, to: str, on: dt.date, stored: dict[str, tuple[str, str, str, dt.date, str]]
    ) -> None:
        self.to, self.on = to, on
        self._stored = stored
        self._quotes: dict[str, FxQuote | None] = {}

    def quote(self, currency: str) -> FxQuote | None:
        if currency not in self._quotes:
            row = self._stored.get(currency)
            self._quotes[currency] = None if row is None else _quote_of(row, self.to)
        return self._quotes[currency]

    def convert(self, minor: int, source: str) -> int | None:
        if source == self.to:
            return minor
        quote = self.quote(source)
        return None if quote is None else quote.convert_minor(minor)


def _quote_of(row: tuple[str, str, str, dt.date, str], to: str) -> FxQuote:
    base, quote, rate, date, source = row
    return stored_quote(
        base=base,
        quote=quote,
        rate_text_value=rate,
        date=date,
        source=source,
        inverted=base == to,
    )


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a check reads after the cover: the buyer's open invoices on the seller's ledger
    as (currency, outstanding, due date), the orders held for it as (currency, total), and the
    seller's rates for every currency involved."""

    open_items: list[tuple[str, int, dt.date]]
    orders: list[tuple[str, int]]
    rates: Rates


def _exposure_rows(
    *, skip: bool, org: ColumnElement[Any], to: ColumnElement[Any] | Select[Any]
) -> CompoundSelect[Any]:
    """One buyer's open invoices (kind ``i``), held orders (``o``) and the seller ``org``'s
    rates between ``to`` (a currency, or a query of several) and the currencies of the buyer's
    invoices, orders and the shipment (``r``), as rows of (kind, currency or base, amount,
    date, quote, rate, source)."""
    company: BindParameter[Any] = bindparam("company_id")
    today: BindParameter[Any] = bindparam("today")
    # Only the invoices open on some day from today on, through the index on open_until(): a
    # buyer's settled history costs nothing. Their entries up to today are the invoice's
    # settled_amount, unless an entry is dated later than today (then they are summed).
    dated_later = (
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(
            LedgerEntry.org_id == org,
            LedgerEntry.invoice_id == Invoice.id,
            LedgerEntry.date <= today,
        )
        .scalar_subquery()
    )
    settled = case((Invoice.last_entry_on > today, dated_later), else_=Invoice.settled_amount)
    open_invoices = and_(Invoice.org_id == org, Invoice.company_id == company, open_until() > today)
    invoices: Select[Any] = select(
        literal_column("'i'").label("kind"),
        Invoice.currency.label("currency"),
        (Invoice.amount - settled).label("amount"),
        Invoice.due_date.label("day"),
        null().label("quote"),
        null().label("rate"),
        null().label("source"),
    ).where(open_invoices)
    invoiced = exists().where(
        and_(Invoice.org_id == CheckedOrder.org_id, Invoice.order_ref == CheckedOrder.order_ref)
    )
    held: Select[Any] = select(
        literal_column("'o'"),
        CheckedOrder.currency,
        func.sum(CheckedOrder.amount),
        null(),
        null(),
        null(),
        null(),
    ).where(
        CheckedOrder.org_id == org,
        CheckedOrder.company_id == company,
        CheckedOrder.result != CheckResult.BLOCK.value,
        CheckedOrder.checked_at >= bindparam("held_since"),
        ~invoiced,
    )
    if skip:
        held = held.where(CheckedOrder.order_ref != bindparam("skip"))
    # Every currency of the buyer's open invoices and its orders (a superset of those needed).
    involved = union(
        select(Invoice.currency).where(open_invoices),
        select(CheckedOrder.currency).where(
            CheckedOrder.org_id == org, CheckedOrder.company_id == company
        ),
    )
    currency: BindParameter[Any] = bindparam("currency")
    quote_is_to: ColumnElement[bool]
    base_is_to: ColumnElement[bool]
    if isinstance(to, Select):
        quote_is_to, base_is_to = FxRate.quote.in_(to), FxRate.base.in_(to)
    else:
        quote_is_to, base_is_to = FxRate.quote == to, FxRate.base == to
    rates: Select[Any] = select(
        literal_column("'r'"),
        FxRate.base,
        null(),
        FxRate.date,
        FxRate.quote,
        FxRate.rate,
        FxRate.source,
    ).where(
        FxRate.org_id == org,
        or_(
            and_(quote_is_to, or_(FxRate.base == currency, FxRate.base.in_(involved))),
            and_(base_is_to, or_(FxRate.quote == currency, FxRate.quote.in_(involved))),
        ),
        FxRate.date <= bindparam("on"),
        FxRate.date >= bindparam("earliest"),
    )
    return union_all(invoices, held.group_by(CheckedOrder.currency), rates)


@functools.cache
def _exposure_query(*, skip: bool) -> CompoundSelect[Any]:
    """:func:`_exposure_rows` of the seller ``:org_id`` into ``:to``, built once per variant."""
    return _exposure_rows(skip=skip, org=bindparam("org_id"), to=bindparam("to"))


@functools.cache
def one_trip_query(*, by_policy: bool) -> Select[Any]:
    """A read-only check's reads in one statement, for the API's event-loop path on
    PostgreSQL: one row (none for an unknown key) of the key's holder as
    :data:`arshield.orgs.repository.KEY_HOLDER` reads it, then the rows of the buyer statement
    and of the exposure statement (with the rates into every currency of the holder's
    policies) as two arrays of records. Parameters: ``key_hash``, ``buyer_id`` and
    ``company_id`` (the same), ``policy_id`` when ``by_policy``, and those of
    :func:`exposure_statement` but ``org_id``, ``to`` and ``skip``."""
    holder = KEY_HOLDER.cte("holder")
    org = select(holder.c[3]).scalar_subquery()
    buyer_records = _buyer_rows(by_policy=by_policy, org=org, records=True)
    currencies = select(Policy.currency).where(Policy.org_id == org)
    exposure = _exposure_rows(skip=False, org=org, to=currencies).subquery("exposure")
    exposure_records = select(tuple_(*exposure.c))
    return select(
        *holder.c,
        func.array(buyer_records.scalar_subquery()),
        func.array(exposure_records.scalar_subquery()),
    ).select_from(holder)


def exposure_statement(
    *,
    org_id: uuid.UUID,
    company_id: uuid.UUID,
    now: dt.datetime,
    skip: str | None,
    currency: str,
    to: str,
    on: dt.date,
) -> tuple[CompoundSelect[Any], dict[str, Any]]:
    """The statement reading the buyer's exposure on the seller's ledger and the seller's
    rates into ``to`` on ``on``, and its parameters."""
    params = _exposure_params(company_id=company_id, now=now, currency=currency, on=on)
    params |= {"org_id": org_id, "skip": skip, "to": to}
    return _exposure_query(skip=skip is not None), params


def _exposure_params(
    *, company_id: uuid.UUID, now: dt.datetime, currency: str, on: dt.date
) -> dict[str, Any]:
    """The parameters every exposure read takes: ledger entries up to today, orders held
    within ``ORDER_HOLD_DAYS``, rates within ``FX_MAX_AGE_DAYS`` up to ``on``."""
    return {
        "company_id": company_id,
        "today": now.date(),
        "held_since": now - dt.timedelta(days=ORDER_HOLD_DAYS),
        "currency": currency,
        "on": on,
        "earliest": on - dt.timedelta(days=FX_MAX_AGE_DAYS),
    }


def exposure_of(rows: Iterable[Any], *, to: str, on: dt.date) -> Exposure:
    """The exposure and rates in the rows of :func:`exposure_statement`.

    The rates follow :func:`arshield.fx.service.rates_for`: for each currency the newest rate
    within ``FX_MAX_AGE_DAYS`` up to ``on``, of the pair itself or its inverse, the pair itself
    on the same date.
    """
    open_items: list[tuple[str, int, dt.date]] = []
    orders: list[tuple[str, int]] = []
    best: dict[str, tuple[tuple[dt.date, bool], tuple[str, str, str, dt.date, str]]] = {}
    for kind, cur, amount, day, quote, rate, source in rows:
        if kind == "r" and to != cur and to != quote:
            continue  # a rate into another of the seller's policy currencies
        if kind == "i":
            if amount > 0:
                open_items.append((cur, int(amount), day))
        elif kind == "o":
            orders.append((cur, int(amount)))
        else:  # a rate: the newest wins, then the pair itself over its inverse
            inverted = cur == to
            rank = (day, not inverted)
            found = quote if inverted else cur
            if found not in best or rank > best[found][0]:
                best[found] = (rank, (cur, quote, rate, day, source))
    stored = {found: row for found, (_rank, row) in best.items()}
    return Exposure(open_items, orders, Rates(to=to, on=on, stored=stored))


@dataclass(frozen=True, slots=True)
class Begun:
    """A check validated, before anything is read."""

    check: CheckIn
    now: dt.datetime
    ship: dt.date
    currency: str
    order_ref: str | None

    def buyer_statement(self, org_id: uuid.UUID) -> tuple[Select[Any], dict[str, Any]]:
        return buyer_statement(
            org_id=org_id,
            buyer_id=self.check.buyer_id,
            policy_id=self.check.policy_id,
            lock=self.order_ref is not None,
        )


def begin(check: CheckIn, *, now: dt.datetime) -> Begun:
    """Validate a check: 422 on an amount, currency, order reference or date it cannot take."""
    today = now.date()
    ship = check.ship_date or today
    if check.amount <= 0:
        raise ValidationFailed("amount must be more than 0")
    currency = normalize_currency(check.currency)
    order_ref = check.order_ref.strip() if check.order_ref else None
    if order_ref is not None and not 0 < len(order_ref) <= MAX_ORDER_REF:
        raise ValidationFailed(f"order_ref must be 1-{MAX_ORDER_REF} characters")
    if abs((ship - today).days) > 366:
        raise ValidationFailed("ship_date must be within a year of today")
    return Begun(check, now, ship, currency, order_ref)


@dataclass(slots=True)
class CoverFound:
    """A check whose cover is known: what remains is to read and weigh the exposure."""

    begun: Begun
    out: CheckOut
    company: BuyerView
    chosen: CoverOnBuyer
    result: CheckResult

    def exposure_statement(self, org_id: uuid.UUID) -> tuple[CompoundSelect[Any], dict[str, Any]]:
        return exposure_statement(
            org_id=org_id,
            company_id=self.company.id,
            now=self.begun.now,
            skip=self.begun.order_ref,
            currency=self.begun.currency,
            to=self.chosen.policy.currency,
            on=min(self.begun.now.date(), self.begun.ship),
        )


def with_cover(begun: Begun, rows: Sequence[Any]) -> CheckOut | CoverFound:
    """The check after the rows of its buyer statement: finished (``result`` set) when no
    policy covers the buyer, else the cover in force and what to read next."""
    check, ship = begun.check, begun.ship
    company, found = buyer_and_covers(rows, buyer_id=check.buyer_id, policy_id=check.policy_id)
    out = CheckOut(
        result=CheckResult.OK,
        buyer_id=company.id,
        buyer_ref=company.ref,
        ship_date=ship,
        currency=begun.currency,
        amount=check.amount,
        order_ref=begun.order_ref,
    )
    covers = [
        c
        for c in found
        if c.policy.starts_on <= ship <= c.policy.ends_on and company.country in c.policy.countries
    ]
    if not covers:
        out.reasons.append(
            Reason("NO_POLICY", f"no policy in force on {ship} covers buyers in {company.country}")
        )
        out.result = CheckResult.BLOCK
        return out
    chosen, cover = max(
        ((c, in_force(c.points, ship)) for c in covers),
        key=lambda pair: (pair[1].amount, pair[0].policy.starts_on),
    )
    policy = chosen.policy
    out.policy_id, out.policy_number, out.currency = policy.id, policy.number, policy.currency
    result = _cover_terms(out, chosen, cover, ship)
    return CoverFound(begun, out, company, chosen, result)


def with_exposure(step: CoverFound, rows: Iterable[Any]) -> CheckOut:
    """The check's answer (``result`` set) after the rows of its exposure statement."""
    begun, out, chosen, company = step.begun, step.out, step.chosen, step.company
    policy, ship = chosen.policy, begun.ship
    exposure = exposure_of(rows, to=policy.currency, on=min(begun.now.date(), ship))
    rates, open_items, held = exposure.rates, exposure.open_items, exposure.orders
    amount = rates.convert(begun.check.amount, begun.currency)
    out.amount = amount
    missing: set[str] = set()
    if amount is None:
        missing.add(begun.currency)
    for cur, outstanding, due in open_items:
        value = rates.convert(outstanding, cur)
        if value is None:
            missing.add(cur)
            continue
        out.open_invoices += value
        if due < ship:
            out.overdue_amount += value
            out.max_days_overdue = max(out.max_days_overdue, (ship - due).days)
    for cur, total in held:
        value = rates.convert(total, cur)
        if value is None:
            missing.add(cur)
        else:
            out.checked_orders += value
    if missing:
        pairs = ", ".join(f"{c}/{policy.currency}" for c in sorted(missing))
        out.reasons.append(Reason("FX_RATE_MISSING", f"no rate for {pairs} on {rates.on}"))
        out.result = CheckResult.BLOCK
        return out
    assert amount is not None
    result = _worst(step.result, _exposure_terms(out, chosen, amount, ship))
    if company.status is not CompanyStatus.ACTIVE:
        out.reasons.append(Reason("BUYER_INSOLVENT", f"the buyer is {company.status.value}"))
        result = CheckResult.BLOCK
    if result is CheckResult.OK:
        out.reasons.append(
            Reason(
                "WITHIN_COVER",
                f"{money_text(out.exposure + amount, policy.currency)} after this shipment is "
                f"within the cover of {money_text(out.cover_amount, policy.currency)}",
            )
        )
    out.result = result
    return out


def one_trip_params(begun: Begun, *, key_hash: str) -> dict[str, Any]:
    """The parameters of :func:`one_trip_query` for a check that holds no order (and, with
    ``skip``, of :func:`held_reads`)."""
    on = min(begun.now.date(), begun.ship)
    buyer_id = begun.check.buyer_id
    params = _exposure_params(company_id=buyer_id, now=begun.now, currency=begun.currency, on=on)
    return params | {
        "key_hash": key_hash,
        "buyer_id": buyer_id,
        "policy_id": begun.check.policy_id,
    }


def from_one_trip(
    begun: Begun, buyer_rows: Sequence[Any], exposure_rows: Iterable[Any]
) -> CheckOut:
    """The answer to a check that holds no order from the arrays :func:`one_trip_query` read
    (the caller has checked the key's holder)."""
    if begun.order_ref is not None:
        raise ValueError("a check holding an order takes the buyer's lock: use credit_check")
    step = with_cover(begun, buyer_rows)
    return with_exposure(step, exposure_rows) if isinstance(step, CoverFound) else step


def credit_check(
    session: Session, check: CheckIn, *, org_id: uuid.UUID, now: dt.datetime
) -> CheckOut:
    """Check one shipment for the seller ``org_id`` and hold the order when it may ship."""
    begun = begin(check, now=now)
    if begun.order_ref is not None:
        # Holding an order is check-then-act on the buyer's exposure: one writer per buyer.
        lock_for_write(session)
    conn = session.connection()
    step = with_cover(begun, conn.execute(*begun.buyer_statement(org_id)).all())
    if isinstance(step, CoverFound):
        step = with_exposure(step, conn.execute(*step.exposure_statement(org_id)).all())
    return _hold(session, step, org_id, now)


def _worst(a: CheckResult, b: CheckResult) -> CheckResult:
    order = [CheckResult.OK, CheckResult.WARN, CheckResult.BLOCK]
    return max(a, b, key=order.index)


def _cover_terms(out: CheckOut, chosen: CoverOnBuyer, cover: InForce, ship: dt.date) -> CheckResult:
    policy = chosen.policy
    out.cover_state = cover.state
    if cover.covered:
        out.cover_amount = cover.amount
        out.cover_basis = cover.decision.kind.value if cover.decision else "none"
        out.cover_expires_on = cover.decision.expires_on if cover.decision else None
        if (
            out.cover_expires_on is not None
            and (out.cover_expires_on - ship).days <= WARN_EXPIRY_DAYS
        ):
            out.reasons.append(
                Reason("COVER_EXPIRING", f"the cover expires on {out.cover_expires_on}")
            )
            return CheckResult.WARN
        return CheckResult.OK
    if cover.state == "cancelled":
        out.reasons.append(
            Reason(
                "COVER_CANCELLED",
                f"cover was cancelled from {_since(cover, ship)}",
            )
        )
        return CheckResult.BLOCK
    if cover.state == "expired":
        out.reasons.append(
            Reason(
                "COVER_EXPIRED",
                f"cover expired on {cover.decision.expires_on if cover.decision else ship}",
            )
        )
        return CheckResult.BLOCK
    if not chosen.decided and policy.declaration_threshold > 0:
        out.cover_amount = policy.declaration_threshold
        out.cover_basis = "declaration_threshold"
        out.cover_state = "in_force"
        out.reasons.append(
            Reason(
                "DECLARATION_THRESHOLD",
                "no cover was requested; exposure up to the declaration threshold of "
                f"{money_text(policy.declaration_threshold, policy.currency)} needs no application",
            )
        )
        return CheckResult.OK
    out.reasons.append(
        Reason("NO_COVER", f"no cover on this buyer under policy {policy.number} on {ship}")
    )
    return CheckResult.BLOCK


def _exposure_terms(out: CheckOut, chosen: CoverOnBuyer, amount: int, ship: dt.date) -> CheckResult:
    policy = chosen.policy
    result = CheckResult.OK
    cur = policy.currency
    if out.max_days_overdue > policy.stop_delivery_days:
        out.reasons.append(
            Reason(
                "STOP_DELIVERY",
                f"{money_text(out.overdue_amount, cur)} overdue, up to {out.max_days_overdue} days "
                f"past due: beyond the policy's stop-delivery threshold of "
                f"{policy.stop_delivery_days} days",
            )
        )
        result = CheckResult.BLOCK
    elif out.overdue_amount > 0:
        out.reasons.append(
            Reason(
                "OVERDUE",
                f"{money_text(out.overdue_amount, cur)} overdue, up to {out.max_days_overdue} days",
            )
        )
        result = CheckResult.WARN
    after = out.exposure + amount
    if out.cover_amount > 0 and after > out.cover_amount:
        out.reasons.append(
            Reason(
                "COVER_EXCEEDED",
                f"{money_text(after, cur)} after this shipment exceeds the cover of "
                f"{money_text(out.cover_amount, cur)} ({money_text(max(out.available, 0), cur)} "
                "available)",
            )
        )
        return CheckResult.BLOCK
    if out.cover_amount > 0 and after * 10_000 >= out.cover_amount * WARN_UTILISATION_BP:
        out.reasons.append(
            Reason(
                "HIGH_UTILISATION",
                f"this shipment uses {after * 100 // out.cover_amount}% of the cover",
            )
        )
        result = _worst(result, CheckResult.WARN)
    pending = pending_change(chosen.points, ship)
    if pending is not None and pending.amount < after:
        out.reasons.append(
            Reason(
                "COVER_REDUCTION_PENDING",
                f"cover falls to {money_text(pending.amount, cur)} from {pending.effective_from}",
            )
        )
        result = _worst(result, CheckResult.WARN)
    return result


@functools.cache
def hold_statement(dialect: str) -> Insert:
    """Hold (or refresh) the order of a check, returning its id; no row when the seller had
    checked the same reference for another buyer (``dialect``: postgresql or sqlite)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {
        "org_id": bindparam("org_id"),
        "order_ref": bindparam("order_ref"),
        "company_id": bindparam("company_id"),
        "policy_id": bindparam("policy_id"),
        "amount": bindparam("amount"),
        "currency": bindparam("currency"),
        "ship_date": bindparam("ship_date"),
        "result": bindparam("result"),
        "checked_at": bindparam("checked_at"),
    }
    statement = insert(CheckedOrder).values(id=bindparam("id"), **values)
    refreshed = ("policy_id", "amount", "currency", "ship_date", "result", "checked_at")
    return statement.on_conflict_do_update(
        index_elements=[CheckedOrder.org_id, CheckedOrder.order_ref],
        set_={name: statement.excluded[name] for name in refreshed},
        where=CheckedOrder.company_id == statement.excluded.company_id,
    ).returning(CheckedOrder.id)


def hold_params(out: CheckOut, *, org_id: uuid.UUID, now: dt.datetime) -> dict[str, Any] | None:
    """The parameters of :func:`hold_statement` for a check made with a reference (any
    answer but a missing rate), else None."""
    if out.order_ref is None or out.amount is None:
        return None
    return {
        "id": uuid.uuid4(),
        "org_id": org_id,
        "order_ref": out.order_ref,
        "company_id": out.buyer_id,
        "policy_id": out.policy_id,
        "amount": out.amount,
        "currency": out.currency,
        "ship_date": out.ship_date,
        "result": out.result.value,
        "checked_at": now,
    }


def order_elsewhere(out: CheckOut) -> ValidationFailed:
    return ValidationFailed(f"order_ref {out.order_ref!r} was checked for another buyer")


def _hold(session: Session, out: CheckOut, org_id: uuid.UUID, now: dt.datetime) -> CheckOut:
    params = hold_params(out, org_id=org_id, now=now)
    if params is not None:
        statement = hold_statement(session.get_bind().dialect.name)
        if session.connection().execute(statement, params).first() is None:
            raise order_elsewhere(out)
    return out


def _since(cover: InForce, ship: dt.date) -> dt.date:
    return cover.decision.effective_from if cover.decision else ship


@functools.cache
def held_reads(*, by_policy: bool) -> tuple[Select[Any], Select[Any], CompoundSelect[Any]]:
    """The reads of a check that holds its order, for a driver that sends them together in one
    transaction (PostgreSQL's pipeline), run in this order:

    1. the key's holder, as :data:`arshield.orgs.repository.KEY_HOLDER` reads it;
    2. the buyer statement for the holder's organisation, locking the buyer's row (only for a
       key that exists);
    3. the exposure, without the check's own order, with the rates into every currency of the
       holder's policies.

    Each statement reads its own snapshot, taken when it starts, so the exposure is read after
    the buyer's lock is held: a hold that committed while this one waited is seen. Parameters:
    :func:`held_params`."""
    holder = KEY_HOLDER.subquery("holder")
    org = select(holder.c[3]).scalar_subquery()
    buyer = (
        _buyer_rows(by_policy=by_policy, org=org, records=False)
        .where(org.is_not(None))
        .with_for_update(of=Company)
    )
    currencies = select(Policy.currency).where(Policy.org_id == org)
    exposure = _exposure_rows(skip=True, org=org, to=currencies)
    return KEY_HOLDER, buyer, exposure


def held_params(begun: Begun, *, key_hash: str) -> dict[str, Any]:
    """The parameters of :func:`held_reads` for a check with an order reference."""
    if begun.order_ref is None:
        raise ValueError("only a check with an order reference holds it")
    return one_trip_params(begun, key_hash=key_hash) | {"skip": begun.order_ref}
