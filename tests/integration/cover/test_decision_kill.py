"""kill -9 in the middle of a decision leaves the state before it: no request, no decision, no
audit event; and the next request works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.audit.models import AuditEvent
from arshield.cover.models import CoverDecision, CoverRequest
from arshield.kit.db import unit_of_work
from tests.integration.cover.conftest import AS_OF, Book

CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time, uuid
    from arshield.cover import service
    from arshield.cover.domain import CoverKind
    from arshield.cover.trail import Actor
    from arshield.kit.db import make_engine, make_session_factory, unit_of_work

    url, policy, buyer, org = sys.argv[1:5]
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        outcome = service.request_cover(
            session,
            service.CoverAskIn(uuid.UUID(policy), uuid.UUID(buyer), 40_000_00, "EUR",
                               CoverKind.CREDIT_LIMIT),
            actor=Actor("child", dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), uuid.UUID(org)),
            seller_org_id=None,
            as_of=dt.date(2026, 11, 20),
        )
        session.flush()
        print("WRITTEN", outcome.request.status.value, flush=True)
        time.sleep(120)
    """
)


def _counts(db: sessionmaker[Session]) -> tuple[int, int, int]:
    with unit_of_work(db) as session:
        return (
            session.scalar(select(func.count()).select_from(CoverRequest)) or 0,
            session.scalar(select(func.count()).select_from(CoverDecision)) or 0,
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.object_type == "cover")
            )
            or 0,
        )


def test_kill_during_a_decision(db: sessionmaker[Session], book: Book, database_url: str) -> None:
    before = _counts(db)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            database_url,
            str(book.policies["A"]),
            str(book.buyers["GOOD"]),
            str(book.insurer_id),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("WRITTEN approved"), line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _counts(db) == before
    # The buyer's lock died with the process: the next request is decided.
    from arshield.cover import service
    from arshield.cover.domain import CoverKind

    with unit_of_work(db) as session:
        outcome = service.request_cover(
            session,
            service.CoverAskIn(
                book.policies["A"], book.buyers["GOOD"], 40_000_00, "EUR", CoverKind.CREDIT_LIMIT
            ),
            actor=book.underwriter(),
            seller_org_id=None,
            as_of=AS_OF,
        )
        assert outcome.request.decided_amount == 40_000_00
    assert _counts(db) == (before[0] + 1, before[1] + 1, before[2] + 1)
