"""What a cover decision reads: the cover in force, buyer capacity and what is left of it,
the buyer's grade, size and events, country and sector risk, and the seller's payment
experience with the buyer on its ledger. Reads only; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from arshield.buyers.domain import EventType
from arshield.buyers.models import Company, CompanyEvent, FinancialStatement
from arshield.cover.domain import (
    CoverKind,
    CoverStatus,
    DecisionPoint,
    InForce,
    in_force,
)
from arshield.cover.models import BuyerCapacity, CoverDecision, Policy
from arshield.cover.rules import BuyerView, RuleSet, add_months, derived_capacity
from arshield.fx import service as fx_service
from arshield.kit.money import from_minor
from arshield.orgs.domain import OrgKind
from arshield.orgs.models import Organisation
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import Invoice, LedgerEntry
from arshield.risk.domain import Grade
from arshield.risk.service import BuyerNotGraded, get_grade
from arshield.risk.tables import service as tables_service
from arshield.risk.tables.domain import NoRatingInForce

INSOLVENCY_EVENTS = (EventType.INSOLVENCY_FILING, EventType.INSOLVENCY_OPENED)
INSOLVENCY_LOOKBACK_DAYS = 730
STATEMENT_MAX_AGE_MONTHS = 24
FX_MAX_AGE_DAYS = 31


def money_text(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency)} {currency}"


# --- currency conversion -------------------------------------------------------------------------


class Converter:
    """Converts minor units between currencies with one organisation's rate table on one day.

    Capacity and accumulation are the insurer's figures: they use the insurer's table. A missing
    rate gives ``None`` (the caller refers or reports it), never a guess.
    """

    def __init__(self, session: Session, *, org_id: uuid.UUID | None, on: dt.date) -> None:
        self.session, self.org_id, self.on = session, org_id, on
        self._rates: dict[tuple[str, str], fx_service.FxQuote | None] = {}

    def quote(self, source: str, target: str) -> fx_service.FxQuote | None:
        key = (source, target)
        if key not in self._rates:
            if self.org_id is None and source != target:
                self._rates[key] = None
            else:
                try:
                    self._rates[key] = fx_service.rate_on(
                        self.session,
                        org_id=self.org_id or uuid.UUID(int=0),
                        base=source,
                        quote=target,
                        on=self.on,
                        max_age_days=FX_MAX_AGE_DAYS,
                    )
                except fx_service.RateMissing:
                    self._rates[key] = None
        return self._rates[key]

    def convert(self, minor: int, source: str, target: str) -> int | None:
        if source == target:
            return minor
        quote = self.quote(source, target)
        return None if quote is None else quote.convert_minor(minor)


def insurer_org_id(session: Session) -> uuid.UUID | None:
    """The insurer operating the platform (the first one registered)."""
    return session.scalar(
        select(Organisation.id)
        .where(Organisation.kind == OrgKind.INSURER)
        .order_by(Organisation.created_at, Organisation.id)
        .limit(1)
    )


def insurer_converter(session: Session, on: dt.date) -> Converter:
    return Converter(session, org_id=insurer_org_id(session), on=on)


# --- cover in force ------------------------------------------------------------------------------


def _point(d: CoverDecision) -> DecisionPoint:
    return DecisionPoint(
        seq=d.seq,
        status=d.status,
        amount=d.amount,
        effective_from=d.effective_from,
        expires_on=d.expires_on,
        kind=d.kind,
    )


def decisions_of(
    session: Session, policy_id: uuid.UUID, company_id: uuid.UUID
) -> list[CoverDecision]:
    """Every decision of one cover, oldest first."""
    return list(
        session.scalars(
            select(CoverDecision)
            .where(CoverDecision.policy_id == policy_id, CoverDecision.company_id == company_id)
            .order_by(CoverDecision.seq)
        )
    )


def points_of(decisions: Iterable[CoverDecision]) -> list[DecisionPoint]:
    return [_point(d) for d in decisions if d.changes_cover]


def cover_in_force(
    session: Session, policy_id: uuid.UUID, company_id: uuid.UUID, on: dt.date
) -> InForce:
    return in_force(points_of(decisions_of(session, policy_id, company_id)), on)


@dataclass(frozen=True, slots=True)
class PolicyCover:
    """One policy's cover on a buyer, in the policy currency and in the capacity currency."""

    policy_id: uuid.UUID
    policy_number: str
    org_id: uuid.UUID
    currency: str
    amount: int
    converted: int | None


def committed_amount(points: list[DecisionPoint], on: dt.date) -> int:
    """What one cover holds of the buyer's capacity: the largest amount in force now or decided
    for later (a notified reduction frees capacity only when it takes effect)."""
    amounts = [in_force(points, on).amount]
    amounts += [in_force(points, p.effective_from).amount for p in points if p.effective_from > on]
    return max(amounts)


# --- the buyer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Size:
    """The buyer's equity and monthly sales from its latest statement, in ``currency``."""

    equity: int | None
    monthly_sales: int | None
    currency: str
    statement_date: dt.date | None
    note: str | None


