"""Many parallel requests on one worker all get answered: a request waits for a database slot
on the event loop before it takes a thread, so threads never all wait for connections held by
requests that wait for a thread (which once stalled every request until the pool's checkout
timeout failed them)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from arshield.api.deps import DB_SLOTS
from arshield.kit.db import POOL_SIZE
from tests.builders import standard_callers
from tests.integration.cover.conftest import build_book

# More than the 40 threads of the thread pool and the pool's connections together.
PARALLEL = 120


def test_more_parallel_requests_than_threads_and_connections_are_all_answered(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    assert DB_SLOTS * 2 <= POOL_SIZE < PARALLEL
    build_book(db)
    callers = standard_callers(db)
    seller, underwriter = callers["seller_a"].headers, callers["underwriter"].headers

    def ask(n: int) -> tuple[int, int]:
        headers = seller if n % 2 else underwriter
        answer = client.get("/api/v1/policies", headers=headers)
        health = client.get("/healthz")
        return answer.status_code, health.status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answers = list(pool.map(ask, range(PARALLEL * 2)))
    assert answers == [(200, 200)] * (PARALLEL * 2)
