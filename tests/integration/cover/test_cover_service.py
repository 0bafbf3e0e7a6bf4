"""Cover requests, underwriter decisions, reductions and the cover in force, end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.audit.models import AuditEvent
from arshield.cover import service
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.cover.facts import cover_in_force
from arshield.cover.models import CoverDecision
from arshield.kit.db import unit_of_work
from arshield.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.integration.cover.conftest import AS_OF, NOW, Book


def ask(book: Book, buyer: str, amount: int, policy: str = "A", **kw: object) -> service.CoverAskIn:
    return service.CoverAskIn(
        policy_id=book.policies[policy],
        buyer_id=book.buyers[buyer],
        amount=amount,
        currency="EUR",
        kind=kw.pop("kind", CoverKind.CREDIT_LIMIT),
        **kw,  # type: ignore[arg-type]
    )


def request(
    db: sessionmaker[Session], book: Book, buyer: str, amount: int, **kw: object
) -> service.Outcome:
    policy = str(kw.pop("policy", "A"))
    seller = None if policy == "insurer" else (book.seller_a if policy == "A" else book.seller_b)
    with unit_of_work(db) as session:
        return service.request_cover(
            session,
            ask(book, buyer, amount, policy=policy, **kw),
            actor=book.seller(org="a" if policy == "A" else "b"),
            seller_org_id=seller,
            as_of=AS_OF,
        )


def test_clear_request_is_approved_and_in_force(db: sessionmaker[Session], book: Book) -> None:
    # GOOD: grade 3, equity 2,000,000.00 (15% = 300,000.00), monthly sales 500,000.00 (60%).
    # No payment history yet: first-time cap 50,000.00.
    outcome = request(db, book, "GOOD", 40_000_00)
    assert outcome.request.status is CoverStatus.APPROVED
    assert outcome.request.decided_amount == 40_000_00
    assert outcome.decision is not None and outcome.decision.decided_by == "rules:2026.11"
    with unit_of_work(db) as session:
        state = cover_in_force(session, book.policies["A"], book.buyers["GOOD"], AS_OF)
        assert (state.amount, state.state) == (40_000_00, "in_force")
        before = cover_in_force(
            session, book.policies["A"], book.buyers["GOOD"], AS_OF - dt.timedelta(days=1)
        )
        assert before.state == "none"
        events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "cover.request")
        )
        assert events == 1


def test_first_time_cap_partial(db: sessionmaker[Session], book: Book) -> None:
    outcome = request(db, book, "GOOD", 200_000_00)
    assert outcome.request.status is CoverStatus.PARTIALLY_APPROVED
    assert outcome.request.decided_amount == 50_000_00
    assert {r["code"] for r in outcome.decision.reasons} >= {"FIRST_TIME_CAP"}  # type: ignore[union-attr]


def test_refusals(db: sessionmaker[Session], book: Book) -> None:
    assert request(db, book, "BAD", 10_000_00).request.status is CoverStatus.REFUSED
    gone = request(db, book, "GONE", 10_000_00)
    assert gone.request.status is CoverStatus.REFUSED
    assert {r["code"] for r in gone.request.rule_reasons} >= {"BUYER_INSOLVENT", "GRADE_10"}
    rus = request(db, book, "RUS", 10_000_00)
    assert rus.request.status is CoverStatus.REFUSED
    assert "COUNTRY_NOT_COVERED" in {r["code"] for r in rus.request.rule_reasons}


def test_referral_then_underwriter_decision(db: sessionmaker[Session], book: Book) -> None:
    referred = request(db, book, "WEAK", 30_000_00)
    assert referred.request.status is CoverStatus.REFERRED and referred.decision is None
    with pytest.raises(Conflict, match="waiting for an underwriter"):
        request(db, book, "WEAK", 20_000_00)
    with unit_of_work(db) as session:
        page, total = service.queue(session, as_of=AS_OF, limit=10, offset=0)
        assert total == 1 and page[0][0].id == referred.request.id
    with unit_of_work(db) as session, pytest.raises(Forbidden):
        service.decide_referred(
            session,
            referred.request.id,
            service.UnderwriterDecision(CoverStatus.APPROVED, None, "ok"),
            actor=book.seller(),
            as_of=AS_OF,
        )
    with unit_of_work(db) as session, pytest.raises(ValidationFailed, match="partially_approved"):
        service.decide_referred(
            session,
            referred.request.id,
            service.UnderwriterDecision(CoverStatus.PARTIALLY_APPROVED, 30_000_00, "half"),
            actor=book.underwriter(),
            as_of=AS_OF,
        )
    with unit_of_work(db) as session:
        outcome = service.decide_referred(
            session,
            referred.request.id,
            service.UnderwriterDecision(
                CoverStatus.PARTIALLY_APPROVED,
                20_000_00,
                "known buyer, trade references",
                conditions=("secured by retention of title",),
            ),
            actor=book.underwriter(),
            as_of=AS_OF,
        )
        assert outcome.request.status is CoverStatus.PARTIALLY_APPROVED
        assert outcome.decision is not None and outcome.decision.decider.value == "underwriter"
        assert {c["code"] for c in outcome.decision.conditions} == {"MAX_TERMS", "UNDERWRITER"}
    with unit_of_work(db) as session:
        assert (
            cover_in_force(session, book.policies["A"], book.buyers["WEAK"], AS_OF).amount
            == 20_000_00
        )
        with pytest.raises(Conflict, match="not waiting"):
            service.decide_referred(
                session,
                referred.request.id,
                service.UnderwriterDecision(CoverStatus.REFUSED, None, "again"),
                actor=book.underwriter(),
                as_of=AS_OF,
            )


def test_underwriter_cannot_exceed_capacity(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session:
        service.set_capacity(
            session,
            book.buyers["WEAK"],
            amount=25_000_00,
            currency="EUR",
            reason="appetite",
            actor=book.underwriter(),
        )
    referred = request(db, book, "WEAK", 30_000_00)
    with unit_of_work(db) as session, pytest.raises(Conflict, match="past its capacity"):
        service.decide_referred(
            session,
            referred.request.id,
            service.UnderwriterDecision(CoverStatus.APPROVED, None, "fine"),
            actor=book.underwriter(),
            as_of=AS_OF,
        )
    with unit_of_work(db) as session:
        outcome = service.decide_referred(
            session,
            referred.request.id,
            service.UnderwriterDecision(
                CoverStatus.PARTIALLY_APPROVED, 25_000_00, "up to capacity"
            ),
            actor=book.underwriter(),
            as_of=AS_OF,
        )
        assert outcome.request.decided_amount == 25_000_00
        capacity = service.get_capacity(session, book.buyers["WEAK"], as_of=AS_OF)
        assert (capacity.amount, capacity.used, capacity.available) == (25_000_00, 25_000_00, 0)


def test_capacity_is_shared_by_every_policy(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session:
        service.set_capacity(
            session,
            book.buyers["GOOD"],
            amount=70_000_00,
            currency="EUR",
            reason="appetite",
            actor=book.underwriter(),
        )
    assert request(db, book, "GOOD", 45_000_00).request.decided_amount == 45_000_00
    second = request(db, book, "GOOD", 45_000_00, policy="B")
    assert (second.request.status, second.request.decided_amount) == (
        CoverStatus.PARTIALLY_APPROVED,
        25_000_00,
    )
    assert "CAPACITY" in {r["code"] for r in second.request.rule_reasons}
    with unit_of_work(db) as session:
        assert service.get_capacity(session, book.buyers["GOOD"], as_of=AS_OF).available == 0


def test_insurer_reduction_applies_after_notice(db: sessionmaker[Session], book: Book) -> None:
    granted = request(db, book, "GOOD", 40_000_00)
    with unit_of_work(db) as session:
        decision = service.change_cover(
            session,
            granted.request.id,
            amount=10_000_00,
            reason="downgrade watch",
            insolvency=False,
            actor=book.underwriter(),
            seller_org_id=None,
            as_of=AS_OF,
        )
        assert decision.effective_from == AS_OF + dt.timedelta(days=30)
        assert decision.status is CoverStatus.REDUCED
    with unit_of_work(db) as session:
        p, b = book.policies["A"], book.buyers["GOOD"]
        assert cover_in_force(session, p, b, AS_OF + dt.timedelta(days=29)).amount == 40_000_00
        assert cover_in_force(session, p, b, AS_OF + dt.timedelta(days=30)).amount == 10_000_00
        # Capacity stays committed at 40,000.00 until the reduction takes effect.
        assert service.get_capacity(session, b, as_of=AS_OF).used == 40_000_00


def test_cancellation_on_insolvency_is_immediate(db: sessionmaker[Session], book: Book) -> None:
    granted = request(db, book, "GOOD", 40_000_00)
    with unit_of_work(db) as session:
        decision = service.change_cover(
            session,
            granted.request.id,
            amount=None,
            reason="insolvency filed",
            insolvency=True,
            actor=book.underwriter(),
            seller_org_id=None,
            as_of=AS_OF,
        )
        assert decision.effective_from == AS_OF and decision.status is CoverStatus.CANCELLED
    with unit_of_work(db) as session:
        state = cover_in_force(session, book.policies["A"], book.buyers["GOOD"], AS_OF)
        assert (state.amount, state.state) == (0, "cancelled")
        with pytest.raises(Conflict, match="no cover in force"):
            service.change_cover(
                session,
                granted.request.id,
                amount=None,
                reason="again",
                insolvency=True,
                actor=book.underwriter(),
                seller_org_id=None,
                as_of=AS_OF,
            )


def test_seller_reduces_its_own_cover_at_once(db: sessionmaker[Session], book: Book) -> None:
    granted = request(db, book, "GOOD", 40_000_00)
    lower = request(db, book, "GOOD", 15_000_00)
    assert (lower.request.status, lower.request.decided_amount) == (CoverStatus.APPROVED, 15_000_00)
    with unit_of_work(db) as session:
        assert (
            cover_in_force(session, book.policies["A"], book.buyers["GOOD"], AS_OF).amount
            == 15_000_00
        )
        # Seller B cannot touch seller A's cover.
        with pytest.raises(NotFound):
            service.change_cover(
                session,
                granted.request.id,
                amount=None,
                reason="x",
                insolvency=False,
                actor=book.seller(org="b"),
                seller_org_id=book.seller_b,
                as_of=AS_OF,
            )
        decision = service.change_cover(
            session,
            granted.request.id,
            amount=None,
            reason="no longer trading",
            insolvency=False,
            actor=book.seller(),
            seller_org_id=book.seller_a,
            as_of=AS_OF,
        )
        assert decision.effective_from == AS_OF and decision.decider.value == "seller"


def test_history_is_kept(db: sessionmaker[Session], book: Book) -> None:
    request(db, book, "GOOD", 40_000_00)
    request(db, book, "GOOD", 30_000_00)
    with unit_of_work(db) as session:
        rows = session.scalars(select(CoverDecision).order_by(CoverDecision.seq)).all()
        assert [(d.seq, d.amount) for d in rows] == [(1, 40_000_00), (2, 30_000_00)]


def test_currency_must_be_the_policy_currency(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session, pytest.raises(ValidationFailed, match="in EUR"):
        service.request_cover(
            session,
            service.CoverAskIn(
                book.policies["A"], book.buyers["GOOD"], 1_000, "USD", CoverKind.CREDIT_LIMIT
            ),
            actor=book.seller(),
            seller_org_id=book.seller_a,
            as_of=AS_OF,
        )


def test_seller_cannot_use_another_sellers_policy(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session, pytest.raises(NotFound):
        service.request_cover(
            session,
            ask(book, "GOOD", 1_000_00, policy="B"),
            actor=book.seller(),
            seller_org_id=book.seller_a,
            as_of=AS_OF,
        )


def test_time_now_is_used_when_as_of_is_not_given(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session:
        outcome = service.request_cover(
            session,
            ask(book, "GOOD", 1_000_00),
            actor=book.seller(NOW),
            seller_org_id=book.seller_a,
        )
        assert outcome.request.as_of == NOW.date()
