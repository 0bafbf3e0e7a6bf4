"""Parallel clients asking for cover on one buyer never push aggregate cover past its capacity."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover import policies, service
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ArshieldError
from tests.integration.cover.conftest import AS_OF, Book, terms

WORKERS = 8
TRIALS = 3


def _race(
    db: sessionmaker[Session], book: Book, policy_ids: list[uuid.UUID], buyer: uuid.UUID
) -> list[str]:
    barrier = threading.Barrier(len(policy_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(policy_id: uuid.UUID) -> None:
        barrier.wait()
        try:
            with unit_of_work(db) as session:
                outcome = service.request_cover(
                    session,
                    service.CoverAskIn(policy_id, buyer, 30_000_00, "EUR", CoverKind.CREDIT_LIMIT),
                    actor=book.underwriter(),
                    seller_org_id=None,
                    as_of=AS_OF,
                )
                text = f"{outcome.request.status.value}:{outcome.request.decided_amount}"
        except ArshieldError as exc:
            text = f"error:{exc.detail}"
        with lock:
            outcomes.append(text)

    threads = [threading.Thread(target=run, args=(p,)) for p in policy_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("trial", range(TRIALS))
def test_parallel_requests_respect_capacity(
    db: sessionmaker[Session], book: Book, trial: int
) -> None:
    buyer = book.buyers["GOOD"]
    with unit_of_work(db) as session:
        service.set_capacity(
            session,
            buyer,
            amount=100_000_00,
            currency="EUR",
            reason="test",
            actor=book.underwriter(),
        )
        policy_ids = [
            policies.create_policy(
                session,
                number=f"RACE-{trial}-{i}",
                seller_ref="SELLER-A",
                terms=terms(),
                actor=book.underwriter(),
            ).id
            for i in range(WORKERS)
        ]
    outcomes = _race(db, book, policy_ids, buyer)
    assert len(outcomes) == WORKERS
    granted = [
        int(o.split(":")[1])
        for o in outcomes
        if o.split(":")[0] in ("approved", "partially_approved")
    ]
    # 30,000.00 x 3 + 10,000.00 = exactly the capacity; the rest refused.
    assert sorted(granted) == [10_000_00, 30_000_00, 30_000_00, 30_000_00], outcomes
    assert sum(o.startswith(CoverStatus.REFUSED.value) for o in outcomes) == WORKERS - 4
    with unit_of_work(db) as session:
        capacity = service.get_capacity(session, buyer, as_of=AS_OF)
        assert capacity.used == 100_000_00 and capacity.available == 0
