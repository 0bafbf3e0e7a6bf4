"""The foreign-exchange rate table: each organisation's own dated rates per currency pair."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from arshield.fx.domain import SOURCE_LENGTH
from arshield.kit.db import Base, IdMixin, TimestampMixin


class FxRate(IdMixin, TimestampMixin, Base):
    """On ``date``, 1 unit of ``base`` = ``rate`` units of ``quote``, per ``org_id``'s tables.

    ``rate`` is the exact decimal as canonical text ("7.1023": plain ASCII digits, no trailing
    zeros, no exponent), never a float or a ``Numeric`` that SQLite would mangle.
    """

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("org_id", "date", "base", "quote"),
        CheckConstraint("base <> quote", name="base_is_not_quote"),
        Index("ix_fx_rates_org_pair_date", "org_id", "base", "quote", "date"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