def buyer_size(
    session: Session, company_id: uuid.UUID, *, as_of: dt.date, currency: str, converter: Converter
) -> Size:
    statement = session.scalars(
        select(FinancialStatement)
        .where(
            FinancialStatement.company_id == company_id,
            FinancialStatement.fiscal_year_end <= as_of,
        )
        .order_by(FinancialStatement.fiscal_year_end.desc())
        .limit(1)
    ).first()
    if statement is None:
        return Size(None, None, currency, None, "no financial statement")
    if statement.fiscal_year_end < add_months(as_of, -STATEMENT_MAX_AGE_MONTHS):
        return Size(
            None,
            None,
            currency,
            statement.fiscal_year_end,
            f"the latest statement ({statement.fiscal_year_end}) is older than "
            f"{STATEMENT_MAX_AGE_MONTHS} months",
        )
    equity = converter.convert(statement.equity, statement.currency, currency)
    sales = converter.convert(statement.sales // 12, statement.currency, currency)
    if equity is None or sales is None:
        return Size(
            None,
            None,
            currency,
            statement.fiscal_year_end,
            f"no {statement.currency}/{currency} rate to read the statement",
        )
    return Size(equity, sales, currency, statement.fiscal_year_end, None)


@dataclass(frozen=True, slots=True)
class Capacity:
    """The insurer's total appetite on a buyer and what aggregate cover uses of it."""

    company_id: uuid.UUID
    amount: int
    currency: str
    source: str  # "override" or "derived"
    basis: str
    used: int | None
    covers: tuple[PolicyCover, ...]
    unconverted: tuple[str, ...]

    @property
    def available(self) -> int | None:
        return None if self.used is None else self.amount - self.used


def capacity_of(
    session: Session,
    company_id: uuid.UUID,
    *,
    as_of: dt.date,
    rules: RuleSet,
    converter: Converter,
    grade: Grade | None = None,
    exclude_policy: uuid.UUID | None = None,
) -> Capacity:
    """The buyer's capacity (an underwriter's override, or derived from grade and size) and the
    aggregate cover committed under every policy but ``exclude_policy``."""
    override = session.scalars(
        select(BuyerCapacity).where(BuyerCapacity.company_id == company_id)
    ).one_or_none()
    if override is not None:
        amount, currency, source = override.amount, override.currency, "override"
        basis = f"set by {override.set_by} on {override.set_at.date()}: {override.reason}"
    else:
        currency, source = rules.rule_currency, "derived"
        if grade is None:
            grade = buyer_grade(session, company_id, as_of)
        size = buyer_size(session, company_id, as_of=as_of, currency=currency, converter=converter)
        amount, basis = derived_capacity(
            rules,
            grade=grade.grade if grade else None,
            equity=size.equity,
            monthly_sales=size.monthly_sales,
        )
        if size.note:
            basis = f"{basis}; {size.note}"
    used, covers, unconverted = _committed(
        session,
        company_id,
        on=as_of,
        currency=currency,
        converter=converter,
        exclude=exclude_policy,
    )
    return Capacity(
        company_id=company_id,
        amount=amount,
        currency=currency,
        source=source,
        basis=basis,
        used=None if unconverted else used,
        covers=tuple(covers),
        unconverted=tuple(unconverted),
    )


def _committed(
    session: Session,
    company_id: uuid.UUID,
    *,
    on: dt.date,
    currency: str,
    converter: Converter,
    exclude: uuid.UUID | None,
) -> tuple[int, list[PolicyCover], list[str]]:
    rows = session.execute(
        select(CoverDecision, Policy.number)
        .join(Policy, Policy.id == CoverDecision.policy_id)
        .where(CoverDecision.company_id == company_id, CoverDecision.changes_cover.is_(True))
        .order_by(CoverDecision.policy_id, CoverDecision.seq)
    ).all()
    grouped: dict[uuid.UUID, list[CoverDecision]] = {}
    numbers: dict[uuid.UUID, str] = {}
    for decision, number in rows:
        grouped.setdefault(decision.policy_id, []).append(decision)
        numbers[decision.policy_id] = number
    total, covers, unconverted = 0, [], []
    for policy_id, decisions in grouped.items():
        amount = committed_amount(points_of(decisions), on)
        if amount <= 0 or policy_id == exclude:
            continue
        cur = decisions[-1].currency
        converted = converter.convert(amount, cur, currency)
        covers.append(
            PolicyCover(policy_id, numbers[policy_id], decisions[-1].org_id, cur, amount, converted)
        )
        if converted is None:
            unconverted.append(f"no {cur}/{currency} rate for policy {numbers[policy_id]}")
        else:
            total += converted
    return total, covers, unconverted


def buyer_grade(session: Session, company_id: uuid.UUID, as_of: dt.date) -> Grade | None:
    """The buyer's grade as of the day (stored run, else computed live)."""
    try:
        return get_grade(session, company_id=company_id, as_of=as_of)
    except BuyerNotGraded:
        return None


def insolvency_event(session: Session, company_id: uuid.UUID, as_of: dt.date) -> str | None:
    event = session.scalars(
        select(CompanyEvent)
        .where(
            CompanyEvent.company_id == company_id,
            CompanyEvent.type.in_(INSOLVENCY_EVENTS),
            CompanyEvent.date <= as_of,
            CompanyEvent.date > as_of - dt.timedelta(days=INSOLVENCY_LOOKBACK_DAYS),
        )
        .order_by(CompanyEvent.date.desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    return f"{event.type.value.replace('_', ' ')} on {event.date}"


def on_time_payments(
    session: Session, *, org_id: uuid.UUID, company_id: uuid.UUID, as_of: dt.date, months: int
) -> int:
    """Invoices of the seller to the buyer due in the last ``months`` months and paid in full by
    their due date (write-offs are not payments)."""
    paid = (
        select(
            func.coalesce(
                func.sum(
                    case((LedgerEntry.kind != EntryKind.WRITE_OFF, LedgerEntry.amount), else_=0)
                ),
                0,
            )
        )
        .where(LedgerEntry.invoice_id == Invoice.id, LedgerEntry.date <= Invoice.due_date)
        .scalar_subquery()
    )
    allocated = (
        select(func.count())
        .where(
            LedgerEntry.invoice_id == Invoice.id,
            LedgerEntry.kind == EntryKind.ALLOCATION,
            LedgerEntry.date <= Invoice.due_date,
        )
        .scalar_subquery()
    )
    query = select(func.count()).where(
        and_(
            Invoice.org_id == org_id,
            Invoice.company_id == company_id,
            Invoice.due_date > add_months(as_of, -months),
            Invoice.due_date <= as_of,
            paid >= Invoice.amount,
            allocated > 0,
        )
    )
    return int(session.scalar(query) or 0)


def insurer_refused_recently(
    session: Session, *, policy_id: uuid.UUID, company_id: uuid.UUID, as_of: dt.date
) -> bool:
    """Whether the insurer refused, reduced or cancelled cover on this buyer under this policy in
    the last 12 months."""
    since = add_months(as_of, -12)
    found = session.scalar(
        select(func.count()).where(
            CoverDecision.policy_id == policy_id,
            CoverDecision.company_id == company_id,
            CoverDecision.decider != "seller",
            CoverDecision.status.in_(
                [CoverStatus.REFUSED, CoverStatus.REDUCED, CoverStatus.CANCELLED]
            ),
            CoverDecision.kind == CoverKind.CREDIT_LIMIT,
            CoverDecision.effective_from > since,
        )
    )
    return bool(found)


def _risk_ratings(
    session: Session, company: Company, as_of: dt.date
) -> tuple[int | None, str | None]:
    """The buyer's country short-term risk level and sector risk in force (None: unrated)."""
    try:
        level: int | None = tables_service.get_country(
            session, country=company.country, as_of=as_of
        ).short_term
    except NoRatingInForce:
        level = None
    sector = None
    if company.sector:
        try:
            sector = tables_service.get_sector(
                session, section=company.sector[:1], as_of=as_of
            ).risk
        except NoRatingInForce:
            sector = None
    return level, sector


def buyer_view(
    session: Session,
    *,
    company: Company,
    policy: Policy,
    as_of: dt.date,
    rules: RuleSet,
    converter: Converter,
    current: InForce,
) -> tuple[BuyerView, Grade | None, Capacity]:
    """Everything the engine reads about the buyer, in the policy currency."""
    grade = buyer_grade(session, company.id, as_of)
    size = buyer_size(
        session, company.id, as_of=as_of, currency=policy.currency, converter=converter
    )
    capacity = capacity_of(
        session,
        company.id,
        as_of=as_of,
        rules=rules,
        converter=converter,
        grade=grade,
        exclude_policy=policy.id,
    )
    left: int | None = None
    capacity_text = ""
    if capacity.available is None:
        capacity_text = "; ".join(capacity.unconverted)
    else:
        left = converter.convert(max(capacity.available, 0), capacity.currency, policy.currency)
        if left is None:
            capacity_text = f"no {capacity.currency}/{policy.currency} rate for the buyer capacity"
    rating, sector = _risk_ratings(session, company, as_of)
    governing = current.decision
    view = BuyerView(
        ref=company.ref,
        country=company.country,
        status=company.status,
        insolvency_event=insolvency_event(session, company.id, as_of),
        grade=grade.grade if grade else None,
        pd=grade.pd if grade else None,
        confidence=grade.confidence if grade else None,
        country_short_term=rating,
        sector_risk=sector,
        equity=size.equity,
        monthly_sales=size.monthly_sales,
        capacity_left=left,
        capacity_text=capacity_text,
        on_time_payments=on_time_payments(
            session,
            org_id=policy.org_id,
            company_id=company.id,
            as_of=as_of,
            months=rules.window_months,
        ),
        named_limit_in_force=bool(
            current.covered
            and governing is not None
            and governing.kind is not CoverKind.DISCRETIONARY
        ),
        insurer_refused_recently=insurer_refused_recently(
            session, policy_id=policy.id, company_id=company.id, as_of=as_of
        ),
        notes=tuple(n for n in (size.note,) if n),
    )
    return view, grade, capacity
