"""The master scale: one-year PD bands for grades 1-9, grade 10 for default; score 1-100.

Bands double in width from grade to grade (a geometric scale, as most master scales are), so each
grade carries about twice the risk of the one before. Grade 10 means insolvent or in default
(PD 100%). The PD reported for a grade is the geometric centre of its band, so PD rises strictly
with the grade. The score is a log-PD scale: 100 at the lowest PD the model gives, 2 at the
highest, and 1 in default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

# Upper PD bound (exclusive) of grades 1-8; grade 9 is everything from 12% to default.
UPPER_BOUNDS: Final[tuple[float, ...]] = (0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12)
PD_FLOOR: Final = 0.0003
PD_CEILING: Final = 0.60
DEFAULT_GRADE: Final = 10


@dataclass(frozen=True, slots=True)
class GradeBand:
    """One grade of the master scale."""

    grade: int
    pd_from: float
    pd_to: float
    pd: float
    label: str


LABELS: Final = {
    1: "exceptional",
    2: "excellent",
    3: "very good",
    4: "good",
    5: "average",
    6: "fair",
    7: "weak",
    8: "very weak",
    9: "high risk of failure",
    10: "insolvent or in default",
}


def _bands() -> tuple[GradeBand, ...]:
    lows = (PD_FLOOR, *UPPER_BOUNDS)
    highs = (*UPPER_BOUNDS, PD_CEILING)
    bands = [
        GradeBand(
            grade=i + 1,
            pd_from=lo,
            pd_to=hi,
            pd=round(math.sqrt(lo * hi), 6),
            label=LABELS[i + 1],
        )
        for i, (lo, hi) in enumerate(zip(lows, highs, strict=True))
    ]
    bands.append(GradeBand(grade=10, pd_from=1.0, pd_to=1.0, pd=1.0, label=LABELS[10]))
    return tuple(bands)


MASTER_SCALE: Final = _bands()
GRADE_PD: Final = {band.grade: band.pd for band in MASTER_SCALE}


def grade_for_pd(pd: float) -> int:
    """The grade whose band holds ``pd`` (scalar form of :func:`grade_expr`)."""
    for grade, bound in enumerate(UPPER_BOUNDS, start=1):
        if pd < bound:
            return grade
    return 9


def grade_expr(pd: pl.Expr) -> pl.Expr:
    """Vectorised :func:`grade_for_pd`."""
    expr = pl.lit(9, dtype=pl.Int8)
    for grade in range(len(UPPER_BOUNDS), 0, -1):
        expr = (
            pl.when(pd < UPPER_BOUNDS[grade - 1]).then(pl.lit(grade, dtype=pl.Int8)).otherwise(expr)
        )
    return expr


def grade_floor_pd(grade: int) -> float:
    """The lowest PD inside ``grade``'s band (used to cap the best grade)."""
    return MASTER_SCALE[grade - 1].pd_from


_LOG_FLOOR: Final = math.log(PD_FLOOR)
_LOG_SPAN: Final = math.log(PD_CEILING) - _LOG_FLOOR


def score_for_pd(pd: float) -> int:
    """Score 1-100: 100 at the PD floor, falling with log PD to 2 at the ceiling; 1 is default."""
    if pd >= 1.0:
        return 1
    position = (math.log(min(max(pd, PD_FLOOR), PD_CEILING)) - _LOG_FLOOR) / _LOG_SPAN
    return max(2, min(100, round(100 - 98 * position)))


def score_expr(pd: pl.Expr) -> pl.Expr:
    """Vectorised :func:`score_for_pd` (Polars rounds half to even like ``round``)."""
    position = (pd.clip(PD_FLOOR, PD_CEILING).log() - _LOG_FLOOR) / _LOG_SPAN
    raw = (100 - 98 * position).round(0).clip(2, 100).cast(pl.Int16)
    return pl.when(pd >= 1.0).then(pl.lit(1, dtype=pl.Int16)).otherwise(raw)
