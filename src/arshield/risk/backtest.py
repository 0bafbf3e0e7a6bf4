"""Back-testing grades against realised outcomes: default rate by grade, AUC and Gini."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import polars as pl

from arshield.kit.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class GradeRow:
    """Observed defaults among the buyers holding one grade."""

    grade: int
    buyers: int
    defaults: int
    default_rate: float
    pd: float


@dataclass(frozen=True, slots=True)
class Backtest:
    """How well grades separate buyers that defaulted from those that did not."""

    buyers: int
    defaults: int
    auc: float
    gini: float
    by_grade: tuple[GradeRow, ...]
    monotone: bool


def auc(scores: pl.Series, labels: pl.Series) -> float:
    """Area under the ROC curve of ``scores`` (higher = riskier) for 0/1 ``labels``, ties halved."""
    frame = pl.DataFrame({"s": scores.cast(pl.Float64), "y": labels.cast(pl.Int8)})
    positives = int(frame["y"].sum())
    negatives = frame.height - positives
    if positives == 0 or negatives == 0:
        raise ValidationFailed("AUC needs both defaulted and non-defaulted buyers")
    ranked = frame.with_columns(pl.col("s").rank(method="average").alias("r"))
    rank_sum = float(ranked.filter(pl.col("y") == 1)["r"].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def backtest(grades: pl.DataFrame, outcomes: pl.DataFrame) -> Backtest:
    """Join ``company_ref,score,grade,pd`` with ``company_ref,defaulted_within_12m`` and measure."""
    for name, frame, needed in (
        ("grades", grades, {"company_ref", "score", "grade", "pd"}),
        ("outcomes", outcomes, {"company_ref", "defaulted_within_12m"}),
    ):
        missing = needed - set(frame.columns)
        if missing:
            raise ValidationFailed(f"{name} lacks column(s): {', '.join(sorted(missing))}")
    labels = outcomes.select(
        pl.col("company_ref").cast(pl.Utf8),
        pl.col("defaulted_within_12m").cast(pl.Utf8).str.strip_chars().alias("y"),
    )
    bad = labels.filter(~pl.col("y").is_in(["0", "1"]))
    if bad.height:
        raise ValidationFailed(
            f"defaulted_within_12m must be 0 or 1; company_ref {bad['company_ref'][0]!r} has "
            f"{bad['y'][0]!r}"
        )
    joined = grades.join(
        labels.with_columns(pl.col("y").cast(pl.Int8)), on="company_ref", how="inner"
    )
    if joined.height == 0:
        raise ValidationFailed("no company_ref of the outcomes file has a grade")
    area = auc(-joined["score"].cast(pl.Float64), joined["y"])
    rows = (
        joined.group_by("grade")
        .agg(pl.len().alias("buyers"), pl.col("y").sum().alias("defaults"), pl.col("pd").first())
        .sort("grade")
    )
    by_grade = tuple(
        GradeRow(
            grade=int(g),
            buyers=int(n),
            defaults=int(d),
            default_rate=round(int(d) / int(n), 6),
            pd=float(pd),
        )
        for g, n, d, pd in rows.select("grade", "buyers", "defaults", "pd").iter_rows()
    )
    # Monotone: the default rate never falls from one grade to a worse one holding 1%+ of buyers.
    material = [r for r in by_grade if r.buyers >= max(1, joined.height // 100)]
    monotone = all(a.default_rate <= b.default_rate for a, b in itertools.pairwise(material))
    return Backtest(
        buyers=joined.height,
        defaults=int(joined["y"].sum()),
        auc=round(area, 6),
        gini=round(2 * area - 1, 6),
        by_grade=by_grade,
        monotone=monotone,
    )
