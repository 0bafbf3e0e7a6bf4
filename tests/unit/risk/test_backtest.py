"""Back-test measures: AUC by ranks, Gini, default rate by grade."""

from __future__ import annotations

import polars as pl
import pytest

from arshield.kit.errors import ValidationFailed
from arshield.risk.backtest import auc, backtest


def test_auc_worked_example_with_ties() -> None:
    # Riskier scores: defaulters 0.9 and 0.5; survivors 0.5, 0.2, 0.1.
    # Pairs (d, s): (0.9 > all three) = 3; (0.5 vs 0.5 tie) = 0.5; (0.5 > 0.2, 0.1) = 2 -> 5.5 / 6.
    value = auc(pl.Series([0.9, 0.5, 0.5, 0.2, 0.1]), pl.Series([1, 1, 0, 0, 0]))
    assert value == pytest.approx(5.5 / 6)


def test_backtest_by_grade() -> None:
    grades = pl.DataFrame(
        {
            "company_ref": ["a", "b", "c", "d", "e", "f"],
            "score": [90, 80, 60, 40, 20, 1],
            "grade": [2, 2, 5, 5, 9, 10],
            "pd": [0.0014, 0.0014, 0.011, 0.011, 0.27, 1.0],
        }
    )
    outcomes = pl.DataFrame(
        {
            "company_ref": ["a", "b", "c", "d", "e", "f"],
            "defaulted_within_12m": ["0", "0", "0", "1", "1", "1"],
        }
    )
    result = backtest(grades, outcomes)
    assert result.buyers == 6 and result.defaults == 3
    assert result.auc == 1.0 and result.gini == 1.0
    assert [(r.grade, r.buyers, r.defaults) for r in result.by_grade] == [
        (2, 2, 0),
        (5, 2, 1),
        (9, 1, 1),
        (10, 1, 1),
    ]
    assert result.monotone


def test_backtest_rejects_non_binary_labels() -> None:
    grades = pl.DataFrame({"company_ref": ["a"], "score": [50], "grade": [5], "pd": [0.01]})
    with pytest.raises(ValidationFailed, match="0 or 1"):
        backtest(grades, pl.DataFrame({"company_ref": ["a"], "defaulted_within_12m": ["yes"]}))
