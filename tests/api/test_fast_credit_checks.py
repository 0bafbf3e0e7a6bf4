"""On PostgreSQL, credit checks are answered on the event loop (``arshield.api.fast_checks``).
Whatever the check, the caller and the book, its answer is the route's, byte for byte; what it
does not handle (an Idempotency-Key, a body that does not validate, no key) goes to the route;
orders it holds are held as the route holds them, one writer per buyer."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arshield.api.app import Api, create_app
from arshield.api.fast_checks import FastCreditChecks, asyncpg_dsn, compiled
from arshield.config import Settings
from arshield.cover import checks, policies
from arshield.cover.models import CheckedOrder
from arshield.fx.models import FxRate
from arshield.kit.db import unit_of_work
from arshield.kit.security import hash_api_key
from arshield.kit.time import today, utcnow
from arshield.orgs import service as orgs_service
from arshield.orgs.models import ApiKey
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import Invoice, LedgerEntry
from tests.builders import Caller, standard_callers
from tests.buyer_builders import add_statement, make_company
from tests.integration.cover.conftest import Book, build_book, grade, terms

URL = "/api/v1/credit-checks"
D = dt.timedelta


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("the event-loop path answers checks on PostgreSQL only")
    return database_url


@pytest.fixture
def apps(pg_url: str, db: sessionmaker[Session]) -> Iterator[tuple[TestClient, TestClient]]:
    """The application as served (fast path) and with the fast path off (the route only)."""
    fast_app = create_app(Settings(database_url=pg_url))
    route_app = create_app(Settings(database_url=pg_url, credit_check_fast_path=False))
    assert isinstance(fast_app.fast_checks, FastCreditChecks) and route_app.fast_checks is None
    with TestClient(fast_app) as fast, TestClient(route_app) as route:
        yield fast, route
    fast_app.state.engine.dispose()
    route_app.state.engine.dispose()


def _invoice(session: Session, org: uuid.UUID, buyer: uuid.UUID, ref: str, **kw: Any) -> Invoice:
    invoice = Invoice(org_id=org, invoice_ref=ref, company_id=buyer, **kw)
    session.add(invoice)
    session.flush()
    return invoice


@pytest.fixture
def world(
    apps: tuple[TestClient, TestClient], db: sessionmaker[Session]
) -> tuple[Book, dict[str, Caller]]:
    """Cover on GOOD (40,000.00) and WEAK (reduced with notice) for seller A; open, overdue,
    part-paid and USD invoices; a held order; a rate for USD but none for GBP."""
    fast, _route = apps
    now = today()
    book = build_book(db, as_of=now)
    with unit_of_work(db) as session:
        fresh = make_company(session, ref="FRESH", name="Fresh GmbH", country="DE", sector="C25")
        add_statement(
            session,
            fresh,
            fiscal_year_end=now - D(days=200),
            currency="EUR",
            total_assets=4_000_000_00,
            equity=2_000_000_00,
            sales=6_000_000_00,
        )
        grade(session, fresh.id, 3, 0.003, now)
        book.buyers["FRESH"] = fresh.id
    callers = standard_callers(db)
    seller = callers["seller_a"].headers
    ids = {}
    covers = (("GOOD", "40000.00"), ("WEAK", "20000.00"), ("GONE", "5000.00"), ("FRESH", "900.00"))
    for buyer, amount in covers:
        ask = {
            "policy_id": str(book.policies["A"]),
            "buyer_id": str(book.buyers[buyer]),
            "amount": amount,
            "currency": "EUR",
        }
        created = fast.post("/api/v1/covers", json=ask, headers=seller)
        assert created.status_code in (201, 202), created.text
        ids[buyer] = created.json()["id"]
    # The insurer reduces GOOD's cover to 30,000.00 after the notice period.
    reduced = fast.post(
        f"/api/v1/covers/{ids['GOOD']}/reduce",
        json={"amount": "30000.00", "reason": "slower payments"},
        headers=callers["underwriter"].headers,
    )
    assert reduced.status_code == 200, reduced.text
    with unit_of_work(db) as session:
        a, good = book.seller_a, book.buyers["GOOD"]
        paid = _invoice(
            session, a, good, "INV-1", issue_date=now - D(days=70), due_date=now - D(days=40),
            currency="EUR", amount=15_000_00,
        )  # fmt: skip
        session.add(
            LedgerEntry(
                org_id=a, invoice_id=paid.id, kind=EntryKind.ALLOCATION, date=now - D(days=5),
                amount=5_000_00, actor="test", created_at=utcnow(),
            )
        )  # fmt: skip
        _invoice(
            session, a, good, "INV-2", issue_date=now - D(days=10), due_date=now + D(days=20),
            currency="USD", amount=3_000_00,
        )  # fmt: skip
        _invoice(
            session, a, book.buyers["WEAK"], "INV-3", issue_date=now - D(days=120),
            due_date=now - D(days=90), currency="EUR", amount=2_000_00,
        )  # fmt: skip
        session.add(
            FxRate(
                org_id=a, date=now - D(days=2), base="USD", quote="EUR", rate="0.9125",
                source="test",
            )
        )  # fmt: skip
        # A second policy in USD: rates into USD must not convert into EUR.
        policies.create_policy(
            session,
            number="POL-A-USD",
            seller_ref="SELLER-A",
            terms=terms(now, currency="USD", countries=("FR",)),
            actor=book.underwriter(),
        )
        session.add(
            FxRate(
                org_id=a, date=now - D(days=1), base="GBP", quote="USD", rate="1.27",
                source="test",
            )
        )  # fmt: skip
    held = {"buyer_id": str(book.buyers["GOOD"]), "amount": "2500.00", "currency": "EUR"}
    assert fast.post(URL, json=held | {"order_ref": "SO-HELD"}, headers=seller).status_code == 200
    return book, callers


BUYERS = ("GOOD", "WEAK", "BAD", "RUS", "GONE", "FRESH", "UNKNOWN")
checks_ = st.fixed_dictionaries(
    {
        "buyer": st.sampled_from(BUYERS),
        "amount": st.sampled_from(("0.01", "100.00", "9999.99", "30000.00", "45000.00", "1.001")),
        "currency": st.sampled_from(("EUR", "USD", "GBP", "eur", "XXQ")),
        "ship_days": st.one_of(st.none(), st.integers(min_value=-30, max_value=400)),
        "policy": st.sampled_from((None, "A", "B", "nowhere")),
        "caller": st.sampled_from(
            ("seller_a", "seller_a", "seller_a", "seller_b", "underwriter", "admin", "nobody")
        ),
    }
)


def _request(book: Book, callers: dict[str, Caller], case: dict[str, Any]) -> dict[str, Any]:
    buyer = book.buyers.get(case["buyer"], uuid.UUID(int=7))
    body: dict[str, Any] = {
        "buyer_id": str(buyer),
        "amount": case["amount"],
        "currency": case["currency"],
    }
    if case["ship_days"] is not None:
        body["ship_date"] = (today() + D(days=case["ship_days"])).isoformat()
    if case["policy"] is not None:
        body["policy_id"] = str(book.policies.get(case["policy"], uuid.UUID(int=9)))
    caller = callers.get(case["caller"])
    headers = caller.headers if caller else {"Authorization": "Bearer ars_not-a-key"}
    return {"json": body, "headers": headers}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=checks_)
def test_every_answer_is_the_routes_byte_for_byte(
    apps: tuple[TestClient, TestClient],
    world: tuple[Book, dict[str, Caller]],
    case: dict[str, Any],
) -> None:
    fast, route = apps
    book, callers = world
    request = _request(book, callers, case)
    got, expected = fast.post(URL, **request), route.post(URL, **request)
    assert (got.status_code, got.content) == (expected.status_code, expected.content), case
    assert got.headers.get("www-authenticate") == expected.headers.get("www-authenticate")
    assert got.headers["content-type"] == expected.headers["content-type"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=checks_)
def test_every_hold_is_answered_as_by_the_route(
    apps: tuple[TestClient, TestClient],
    world: tuple[Book, dict[str, Caller]],
    db: sessionmaker[Session],
    case: dict[str, Any],
) -> None:
    """A check with an order reference, held by the fast path and then checked again by the
    route under the same reference (a check does not count its own order): same answer, and
    one held row at most, as the route stores it."""
    fast, route = apps
    book, callers = world
    request = _request(book, callers, case)
    ref = f"HYP-{uuid.uuid4().hex[:12]}"
    request["json"] = request["json"] | {"order_ref": ref}
    got, expected = fast.post(URL, **request), route.post(URL, **request)
    assert (got.status_code, got.content) == (expected.status_code, expected.content), case
    assert got.headers.get("www-authenticate") == expected.headers.get("www-authenticate")
    with unit_of_work(db) as session:
        held = session.scalars(select(CheckedOrder).where(CheckedOrder.order_ref == ref)).all()
    if got.status_code != 200:
        assert held == [], case
    else:
        answer = got.json()
        assert len(held) == (0 if answer["amount"] is None else 1), case
        for order in held:
            assert order.result == answer["result"], case


def test_the_seller_s_grid_is_answered_as_by_the_route(
    apps: tuple[TestClient, TestClient], world: tuple[Book, dict[str, Caller]]
) -> None:
    """Every buyer and currency, with and without a policy named, today and after the
    notified reduction, for the seller that holds the cover."""
    fast, route = apps
    book, callers = world
    for buyer in BUYERS:
        for currency in ("EUR", "USD", "GBP", "XXQ"):
            for policy in (None, "A"):
                for ship_days in (None, 45):
                    case = {
                        "buyer": buyer,
                        "amount": "9999.99",
                        "currency": currency,
                        "ship_days": ship_days,
                        "policy": policy,
                        "caller": "seller_a",
                    }
                    request = _request(book, callers, case)
                    got, expected = fast.post(URL, **request), route.post(URL, **request)
                    assert got.status_code == expected.status_code, case
                    assert got.content == expected.content, case


def test_the_book_gives_every_kind_of_answer(
    apps: tuple[TestClient, TestClient], world: tuple[Book, dict[str, Caller]]
) -> None:
    """The cases above meet ok, warn and block with the reasons that matter here."""
    fast, _route = apps
    book, callers = world
    seen: dict[str, set[str]] = {}
    for buyer in ("GOOD", "WEAK", "GONE", "RUS", "FRESH"):
        for amount, currency in (("100.00", "EUR"), ("30000.00", "EUR"), ("100.00", "GBP")):
            body = {"buyer_id": str(book.buyers[buyer]), "amount": amount, "currency": currency}
            answer = fast.post(URL, json=body, headers=callers["seller_a"].headers).json()
            seen.setdefault(answer["result"], set()).update(r["code"] for r in answer["reasons"])
    assert set(seen) == {"ok", "warn", "block"}
    codes = set().union(*seen.values())
    assert {"FX_RATE_MISSING", "NO_POLICY", "COVER_EXCEEDED", "STOP_DELIVERY"} <= codes
    good = {"buyer_id": str(book.buyers["GOOD"]), "amount": "100.00", "currency": "EUR"}
    exposure = fast.post(URL, json=good, headers=callers["seller_a"].headers).json()["exposure"]
    # 10,000.00 open on INV-1, 3,000.00 USD at 0.9125 = 2,737.50, and the held 2,500.00.
    assert exposure == {
        "open_invoices": "12737.50",
        "checked_orders": "2500.00",
        "total": "15237.50",
        "overdue": "10000.00",
        "max_days_overdue": 40,
    }


def test_holding_an_order_answers_and_stores_as_the_route(
    apps: tuple[TestClient, TestClient],
    world: tuple[Book, dict[str, Caller]],
    db: sessionmaker[Session],
) -> None:
    fast, route = apps
    book, callers = world
    seller = callers["seller_a"].headers
    body = {"buyer_id": str(book.buyers["GOOD"]), "amount": "4000.00", "currency": "EUR"}
    # The same reference checked again is refreshed, not counted twice: both paths see the
    # same exposure and answer alike.
    got = fast.post(URL, json=body | {"order_ref": "SO-7"}, headers=seller)
    expected = route.post(URL, json=body | {"order_ref": "SO-7"}, headers=seller)
    assert got.status_code == expected.status_code == 200
    assert got.content == expected.content
    with unit_of_work(db) as session:
        held = session.scalars(select(CheckedOrder).where(CheckedOrder.order_ref == "SO-7")).all()
    assert [(o.amount, o.currency, o.result) for o in held] == [(4_000_00, "EUR", "warn")]
    # The reference belongs to GOOD now: for another buyer it is refused, and nothing changes.
    other = body | {"buyer_id": str(book.buyers["WEAK"]), "order_ref": "SO-7"}
    refused, route_refused = (
        fast.post(URL, json=other, headers=seller),
        route.post(URL, json=other, headers=seller),
    )
    assert (refused.status_code, refused.content) == (
        route_refused.status_code,
        route_refused.content,
    )
    assert refused.status_code == 422 and "another buyer" in refused.json()["detail"]
    with unit_of_work(db) as session:
        again = session.scalars(select(CheckedOrder).where(CheckedOrder.order_ref == "SO-7")).all()
    assert [(o.company_id, o.amount) for o in again] == [(book.buyers["GOOD"], 4_000_00)]


def test_parallel_holds_never_pass_the_cover(
    apps: tuple[TestClient, TestClient],
    world: tuple[Book, dict[str, Caller]],
    db: sessionmaker[Session],
) -> None:
    """Twenty clients at once hold 2,000.00 each on GOOD: 40,000.00 cover, 15,237.50 already
    used, so at most twelve may ship and every later one must see them (one writer per buyer)."""
    fast, _route = apps
    book, callers = world
    seller = callers["seller_a"].headers

    def hold(n: int) -> str:
        body = {
            "buyer_id": str(book.buyers["GOOD"]),
            "amount": "2000.00",
            "currency": "EUR",
            "order_ref": f"PAR-{n}",
        }
        answer = fast.post(URL, json=body, headers=seller)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["result"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(hold, range(20)))
    shipped = [r for r in results if r != "block"]
    assert len(shipped) == 12 and results.count("block") == 8
    with unit_of_work(db) as session:
        orders = session.scalars(
            select(CheckedOrder).where(
                CheckedOrder.order_ref.like("PAR-%"), CheckedOrder.result != "block"
            )
        ).all()
    assert sum(o.amount for o in orders) == 24_000_00


def test_the_route_answers_what_the_fast_path_hands_on(
    apps: tuple[TestClient, TestClient],
    world: tuple[Book, dict[str, Caller]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, _route = apps
    book, callers = world
    seller = callers["seller_a"].headers
    body = {"buyer_id": str(book.buyers["GOOD"]), "amount": "100.00", "currency": "EUR"}
    route_calls: list[str] = []
    real = checks.credit_check

    def spy(*args: Any, **kw: Any) -> checks.CheckOut:
        route_calls.append("route")
        return real(*args, **kw)

    monkeypatch.setattr(checks, "credit_check", spy)
    assert fast.post(URL, json=body, headers=seller).status_code == 200
    assert fast.post(URL, json=body | {"order_ref": "SO-F"}, headers=seller).status_code == 200
    assert route_calls == []  # both answered on the event loop
    keyed = fast.post(URL, json=body, headers=seller | {"Idempotency-Key": "fast-1"})
    assert keyed.status_code == 200 and route_calls == ["route"]
    replay = fast.post(URL, json=body, headers=seller | {"Idempotency-Key": "fast-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.content == keyed.content
    # A body over the fast path's size (padding is valid JSON) goes to the route too.
    padded = b'{"buyer_id": "%s", "amount": "100.00", "currency": "EUR"%s}' % (
        str(book.buyers["GOOD"]).encode(),
        b" " * 5000,
    )
    big = fast.post(URL, content=padded, headers=seller | {"Content-Type": "application/json"})
    assert big.status_code == 200 and route_calls == ["route", "route"]
    # No key at all, a malformed body, a date it refuses: the route's 401 and 422.
    assert fast.post(URL, json=body).status_code == 401
    assert fast.post(URL, json={"amount": "1.00"}, headers=seller).status_code == 422
    late = body | {"ship_date": (today() + D(days=500)).isoformat()}
    assert fast.post(URL, json=late, headers=seller).status_code == 422


def test_a_revoked_key_is_refused_on_its_next_check(
    apps: tuple[TestClient, TestClient],
    world: tuple[Book, dict[str, Caller]],
    db: sessionmaker[Session],
) -> None:
    fast, _route = apps
    book, callers = world
    body = {"buyer_id": str(book.buyers["GOOD"]), "amount": "100.00", "currency": "EUR"}
    seller = callers["seller_a"]
    assert fast.post(URL, json=body, headers=seller.headers).status_code == 200
    with unit_of_work(db) as session:
        key = session.scalars(
            select(ApiKey).where(ApiKey.key_hash == hash_api_key(seller.secret))
        ).one()
        orgs_service.revoke_api_key(session, key_id=key.id, now=utcnow())
    refused = fast.post(URL, json=body, headers=seller.headers)
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    assert refused.headers["www-authenticate"] == "Bearer"


def test_an_unreachable_database_is_a_503() -> None:
    async def route(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a valid check must not reach the route")

    fast = FastCreditChecks(
        route, database_url="postgresql+psycopg://postgres@127.0.0.1:1/none", pool_size=1
    )
    body = {"buyer_id": str(uuid.uuid4()), "amount": "1.00", "currency": "EUR"}

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=fast)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(URL, json=body, headers={"Authorization": "Bearer ars_x"})

    answer = asyncio.run(ask())
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "service_unavailable",
        "detail": "the database is unavailable; try again",
    }


def test_sqlite_keeps_the_route(database_url: str, db: sessionmaker[Session]) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's case")
    app = create_app(Settings(database_url=database_url))
    assert isinstance(app, Api) and app.fast_checks is None
    app.state.engine.dispose()


def test_statements_compile_for_asyncpg_with_their_parameters_in_order() -> None:
    query = compiled(checks.one_trip_query(by_policy=True))
    assert query.sql.count("$") >= len(set(query.names))
    assert query.names[0] == "key_hash" and "policy_id" in query.names
    args = query.args({name: name for name in query.names if name not in query.defaults})
    assert len(args) == len(query.names)
    assert asyncpg_dsn(
        "postgresql+psycopg://u:p%40ss@db.example:5433/arshield?sslmode=require"
    ) == ("postgresql://u:p%40ss@db.example:5433/arshield?sslmode=require")
