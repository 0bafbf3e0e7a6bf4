"""Tables for country and sector risk (with history) and stored grades."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Float, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from arshield.kit.db import Base, IdMixin, TimestampMixin, UTCDateTime


class CountryRisk(IdMixin, TimestampMixin, Base):
    """A country's rating valid over ``[valid_from, valid_to)``; the open row is current."""

    __tablename__ = "country_risks"
    __table_args__ = (UniqueConstraint("country", "valid_from"),)

    country: Mapped[str] = mapped_column(String(2), index=True)
    short_term: Mapped[int] = mapped_column(Integer)
    medium_term: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)
    changed_by: Mapped[str] = mapped_column(String(100), default="system")
    reason: Mapped[str] = mapped_column(Text, default="")


class SectorRisk(IdMixin, TimestampMixin, Base):
    """A NACE section's risk level valid over ``[valid_from, valid_to)``."""

    __tablename__ = "sector_risks"
    __table_args__ = (UniqueConstraint("section", "valid_from"),)

    section: Mapped[str] = mapped_column(String(1), index=True)
    risk: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)
    changed_by: Mapped[str] = mapped_column(String(100), default="system")
    reason: Mapped[str] = mapped_column(Text, default="")


class GradeRecord(Base):
    """A grade computed for a company as of a date by one model version.

    A high-volume fact table (one row per buyer and run), keyed by its natural key with the run
    first, so a run is one contiguous range; on SQLite the table is the key's B-tree itself.
    """

    __tablename__ = "grades"
    __table_args__ = ({"sqlite_with_rowid": False},)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No foreign key: the engine writes only ids it has just read from ``companies`` (which are
    # never deleted), and a per-row key check would double the cost of storing a million grades.
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[int] = mapped_column(Integer)
    # Probabilities, not money: floats are the right type.
    pd: Mapped[float] = mapped_column(Float)
    model_pd: Mapped[float] = mapped_column(Float)
    confidence: Mapped[str] = mapped_column(String(16))
    cap_grade: Mapped[int] = mapped_column(Integer)
    statement_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    statement_years: Mapped[int] = mapped_column(Integer)
    payment_months: Mapped[int] = mapped_column(Integer)
    # ``CODE:contribution`` joined by ``;``, strongest first (see arshield.risk.reasons).
    reasons: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
