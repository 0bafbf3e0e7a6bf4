"""Grading use cases: run over the registry, grade one buyer, read stored grades and history.

Services never commit; the caller (API request, CLI command) owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import polars as pl
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.kit.errors import NotFound
from arshield.kit.time import check_as_of
from arshield.risk import repository
from arshield.risk.domain import Grade, Reason, RunSummary
from arshield.risk.expert import DEFAULT_SPEC, ExpertSpec, build_features, grade_frame
from arshield.risk.inputs import BulkGrading, GradingInputs, load_bulk, load_for
from arshield.risk.models import GradeRecord
from arshield.risk.reasons import parse_reasons
from arshield.risk.tables import service as tables_service

Progress = Callable[[str, int, int], None]
EXPORT_SCHEMA = pl.Schema(
    {
        "company_ref": pl.Utf8,
        "score": pl.Int16,
        "grade": pl.Int8,
        "pd": pl.Float64,
        "reasons": pl.Utf8,
    }
)


class BuyerNotGraded(NotFound):
    """No such buyer."""


class GradeModel(Protocol):
    """A model that grades buyers instead of the expert one (a trained model made active).

    Both methods return the engine's ``GRADED_COLUMNS`` (:mod:`arshield.risk.inputs`), one row
    per company, graded under the platform's rules (defaults, data-quality caps, master scale).
    """

    @property
    def version(self) -> str:
        """The model version stored grades carry."""
        ...

    def grade_all(self, session: Session, *, as_of: dt.date) -> pl.DataFrame:
        """Every buyer, read in bulk (committed data, outside the session's transaction)."""
        ...

    def grade_some(
        self, session: Session, *, company_ids: list[uuid.UUID], as_of: dt.date
    ) -> pl.DataFrame:
        """A few buyers, read through the session."""
        ...


ActiveModelLookup = Callable[[Session], GradeModel | None]
_active_lookup: ActiveModelLookup | None = None


def use_active_model(lookup: ActiveModelLookup | None) -> None:
    """Let grading ask ``lookup`` for the active model (None: the expert model always grades).

    The area that keeps trained models installs its lookup; grading here does not know it.
    """
    global _active_lookup
    _active_lookup = lookup


def active_model(session: Session) -> GradeModel | None:
    """The model grading buyers instead of the expert one, if any is active."""
    return _active_lookup(session) if _active_lookup is not None else None


def _model_for(
    session: Session, *, spec: ExpertSpec, model: GradeModel | None, use_active: bool
) -> GradeModel | None:
    """``model``, else the active model when the caller asks for the default (no expert spec
    of its own, ``use_active``), else None: the expert model with ``spec``."""
    if model is not None:
        return model
    if use_active and spec is DEFAULT_SPEC:
        return active_model(session)
    return None


def _database_url(session: Session) -> str:
    """The URL of the session's database, for the bulk reader's own connection."""
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def _risk_tables(session: Session, *, as_of: dt.date) -> tuple[dict[str, int], dict[str, str]]:
    countries = tables_service.country_risk_as_of(session, as_of=as_of)
    sectors = tables_service.sector_risk_as_of(session, as_of=as_of)
    return {code: rating.short_term for code, rating in countries.items()}, sectors


def grade_inputs(
    session: Session, *, inputs: GradingInputs, as_of: dt.date, spec: ExpertSpec = DEFAULT_SPEC
) -> pl.DataFrame:
    """The model over ``inputs``: one row per company with score, grade, PD and reasons."""
    country, sector = _risk_tables(session, as_of=as_of)
    features = build_features(
        companies=inputs.companies,
        statements=inputs.statements,
        payments=inputs.payments,
        events=inputs.events,
        country_short_term=country,
        sector_risk=sector,
        as_of=as_of,
        spec=spec,
    )
    return grade_frame(features, as_of=as_of, spec=spec)


def run_grading(
    session: Session,
    *,
    as_of: dt.date,
    now: dt.datetime,
    spec: ExpertSpec = DEFAULT_SPEC,
    progress: Progress | None = None,
    model: GradeModel | None = None,
    use_active: bool = True,
) -> RunSummary:
    """Grade every buyer as of ``as_of`` and store the run (replacing an earlier identical run).

    The active trained model grades when one is active (see :func:`use_active_model`), unless
    ``spec`` names an expert model of the caller's own or ``use_active`` is False; ``model``
    picks one explicitly.

    Child processes read and grade the registry in parts while this process deletes the earlier
    run and then writes each graded part as it arrives, all in the session's transaction: the
    caller's commit stores the whole run, a rollback (or a crash) leaves the earlier one.
    Step times: ``delete`` and ``store`` are spent here; ``wait`` is time spent waiting for the
    children; ``read`` and ``grade`` are the children's own, summed over parts.
    """
    check_as_of(as_of)
    chosen = _model_for(session, spec=spec, model=model, use_active=use_active)
    if chosen is not None:
        return _run_model(session, model=chosen, as_of=as_of, now=now, progress=progress)
    started = time.perf_counter()
    timings = dict.fromkeys(("delete", "wait", "store"), 0.0)
    country, sector = _risk_tables(session, as_of=as_of)
    by_grade: dict[int, int] = {}
    count = 0

    def timed(label: str, since: float) -> float:
        now_ = time.perf_counter()
        timings[label] += now_ - since
        return now_

    if progress is not None:
        progress("reading and grading", 0, 3)
    with BulkGrading(
        database_url=_database_url(session),
        as_of=as_of,
        spec=spec,
        country_short_term=country,
        sector_risk=sector,
    ) as bulk:
        clock = time.perf_counter()
        with repository.bulk_writing(session):
            # While the children read: they see committed data only, never this transaction.
            repository.delete_run(session, as_of=as_of, model_version=spec.version)
            clock = timed("delete", clock)
            if progress is not None:
                progress("storing grades", 1, 3)
            for part in bulk.parts():
                clock = timed("wait", clock)
                count += repository.insert_grades(
                    session, frame=part, as_of=as_of, model_version=spec.version, created_at=now
                )
                for grade, n in part.group_by("grade").len().iter_rows():
                    by_grade[int(grade)] = by_grade.get(int(grade), 0) + int(n)
                clock = timed("store", clock)
        timings.update(bulk.child_seconds())
    if progress is not None:
        progress("done", 3, 3)
    return RunSummary(
        as_of=as_of,
        model_version=spec.version,
        graded=count,
        by_grade=dict(sorted(by_grade.items())),
        seconds=round(time.perf_counter() - started, 3),
        step_seconds={label: round(seconds, 3) for label, seconds in timings.items()},
    )


def _run_model(
    session: Session,
    *,
    model: GradeModel,
    as_of: dt.date,
    now: dt.datetime,
    progress: Progress | None,
) -> RunSummary:
    """A grading run of a model other than the expert one: grade in bulk, then store."""
    started = time.perf_counter()
    if progress is not None:
        progress("reading and grading", 0, 3)
    frame = model.grade_all(session, as_of=as_of)
    graded = time.perf_counter()
    if progress is not None:
        progress("storing grades", 1, 3)
    count = repository.replace_run(
        session, frame=frame, as_of=as_of, model_version=model.version, created_at=now
    )
    if progress is not None:
        progress("done", 3, 3)
    by_grade = {int(g): int(n) for g, n in frame.group_by("grade").len().iter_rows()}
    finished = time.perf_counter()
    return RunSummary(
        as_of=as_of,
        model_version=model.version,
        graded=count,
        by_grade=dict(sorted(by_grade.items())),
        seconds=round(finished - started, 3),
        step_seconds={
            "read and grade": round(graded - started, 3),
            "store": round(finished - graded, 3),
        },
    )


def _reasons(text: str | None) -> tuple[Reason, ...]:
    return tuple(
        Reason(code=code, factor=factor, contribution=value)
        for code, factor, value in parse_reasons(text)
    )


def _quality(
    *,
    as_of: dt.date,
    statement_date: dt.date | None,
    statement_years: int | None,
    payment_months: int | None,
    cap_grade: int,
    model_pd: float,
) -> dict[str, Any]:
    return {
        "statement_date": statement_date.isoformat() if statement_date else None,
        "statement_age_days": (as_of - statement_date).days if statement_date else None,
        "statement_years": int(statement_years or 0),
        "payment_months": int(payment_months or 0),
        "cap_grade": cap_grade if cap_grade > 1 else None,
        "model_pd": round(model_pd, 6),
    }


def _grade_from_row(
    row: dict[str, Any], *, company_id: uuid.UUID, as_of: dt.date, version: str
) -> Grade:
    return Grade(
        company_id=company_id,
        company_ref=row["company_ref"],
        as_of=as_of,
        model_version=version,
        score=int(row["score"]),
        grade=int(row["grade"]),
        pd=float(row["pd"]),
        confidence=row["confidence"],
        reasons=_reasons(row["reasons"]),
        data_quality=_quality(
            as_of=as_of,
            statement_date=row["statement_date"],
            statement_years=row["statement_years"],
            payment_months=row["payment_months"],
            cap_grade=int(row["cap_grade"]),
            model_pd=round(float(row["model_pd"]), 6),
        ),
        source="computed",
    )


def _grade_from_record(record: GradeRecord, *, company_ref: str) -> Grade:
    return Grade(
        company_id=record.company_id,
        company_ref=company_ref,
        as_of=record.as_of,
        model_version=record.model_version,
        score=record.score,
        grade=record.grade,
        pd=record.pd,
        confidence=record.confidence,
        reasons=_reasons(record.reasons),
        data_quality=_quality(
            as_of=record.as_of,
            statement_date=record.statement_date,
            statement_years=record.statement_years,
            payment_months=record.payment_months,
            cap_grade=record.cap_grade,
            model_pd=record.model_pd,
        ),
        source="stored",
    )


def compute_grades(
    session: Session,
    *,
    company_ids: list[uuid.UUID],
    as_of: dt.date,
    spec: ExpertSpec = DEFAULT_SPEC,
    model: GradeModel | None = None,
    use_active: bool = True,
) -> list[Grade]:
    """Grade a few buyers live (a batch of the same engine the full run uses)."""
    chosen = _model_for(session, spec=spec, model=model, use_active=use_active)
    if chosen is not None:
        rows = chosen.grade_some(session, company_ids=company_ids, as_of=as_of)
        return [
            _grade_from_row(
                row, company_id=uuid.UUID(row["company_id"]), as_of=as_of, version=chosen.version
            )
            for row in rows.iter_rows(named=True)
        ]
    inputs = load_for(
        session, company_ids=company_ids, as_of=as_of, payment_months=spec.pay_window_months
    )
    frame = grade_inputs(session, inputs=inputs, as_of=as_of, spec=spec)
    return [
        _grade_from_row(
            row, company_id=uuid.UUID(row["company_id"]), as_of=as_of, version=spec.version
        )
        for row in frame.iter_rows(named=True)
    ]


def _company(session: Session, company_id: uuid.UUID) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise BuyerNotGraded(f"no buyer {company_id}")
    return company


def get_grade(
    session: Session,
    *,
    company_id: uuid.UUID,
    as_of: dt.date,
    spec: ExpertSpec = DEFAULT_SPEC,
    model: GradeModel | None = None,
    use_active: bool = True,
) -> Grade:
    """The grade stored for ``as_of`` if a run produced one, otherwise computed live.

    By the active trained model when one is active (as :func:`run_grading` chooses).
    """
    check_as_of(as_of)
    company = _company(session, company_id)
    chosen = _model_for(session, spec=spec, model=model, use_active=use_active)
    version = chosen.version if chosen is not None else spec.version
    record = repository.get_grade(
        session, company_id=company_id, as_of=as_of, model_version=version
    )
    if record is not None:
        return _grade_from_record(record, company_ref=company.ref)
    if chosen is not None:
        return compute_grades(session, company_ids=[company_id], as_of=as_of, model=chosen)[0]
    return compute_grades(
        session, company_ids=[company_id], as_of=as_of, spec=spec, use_active=False
    )[0]


def get_grade_by_ref(
    session: Session,
    *,
    company_ref: str,
    as_of: dt.date,
    spec: ExpertSpec = DEFAULT_SPEC,
    model: GradeModel | None = None,
    use_active: bool = True,
) -> Grade:
    company = session.query(Company).filter(Company.ref == company_ref).one_or_none()
    if company is None:
        raise BuyerNotGraded(f"no buyer with company_ref {company_ref!r}")
    return get_grade(
        session, company_id=company.id, as_of=as_of, spec=spec, model=model, use_active=use_active
    )


def grade_history(session: Session, *, company_id: uuid.UUID) -> list[Grade]:
    """Every stored grade of a buyer, oldest first."""
    company = _company(session, company_id)
    return [
        _grade_from_record(r, company_ref=company.ref)
        for r in repository.grade_history(session, company_id=company_id)
    ]


def export_frame(
    session: Session,
    *,
    as_of: dt.date,
    spec: ExpertSpec = DEFAULT_SPEC,
    model: GradeModel | None = None,
    use_active: bool = True,
) -> pl.DataFrame:
    """``company_ref,score,grade,pd,reasons`` for every buyer as of ``as_of``.

    Reads the stored run when there is one; otherwise grades the registry without storing.
    Both read committed data in bulk, outside the session's transaction. By the active trained
    model when one is active (as :func:`run_grading` chooses).
    """
    check_as_of(as_of)
    url = _database_url(session)
    chosen = _model_for(session, spec=spec, model=model, use_active=use_active)
    version = chosen.version if chosen is not None else spec.version
    if repository.count_stored(session, as_of=as_of, model_version=version):
        stored = repository.read_stored_run(database_url=url, as_of=as_of, model_version=version)
        return stored.cast(EXPORT_SCHEMA)
    if chosen is not None:
        return (
            chosen.grade_all(session, as_of=as_of)
            .sort("company_ref")
            .select("company_ref", "score", "grade", "pd", "reasons")
            .cast(EXPORT_SCHEMA)
        )
    inputs = load_bulk(database_url=url, as_of=as_of, payment_months=spec.pay_window_months)
    graded = grade_inputs(session, inputs=inputs, as_of=as_of, spec=spec)
    return (
        graded.sort("company_ref")
        .select("company_ref", "score", "grade", "pd", "reasons")
        .cast(EXPORT_SCHEMA)
    )
