"""Tables of policies, cover requests, cover decisions (history), buyer capacity and checked
orders. Money columns are integer minor units beside a currency."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from arshield.cover.domain import CoverKind, CoverStatus, Decider
from arshield.kit.db import Base, IdMixin, StrEnumType, TimestampMixin, UTCDateTime


class Policy(IdMixin, TimestampMixin, Base):
    """A credit-insurance policy of an insured seller, as far as cover needs it.

    Percentages are basis points (9000 = 90%). ``version`` counts edits. Premium and claims
    terms join this table later.
    """

    __tablename__ = "policies"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    # ISO alpha-2 codes joined by "," (sorted).
    countries: Mapped[str] = mapped_column(Text)
    max_credit_days: Mapped[int] = mapped_column(Integer)
    indemnity_bp: Mapped[int] = mapped_column(Integer)
    political_indemnity_bp: Mapped[int | None] = mapped_column(Integer, default=None)
    discretionary_max: Mapped[int | None] = mapped_column(BigInteger, default=None)
    discretionary_worst_grade: Mapped[int | None] = mapped_column(Integer, default=None)
    discretionary_evidence: Mapped[str] = mapped_column(String(32), default="either")
    discretionary_min_payments: Mapped[int] = mapped_column(Integer, default=2)
    credit_check_max: Mapped[int | None] = mapped_column(BigInteger, default=None)
    declaration_threshold: Mapped[int] = mapped_column(BigInteger, default=0)
    reduction_notice_days: Mapped[int] = mapped_column(Integer, default=30)
    stop_delivery_days: Mapped[int] = mapped_column(Integer, default=60)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str | None] = mapped_column(String(200), default=None)


class CoverRequest(IdMixin, Base):
    """A request for cover on one buyer under one policy, and where it stands.

    Its id is the cover's id in the API. A referred request waits for an underwriter; the
    decisions it leads to are in ``cover_decisions``.
    """

    __tablename__ = "cover_requests"
    __table_args__ = (
        Index("ix_cover_requests_policy_buyer", "policy_id", "company_id"),
        Index("ix_cover_requests_status", "status"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("policies.id"))
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    kind: Mapped[CoverKind] = mapped_column(StrEnumType(CoverKind))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer, default=None)
    credit_report_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[CoverStatus] = mapped_column(StrEnumType(CoverStatus))
    decided_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The rules' outcome when the request was made (the underwriter reads it on a referral).
    suggested_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    rule_reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    rule_set_version: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int | None] = mapped_column(Integer, default=None)
    # A probability, not money.
    pd: Mapped[float | None] = mapped_column(Float, default=None)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    as_of: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class CoverDecision(IdMixin, Base):
    """One decision of a cover's history (append-only).

    ``amount`` is the cover that applies from ``effective_from``; ``changes_cover`` is false for a
    refused increase, which leaves the cover as it was. ``seq`` is unique per (policy, buyer):
    two writers can never record the same step of one cover's history.
    """

    __tablename__ = "cover_decisions"
    __table_args__ = (UniqueConstraint("policy_id", "company_id", "seq"),)

    request_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cover_requests.id"), index=True, default=None
    )
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("policies.id"))
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CoverKind] = mapped_column(StrEnumType(CoverKind))
    status: Mapped[CoverStatus] = mapped_column(StrEnumType(CoverStatus))
    requested_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    changes_cover: Mapped[bool] = mapped_column(Boolean)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    review_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    conditions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    decider: Mapped[Decider] = mapped_column(StrEnumType(Decider))
    decided_by: Mapped[str] = mapped_column(String(200))
    rule_set_version: Mapped[str | None] = mapped_column(String(32), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class BuyerCapacity(IdMixin, Base):
    """An underwriter's override of the insurer's total appetite on one buyer.

    Without a row the capacity is derived from grade and size by the rule set.
    """

    __tablename__ = "buyer_capacities"

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CheckedOrder(IdMixin, Base):
    """An order an ERP checked and may ship: exposure until an invoice carries its reference."""

    __tablename__ = "checked_orders"
    __table_args__ = (
        UniqueConstraint("org_id", "order_ref"),
        Index("ix_checked_orders_org_company", "org_id", "company_id"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("policies.id"), default=None
    )
    order_ref: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ship_date: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(8))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
