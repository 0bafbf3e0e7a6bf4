"""Credit checks with hand-checked numbers: cover 40,000.00 EUR on GOOD under POL-A."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover import checks, policies, service
from arshield.cover.checks import CheckResult
from arshield.cover.domain import CoverKind
from arshield.fx.models import FxRate
from arshield.kit.db import unit_of_work
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import Invoice, LedgerEntry
from tests.integration.cover.conftest import AS_OF, NOW, Book, terms

D = dt.timedelta


def _invoice(
    session: Session,
    book: Book,
    ref: str,
    amount: int,
    due: dt.date,
    *,
    currency: str = "EUR",
    order_ref: str | None = None,
    org: str = "a",
) -> uuid.UUID:
    invoice = Invoice(
        org_id=book.seller_a if org == "a" else book.seller_b,
        invoice_ref=ref,
        company_id=book.buyers["GOOD"],
        issue_date=due - D(days=30),
        due_date=due,
        currency=currency,
        amount=amount,
        order_ref=order_ref,
    )
    session.add(invoice)
    session.flush()
    return invoice.id


@pytest.fixture
def ledger(db: sessionmaker[Session], book: Book) -> Book:
    with unit_of_work(db) as session:
        outcome = service.request_cover(
            session,
            service.CoverAskIn(
                book.policies["A"], book.buyers["GOOD"], 40_000_00, "EUR", CoverKind.CREDIT_LIMIT
            ),
            actor=book.seller(),
            seller_org_id=book.seller_a,
            as_of=AS_OF,
        )
        assert outcome.request.decided_amount == 40_000_00
        # INV-1 15,000.00 due 10 days ago, 5,000.00 paid: 10,000.00 open and overdue.
        inv1 = _invoice(session, book, "INV-1", 15_000_00, AS_OF - D(days=10))
        session.add(
            LedgerEntry(
                org_id=book.seller_a,
                invoice_id=inv1,
                kind=EntryKind.ALLOCATION,
                date=AS_OF - D(days=5),
                amount=5_000_00,
                actor="test",
                created_at=NOW,
            )
        )
        # INV-2 10,000.00 due in 20 days.
        _invoice(session, book, "INV-2", 10_000_00, AS_OF + D(days=20))
    return book


def check(db: sessionmaker[Session], book: Book, amount: int, **kw: object) -> checks.CheckOut:
    with unit_of_work(db) as session:
        return checks.credit_check(
            session,
            checks.CheckIn(
                buyer_id=book.buyers["GOOD"],
                amount=amount,
                currency=str(kw.pop("currency", "EUR")),
                **kw,
            ),  # type: ignore[arg-type]
            org_id=book.seller_a if kw.get("org", "a") == "a" else book.seller_b,
            now=NOW,
        )


def codes(out: checks.CheckOut) -> set[str]:
    return {r.code for r in out.reasons}


def test_within_cover_with_an_overdue_invoice_warns(
    db: sessionmaker[Session], ledger: Book
) -> None:
    out = check(db, ledger, 10_000_00)
    assert out.result is CheckResult.WARN
    assert (out.cover_amount, out.open_invoices, out.checked_orders) == (40_000_00, 20_000_00, 0)
    assert (out.available, out.overdue_amount, out.max_days_overdue) == (20_000_00, 10_000_00, 10)
    assert codes(out) == {"OVERDUE"}


def test_shipment_beyond_cover_blocks(db: sessionmaker[Session], ledger: Book) -> None:
    assert check(db, ledger, 20_000_00).result is CheckResult.WARN  # exactly 40,000.00
    out = check(db, ledger, 20_000_01)
    assert out.result is CheckResult.BLOCK and "COVER_EXCEEDED" in codes(out)


def test_overdue_past_the_stop_delivery_threshold_blocks(
    db: sessionmaker[Session], ledger: Book
) -> None:
    # Shipping 51 days from now, INV-1 is 61 days overdue: past the policy's 60.
    out = check(db, ledger, 1_00, ship_date=AS_OF + D(days=51))
    assert out.result is CheckResult.BLOCK and "STOP_DELIVERY" in codes(out)
    assert check(db, ledger, 1_00, ship_date=AS_OF + D(days=50)).result is CheckResult.WARN


def test_checked_orders_count_until_invoiced(db: sessionmaker[Session], ledger: Book) -> None:
    held = check(db, ledger, 15_000_00, order_ref="ORD-1")
    assert held.result is CheckResult.WARN
    # 20,000.00 open + 15,000.00 held + 6,000.00 = 41,000.00 > 40,000.00.
    out = check(db, ledger, 6_000_00)
    assert out.checked_orders == 15_000_00 and out.result is CheckResult.BLOCK
    # Re-checking the same order replaces it rather than adding to it.
    again = check(db, ledger, 5_000_00, order_ref="ORD-1")
    assert again.checked_orders == 0 and again.result is CheckResult.WARN
    assert check(db, ledger, 1_00).checked_orders == 5_000_00
    # Once invoiced, the order is the invoice.
    with unit_of_work(db) as session:
        _invoice(session, ledger, "INV-3", 5_000_00, AS_OF + D(days=60), order_ref="ORD-1")
    after = check(db, ledger, 1_00)
    assert (after.open_invoices, after.checked_orders) == (25_000_00, 0)


def test_blocked_orders_are_not_held(db: sessionmaker[Session], ledger: Book) -> None:
    assert check(db, ledger, 30_000_00, order_ref="BIG").result is CheckResult.BLOCK
    assert check(db, ledger, 1_00).checked_orders == 0


def test_cancelled_cover_blocks(db: sessionmaker[Session], ledger: Book) -> None:
    with unit_of_work(db) as session:
        cover_id = service.list_covers(session, seller_org_id=ledger.seller_a, limit=1, offset=0)[
            0
        ][0].id
        service.change_cover(
            session,
            cover_id,
            amount=None,
            reason="insolvency",
            insolvency=True,
            actor=ledger.underwriter(),
            seller_org_id=None,
            as_of=AS_OF,
        )
    out = check(db, ledger, 1_00)
    assert out.result is CheckResult.BLOCK and "COVER_CANCELLED" in codes(out)


def test_notified_reduction_applies_to_later_shipments(
    db: sessionmaker[Session], ledger: Book
) -> None:
    with unit_of_work(db) as session:
        cover_id = service.list_covers(session, seller_org_id=ledger.seller_a, limit=1, offset=0)[
            0
        ][0].id
        service.change_cover(
            session,
            cover_id,
            amount=25_000_00,
            reason="downgrade",
            insolvency=False,
            actor=ledger.underwriter(),
            seller_org_id=None,
            as_of=AS_OF,
        )
    now = check(db, ledger, 10_000_00)
    assert now.cover_amount == 40_000_00 and "COVER_REDUCTION_PENDING" in codes(now)
    later = check(db, ledger, 10_000_00, ship_date=AS_OF + D(days=30))
    assert later.cover_amount == 25_000_00 and later.result is CheckResult.BLOCK


def test_declaration_threshold_needs_no_application(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session:
        policies.edit_policy(
            session,
            policy_id=book.policies["A"],
            changes={"declaration_threshold": 5_000_00},
            actor=book.underwriter(),
            reason="threshold",
        )
    out = check(db, book, 4_000_00)  # 80% of the threshold
    assert out.result is CheckResult.OK and out.cover_basis == "declaration_threshold"
    assert "DECLARATION_THRESHOLD" in codes(out)
    assert check(db, book, 5_000_00).result is CheckResult.WARN  # 100%
    assert check(db, book, 5_000_01).result is CheckResult.BLOCK


def test_no_policy_blocks(db: sessionmaker[Session], book: Book) -> None:
    with unit_of_work(db) as session:
        policies.edit_policy(
            session,
            policy_id=book.policies["A"],
            changes={"countries": ("FR",)},
            actor=book.underwriter(),
            reason="narrow",
        )
    out = check(db, book, 1_00)
    assert out.result is CheckResult.BLOCK and codes(out) == {"NO_POLICY"}


def test_currencies_are_converted_with_the_sellers_rates(
    db: sessionmaker[Session], ledger: Book
) -> None:
    with unit_of_work(db) as session:
        _invoice(session, ledger, "INV-USD", 1_000_00, AS_OF + D(days=30), currency="USD")
    missing = check(db, ledger, 1_00)
    assert missing.result is CheckResult.BLOCK and "FX_RATE_MISSING" in codes(missing)
    with unit_of_work(db) as session:
        session.add(
            FxRate(
                org_id=ledger.seller_a,
                date=AS_OF,
                base="USD",
                quote="EUR",
                rate="0.9",
                source="test",
            )
        )
    # 1,000.00 USD = 900.00 EUR; the shipment of 100.00 USD = 90.00 EUR.
    out = check(db, ledger, 100_00, currency="USD")
    assert out.open_invoices == 20_900_00 and out.amount == 90_00
    assert out.result is CheckResult.WARN


def test_unknown_buyer_and_bad_amounts(db: sessionmaker[Session], book: Book) -> None:
    from arshield.kit.errors import NotFound, ValidationFailed

    with unit_of_work(db) as session:
        with pytest.raises(NotFound):
            checks.credit_check(
                session, checks.CheckIn(uuid.uuid4(), 1_00, "EUR"), org_id=book.seller_a, now=NOW
            )
        with pytest.raises(ValidationFailed, match="more than 0"):
            checks.credit_check(
                session,
                checks.CheckIn(book.buyers["GOOD"], 0, "EUR"),
                org_id=book.seller_a,
                now=NOW,
            )


def test_another_sellers_cover_does_not_count(db: sessionmaker[Session], ledger: Book) -> None:
    with unit_of_work(db) as session:
        policies.create_policy(
            session,
            number="POL-B2",
            seller_ref="SELLER-B",
            terms=terms(),
            actor=ledger.underwriter(),
        )
    with unit_of_work(db) as session:
        out = checks.credit_check(
            session,
            checks.CheckIn(ledger.buyers["GOOD"], 1_00, "EUR"),
            org_id=ledger.seller_b,
            now=NOW,
        )
    assert out.result is CheckResult.BLOCK and "NO_COVER" in codes(out)
    assert out.open_invoices == 0
