"""The master scale is monotone and its scalar and vectorised forms agree."""

from __future__ import annotations

import itertools

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from arshield.risk.master_scale import (
    GRADE_PD,
    MASTER_SCALE,
    PD_CEILING,
    PD_FLOOR,
    grade_expr,
    grade_for_pd,
    score_expr,
    score_for_pd,
)


def test_grade_pd_rises_strictly_with_grade() -> None:
    pds = [GRADE_PD[g] for g in range(1, 11)]
    assert pds == sorted(pds)
    assert len(set(pds)) == 10
    assert GRADE_PD[10] == 1.0


def test_bands_are_contiguous_and_hold_their_centre() -> None:
    for lower, upper in itertools.pairwise(MASTER_SCALE[:9]):
        assert lower.pd_to == upper.pd_from
    for band in MASTER_SCALE[:9]:
        assert band.pd_from <= band.pd < band.pd_to
        assert grade_for_pd(band.pd) == band.grade


def test_worked_examples() -> None:
    # 0.5% sits in grade 4's band [0.4%, 0.8%); 1% in grade 5 [0.8%, 1.5%); 20% in grade 9.
    assert grade_for_pd(0.005) == 4
    assert grade_for_pd(0.01) == 5
    assert grade_for_pd(0.2) == 9
    assert score_for_pd(PD_FLOOR) == 100
    assert score_for_pd(PD_CEILING) == 2
    assert score_for_pd(1.0) == 1


probabilities = st.floats(min_value=PD_FLOOR, max_value=PD_CEILING, allow_nan=False)


@given(st.lists(probabilities, min_size=1, max_size=50))
def test_vectorised_forms_match_scalar(pds: list[float]) -> None:
    frame = pl.DataFrame({"pd": pds}).with_columns(
        grade_expr(pl.col("pd")).alias("grade"), score_expr(pl.col("pd")).alias("score")
    )
    assert frame["grade"].to_list() == [grade_for_pd(p) for p in pds]
    assert frame["score"].to_list() == [score_for_pd(p) for p in pds]


@given(probabilities, probabilities)
def test_higher_pd_never_gives_better_grade_or_score(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert grade_for_pd(low) <= grade_for_pd(high)
    assert score_for_pd(low) >= score_for_pd(high)
