"""A credit check reads the buyer's exposure and the seller's rates in one statement; the rates
it finds must be the rates the fx service finds, for any rate table."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover import checks
from arshield.cover.facts import FX_MAX_AGE_DAYS
from arshield.fx import service as fx_service
from arshield.fx.models import FxRate
from arshield.kit.db import autocommit_reads, unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import Invoice, LedgerEntry
from tests.buyer_builders import make_company

ON = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
TO = "EUR"
INVOICED = ("USD", "CNY", "JPY")  # the buyer's invoices are in these
SHIPPED = "GBP"  # and the shipment in this one


@pytest.fixture
def ledger(db: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    with unit_of_work(db) as session:
        seller = orgs_service.create_org(session, ref="S", name="S", kind=OrgKind.SELLER)
        buyer = make_company(session, ref="B", name="B GmbH", country="DE")
        for n, currency in enumerate(INVOICED):
            session.add(
                Invoice(
                    org_id=seller.id,
                    invoice_ref=f"I{n}",
                    company_id=buyer.id,
                    issue_date=ON - dt.timedelta(days=10),
                    due_date=ON + dt.timedelta(days=20),
                    currency=currency,
                    amount=1_000_00,
                )
            )
        return seller.id, buyer.id


rate_rows = st.lists(
    st.tuples(
        st.sampled_from((*INVOICED, SHIPPED, "CHF")),  # CHF: a rate nobody needs
        st.booleans(),  # stored as currency/EUR, or as its inverse EUR/currency
        st.integers(min_value=-FX_MAX_AGE_DAYS - 10, max_value=5),  # days from ON
        st.decimals(min_value="0.001", max_value="999", places=4),
    ),
    max_size=14,
    unique_by=lambda r: (r[0], r[1], r[2]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rate_rows)
def test_the_checks_rates_are_the_fx_services(
    db: sessionmaker[Session], ledger: tuple[uuid.UUID, uuid.UUID], rows: list[tuple]
) -> None:
    seller, buyer = ledger
    with unit_of_work(db) as session:
        session.execute(delete(FxRate).where(FxRate.org_id == seller))
        for currency, inverse, days, rate in rows:
            if rate == 0:
                continue
            base, quote = (TO, currency) if inverse else (currency, TO)
            session.add(
                FxRate(
                    org_id=seller,
                    date=ON + dt.timedelta(days=days),
                    base=base,
                    quote=quote,
                    rate=str(rate.normalize()),
                    source="test",
                )
            )
    with unit_of_work(db) as session:
        autocommit_reads(session)
        query, params = checks.exposure_statement(
            org_id=seller,
            company_id=buyer,
            now=NOW,
            skip=None,
            currency=SHIPPED,
            to=TO,
            on=ON,
        )
        rows = session.connection().execute(query, params).all()
        exposure = checks.exposure_of(rows, to=TO, on=ON)
        for currency in (*INVOICED, SHIPPED):
            try:
                expected = fx_service.rate_on(
                    session,
                    org_id=seller,
                    base=currency,
                    quote=TO,
                    on=ON,
                    max_age_days=FX_MAX_AGE_DAYS,
                )
            except fx_service.RateMissing:
                expected = None
            assert exposure.rates.quote(currency) == expected, currency
    assert sorted(c for c, _out, _due in exposure.open_items) == sorted(INVOICED)
    assert exposure.rates.convert(123_45, TO) == 123_45


def _autocommit(session: Session) -> bool:
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    return bool(conn.connection.driver_connection.autocommit)  # type: ignore[union-attr]


def test_autocommit_reads_only_on_postgresql_and_only_before_a_transaction(
    db: sessionmaker[Session],
) -> None:
    with unit_of_work(db) as session:
        autocommit_reads(session)
        assert _autocommit(session) is (session.get_bind().dialect.name == "postgresql")
    with unit_of_work(db) as session:
        session.connection()  # a transaction has begun: left as it is
        autocommit_reads(session)
        assert not _autocommit(session)
    with unit_of_work(db) as session:  # the connection went back to the pool as it came
        assert not _autocommit(session)


# --- open items: only the invoices with something outstanding today, for any entries --------

entry_rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # which of the three invoices
        st.integers(min_value=-30, max_value=30),  # days from ON
        st.integers(min_value=-400_00, max_value=1_200_00),  # reversals are negative
    ),
    max_size=10,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=entry_rows, shifts=st.lists(st.integers(-31, 31), min_size=1, max_size=4))
def test_the_checks_open_items_are_the_ledgers(
    db: sessionmaker[Session],
    ledger: tuple[uuid.UUID, uuid.UUID],
    rows: list[tuple[int, int, int]],
    shifts: list[int],
) -> None:
    """Entries dated before, on and after the check's day, paying invoices partly, fully or
    more, and reversed: the check reads what the ledger sums, whatever the kept totals say."""
    seller, _buyer = ledger
    amounts = (1_000_00, 250_00, 3_000_00)
    with unit_of_work(db) as session:
        buyer = make_company(session, ref=f"O{uuid.uuid4().hex[:8]}", name="O", country="DE")
        invoices = [
            Invoice(
                org_id=seller,
                invoice_ref=f"O{uuid.uuid4().hex}",
                company_id=buyer.id,
                issue_date=ON - dt.timedelta(days=60),
                due_date=ON + dt.timedelta(days=n * 10 - 10),
                currency="EUR",
                amount=amount,
            )
            for n, amount in enumerate(amounts)
        ]
        session.add_all(invoices)
        session.flush()
        if rows:
            session.execute(
                insert(LedgerEntry),
                [
                    {
                        "org_id": seller,
                        "invoice_id": invoices[n].id,
                        "kind": EntryKind.ALLOCATION,
                        "date": ON + dt.timedelta(days=days),
                        "amount": amount,
                        "actor": "test",
                        "created_at": NOW,
                    }
                    for n, days, amount in rows
                ],
            )
        buyer_id, dues = buyer.id, [i.due_date for i in invoices]
    for shift in shifts:
        now = NOW + dt.timedelta(days=shift)
        expected = []
        for n, amount in enumerate(amounts):
            paid = sum(
                a for m, days, a in rows if m == n and ON + dt.timedelta(days=days) <= now.date()
            )
            if amount - paid > 0:
                expected.append(("EUR", amount - paid, dues[n]))
        with unit_of_work(db) as session:
            query, params = checks.exposure_statement(
                org_id=seller,
                company_id=buyer_id,
                now=now,
                skip=None,
                currency=TO,
                to=TO,
                on=now.date(),
            )
            found = checks.exposure_of(
                session.connection().execute(query, params).all(), to=TO, on=now.date()
            )
        assert sorted(found.open_items) == sorted(expected), shift
