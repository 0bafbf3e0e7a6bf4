"""Request and response bodies for reading the buyer registry.

Money is a decimal string in the currency given beside it, never a float.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from arshield.buyers.domain import CompanyStatus, EventType, IdType, Severity
from arshield.buyers.models import (
    Company,
    CompanyEvent,
    CompanyIdentifier,
    FinancialStatement,
    PaymentExperience,
)
from arshield.buyers.service import MAX_MATCH_LIMIT, CompanyDetail, MatchCandidate
from arshield.kit.money import from_minor


def money_text(minor: int | None, currency: str) -> str | None:
    """Integer minor units as a plain decimal string of ``currency`` ("1234.50", JPY "5000")."""
    return None if minor is None else format(from_minor(minor, currency), "f")


class IdentifierOut(BaseModel):
    id_type: IdType
    value: str


class BuyerSummary(BaseModel):
    """A company as listed by search and matching."""

    id: uuid.UUID
    company_ref: str
    name: str
    name_latin: str | None
    country: str
    sector: str | None
    status: CompanyStatus
    verified: bool
    identifiers: list[IdentifierOut]

    @classmethod
    def build(cls, company: Company, identifiers: Sequence[CompanyIdentifier]) -> BuyerSummary:
        return cls(
            id=company.id,
            company_ref=company.ref,
            name=company.name,
            name_latin=company.name_latin,
            country=company.country,
            sector=company.sector,
            status=company.status,
            verified=company.verified,
            identifiers=[IdentifierOut(id_type=i.id_type, value=i.value) for i in identifiers],
        )


class FinancialStatementOut(BaseModel):
    """One fiscal year; every amount a decimal string in ``currency``."""

    fiscal_year_end: dt.date
    currency: str
    total_assets: str
    current_assets: str
    cash: str
    receivables: str
    inventory: str
    total_liabilities: str
    current_liabilities: str
    equity: str
    retained_earnings: str
    sales: str
    ebit: str
    net_income: str
    depreciation: str | None
    interest_expense: str | None
    operating_cash_flow: str | None
    cost_of_sales: str | None

    @classmethod
    def build(cls, st: FinancialStatement) -> FinancialStatementOut:
        def m(minor: int) -> str:
            return format(from_minor(minor, st.currency), "f")

        return cls(
            fiscal_year_end=st.fiscal_year_end,
            currency=st.currency,
            total_assets=m(st.total_assets),
            current_assets=m(st.current_assets),
            cash=m(st.cash),
            receivables=m(st.receivables),
            inventory=m(st.inventory),
            total_liabilities=m(st.total_liabilities),
            current_liabilities=m(st.current_liabilities),
            equity=m(st.equity),
            retained_earnings=m(st.retained_earnings),
            sales=m(st.sales),
            ebit=m(st.ebit),
            net_income=m(st.net_income),
            depreciation=money_text(st.depreciation, st.currency),
            interest_expense=money_text(st.interest_expense, st.currency),
            operating_cash_flow=money_text(st.operating_cash_flow, st.currency),
            cost_of_sales=money_text(st.cost_of_sales, st.currency),
        )


class PaymentExperienceOut(BaseModel):
    """One month of payment behaviour (``month`` as YYYY-MM)."""

    month: str
    currency: str
    amount_paid: str
    amount_overdue: str
    days_beyond_terms: int

    @classmethod
    def build(cls, pe: PaymentExperience) -> PaymentExperienceOut:
        return cls(
            month=pe.month.strftime("%Y-%m"),
            currency=pe.currency,
            amount_paid=format(from_minor(pe.amount_paid, pe.currency), "f"),
            amount_overdue=format(from_minor(pe.amount_overdue, pe.currency), "f"),
            days_beyond_terms=pe.days_beyond_terms,
        )


class EventOut(BaseModel):
    date: dt.date
    type: EventType
    severity: Severity
    description: str

    @classmethod
    def build(cls, ev: CompanyEvent) -> EventOut:
        return cls(date=ev.date, type=ev.type, severity=ev.severity, description=ev.description)


class BuyerDetail(BuyerSummary):
    """A company with its statements, recent payment experience and events (newest first)."""

    founded: dt.date | None
    employees: int | None
    created_at: dt.datetime
    updated_at: dt.datetime | None
    financial_statements: list[FinancialStatementOut]
    payment_experience_from: str | None = Field(
        description="First month (YYYY-MM) of the 24-month payment window."
    )
    payment_experience_to: str | None = Field(
        description="Last month (YYYY-MM) of the 24-month payment window."
    )
    payment_experience: list[PaymentExperienceOut]
    events: list[EventOut]

    @classmethod
    def from_detail(cls, detail: CompanyDetail) -> BuyerDetail:
        company = detail.company
        summary = BuyerSummary.build(company, detail.identifiers)
        return cls(
            **summary.model_dump(),
            founded=company.founded,
            employees=company.employees,
            created_at=company.created_at,
            updated_at=company.updated_at,
            financial_statements=[
                FinancialStatementOut.build(st) for st in detail.financial_statements
            ],
            payment_experience_from=_month(detail.payments_from),
            payment_experience_to=_month(detail.payments_to),
            payment_experience=[PaymentExperienceOut.build(pe) for pe in detail.payment_experience],
            events=[EventOut.build(ev) for ev in detail.events],
        )


def _month(value: dt.date | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m")


class MatchRequest(BaseModel):
    """Find the registry's company for a buyer known by name and perhaps an identifier."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    country: str | None = Field(default=None, max_length=2, description="ISO 3166-1 alpha-2.")
    registration_id: str | None = Field(default=None, max_length=64)
    id_type: IdType | None = None
    limit: int = Field(default=5, ge=1, le=MAX_MATCH_LIMIT)


class MatchCandidateOut(BaseModel):
    buyer: BuyerSummary
    score: int = Field(ge=0, le=100)
    match_reasons: list[str]

    @classmethod
    def build(cls, candidate: MatchCandidate) -> MatchCandidateOut:
        return cls(
            buyer=BuyerSummary.build(candidate.company, candidate.identifiers),
            score=candidate.score,
            match_reasons=[r.value for r in candidate.match_reasons],
        )


class MatchResponse(BaseModel):
    candidates: list[MatchCandidateOut]
