"""Saving, listing, showing, evaluating and activating model versions (both databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.workbench import service
from arshield.workbench.models import ModelActivation, ModelVersion
from tests.integration.workbench.conftest import run, run_json


def test_save_registers_a_complete_model_version(
    db: sessionmaker[Session], cli_env: object, polish_files: dict[str, Path]
) -> None:
    trained = run_json(
        "model", "train", "--data", str(polish_files["arff"]), "--label", "class", "--cv", "3",
        "--seed", "5", "--save", "polish-gbm",
    )  # fmt: skip
    assert trained["saved"] == {"name": "polish-gbm", "version": 1, "model_version": "polish-gbm@1"}
    with unit_of_work(db) as session:
        record = session.scalars(select(ModelVersion)).one()
        assert record.algorithm == "gbm" and record.version == 1
        # The artifact is LightGBM's own text, never a pickle.
        assert record.artifact.startswith("tree\n")
        assert len(record.features) == 64 and record.features[0] == "Attr1"
        assert record.data_fingerprint == trained["data_fingerprint"]
        assert record.seed == 5 and record.params["seed"] == 5
        assert record.params["deterministic"] is True
        assert {"lightgbm", "numpy", "python"} <= set(record.library_versions)
        cv = record.metrics["cross_validation"]
        assert cv["k"] == 3 and cv["auc"] == pytest.approx(trained["auc"])
        assert set(record.calibration) == {"a", "b"}
    again = run_json(
        "model", "train", "--data", str(polish_files["subset"]), "--label", "class",
        "--id", "firm", "--algorithm", "scorecard", "--save", "polish-gbm",
    )  # fmt: skip
    assert again["saved"]["version"] == 2
    listed = run_json("model", "list")
    assert listed["active"] == "expert-1.0"
    assert [m["model"] for m in listed["models"]] == ["polish-gbm@1", "polish-gbm@2"]
    shown = run_json("model", "show", "polish-gbm")  # the latest version
    assert shown["model"] == "polish-gbm@2" and shown["algorithm"] == "scorecard"
    assert shown["scorecard"] and {"feature", "bin", "points"} <= set(shown["scorecard"][0])
    assert shown["platform_features"]["Attr1"] == "ni_ta"
    first = run_json("model", "show", "polish-gbm@1")
    assert first["platform_features"]["Attr5"] is None
    scorecard_text = run("model", "show", "polish-gbm@2")
    assert scorecard_text.exit_code == 0 and "points" in scorecard_text.output
    assert run("model", "show", "nothing@3").exit_code == 1


def test_bad_model_names_are_refused(cli_env: object, polish_files: dict[str, Path]) -> None:
    for name in ("expert", "9lives", "has space", "x" * 49):
        result = run(
            "model", "train", "--data", str(polish_files["subset"]), "--label", "class",
            "--id", "firm", "--algorithm", "scorecard", "--save", name,
        )  # fmt: skip
        assert result.exit_code == 1, name


def test_evaluate_reports_metrics_and_calibration_by_grade(
    cli_env: object, polish_files: dict[str, Path]
) -> None:
    run_json(
        "model", "train", "--data", str(polish_files["train"]), "--label", "class",
        "--id", "firm", "--algorithm", "scorecard", "--save", "sc",
    )  # fmt: skip
    result = run_json(
        "model", "evaluate", "sc", "--data", str(polish_files["holdout"]), "--label", "class"
    )
    assert result["model"] == "sc@1"
    assert result["rows"] == 150
    assert {"auc", "gini", "ks", "brier"} <= set(result)
    rows = result["calibration"]
    assert sum(r["rows"] for r in rows) == 150
    assert sum(r["defaults"] for r in rows) == result["defaults"]
    assert [r["grade"] for r in rows] == sorted(r["grade"] for r in rows)
    for r in rows:
        assert r["observed_rate"] == pytest.approx(r["defaults"] / r["rows"])
        assert 0 <= r["mean_pd"] <= 1 and 0 <= r["p_value"] <= 1
    text = run("model", "evaluate", "sc", "--data", str(polish_files["holdout"]), "--label",
               "class")  # fmt: skip
    assert text.exit_code == 0 and "calibration by grade" in text.output
    # A file without the model's columns is one clear error.
    missing = run("model", "evaluate", "sc", "--data", str(polish_files["arff"]), "--label", "x")
    assert missing.exit_code == 1


def test_activation_refuses_a_model_the_platform_cannot_feed(
    db: sessionmaker[Session], cli_env: object, polish_files: dict[str, Path]
) -> None:
    run_json(
        "model", "train", "--data", str(polish_files["arff"]), "--label", "class",
        "--algorithm", "scorecard", "--save", "all-ratios",
    )  # fmt: skip
    refused = run("model", "activate", "all-ratios")
    assert refused.exit_code == 1
    message = " ".join(refused.output.split())
    assert "activation_refused" in message
    assert "cannot grade the platform's buyers" in message
    assert "Attr5" in message and "are not computed by the platform" in message
    with unit_of_work(db) as session:
        assert session.scalars(select(ModelActivation)).first() is None
    # The same data restricted to the ratios the platform computes is accepted.
    run_json(
        "model", "train", "--data", str(polish_files["subset"]), "--label", "class",
        "--id", "firm", "--algorithm", "scorecard", "--save", "platform-ratios",
    )  # fmt: skip
    accepted = run("model", "activate", "platform-ratios")
    assert accepted.exit_code == 0, accepted.output
    assert "platform-ratios@1" in accepted.output
    assert run_json("model", "list")["active"] == "platform-ratios@1"
    back = run("model", "activate", "expert")
    assert back.exit_code == 0
    with unit_of_work(db) as session:
        log = session.scalars(select(ModelActivation).order_by(ModelActivation.id)).all()
        assert [a.model_version_id is None for a in log] == [False, True]
        assert service.active_version(session) == "expert-1.0"
