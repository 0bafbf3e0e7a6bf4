"""The demo seller's credit insurance: a policy, the insurer's FX rates, and a credit-limit
request on every buyer of its ledger, decided by the rules (or referred to an underwriter)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover import policies, service
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.cover.models import CoverRequest, Policy
from arshield.cover.policies import PolicyTerms
from arshield.cover.rules import load_rules
from arshield.cover.trail import Actor
from arshield.demo.ledger import RATES_TO_CNY
from arshield.demo.profiles import COUNTRIES
from arshield.fx.importing import import_rates
from arshield.kit.db import lock_for_write, unit_of_work
from arshield.orgs import service as orgs_service
from arshield.receivables.models import Invoice

POLICY_NUMBER = "POL-HZ-2026"
LOOKBACK_DAYS = 120
STEP = 10_000_00  # requests are rounded up to 10,000.00 CNY


@dataclass(frozen=True, slots=True)
class DemoCover:
    """What the demo asked for and how the rules decided."""

    policy_number: str
    requests: int
    by_status: dict[str, int]

    @property
    def automatic_share(self) -> Decimal:
        """The share of requests the rules decided without an underwriter (percent)."""
        if not self.requests:
            return Decimal(0)
        decided = self.requests - self.by_status.get(CoverStatus.REFERRED.value, 0)
        return (Decimal(decided * 100) / self.requests).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def insurer_rates(as_of: dt.date, rule_currency: str) -> pl.DataFrame:
    """Rates of every demo statement currency into the rule currency, for the week to ``as_of``
    (derived from the profiles' rough USD rates: demo figures, not market data)."""
    per_usd = {c.currency: Decimal(str(c.usd_per_unit)) for c in COUNTRIES}
    target = per_usd[rule_currency]
    rows = []
    for code, usd in sorted(per_usd.items()):
        if code == rule_currency:
            continue
        rate = (usd / target).quantize(Decimal("0.000001"), ROUND_HALF_EVEN).normalize()
        for k in range(7):
            rows.append((as_of - dt.timedelta(days=k), code, rule_currency, f"{rate:f}", "demo"))
    return pl.DataFrame(rows, schema=["date", "base", "quote", "rate", "source"], orient="row")


def _requested(session: Session, org_id: uuid.UUID, as_of: dt.date) -> dict[uuid.UUID, int]:
    """Per buyer: its invoicing of the last 120 days in CNY, rounded up to 10,000.00."""
    since = as_of - dt.timedelta(days=LOOKBACK_DAYS)
    rows = session.execute(
        select(Invoice.company_id, Invoice.currency, func.sum(Invoice.amount))
        .where(Invoice.org_id == org_id, Invoice.issue_date > since, Invoice.issue_date <= as_of)
        .group_by(Invoice.company_id, Invoice.currency)
    ).all()
    totals: Counter[uuid.UUID] = Counter()
    for company_id, currency, amount in rows:
        rate = Decimal(RATES_TO_CNY.get(currency, "1"))
        totals[company_id] += int((Decimal(int(amount)) * rate).to_integral_value())
    return {c: max(STEP, -(-total // STEP) * STEP) for c, total in totals.items()}


def load_demo_cover(
    factory: sessionmaker[Session],
    *,
    insurer_ref: str,
    seller_ref: str,
    as_of: dt.date,
    out_dir: Path,
    now: dt.datetime,
) -> DemoCover:
    """Create the policy and request cover on every ledger buyer (once: a re-run reads back)."""
    rules = load_rules()
    path = out_dir / "insurer-fx-rates.csv"
    insurer_rates(as_of, rules.rule_currency).write_csv(path)
    with unit_of_work(factory) as session:
        insurer = orgs_service.get_org_by_ref(session, insurer_ref)
        import_rates(session, org_id=insurer.id, path=path, max_bytes=2**24, now=now)
    with unit_of_work(factory) as session:
        lock_for_write(session)
        insurer = orgs_service.get_org_by_ref(session, insurer_ref)
        seller = orgs_service.get_org_by_ref(session, seller_ref)
        existing = session.scalars(
            select(Policy).where(Policy.number == POLICY_NUMBER)
        ).one_or_none()
        if existing is None:
            policy = policies.create_policy(
                session,
                number=POLICY_NUMBER,
                seller_ref=seller_ref,
                terms=PolicyTerms(
                    currency="CNY",
                    starts_on=dt.date(as_of.year, 1, 1),
                    ends_on=dt.date(as_of.year, 12, 31),
                    countries=tuple(sorted({c.code for c in COUNTRIES})),
                    max_credit_days=120,
                    indemnity_bp=9000,
                    discretionary_max=200_000_00,
                    discretionary_worst_grade=5,
                    credit_check_max=100_000_00,
                    declaration_threshold=20_000_00,
                    reduction_notice_days=30,
                    stop_delivery_days=60,
                ),
                actor=Actor(name="demo setup", now=now, org_id=insurer.id),
            )
            actor = Actor(name="demo setup", now=now, org_id=seller.id, is_insurer=False)
            for company_id, amount in sorted(
                _requested(session, seller.id, as_of).items(), key=lambda kv: str(kv[0])
            ):
                service.request_cover(
                    session,
                    service.CoverAskIn(
                        policy_id=policy.id,
                        buyer_id=company_id,
                        amount=amount,
                        currency="CNY",
                        kind=CoverKind.CREDIT_LIMIT,
                    ),
                    actor=actor,
                    seller_org_id=seller.id,
                    as_of=as_of,
                    rules=rules,
                )
            policy_id = policy.id
        else:
            policy_id = existing.id
        counts = dict(
            session.execute(
                select(CoverRequest.status, func.count())
                .where(CoverRequest.policy_id == policy_id)
                .group_by(CoverRequest.status)
            )
            .tuples()
            .all()
        )
    by_status = {str(getattr(k, "value", k)): int(v) for k, v in counts.items()}
    return DemoCover(POLICY_NUMBER, sum(by_status.values()), by_status)
