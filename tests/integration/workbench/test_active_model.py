"""The active model grades the platform's buyers; champion / challenger (both databases).

A generated book of 1,500 buyers as of 2026-06-30 with realised outcomes: models are trained on
the outcomes of every other buyer (first half) and compared on the rest (second half).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.api.app import create_app
from arshield.buyers.models import Company
from arshield.config import Settings
from arshield.kit.db import unit_of_work
from arshield.risk import service as risk_service
from arshield.risk.models import GradeRecord
from arshield.workbench import service
from tests.builders import standard_callers
from tests.integration.workbench.conftest import AS_OF, Book, load_book, run, run_json

DAY = AS_OF.isoformat()


@pytest.fixture
def book(db: sessionmaker[Session], cli_env: object, tmp_path: Path) -> Book:
    return load_book(db, tmp_path / "book")


def _train(book: Book, name: str, algorithm: str = "scorecard") -> dict[str, object]:
    return run_json(
        "model", "train", "--data", "platform", "--outcomes", str(book.first_half),
        "--as-of", DAY, "--algorithm", algorithm, "--cv", "3", "--save", name,
    )  # fmt: skip


def test_platform_training_and_active_grading(
    db: sessionmaker[Session], book: Book, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained = _train(book, "book-sc")
    notes = trained["notes"]
    assert isinstance(notes, dict)
    # Buyers already in default are left out of training (grade 10 whatever the model).
    assert notes["excluded_in_default"] > 0
    assert trained["rows"] + notes["excluded_without_outcome"] + notes["excluded_in_default"] == (
        book.companies
    )
    assert trained["feature_count"] == 42
    assert trained["auc"] > 0.65

    # Before activation the expert model grades.
    with unit_of_work(db) as session:
        company = session.scalars(select(Company).order_by(Company.ref)).first()
        assert company is not None
        assert service.grade_of(session, company_id=company.id, as_of=AS_OF).model_version == (
            "expert-1.0"
        )
    assert run("model", "activate", "book-sc").exit_code == 0

    # Live, before any run: computed by the active model.
    with unit_of_work(db) as session:
        live = service.grade_of(session, company_id=company.id, as_of=AS_OF)
    assert (live.model_version, live.source) == ("book-sc@1", "computed")

    graded = run("grade", "run", "--as-of", DAY)
    assert graded.exit_code == 0, graded.output
    assert "book-sc@1" in graded.output
    with unit_of_work(db) as session:
        stored = session.scalar(
            select(func.count()).where(
                GradeRecord.as_of == AS_OF, GradeRecord.model_version == "book-sc@1"
            )
        )
        assert stored == book.companies
        grade = service.grade_of(session, company_id=company.id, as_of=AS_OF)
        # The stored grade of the run is the grade computed live for the buyer alone.
        assert (grade.model_version, grade.source) == ("book-sc@1", "stored")
        assert (grade.grade, grade.score, grade.pd) == (live.grade, live.score, live.pd)
        assert [r.code for r in grade.reasons] == [r.code for r in live.reasons]
        assert grade.data_quality == live.data_quality
        # The engine's own entry point (the API's and the cover engine's) follows the model too.
        assert risk_service.get_grade(
            session, company_id=company.id, as_of=AS_OF
        ).model_version == ("book-sc@1")
        in_default = [
            g
            for g in risk_service.compute_grades(
                session,
                company_ids=list(session.scalars(select(Company.id)).all()),
                as_of=AS_OF,
                model=service.active_grader(session),
            )
            if g.grade == 10
        ]
        assert in_default and all(g.reasons[0].factor == "default" for g in in_default)
    shown = run_json("grade", "show", company.ref, "--as-of", DAY)
    assert shown["model_version"] == "book-sc@1" and shown["source"] == "stored"

    # The API's own app installs the workbench's lookup (the CLI's import did it here already).
    monkeypatch.setattr(risk_service, "_active_lookup", None)
    callers = standard_callers(db)
    app = create_app(settings)
    with TestClient(app) as client:
        response = client.get(
            f"/api/v1/buyers/{company.id}/grade?as_of={DAY}", headers=callers["seller_a"].headers
        )
    app.state.engine.dispose()
    assert response.status_code == 200
    assert response.json()["model_version"] == "book-sc@1"

    # Back to the expert model: grade_of reads the expert's grades again.
    assert run("model", "activate", "expert").exit_code == 0
    with unit_of_work(db) as session:
        expert = service.grade_of(session, company_id=company.id, as_of=AS_OF)
    assert expert.model_version == "expert-1.0"


def test_champion_challenger_on_realised_outcomes(db: sessionmaker[Session], book: Book) -> None:
    _train(book, "book-sc")
    _train(book, "book-gbm", algorithm="gbm")
    result = run_json(
        "model", "compare", "book-gbm", "--champion", "book-sc",
        "--outcomes", str(book.second_half), "--as-of", DAY,
    )  # fmt: skip
    assert result["champion"]["model"] == "book-sc@1"
    assert result["challenger"]["model"] == "book-gbm@1"
    assert result["warnings"] == []
    buyers = result["buyers"]
    for side in ("champion", "challenger"):
        assert result[side]["rows"] == buyers
        assert sum(r["buyers"] for r in result[side]["by_grade"]) == buyers
        assert sum(r["defaults"] for r in result[side]["by_grade"]) == result["defaults"]
        assert 0.5 < result[side]["auc"] <= 1.0
    assert sum(m["buyers"] for m in result["migration"]) == buyers
    assert result["auc_difference"] == pytest.approx(
        result["challenger"]["auc"] - result["champion"]["auc"], abs=1e-12
    )
    assert 0.0 <= result["p_value"] <= 1.0

    # With no --champion the active model (here none: the expert) is the champion.
    against_expert = run_json(
        "model", "compare", "book-sc", "--outcomes", str(book.second_half), "--as-of", DAY
    )
    assert against_expert["champion"]["model"] == "expert-1.0"
    assert against_expert["buyers"] == buyers
    # Comparing on the outcomes a model was trained on is flagged as in-sample.
    in_sample = run_json(
        "model", "compare", "book-sc", "--outcomes", str(book.first_half), "--as-of", DAY
    )
    assert any("in-sample" in w for w in in_sample["warnings"])
    text = run("model", "compare", "book-gbm", "--champion", "book-sc", "--outcomes",
               str(book.second_half), "--as-of", DAY)  # fmt: skip
    assert text.exit_code == 0 and "DeLong" in text.output
    same = run("model", "compare", "book-sc", "--champion", "book-sc", "--outcomes",
               str(book.second_half), "--as-of", DAY)  # fmt: skip
    assert same.exit_code == 1


def test_platform_training_needs_outcomes(book: Book) -> None:
    result = run("model", "train", "--data", "platform", "--as-of", DAY)
    assert result.exit_code == 1 and "--outcomes" in result.output
    bad = book.folder / "bad-outcomes.csv"
    bad.write_text("company_ref,defaulted_within_12m\nB0000001,yes\n")
    result = run("model", "train", "--data", "platform", "--outcomes", str(bad), "--as-of", DAY)
    assert result.exit_code == 1 and "must be binary" in " ".join(result.output.split())
