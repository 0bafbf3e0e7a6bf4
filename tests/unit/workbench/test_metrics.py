"""Validation statistics: AUC, KS, Brier, calibration by grade, binomial test and DeLong."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arshield.risk.master_scale import grade_for_pd
from arshield.workbench.domain import TrainingDataError
from arshield.workbench.metrics import (
    auc,
    binomial_p_value,
    brier,
    calibration_by_grade,
    delong,
    grades_of,
    ks,
    measure,
    midranks,
)


def _pairs_auc(scores: list[float], labels: list[int]) -> float:
    """AUC by comparing every (default, non-default) pair: the definition."""
    bad = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    good = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = sum(1.0 if b > g else 0.5 if b == g else 0.0 for b in bad for g in good)
    return wins / (len(bad) * len(good))


def _threshold_ks(scores: list[float], labels: list[int]) -> float:
    """KS by trying every threshold: max |share of defaults above - share of others above|."""
    bad = sum(labels)
    good = len(labels) - bad
    best = 0.0
    for t in sorted(set(scores)):
        b = sum(1 for s, y in zip(scores, labels, strict=True) if y == 1 and s >= t) / bad
        g = sum(1 for s, y in zip(scores, labels, strict=True) if y == 0 and s >= t) / good
        best = max(best, abs(b - g))
    return best


labelled = st.lists(
    st.tuples(st.integers(0, 6).map(lambda v: v / 6), st.integers(0, 1)), min_size=2, max_size=60
).filter(lambda rows: 0 < sum(y for _, y in rows) < len(rows))


@settings(max_examples=200, deadline=None)
@given(labelled)
def test_auc_and_ks_match_their_definitions(rows: list[tuple[float, int]]) -> None:
    scores = [s for s, _ in rows]
    labels = [y for _, y in rows]
    s, y = np.array(scores), np.array(labels)
    assert auc(s, y) == pytest.approx(_pairs_auc(scores, labels), abs=1e-12)
    assert ks(s, y) == pytest.approx(_threshold_ks(scores, labels), abs=1e-12)
    m = measure(s, y)
    assert m.gini == pytest.approx(2 * m.auc - 1, abs=1e-15)


def test_worked_example() -> None:
    # Defaulters 0.9 and 0.5; survivors 0.5, 0.2, 0.1: 5.5 pairs of 6 won (one tie).
    s = np.array([0.9, 0.5, 0.5, 0.2, 0.1])
    y = np.array([1, 1, 0, 0, 0])
    assert auc(s, y) == pytest.approx(5.5 / 6)
    assert ks(s, y) == pytest.approx(2 / 3)  # at 0.5: both defaulters, one survivor of three
    assert brier(s, y) == pytest.approx((0.01 + 0.25 + 0.25 + 0.04 + 0.01) / 5)
    assert midranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_one_class_is_refused() -> None:
    with pytest.raises(TrainingDataError):
        auc(np.array([0.1, 0.2]), np.array([0, 0]))


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0))
def test_vectorised_grades_match_the_master_scale(pd: float) -> None:
    assert int(grades_of(np.array([pd]))[0]) == grade_for_pd(pd)


@pytest.mark.parametrize(("defaults", "rows", "pd"), [(0, 10, 0.05), (3, 10, 0.05), (5, 40, 0.1)])
def test_binomial_p_value_is_exact(defaults: int, rows: int, pd: float) -> None:
    pmf = [math.comb(rows, k) * pd**k * (1 - pd) ** (rows - k) for k in range(rows + 1)]
    expected = min(1.0, 2 * min(sum(pmf[: defaults + 1]), sum(pmf[defaults:])))
    assert binomial_p_value(defaults, rows, pd) == pytest.approx(expected, rel=1e-9)


def test_binomial_p_value_on_a_million_rows() -> None:
    # 10,000 defaults expected; 10,000 observed is dead centre, 10,500 is five sigma away.
    assert binomial_p_value(10_000, 1_000_000, 0.01) > 0.9
    assert binomial_p_value(10_500, 1_000_000, 0.01) < 1e-5


def test_calibration_by_grade_counts_every_row() -> None:
    pd = np.array([0.0005, 0.0005, 0.01, 0.01, 0.01, 0.2, 0.5])
    y = np.array([0, 0, 0, 1, 0, 1, 1])
    rows = calibration_by_grade(pd, y)
    assert [(r.grade, r.rows, r.defaults) for r in rows] == [(1, 2, 0), (5, 3, 1), (9, 2, 2)]
    assert sum(r.rows for r in rows) == pd.shape[0]
    assert rows[1].observed_rate == pytest.approx(1 / 3)
    assert rows[1].mean_pd == pytest.approx(0.01)


def _delong_by_pairs(a: list[float], b: list[float], y: list[int]) -> tuple[float, float]:
    """DeLong's difference and variance from explicit placement values (O(m n))."""

    def psi(x: float, z: float) -> float:
        return 1.0 if x > z else 0.5 if x == z else 0.0

    pos = [i for i, v in enumerate(y) if v == 1]
    neg = [i for i, v in enumerate(y) if v == 0]
    m, n = len(pos), len(neg)
    v10 = np.array([[np.mean([psi(s[i], s[j]) for j in neg]) for i in pos] for s in (a, b)])
    v01 = np.array([[np.mean([psi(s[i], s[j]) for i in pos]) for j in neg] for s in (a, b)])
    s10, s01 = np.cov(v10), np.cov(v01)
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    return float(v10[0].mean() - v10[1].mean()), float(var)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 1)), min_size=6, max_size=40
    ).filter(lambda rows: 2 <= sum(r[2] for r in rows) <= len(rows) - 2)
)
def test_delong_matches_placement_values(rows: list[tuple[int, int, int]]) -> None:
    a = [float(r[0]) for r in rows]
    b = [float(r[1]) for r in rows]
    y = [r[2] for r in rows]
    difference, z, p = delong(np.array(a), np.array(b), np.array(y))
    expected_difference, variance = _delong_by_pairs(a, b, y)
    assert difference == pytest.approx(expected_difference, abs=1e-12)
    if variance > 1e-15:
        assert z == pytest.approx(expected_difference / math.sqrt(variance), rel=1e-6)
    assert 0.0 <= p <= 1.0


def test_delong_of_a_model_against_itself() -> None:
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.2])
    y = np.array([0, 0, 1, 1, 1, 0])
    assert delong(s, s, y) == (0.0, 0.0, 1.0)
