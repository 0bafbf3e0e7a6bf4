"""Tables of the buyer registry. Money columns are integer minor units beside a currency."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from arshield.buyers.domain import CompanyStatus, EventType, IdType, Severity
from arshield.kit.db import Base, IdMixin, StrEnumType, TimestampMixin


class Company(IdMixin, TimestampMixin, Base):
    """A buyer company, known by the user's stable ``ref`` (company_ref)."""

    __tablename__ = "companies"

    ref: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_latin: Mapped[str | None] = mapped_column(String(300), default=None)
    search_key: Mapped[str] = mapped_column(String(600), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    sector: Mapped[str | None] = mapped_column(String(8), default=None)
    founded: Mapped[dt.date | None] = mapped_column(Date, default=None)
    employees: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[CompanyStatus] = mapped_column(
        StrEnumType(CompanyStatus), default=CompanyStatus.ACTIVE
    )
    verified: Mapped[bool] = mapped_column(Boolean, default=True)


class CompanyIdentifier(IdMixin, Base):
    """A registration identifier (type + value), unique across the registry."""

    __tablename__ = "company_identifiers"
    __table_args__ = (UniqueConstraint("id_type", "value"),)

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    id_type: Mapped[IdType] = mapped_column(StrEnumType(IdType))
    value: Mapped[str] = mapped_column(String(64), index=True)


class FinancialStatement(IdMixin, TimestampMixin, Base):
    """One fiscal year's statement; amounts in integer minor units of ``currency``."""

    __tablename__ = "financial_statements"
    __table_args__ = (UniqueConstraint("company_id", "fiscal_year_end"),)

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    fiscal_year_end: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_assets: Mapped[int] = mapped_column(BigInteger)
    current_assets: Mapped[int] = mapped_column(BigInteger)
    cash: Mapped[int] = mapped_column(BigInteger)
    receivables: Mapped[int] = mapped_column(BigInteger)
    inventory: Mapped[int] = mapped_column(BigInteger)
    total_liabilities: Mapped[int] = mapped_column(BigInteger)
    current_liabilities: Mapped[int] = mapped_column(BigInteger)
    equity: Mapped[int] = mapped_column(BigInteger)
    retained_earnings: Mapped[int] = mapped_column(BigInteger)
    sales: Mapped[int] = mapped_column(BigInteger)
    ebit: Mapped[int] = mapped_column(BigInteger)
    net_income: Mapped[int] = mapped_column(BigInteger)
    depreciation: Mapped[int | None] = mapped_column(BigInteger, default=None)
    interest_expense: Mapped[int | None] = mapped_column(BigInteger, default=None)
    operating_cash_flow: Mapped[int | None] = mapped_column(BigInteger, default=None)
    cost_of_sales: Mapped[int | None] = mapped_column(BigInteger, default=None)


class PaymentExperience(IdMixin, TimestampMixin, Base):
    """A month of the buyer's payment behaviour as reported to the platform."""

    __tablename__ = "payment_experiences"
    __table_args__ = (
        UniqueConstraint("company_id", "month"),
        # Grading sums these columns per company over a window of months: the index alone
        # answers that query, without reading the table.
        Index(
            "ix_payment_experiences_totals",
            "company_id",
            "month",
            "amount_paid",
            "amount_overdue",
            "days_beyond_terms",
        ),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    month: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_paid: Mapped[int] = mapped_column(BigInteger)
    amount_overdue: Mapped[int] = mapped_column(BigInteger)
    days_beyond_terms: Mapped[int] = mapped_column(Integer)


class CompanyEvent(IdMixin, TimestampMixin, Base):
    """A dated event (lawsuit, judgment, insolvency, ...) with a severity."""

    __tablename__ = "company_events"
    __table_args__ = (UniqueConstraint("company_id", "dedupe_key"),)

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[EventType] = mapped_column(StrEnumType(EventType))
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity))
    description: Mapped[str] = mapped_column(Text, default="")
    dedupe_key: Mapped[str] = mapped_column(String(64))


class ImportBatch(IdMixin, TimestampMixin, Base):
    """One applied import file: its kind, name and sha256, row counts, who and when.

    ``org_id`` is the seller whose ledger a receivables import wrote (none for the registry).
    """

    __tablename__ = "import_batches"

    org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(16), default=None)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_read: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
