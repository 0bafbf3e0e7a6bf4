"""Validation statistics for PD models: AUC, Gini, KS, Brier, calibration by grade, DeLong.

All in float64 NumPy with a fixed order of operations, so the same inputs give the same figures
to the last bit. Higher PD means riskier; label 1 is a default.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from arshield.risk.master_scale import GRADE_PD, UPPER_BOUNDS
from arshield.workbench.domain import CalibrationRow, Metrics, TrainingDataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _both_classes(labels: npt.NDArray[np.integer]) -> tuple[int, int]:
    positives = int(labels.sum())
    negatives = int(labels.shape[0]) - positives
    if positives == 0 or negatives == 0:
        raise TrainingDataError("these metrics need both defaulted and non-defaulted rows")
    return positives, negatives


def midranks(values: FloatArray) -> FloatArray:
    """1-based ranks of ``values`` with ties sharing their mean rank."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(values.shape[0], dtype=np.float64)
    # Boundaries of runs of equal values in sorted order.
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.shape[0]]
    run_rank = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def auc(scores: FloatArray, labels: npt.NDArray[np.integer]) -> float:
    """Area under the ROC curve (Mann-Whitney), ties counted half."""
    positives, negatives = _both_classes(labels)
    ranks = midranks(np.asarray(scores, dtype=np.float64))
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def ks(scores: FloatArray, labels: npt.NDArray[np.integer]) -> float:
    """Kolmogorov-Smirnov: the largest gap between the cumulative shares of defaults and others."""
    positives, negatives = _both_classes(labels)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="mergesort")
    ordered = np.asarray(scores, dtype=np.float64)[order]
    y = np.asarray(labels, dtype=np.int64)[order]
    bad = np.cumsum(y) / positives
    good = np.cumsum(1 - y) / negatives
    # Only compare at the end of each run of tied scores: a threshold cannot split a tie.
    last = np.r_[ordered[1:] != ordered[:-1], True]
    return float(np.max(np.abs(bad[last] - good[last])))


def brier(pd: FloatArray, labels: npt.NDArray[np.integer]) -> float:
    """Mean squared difference between PD and outcome."""
    diff = np.asarray(pd, dtype=np.float64) - np.asarray(labels, dtype=np.float64)
    return float(np.mean(diff * diff))


def measure(pd: FloatArray, labels: npt.NDArray[np.integer]) -> Metrics:
    """AUC, Gini, KS and Brier of ``pd`` against ``labels``."""
    area = auc(pd, labels)
    return Metrics(
        rows=int(labels.shape[0]),
        defaults=int(labels.sum()),
        auc=area,
        gini=2.0 * area - 1.0,
        ks=ks(pd, labels),
        brier=brier(pd, labels),
    )


def grades_of(pd: FloatArray) -> IntArray:
    """Master-scale grade 1-9 of each PD (grade 10 is for recorded defaults only)."""
    bounds = np.asarray(UPPER_BOUNDS, dtype=np.float64)
    return np.searchsorted(bounds, np.asarray(pd, dtype=np.float64), side="right").astype(
        np.int64
    ) + np.int64(1)


def binomial_p_value(defaults: int, rows: int, pd: float) -> float:
    """Two-sided exact binomial test of ``defaults`` among ``rows`` against a true rate ``pd``.

    Twice the smaller tail, capped at 1. Computed in log space over every count, so it is exact
    for a million rows too.
    """
    if rows == 0:
        return 1.0
    if pd <= 0.0:
        return 1.0 if defaults == 0 else 0.0
    if pd >= 1.0:
        return 1.0 if defaults == rows else 0.0
    k = np.arange(rows, dtype=np.float64)
    steps = np.log((rows - k) / (k + 1.0)) + math.log(pd / (1.0 - pd))
    log_pmf = np.r_[rows * math.log1p(-pd), rows * math.log1p(-pd) + np.cumsum(steps)]
    peak = float(log_pmf.max())
    pmf = np.exp(log_pmf - peak)
    total = float(pmf.sum())
    lower = float(pmf[: defaults + 1].sum()) / total
    upper = float(pmf[defaults:].sum()) / total
    return min(1.0, 2.0 * min(lower, upper))


def calibration_by_grade(pd: FloatArray, labels: npt.NDArray[np.integer]) -> list[CalibrationRow]:
    """Per grade holding rows: counts, observed default rate, mean PD, grade PD and p-value."""
    grades = grades_of(pd)
    rows: list[CalibrationRow] = []
    for grade in range(1, 10):
        mask = grades == grade
        n = int(mask.sum())
        if n == 0:
            continue
        d = int(np.asarray(labels)[mask].sum())
        mean_pd = float(np.asarray(pd, dtype=np.float64)[mask].mean())
        rows.append(
            CalibrationRow(
                grade=grade,
                rows=n,
                defaults=d,
                observed_rate=d / n,
                mean_pd=mean_pd,
                grade_pd=GRADE_PD[grade],
                p_value=binomial_p_value(d, n, mean_pd),
            )
        )
    return rows


def _structural(scores: FloatArray, labels: npt.NDArray[np.integer]) -> tuple[FloatArray, ...]:
    """DeLong's structural components (Sun and Xu's midrank form) of one score."""
    positive = np.asarray(scores, dtype=np.float64)[labels == 1]
    negative = np.asarray(scores, dtype=np.float64)[labels == 0]
    m, n = positive.shape[0], negative.shape[0]
    combined = midranks(np.r_[positive, negative])
    v10 = (combined[:m] - midranks(positive)) / n
    v01 = 1.0 - (combined[m:] - midranks(negative)) / m
    return v10, v01


def delong(
    first: FloatArray, second: FloatArray, labels: npt.NDArray[np.integer]
) -> tuple[float, float, float]:
    """DeLong's test of two correlated AUCs on the same rows: (AUC difference, z, p-value)."""
    positives, negatives = _both_classes(labels)
    a10, a01 = _structural(first, labels)
    b10, b01 = _structural(second, labels)
    difference = float(a10.mean() - b10.mean())
    s10 = np.cov(np.vstack([a10, b10]))
    s01 = np.cov(np.vstack([a01, b01]))
    variance = float(
        (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / positives
        + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / negatives
    )
    if variance <= 0.0:
        return difference, 0.0, 1.0
    z = difference / math.sqrt(variance)
    return difference, z, math.erfc(abs(z) / math.sqrt(2.0))
