"""A small book for cover tests: the insurer, two insured sellers, graded buyers, policies."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.domain import CompanyStatus
from arshield.cover import policies
from arshield.cover.policies import PolicyTerms
from arshield.cover.trail import Actor
from arshield.kit.db import unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind
from arshield.risk.expert import DEFAULT_SPEC
from arshield.risk.models import GradeRecord
from arshield.risk.tables import service as tables_service
from tests.buyer_builders import add_statement, make_company

AS_OF = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@dataclass
class Book:
    insurer_id: uuid.UUID
    seller_a: uuid.UUID
    seller_b: uuid.UUID
    buyers: dict[str, uuid.UUID] = field(default_factory=dict)
    policies: dict[str, uuid.UUID] = field(default_factory=dict)

    def underwriter(self, now: dt.datetime = NOW) -> Actor:
        return Actor(name="underwriter:INS/test", now=now, org_id=self.insurer_id)

    def seller(self, now: dt.datetime = NOW, org: str = "a") -> Actor:
        org_id = self.seller_a if org == "a" else self.seller_b
        return Actor(name=f"seller:{org}/test", now=now, org_id=org_id, is_insurer=False)


def grade(
    session: Session, company_id: uuid.UUID, value: int, pd: float, as_of: dt.date = AS_OF
) -> None:
    session.add(
        GradeRecord(
            as_of=as_of,
            model_version=DEFAULT_SPEC.version,
            company_id=company_id,
            score=50,
            grade=value,
            pd=pd,
            model_pd=pd,
            confidence="high",
            cap_grade=10,
            statement_date=dt.date(2025, 12, 31),
            statement_years=2,
            payment_months=12,
            reasons="",
            created_at=NOW,
        )
    )


def terms(as_of: dt.date = AS_OF, **overrides: object) -> PolicyTerms:
    base = PolicyTerms(
        currency="EUR",
        starts_on=as_of - dt.timedelta(days=300),
        ends_on=as_of + dt.timedelta(days=400),
        countries=("DE", "FR", "CN"),
        max_credit_days=90,
        indemnity_bp=9000,
        discretionary_max=50_000_00,
        discretionary_worst_grade=5,
        credit_check_max=20_000_00,
        declaration_threshold=0,
        reduction_notice_days=30,
        stop_delivery_days=60,
    )
    from dataclasses import replace

    return replace(base, **overrides)  # type: ignore[arg-type]


def build_book(factory: sessionmaker[Session], as_of: dt.date = AS_OF) -> Book:
    """The book, with grades stored for ``as_of`` and policies in force around it."""
    with unit_of_work(factory) as session:
        ins = orgs_service.create_org(session, ref="INS", name="Insurer", kind=OrgKind.INSURER)
        a = orgs_service.create_org(session, ref="SELLER-A", name="Seller A", kind=OrgKind.SELLER)
        b = orgs_service.create_org(session, ref="SELLER-B", name="Seller B", kind=OrgKind.SELLER)
        tables_service.load_defaults(session)
        book = Book(insurer_id=ins.id, seller_a=a.id, seller_b=b.id)
        # (ref, country, grade, pd, equity, yearly sales) in EUR cents.
        for ref, country, g, pd, equity, sales in [
            ("GOOD", "DE", 3, 0.003, 2_000_000_00, 6_000_000_00),
            ("WEAK", "DE", 7, 0.05, 1_000_000_00, 3_000_000_00),
            ("BAD", "DE", 9, 0.2, 1_000_000_00, 3_000_000_00),
            ("RUS", "RU", 3, 0.003, 2_000_000_00, 6_000_000_00),
        ]:
            company = make_company(
                session, ref=ref, name=f"{ref} GmbH", country=country, sector="C25"
            )
            add_statement(
                session,
                company,
                fiscal_year_end=as_of - dt.timedelta(days=200),
                currency="EUR",
                total_assets=equity * 2,
                equity=equity,
                sales=sales,
            )
            grade(session, company.id, g, pd, as_of)
            book.buyers[ref] = company.id
        gone = make_company(
            session, ref="GONE", name="Gone GmbH", country="DE", status=CompanyStatus.INSOLVENT
        )
        grade(session, gone.id, 10, 1.0, as_of)
        book.buyers["GONE"] = gone.id
        actor = book.underwriter()
        book.policies["A"] = policies.create_policy(
            session, number="POL-A", seller_ref="SELLER-A", terms=terms(as_of), actor=actor
        ).id
        book.policies["B"] = policies.create_policy(
            session, number="POL-B", seller_ref="SELLER-B", terms=terms(as_of), actor=actor
        ).id
    return book


@pytest.fixture
def book(db: sessionmaker[Session]) -> Book:
    return build_book(db)
