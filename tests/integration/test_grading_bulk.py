"""A full grading run: graded in child processes, stored part by part, all or nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.risk import repository, service
from arshield.risk.expert import DEFAULT_SPEC, ExpertSpec
from arshield.risk.inputs import GRADED_COLUMNS, BulkGrading, load_bulk, spec_from_json
from arshield.risk.inputs import spec_to_json as spec_json
from arshield.risk.models import GradeRecord
from tests.integration.test_grading import AS_OF, NOW, seed_registry

LATER = NOW + dt.timedelta(days=1)
BUYERS = 40


def _risk_tables(db: sessionmaker[Session]) -> tuple[str, dict[str, int], dict[str, str]]:
    with unit_of_work(db) as session:
        country, sector = service._risk_tables(session, as_of=AS_OF)
        return service._database_url(session), country, sector


def _stored(db: sessionmaker[Session]) -> list[tuple[str, int, dt.datetime]]:
    with unit_of_work(db) as session:
        rows = session.execute(
            select(GradeRecord.company_id, GradeRecord.grade, GradeRecord.created_at).where(
                GradeRecord.as_of == AS_OF
            )
        )
        return sorted((str(cid), grade, created) for cid, grade, created in rows)


@pytest.mark.parametrize("parts", [1, 3, 4])
def test_children_grade_exactly_what_the_parent_grades(
    db: sessionmaker[Session], parts: int
) -> None:
    seed_registry(db, n=BUYERS)
    url, country, sector = _risk_tables(db)
    # A model other than the default, so the children demonstrably grade with the one given.
    spec = ExpertSpec(pay_overdue_slope=6.0, country_points={1: -0.3, 2: 0.2, 3: 0.6, 4: 1.1})
    with BulkGrading(
        database_url=url,
        as_of=AS_OF,
        spec=spec,
        country_short_term=country,
        sector_risk=sector,
        parts=parts,
    ) as bulk:
        pieces = list(bulk.parts())
        seconds = bulk.child_seconds()
    assert len(pieces) == parts
    assert seconds["read"] > 0 and seconds["grade"] > 0
    # Parts arrive in company-id order (each a range of ids), each id once.
    by_part = [sorted(piece["company_id"].to_list()) for piece in pieces]
    ids = [cid for part_ids in by_part for cid in part_ids]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids) == BUYERS
    together = pl.concat(pieces).sort("company_id")
    with unit_of_work(db) as session:
        inputs = load_bulk(database_url=url, as_of=AS_OF)
        in_parent = service.grade_inputs(session, inputs=inputs, as_of=AS_OF, spec=spec)
    expected = in_parent.select(GRADED_COLUMNS).sort("company_id")
    assert together.equals(expected)
    # And the model given was used: the default model grades at least one buyer differently.
    with unit_of_work(db) as session:
        default = service.grade_inputs(session, inputs=inputs, as_of=AS_OF, spec=DEFAULT_SPEC)
    assert not default.sort("company_id")["model_pd"].equals(expected["model_pd"])


def test_model_spec_survives_the_trip_to_the_children() -> None:
    spec = ExpertSpec(
        version="expert-test",
        em_clip=(-1.5, 3.0),
        country_points={1: -0.25, 4: 1.5},
        severity_weight={"low": 0.2},
        stale_after_days=400,
    )
    assert spec_from_json(spec_json(spec)) == spec
    assert spec_from_json(spec_json(DEFAULT_SPEC)) == DEFAULT_SPEC


def test_run_stores_every_part_and_counts_grades(db: sessionmaker[Session]) -> None:
    seed_registry(db, n=BUYERS)
    with unit_of_work(db) as session:
        summary = service.run_grading(session, as_of=AS_OF, now=NOW)
    stored = _stored(db)
    assert summary.graded == len(stored) == BUYERS
    counts: dict[int, int] = {}
    for _cid, grade, _created in stored:
        counts[grade] = counts.get(grade, 0) + 1
    assert summary.by_grade == counts
    assert set(summary.step_seconds) == {"delete", "wait", "store", "read", "grade"}


def test_failure_while_storing_leaves_the_previous_run(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_registry(db, n=BUYERS)
    with unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=NOW)
    before = _stored(db)
    real = repository.insert_grades
    calls: list[int] = []

    def fail_on_second_part(session: Session, **kwargs: object) -> int:
        calls.append(real(session, **kwargs))  # type: ignore[arg-type]
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return calls[-1]

    monkeypatch.setattr(repository, "insert_grades", fail_on_second_part)
    with pytest.raises(RuntimeError, match="disk full"), unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=LATER)
    assert len(calls) == 2
    assert _stored(db) == before


def test_failing_reader_leaves_the_previous_run(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    seed_registry(db, n=BUYERS)
    with unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=NOW)
    before = _stored(db)
    # The children cannot read: the run fails after the previous run was deleted in the
    # transaction, and the rollback brings it back.
    broken = database_url.replace("5432/", "5432/no_such_database_").replace(".db", "-gone.db")
    monkeypatch.setattr(service, "_database_url", lambda _session: broken)
    with pytest.raises(RuntimeError, match="bulk grading failed"), unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=LATER)
    assert _stored(db) == before


CRASH = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    from sqlalchemy import func, select
    from arshield.kit.db import make_engine, make_session_factory, unit_of_work
    from arshield.risk import repository, service
    from arshield.risk.models import GradeRecord

    real = repository.insert_grades

    def insert_then_crash(session, **kwargs):
        real(session, **kwargs)
        session.flush()
        # Every run is of 2026-06-30: after the delete, the rows counted are the new ones.
        new = session.scalar(select(func.count()).select_from(GradeRecord))
        print(new, flush=True)
        if new:
            os.kill(os.getpid(), signal.SIGKILL)

    repository.insert_grades = insert_then_crash
    factory = make_session_factory(make_engine(sys.argv[1]))
    with unit_of_work(factory) as session:
        service.run_grading(
            session, as_of=dt.date(2026, 6, 30), now=dt.datetime.fromisoformat(sys.argv[2])
        )
    """
)


def test_kill_mid_store_leaves_the_previous_run(
    db: sessionmaker[Session], database_url: str
) -> None:
    seed_registry(db, n=BUYERS)
    with unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=NOW)
    before = _stored(db)
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, database_url, LATER.isoformat()],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
        check=False,
    )
    assert proc.returncode == -9, proc.stderr
    # The process died with new grades written in its open transaction (after deleting the
    # previous run there): none of that is visible, the previous run is whole.
    written = [int(line) for line in proc.stdout.split()]
    assert written and written[-1] > 0
    assert _stored(db) == before
    with unit_of_work(db) as session:
        again = service.run_grading(session, as_of=AS_OF, now=LATER)
    assert again.graded == BUYERS
    with unit_of_work(db) as session:
        total = session.scalar(select(func.count()).select_from(GradeRecord))
    assert total == BUYERS
