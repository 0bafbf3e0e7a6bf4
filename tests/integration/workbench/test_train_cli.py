"""`arshield model train` on files: cross-validation figures, reproducibility, bad input."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.integration.workbench.conftest import run, run_json

METRICS = ("auc", "gini", "ks", "brier")


@pytest.mark.parametrize("algorithm", ["gbm", "scorecard"])
def test_cross_validation_reports_each_fold_and_the_means(
    polish_files: dict[str, Path], algorithm: str
) -> None:
    data = run_json(
        "model", "train", "--data", str(polish_files["arff"]), "--label", "class",
        "--algorithm", algorithm, "--cv", "4", "--seed", "3",
    )  # fmt: skip
    assert {"auc", "gini", "ks", "brier", "folds"} <= set(data)
    assert data["rows"] == 500 and data["defaults"] == 60 and data["feature_count"] == 64
    assert len(data["folds"]) == 4
    assert sum(f["rows"] for f in data["folds"]) == 500
    assert sum(f["defaults"] for f in data["folds"]) == 60
    for metric in METRICS:
        mean = sum(f[metric] for f in data["folds"]) / 4
        assert data[metric] == pytest.approx(mean, abs=1e-12)
    for fold in data["folds"]:
        assert fold["gini"] == pytest.approx(2 * fold["auc"] - 1, abs=1e-12)
    # Even 500 rows separate the bankrupt firms well above chance.
    assert data["auc"] > 0.8
    assert data["saved"] is None
    assert data["data_fingerprint"].startswith("sha256:")


def test_same_data_and_seed_give_the_same_metrics(polish_files: dict[str, Path]) -> None:
    # The scorecard keeps this fast; tests/unit/workbench/test_training.py does the same for gbm.
    args = ("model", "train", "--data", str(polish_files["csv"]), "--label", "class",
            "--id", "firm", "--algorithm", "scorecard", "--cv", "3", "--seed", "7")  # fmt: skip
    first, second = run_json(*args), run_json(*args)
    for metric in METRICS:
        assert abs(first[metric] - second[metric]) <= 1e-9
        for a, b in zip(first["folds"], second["folds"], strict=True):
            assert abs(a[metric] - b[metric]) <= 1e-9
    # The same rows as Parquet: same fingerprint, same figures.
    third = run_json(*(a if a != str(polish_files["csv"]) else str(polish_files["parquet"])
                       for a in args))  # fmt: skip
    assert third["data_fingerprint"] == first["data_fingerprint"]
    assert third["auc"] == first["auc"]
    other_seed = run_json(*args[:-1], "8")
    assert other_seed["auc"] != first["auc"]


def test_without_cv_the_figures_are_in_sample(polish_files: dict[str, Path]) -> None:
    data = run_json(
        "model", "train", "--data", str(polish_files["subset"]), "--label", "class",
        "--id", "firm", "--algorithm", "scorecard",
    )  # fmt: skip
    assert data["cv"] == 0 and data["folds"] == []
    assert data["evaluation"].startswith("in-sample")
    assert data["auc"] == data["in_sample"]["auc"]


def test_a_scorecard_prints_its_table(polish_files: dict[str, Path]) -> None:
    result = run(
        "model", "train", "--data", str(polish_files["subset"]), "--label", "class",
        "--id", "firm", "--algorithm", "scorecard",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "scorecard" in result.output and "points" in result.output
    assert "missing" in result.output


def _bad(tmp_path: Path, frame: pl.DataFrame) -> Path:
    path = tmp_path / "bad.csv"
    frame.write_csv(path)
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("label_not_binary", "must be binary"),
        ("one_class", "a model needs both defaulted and non-defaulted rows"),
        ("non_numeric_feature", "column 'sector' is not numeric"),
        ("unreadable", "not a readable Parquet file"),
        ("missing_file", "no such file"),
        ("no_label_column", "no label column 'default'"),
        ("too_few_defaults_for_the_folds", "needs at least 10 rows of each class"),
    ],
)
def test_bad_input_is_one_clear_error_and_exit_1(
    tmp_path: Path, polish_frame: pl.DataFrame, case: str, message: str
) -> None:
    frame = polish_frame.select("Attr1", "Attr2", "class")
    label = "class"
    cv = "0"
    if case == "label_not_binary":
        path = _bad(tmp_path, frame.with_columns(pl.col("class").replace("1", "2")))
    elif case == "one_class":
        path = _bad(tmp_path, frame.filter(pl.col("class") == "0"))
    elif case == "non_numeric_feature":
        path = _bad(tmp_path, frame.with_columns(pl.lit("C25").alias("sector")))
    elif case == "unreadable":
        path = tmp_path / "broken.parquet"
        path.write_bytes(b"PAR1 not really parquet")
    elif case == "missing_file":
        path = tmp_path / "nowhere.csv"
    elif case == "no_label_column":
        path = _bad(tmp_path, frame)
        label = "default"
    else:
        path = _bad(tmp_path, pl.concat([frame.filter(pl.col("class") == "1").head(5),
                                         frame.filter(pl.col("class") == "0")]))  # fmt: skip
        cv = "10"
    result = run("model", "train", "--data", str(path), "--label", label, "--cv", cv)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
