"""Grading buyers with a trained model: PD, grade, score, confidence and reason codes.

The model gives each buyer a calibrated one-year PD from its platform features; everything
else follows the platform's rules exactly as for the expert model (docs/grading.md): a recorded
default or an insolvent or dissolved status is grade 10; stale or missing statements cap the
best grade and lower the confidence; the PD is clipped to the master scale's range and mapped to
a grade and a score. Reason codes are the model's per-buyer feature contributions (LightGBM's
SHAP values, or a scorecard's points against an average class) summed by factor, so they read
like the expert model's (``HIGH_LEVERAGE``, ``PAYS_LATE``, ...).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import polars as pl

from arshield.risk.expert import DEFAULT_SPEC, FACTORS, TOP_REASONS
from arshield.risk.inputs import GRADED_COLUMNS
from arshield.risk.master_scale import (
    DEFAULT_GRADE,
    GRADE_PD,
    PD_CEILING,
    PD_FLOOR,
    grade_expr,
    grade_floor_pd,
    score_expr,
)
from arshield.workbench.features import Feature, feature_matrix
from arshield.workbench.training import TrainedModel

DEFAULT_TYPES: Final = ("insolvency_filing", "insolvency_opened", "default")
MIN_CONTRIBUTION: Final = 0.005


def factor_contributions(
    contributions: np.ndarray, features: tuple[Feature, ...]
) -> tuple[list[str], np.ndarray]:
    """Per-row contributions summed by factor: (factor names, rows x factors)."""
    factors = sorted({f.factor for f in features})
    out = np.zeros((contributions.shape[0], len(factors)), dtype=np.float64)
    for column, feature in enumerate(features):
        out[:, factors.index(feature.factor)] += contributions[:, column]
    return factors, out


def reason_texts(contributions: np.ndarray, features: tuple[Feature, ...]) -> list[str]:
    """``CODE:value`` joined by ``;`` per row: the largest factors first (ties by name)."""
    factors, values = factor_contributions(contributions, features)
    if not factors:
        return [""] * contributions.shape[0]
    order = np.argsort(-np.abs(np.round(values, 12)), axis=1, kind="stable")
    up = [FACTORS[f][0] for f in factors]
    down = [FACTORS[f][1] for f in factors]
    texts = []
    for row in range(values.shape[0]):
        parts = []
        for column in order[row, :TOP_REASONS]:
            value = float(values[row, column])
            if abs(value) < MIN_CONTRIBUTION:
                continue
            code = up[column] if value > 0 else down[column]
            parts.append(f"{code}:{round(value, 3)}")
        texts.append(";".join(parts))
    return texts


def _flag() -> pl.Expr:
    spec = DEFAULT_SPEC
    return (
        pl.when(pl.col("default_event_type").is_not_null())
        .then(pl.col("default_event_type").str.to_uppercase())
        .when(pl.col("status").is_in(["insolvent", "dissolved"]))
        .then(pl.lit("STATUS_") + pl.col("status").str.to_uppercase())
        .when(pl.col("statement_date").is_null())
        .then(pl.lit("NO_USABLE_STATEMENTS"))
        .when(pl.col("statement_age_days") > spec.stale_after_days)
        .then(pl.lit("STALE_STATEMENTS"))
    )


def grade_platform_frame(
    frame: pl.DataFrame,
    *,
    model: TrainedModel,
    features: tuple[Feature, ...],
    as_of: dt.date,
) -> pl.DataFrame:
    """``GRADED_COLUMNS`` for every company of a platform feature frame."""
    spec = DEFAULT_SPEC
    if frame.height == 0:
        return pl.DataFrame(
            schema={name: frame.schema.get(name, pl.Utf8) for name in GRADED_COLUMNS}
        )
    matrix = np.ascontiguousarray(feature_matrix(frame, features).to_numpy(), dtype=np.float64)
    model_pd = np.clip(model.pd(matrix), PD_FLOOR, PD_CEILING)
    reasons = reason_texts(model.contributions(matrix), features)
    statement_age = (pl.lit(as_of) - pl.col("statement_date")).dt.total_days()
    no_statements = pl.col("statement_date").is_null()
    stale = statement_age > spec.stale_after_days
    graded = frame.with_columns(
        pl.Series("model_pd", model_pd, dtype=pl.Float64),
        pl.Series("_factors", reasons, dtype=pl.Utf8),
        statement_age.alias("statement_age_days"),
        (pl.col("default_event") | pl.col("status").is_in(["insolvent", "dissolved"])).alias(
            "in_default"
        ),
        pl.when(no_statements)
        .then(pl.lit(spec.missing_best_grade))
        .when(stale)
        .then(pl.lit(spec.stale_best_grade))
        .otherwise(pl.lit(1))
        .cast(pl.Int8)
        .alias("cap_grade"),
        pl.when(no_statements)
        .then(pl.lit("low"))
        .when(stale | (pl.col("payment_months") == 0) | (pl.col("statement_years") < 2))
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high"))
        .alias("confidence"),
    )
    cap_pd = pl.col("cap_grade").replace_strict(
        {g: grade_floor_pd(g) for g in range(1, 10)}, return_dtype=pl.Float64
    )
    graded = graded.with_columns(
        pl.when(pl.col("in_default"))
        .then(1.0)
        .otherwise(pl.max_horizontal(pl.col("model_pd"), cap_pd))
        .alias("effective_pd")
    )
    graded = graded.with_columns(
        pl.when(pl.col("in_default"))
        .then(pl.lit(DEFAULT_GRADE, dtype=pl.Int8))
        .otherwise(grade_expr(pl.col("effective_pd")))
        .alias("grade"),
        score_expr(pl.col("effective_pd")).alias("score"),
        pl.concat_str(
            [(_flag() + pl.lit(":0.0")), pl.col("_factors").replace("", None)],
            separator=";",
            ignore_nulls=True,
        ).alias("reasons"),
    )
    graded = graded.with_columns(
        pl.col("grade").replace_strict(GRADE_PD, return_dtype=pl.Float64).alias("pd")
    )
    return graded.select(GRADED_COLUMNS)
