"""The expert grade model: documented factors and weights, vectorised over Polars frames.

No training data is needed. Each factor maps one or two measured ratios to a contribution in
log-odds of default, clipped to a documented range, around a neutral firm (one-year PD 1%).
Their sum gives the model PD; the master scale turns it into a grade and a score. Grading one
buyer is grading a batch of one: the same functions run on one row or a million.

Inputs are the frames :mod:`arshield.risk.inputs` loads (one row per company, statement or event,
and per-company payment totals over the window); see ``docs/grading.md`` for every factor and
weight.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from arshield.risk.master_scale import (
    DEFAULT_GRADE,
    GRADE_PD,
    PD_CEILING,
    PD_FLOOR,
    grade_expr,
    grade_floor_pd,
    score_expr,
)

MODEL_VERSION: Final = "expert-1.0"


@dataclass(frozen=True, slots=True)
class ExpertSpec:
    """Every coefficient of the expert model, in one place (documented in docs/grading.md)."""

    version: str = MODEL_VERSION
    base_pd: float = 0.01
    # Altman emerging-market score (3.25 + Z''): neutral at 5.0, -0.55 log-odds per point.
    em_neutral: float = 5.0
    em_slope: float = -0.55
    em_clip: tuple[float, float] = (-1.2, 2.5)
    # Current ratio: -0.8 x ln(CR / 1.3).
    cr_neutral: float = 1.3
    cr_slope: float = -0.8
    cr_clip: tuple[float, float] = (-0.5, 1.2)
    # Leverage TL / TA: +3.0 per unit above 0.6.
    lev_neutral: float = 0.6
    lev_slope: float = 3.0
    lev_clip: tuple[float, float] = (-0.6, 1.5)
    # Return on assets NI / TA: -8 per unit above 3%.
    roa_neutral: float = 0.03
    roa_slope: float = -8.0
    roa_clip: tuple[float, float] = (-0.5, 1.0)
    # Trend: yearly sales growth (-3 per unit above 3%) and change in EBIT/TA (-4 per unit).
    growth_neutral: float = 0.03
    growth_slope: float = -3.0
    ebit_change_slope: float = -4.0
    trend_clip: tuple[float, float] = (-0.4, 0.9)
    # Payment behaviour over 12 months, the leading indicator of trade-credit default:
    # 4.0 x overdue share + 0.03 x days beyond terms - 0.25.
    pay_overdue_slope: float = 4.0
    pay_days_slope: float = 0.03
    pay_offset: float = -0.25
    pay_clip: tuple[float, float] = (-0.5, 2.5)
    pay_window_months: int = 12
    # Adverse events: severity x type weight, decaying with exp(-age / 1 year); capped.
    event_decay_years: float = 1.0
    event_cap: float = 2.5
    severity_weight: dict[str, float] = field(
        default_factory=lambda: {"low": 0.1, "medium": 0.3, "high": 0.6, "critical": 1.0}
    )
    event_type_weight: dict[str, float] = field(
        default_factory=lambda: {
            "lawsuit": 1.0,
            "judgment": 1.5,
            "payment_incident": 1.2,
            "tax_arrears": 1.2,
            "capital_reduction": 0.8,
            "management_change": 0.3,
            "ownership_change": 0.2,
            "other": 0.3,
        }
    )
    # Firm age: 0.6 - 0.25 x ln(1 + years); size: 0.3 - 0.1 x ln(1 + employees).
    age_offset: float = 0.6
    age_slope: float = -0.25
    age_clip: tuple[float, float] = (-0.3, 0.6)
    size_offset: float = 0.3
    size_slope: float = -0.1
    size_clip: tuple[float, float] = (-0.4, 0.3)
    # Country short-term risk level 1-4 and sector risk.
    country_points: dict[int, float] = field(
        default_factory=lambda: {1: -0.2, 2: 0.1, 3: 0.5, 4: 1.0}
    )
    country_unknown: float = 0.3
    sector_points: dict[str, float] = field(
        default_factory=lambda: {"low": -0.15, "medium": 0.0, "sensitive": 0.25, "high": 0.5}
    )
    # Data quality: statements older than these many days are stale, or too old to use.
    stale_after_days: int = 548
    unusable_after_days: int = 913
    stale_best_grade: int = 4
    missing_best_grade: int = 6


DEFAULT_SPEC: Final = ExpertSpec()

# Factor name -> (reason code when it raises risk, reason code when it lowers risk).
FACTORS: Final[dict[str, tuple[str, str]]] = {
    "altman": ("ALTMAN_DISTRESS", "ALTMAN_SAFE"),
    "liquidity": ("LOW_LIQUIDITY", "STRONG_LIQUIDITY"),
    "leverage": ("HIGH_LEVERAGE", "LOW_LEVERAGE"),
    "profitability": ("LOSSES", "PROFITABLE"),
    "trend": ("DECLINING_TREND", "GROWING_TREND"),
    "payments": ("PAYS_LATE", "PAYS_ON_TIME"),
    "events": ("ADVERSE_EVENTS", "NO_ADVERSE_EVENTS"),
    "age": ("YOUNG_FIRM", "ESTABLISHED_FIRM"),
    "size": ("SMALL_FIRM", "LARGE_FIRM"),
    "country": ("COUNTRY_RISK_ELEVATED", "COUNTRY_RISK_LOW"),
    "sector": ("SECTOR_RISK_ELEVATED", "SECTOR_RISK_LOW"),
}
DEFAULT_EVENT_TYPES: Final = ("insolvency_filing", "insolvency_opened", "default")
TOP_REASONS: Final = 4


def _clip(expr: pl.Expr, bounds: tuple[float, float]) -> pl.Expr:
    return expr.clip(bounds[0], bounds[1])


def _ratio(num: str, den: str) -> pl.Expr:
    """num / den as a float, null where the denominator is not positive."""
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def statement_features(
    statements: pl.DataFrame, *, as_of: dt.date, spec: ExpertSpec
) -> pl.DataFrame:
    """Ratios of the latest usable statement and the trend over up to three years."""
    usable_from = as_of - dt.timedelta(days=spec.unusable_after_days)
    trend_from = as_of - dt.timedelta(days=spec.unusable_after_days + 3 * 366)
    window = statements.filter(
        (pl.col("fiscal_year_end") <= as_of) & (pl.col("fiscal_year_end") >= trend_from)
    )
    ratios = window.with_columns(
        ((pl.col("current_assets") - pl.col("current_liabilities")) / pl.col("total_assets")).alias(
            "x1"
        ),
        (pl.col("retained_earnings") / pl.col("total_assets")).alias("x2"),
        (pl.col("ebit") / pl.col("total_assets")).alias("x3"),
        pl.when(pl.col("total_liabilities") > 0)
        .then(pl.col("equity") / pl.col("total_liabilities"))
        .otherwise(10.0)
        .clip(-5.0, 10.0)
        .alias("x4"),
        pl.when(pl.col("current_liabilities") > 0)
        .then(pl.col("current_assets") / pl.col("current_liabilities"))
        .otherwise(10.0)
        .clip(0.0, 10.0)
        .alias("current_ratio"),
        (pl.col("total_liabilities") / pl.col("total_assets")).alias("leverage"),
        (pl.col("net_income") / pl.col("total_assets")).alias("roa"),
    )
    # (company, fiscal year end) is unique: arg_max / arg_min pick the latest and earliest year
    # in each group without sorting the whole frame.
    last = pl.col("fiscal_year_end").arg_max()
    first = pl.col("fiscal_year_end").arg_min()
    latest_ratios = ("x1", "x2", "x3", "x4", "current_ratio", "leverage", "roa")
    per_company = ratios.group_by("company_id").agg(
        pl.col("fiscal_year_end").max().alias("statement_date"),
        pl.len().alias("statement_years"),
        *[pl.col(name).get(last) for name in latest_ratios],
        pl.col("sales").get(last).alias("sales_last"),
        pl.col("sales").get(first).alias("sales_first"),
        pl.col("x3").get(first).alias("x3_first"),
        pl.col("fiscal_year_end").min().alias("first_statement"),
    )
    per_company = per_company.filter(pl.col("statement_date") >= usable_from)
    years = (pl.col("statement_date") - pl.col("first_statement")).dt.total_days() / 365.25
    growth = (
        pl.when((pl.col("sales_first") > 0) & (pl.col("sales_last") > 0) & (years >= 0.5))
        .then((pl.col("sales_last") / pl.col("sales_first")).log() / years)
        .otherwise(None)
    )
    ebit_change = pl.when(years >= 0.5).then((pl.col("x3") - pl.col("x3_first")) / years)
    return per_company.with_columns(
        (growth.exp() - 1).alias("sales_growth"), ebit_change.alias("ebit_ta_change")
    ).drop("sales_last", "sales_first", "x3_first", "first_statement")


def payment_features(payments: pl.DataFrame) -> pl.DataFrame:
    """Overdue share and average days beyond terms from per-company payment totals."""
    return payments.select(
        "company_id",
        "payment_months",
        (
            pl.col("amount_overdue")
            / pl.max_horizontal(pl.col("amount_paid") + pl.col("amount_overdue"), pl.lit(1))
        ).alias("overdue_share"),
        (pl.col("days_sum") / pl.col("payment_months")).alias("days_beyond_terms"),
    )


def event_features(events: pl.DataFrame, *, as_of: dt.date, spec: ExpertSpec) -> pl.DataFrame:
    """Recency-weighted adverse events and whether a default event has happened by ``as_of``."""
    known = events.filter(pl.col("date") <= as_of).sort(["company_id", "date"])
    age_years = (pl.lit(as_of) - pl.col("date")).dt.total_days() / 365.25
    weight = (
        pl.col("severity").replace_strict(
            spec.severity_weight, default=0.3, return_dtype=pl.Float64
        )
        * pl.col("type").replace_strict(
            spec.event_type_weight, default=0.0, return_dtype=pl.Float64
        )
        * (-age_years / spec.event_decay_years).exp()
    )
    return known.group_by("company_id").agg(
        weight.sum().alias("event_load"),
        pl.col("type").is_in(DEFAULT_EVENT_TYPES).any().alias("default_event"),
        pl.col("type")
        .filter(pl.col("type").is_in(DEFAULT_EVENT_TYPES))
        .first()
        .alias("default_event_type"),
    )


def build_features(
    *,
    companies: pl.DataFrame,
    statements: pl.DataFrame,
    payments: pl.DataFrame,
    events: pl.DataFrame,
    country_short_term: dict[str, int],
    sector_risk: dict[str, str],
    as_of: dt.date,
    spec: ExpertSpec = DEFAULT_SPEC,
) -> pl.DataFrame:
    """One row per company with every measured input of the model."""
    frame = (
        companies.join(
            statement_features(statements, as_of=as_of, spec=spec), on="company_id", how="left"
        )
        .join(payment_features(payments), on="company_id", how="left")
        .join(event_features(events, as_of=as_of, spec=spec), on="company_id", how="left")
    )
    return frame.with_columns(
        pl.col("country")
        .replace_strict(country_short_term, default=None, return_dtype=pl.Int8)
        .alias("country_short_term"),
        pl.col("sector")
        .str.slice(0, 1)
        .replace_strict(sector_risk, default=None, return_dtype=pl.Utf8)
        .alias("sector_risk"),
        pl.when(pl.col("founded").is_not_null())
        .then((pl.lit(as_of) - pl.col("founded")).dt.total_days().clip(0) / 365.25)
        .alias("age_years"),
        pl.col("event_load").fill_null(0.0),
        pl.col("default_event").fill_null(False),
        pl.col("payment_months").fill_null(0),
        pl.col("statement_years").fill_null(0),
    )


def contributions(features: pl.DataFrame, *, spec: ExpertSpec = DEFAULT_SPEC) -> pl.DataFrame:
    """Add one log-odds contribution column ``c_<factor>`` per factor (0 where data is missing)."""
    s = spec
    em = (
        3.25 + 6.56 * pl.col("x1") + 3.26 * pl.col("x2") + 6.72 * pl.col("x3") + 1.05 * pl.col("x4")
    )
    growth_term = s.growth_slope * (pl.col("sales_growth") - s.growth_neutral)
    trend = growth_term.fill_null(0.0) + (s.ebit_change_slope * pl.col("ebit_ta_change")).fill_null(
        0.0
    )
    has_trend = pl.col("sales_growth").is_not_null() | pl.col("ebit_ta_change").is_not_null()
    pay = (
        s.pay_overdue_slope * pl.col("overdue_share")
        + s.pay_days_slope * pl.col("days_beyond_terms")
        + s.pay_offset
    )
    exprs = {
        "altman": _clip(s.em_slope * (em - s.em_neutral), s.em_clip),
        "liquidity": _clip(
            s.cr_slope * (pl.col("current_ratio").clip(0.05) / s.cr_neutral).log(), s.cr_clip
        ),
        "leverage": _clip(s.lev_slope * (pl.col("leverage") - s.lev_neutral), s.lev_clip),
        "profitability": _clip(s.roa_slope * (pl.col("roa") - s.roa_neutral), s.roa_clip),
        "trend": pl.when(has_trend).then(_clip(trend, s.trend_clip)),
        "payments": pl.when(pl.col("payment_months") > 0).then(_clip(pay, s.pay_clip)),
        "events": pl.col("event_load").clip(0.0, s.event_cap),
        "age": _clip(s.age_offset + s.age_slope * pl.col("age_years").log1p(), s.age_clip),
        "size": _clip(
            s.size_offset + s.size_slope * pl.col("employees").cast(pl.Float64).log1p(), s.size_clip
        ),
        "country": pl.col("country_short_term").replace_strict(
            s.country_points, default=s.country_unknown, return_dtype=pl.Float64
        ),
        "sector": pl.col("sector_risk").replace_strict(
            s.sector_points, default=0.0, return_dtype=pl.Float64
        ),
    }
    return features.with_columns(
        expr.fill_null(0.0).fill_nan(0.0).alias(f"c_{name}") for name, expr in exprs.items()
    )


def grade_frame(
    features: pl.DataFrame, *, as_of: dt.date, spec: ExpertSpec = DEFAULT_SPEC
) -> pl.DataFrame:
    """Score, grade, PD, confidence and top reasons for every company in ``features``."""
    frame = contributions(features, spec=spec)
    logit = math.log(spec.base_pd / (1 - spec.base_pd)) + pl.sum_horizontal(
        [pl.col(f"c_{name}") for name in FACTORS]
    )
    model_pd = (1 / (1 + (-logit).exp())).clip(PD_FLOOR, PD_CEILING)
    statement_age = (pl.lit(as_of) - pl.col("statement_date")).dt.total_days()
    no_statements = pl.col("statement_date").is_null()
    stale = statement_age > spec.stale_after_days
    cap_grade = (
        pl.when(no_statements)
        .then(pl.lit(spec.missing_best_grade))
        .when(stale)
        .then(pl.lit(spec.stale_best_grade))
        .otherwise(pl.lit(1))
        .cast(pl.Int8)
    )
    confidence = (
        pl.when(no_statements)
        .then(pl.lit("low"))
        .when(stale | (pl.col("payment_months") == 0) | (pl.col("statement_years") < 2))
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high"))
    )
    in_default = pl.col("default_event") | pl.col("status").is_in(["insolvent", "dissolved"])
    frame = frame.with_columns(
        model_pd.alias("model_pd"),
        cap_grade.alias("cap_grade"),
        confidence.alias("confidence"),
        statement_age.alias("statement_age_days"),
        in_default.alias("in_default"),
    )
    cap_pd = pl.col("cap_grade").replace_strict(
        {g: grade_floor_pd(g) for g in range(1, 10)}, return_dtype=pl.Float64
    )
    effective_pd = (
        pl.when(pl.col("in_default"))
        .then(1.0)
        .otherwise(pl.max_horizontal(pl.col("model_pd"), cap_pd))
    )
    frame = frame.with_columns(effective_pd.alias("effective_pd"))
    frame = frame.with_columns(
        pl.when(pl.col("in_default"))
        .then(pl.lit(DEFAULT_GRADE, dtype=pl.Int8))
        .otherwise(grade_expr(pl.col("effective_pd")))
        .alias("grade"),
        score_expr(pl.col("effective_pd")).alias("score"),
    )
    frame = frame.with_columns(
        pl.col("grade").replace_strict(GRADE_PD, return_dtype=pl.Float64).alias("pd")
    )
    return frame.with_columns(_reasons(frame, spec=spec))


def _top_factors(frame: pl.DataFrame) -> list[pl.Series]:
    """Per row, the ``TOP_REASONS`` largest contributions as ``CODE:value`` strings (or null).

    Ordered by absolute size, ties by factor name; contributions under 0.005 are left out.
    """
    names = sorted(FACTORS)
    values = frame.select([pl.col(f"c_{n}") for n in names]).to_numpy()
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :TOP_REASONS]
    picked = np.take_along_axis(values, order, axis=1)
    up = np.array([FACTORS[n][0] for n in names], dtype=object)
    down = np.array([FACTORS[n][1] for n in names], dtype=object)
    out = []
    for k in range(min(TOP_REASONS, len(names))):
        value = picked[:, k]
        codes = np.where(value > 0, up[order[:, k]], down[order[:, k]])
        code = pl.Series(f"_code{k}", codes, dtype=pl.Utf8)
        contribution = pl.Series(f"_value{k}", value).round(3)
        keep = pl.Series(np.abs(value) >= 0.005)
        text = (
            pl.DataFrame([code, contribution, keep.alias("_keep")])
            .select(
                pl.when(pl.col("_keep")).then(
                    pl.col(f"_code{k}") + pl.lit(":") + pl.col(f"_value{k}").cast(pl.Utf8)
                )
            )
            .to_series()
        )
        out.append(text.alias(f"_reason{k}"))
    return out


def _flag(frame: pl.DataFrame, *, spec: ExpertSpec) -> pl.Expr:
    """The default or data-quality flag that leads the reasons, if any."""
    return pl.when(pl.col("default_event_type").is_not_null()).then(
        pl.col("default_event_type").str.to_uppercase()
    ).when(pl.col("status").is_in(["insolvent", "dissolved"])).then(
        pl.lit("STATUS_") + pl.col("status").str.to_uppercase()
    ).when(pl.col("statement_date").is_null()).then(pl.lit("NO_USABLE_STATEMENTS")).when(
        pl.col("statement_age_days") > spec.stale_after_days
    ).then(pl.lit("STALE_STATEMENTS")) + pl.lit(":0.0")


def _reasons(frame: pl.DataFrame, *, spec: ExpertSpec) -> pl.Series:
    """Reasons as text, ``CODE:contribution`` joined by ``;``: any flag first, then factors."""
    parts = frame.select(_flag(frame, spec=spec).alias("_flag")).with_columns(_top_factors(frame))
    return parts.select(
        pl.concat_str(pl.all(), separator=";", ignore_nulls=True).alias("reasons")
    ).to_series()
