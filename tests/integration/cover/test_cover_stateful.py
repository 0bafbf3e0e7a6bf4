"""A Hypothesis state machine over cover: requests of every kind, underwriter decisions,
reductions, cancellations and capacity overrides on a few buyers under a few policies.

After every step: no step pushes a buyer's aggregate cover past its capacity (an underwriter may
lower capacity below cover already granted; then aggregate cover may not grow); decided amounts
never exceed the amounts asked; each cover's history is numbered 1, 2, 3, ... without gaps and the
cover in force is never negative.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover import policies, service
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.cover.facts import cover_in_force
from arshield.cover.models import BuyerCapacity, CoverDecision, CoverRequest
from arshield.kit.append_only import drop_guard, install_guard
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ArshieldError
from tests.integration.cover.conftest import AS_OF, Book, terms

BUYERS = ("GOOD", "WEAK")
amounts = st.integers(min_value=1, max_value=1_200).map(lambda n: n * 100_00)


def test_cover_invariants_hold_for_any_sequence(
    db: sessionmaker[Session], book: Book, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the state machine runs on SQLite; concurrency tests cover PostgreSQL")
    with unit_of_work(db) as session:
        extra = policies.create_policy(
            session, number="POL-A2", seller_ref="SELLER-A", terms=terms(), actor=book.underwriter()
        ).id
    policy_ids = [book.policies["A"], book.policies["B"], extra]

    class CoverMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            with unit_of_work(db) as session:
                drop_guard(session.connection(), "cover_decisions")
                session.query(CoverDecision).delete()
                install_guard(session.connection(), "cover_decisions")
                session.query(CoverRequest).delete()
                session.query(BuyerCapacity).delete()
            self.day = AS_OF
            self.before = self._committed()

        def _committed(self) -> dict[uuid.UUID, tuple[int, int]]:
            with unit_of_work(db) as session:
                out = {}
                for ref in BUYERS:
                    capacity = service.get_capacity(session, book.buyers[ref], as_of=self.day)
                    out[book.buyers[ref]] = (capacity.used or 0, capacity.amount)
                return out

        def _try(self, action) -> object | None:  # type: ignore[no-untyped-def]
            self.before = self._committed()
            try:
                with unit_of_work(db) as session:
                    return action(session)
            except ArshieldError:
                return None

        @rule(
            policy=st.sampled_from(range(3)),
            buyer=st.sampled_from(BUYERS),
            amount=amounts,
            kind=st.sampled_from([CoverKind.CREDIT_LIMIT] * 4 + list(CoverKind)),
        )
        def request(self, policy: int, buyer: str, amount: int, kind: CoverKind) -> None:
            outcome = self._try(
                lambda s: service.request_cover(
                    s,
                    service.CoverAskIn(policy_ids[policy], book.buyers[buyer], amount, "EUR", kind),
                    actor=book.underwriter(),
                    seller_org_id=None,
                    as_of=self.day,
                )
            )
            if isinstance(outcome, service.Outcome):
                assert 0 <= outcome.request.decided_amount <= amount

        @rule(choice=st.integers(0, 50), share=st.integers(0, 100), refuse=st.booleans())
        def decide(self, choice: int, share: int, refuse: bool) -> None:
            with unit_of_work(db) as session:
                waiting = session.scalars(
                    select(CoverRequest)
                    .where(CoverRequest.status == CoverStatus.REFERRED)
                    .order_by(CoverRequest.id)
                ).all()
            if not waiting:
                return
            target = waiting[choice % len(waiting)]
            amount = target.amount * share // 100
            if refuse or amount <= 0:
                body = service.UnderwriterDecision(CoverStatus.REFUSED, None, "no")
            elif amount >= target.amount:
                body = service.UnderwriterDecision(CoverStatus.APPROVED, None, "yes")
            else:
                body = service.UnderwriterDecision(CoverStatus.PARTIALLY_APPROVED, amount, "part")
            self._try(
                lambda s: service.decide_referred(
                    s, target.id, body, actor=book.underwriter(), as_of=self.day
                )
            )

        @rule(choice=st.integers(0, 50), share=st.integers(0, 100), insolvency=st.booleans())
        def reduce_or_cancel(self, choice: int, share: int, insolvency: bool) -> None:
            with unit_of_work(db) as session:
                granted = session.scalars(
                    select(CoverRequest)
                    .where(CoverRequest.decided_amount > 0)
                    .order_by(CoverRequest.id)
                ).all()
            if not granted:
                return
            target = granted[choice % len(granted)]
            amount = target.decided_amount * share // 100 or None
            self._try(
                lambda s: service.change_cover(
                    s,
                    target.id,
                    amount=amount,
                    reason="test",
                    insolvency=insolvency,
                    actor=book.underwriter(),
                    seller_org_id=None,
                    as_of=self.day,
                )
            )

        @rule(buyer=st.sampled_from(BUYERS), amount=st.integers(100, 60_000).map(lambda n: n * 100))
        def set_capacity(self, buyer: str, amount: int) -> None:
            self._try(
                lambda s: service.set_capacity(
                    s,
                    book.buyers[buyer],
                    amount=amount,
                    currency="EUR",
                    reason="test",
                    actor=book.underwriter(),
                )
            )

        @rule(days=st.integers(1, 40))
        def time_passes(self, days: int) -> None:
            self.day += dt.timedelta(days=days)
            self.before = self._committed()

        @invariant()
        def no_step_pushes_cover_past_capacity(self) -> None:
            for buyer, (used, capacity) in self._committed().items():
                before_used, _ = self.before[buyer]
                assert used <= max(capacity, before_used), (used, capacity, before_used)

        @invariant()
        def histories_are_whole(self) -> None:
            with unit_of_work(db) as session:
                rows = session.execute(
                    select(
                        CoverDecision.policy_id, CoverDecision.company_id, CoverDecision.seq
                    ).order_by(CoverDecision.policy_id, CoverDecision.company_id, CoverDecision.seq)
                ).all()
                seqs: dict[tuple[uuid.UUID, uuid.UUID], list[int]] = {}
                for policy_id, company_id, seq in rows:
                    seqs.setdefault((policy_id, company_id), []).append(seq)
                for (policy_id, company_id), numbers in seqs.items():
                    assert numbers == list(range(1, len(numbers) + 1))
                    state = cover_in_force(session, policy_id, company_id, self.day)
                    assert state.amount >= 0

    run_state_machine_as_test(
        CoverMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
