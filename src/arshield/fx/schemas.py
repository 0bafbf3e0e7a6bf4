"""Request and response bodies of the rate routes. Rates and amounts are decimal strings."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from arshield.fx.domain import SOURCE_LENGTH, FxQuote
from arshield.fx.importing import MAX_BATCH_ROWS
from arshield.fx.models import FxRate
from arshield.fx.service import Conversion
from arshield.kit.money import from_minor


class FxRateOut(BaseModel):
    """One stored rate: 1 ``base`` = ``rate`` ``quote`` on ``date``."""

    id: uuid.UUID
    date: dt.date
    base: str
    quote: str
    rate: str
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime | None

    @classmethod
    def build(cls, row: FxRate) -> FxRateOut:
        return cls(
            id=row.id,
            date=row.date,
            base=row.base,
            quote=row.quote,
            rate=row.rate,
            source=row.source,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class FxRateIn(BaseModel):
    """One rate row as text, validated like a file row (missing values are row errors)."""

    model_config = ConfigDict(extra="forbid")

    date: str | None = Field(default=None, max_length=40, examples=["2024-03-01"])
    base: str | None = Field(default=None, max_length=40, examples=["USD"])
    quote: str | None = Field(default=None, max_length=40, examples=["CNY"])
    rate: str | None = Field(
        default=None,
        max_length=64,
        description="Units of quote per unit of base, as a decimal string (never a number).",
        examples=["7.1023"],
    )
    source: str | None = Field(default=None, max_length=SOURCE_LENGTH * 4, examples=["PBOC"])


class FxRateBatch(BaseModel):
    """Rows to load all or nothing; error rows are 1-based positions in ``rows``."""

    model_config = ConfigDict(extra="forbid")

    rows: list[FxRateIn] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class ConversionOut(BaseModel):
    """An amount converted at the rate in force, with the rate and the date it used."""

    amount: str
    currency: str
    converted: str
    to_currency: str
    rate: str
    rate_date: dt.date
    source: str
    inverted: bool

    @classmethod
    def build(cls, conversion: Conversion) -> ConversionOut:
        quote: FxQuote = conversion.quote
        return cls(
            amount=format(from_minor(conversion.amount_minor, conversion.currency), "f"),
            currency=conversion.currency,
            converted=format(from_minor(conversion.converted_minor, conversion.to_currency), "f"),
            to_currency=conversion.to_currency,
            rate=format(quote.rate, "f"),
            rate_date=quote.date,
            source=quote.source,
            inverted=quote.inverted,
        )
