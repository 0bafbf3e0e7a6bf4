"""Concentration of the receivables portfolio on a few buyers, grades and countries.

A buyer's exposure is its outstanding amount on ``as_of``, per currency, or converted into one
reporting currency. Shares are exact fractions of integer totals rounded half-even to four
decimals; the Herfindahl-Hirschman index is 10,000 x the sum of squared exact shares (0 to
10,000; 10,000 for one buyer), rounded half-even to two decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.receivables.analytics_fx import convert_groups
from arshield.receivables.analytics_ledger import divide_half_even, round_half_even
from arshield.receivables.analytics_rollup import rollup
from arshield.receivables.frames import DISPUTES

SHARE: Final = pl.Decimal(38, 4)
_NO_DISPUTES: Final = pl.DataFrame(schema=DISPUTES)
_ATTRIBUTES: Final = ["company_id", "company_ref", "company_name", "country", "grade"]


@dataclass(frozen=True, slots=True)
class Concentration:
    """Exposure per buyer (ranked), per grade and per country, and summary figures.

    ``buyers``: currency, rank, company_ref, company_name, country, grade, exposure, share.
    ``summary``: currency, total, buyers, top_n, top_n_exposure, top_n_share, hhi.
    ``by_grade`` / ``by_country``: currency, grade / country, buyers, exposure, share.
    ``rates``: the rate applied per source currency when converted, else None.
    """

    buyers: pl.DataFrame
    summary: pl.DataFrame
    by_grade: pl.DataFrame
    by_country: pl.DataFrame
    rates: dict[str, Decimal] | None


def hhi(exposures: list[int]) -> Decimal | None:
    """10,000 x sum of squared shares of ``exposures`` (exact, rounded to 2 places)."""
    total = sum(exposures)
    if total <= 0:
        return None
    squares = sum(e * e for e in exposures)
    return round_half_even(Fraction(squares * 10_000, total * total), 2)


def _share(total: pl.Expr) -> pl.Expr:
    """Integer ten-thousandths of the total, rounded half-even (null when the total is 0)."""
    scaled = divide_half_even(
        pl.col("exposure").cast(pl.Int128) * 10_000, total.cast(pl.Int128)
    ).cast(pl.Int64)
    return pl.when(total > 0).then(scaled).otherwise(None)


def _as_decimal(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    values = [None if v is None else Decimal(v).scaleb(-4) for v in frame[column].to_list()]
    return frame.with_columns(pl.Series(column, values, dtype=SHARE))


def _grouped(exposures: pl.DataFrame, key: str) -> pl.DataFrame:
    frame = (
        exposures.group_by("currency", key)
        .agg(pl.len().alias("buyers"), pl.col("exposure").sum())
        .with_columns(_share(pl.col("exposure").sum().over("currency")).alias("share"))
        .sort("currency", "exposure", key, descending=[False, True, False], nulls_last=True)
    )
    return _as_decimal(frame, "share")


def concentration(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    buyers: pl.DataFrame,
    *,
    as_of: dt.date,
    top_n: int = 10,
    rates: Mapping[str, Decimal] | None = None,
    to_currency: str | None = None,
) -> Concentration:
    """Exposure concentration on ``as_of``: top ``top_n`` buyers' share, HHI, grades, countries.

    Without ``to_currency`` every figure is per currency; with it, each buyer's exposure per
    currency is converted at ``rates`` (see :func:`convert_groups`) and the report has one
    currency.
    """
    if top_n < 1:
        raise ValidationFailed(f"top_n must be at least 1, got {top_n}")
    if (rates is None) != (to_currency is None):
        raise ValidationFailed("give both rates and to_currency to convert, or neither")
    per_buyer = rollup(invoices, entries, _NO_DISPUTES, buyers, as_of=as_of, bounds=()).rename(
        {"b0": "exposure"}
    )
    applied = None
    if rates is not None and to_currency is not None:
        converted = convert_groups(
            per_buyer,
            amount_columns=["exposure"],
            rates=rates,
            to_currency=to_currency,
            key_columns=["company_id"],
        )
        applied = converted.rates
        attributes = per_buyer.select(
            "company_id", "company_ref", "company_name", "country", "grade"
        )
        per_buyer = converted.frame.join(attributes.unique("company_id"), on="company_id")
    exposures = per_buyer.select(
        "currency", "company_id", "company_ref", "company_name", "country", "grade", "exposure"
    )
    ranked = (
        exposures.sort(["currency", "exposure", "company_ref"], descending=[False, True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("currency").alias("rank"),
            _share(pl.col("exposure").sum().over("currency")).alias("share"),
        )
        .select(
            "currency",
            "rank",
            "company_ref",
            "company_name",
            "country",
            "grade",
            "exposure",
            "share",
        )
    )
    summaries = []
    for (currency,), part in ranked.partition_by("currency", as_dict=True).items():
        values = part["exposure"].to_list()
        total = sum(values)
        top = sum(values[:top_n])
        summaries.append(
            {
                "currency": currency,
                "total": total,
                "buyers": len(values),
                "top_n": top_n,
                "top_n_exposure": top,
                "top_n_share": round_half_even(Fraction(top, total), 4) if total > 0 else None,
                "hhi": hhi(values),
            }
        )
    summary = pl.DataFrame(
        summaries,
        schema={
            "currency": pl.Utf8,
            "total": pl.Int64,
            "buyers": pl.Int64,
            "top_n": pl.Int64,
            "top_n_exposure": pl.Int64,
            "top_n_share": SHARE,
            "hhi": pl.Decimal(38, 2),
        },
    ).sort("currency")
    return Concentration(
        buyers=_as_decimal(ranked, "share"),
        summary=summary,
        by_grade=_grouped(exposures, "grade"),
        by_country=_grouped(exposures, "country"),
        rates=applied,
    )
