"""The credit-check benchmark's book: a seller's ledger on a realistic scale, on PostgreSQL.

The insurer, one seller with an API key, graded buyers with two years of statements, one policy,
cover asked on each buyer through ``cover.service.request_cover`` (the rules decide: most
approved, some referred and so uncovered), paid and open invoices on the seller's ledger (some
overdue, some in USD at the seller's rate, a few past the stop-delivery threshold) and a few
held orders.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url

from arshield.all_models import Base
from arshield.buyers.models import Company, FinancialStatement
from arshield.cover import policies, service
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.cover.models import CheckedOrder, CoverRequest
from arshield.cover.policies import PolicyTerms
from arshield.cover.rules import load_rules
from arshield.cover.trail import Actor
from arshield.fx.models import FxRate
from arshield.kit.db import make_engine, make_session_factory, unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind, Role
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import Invoice, LedgerEntry
from arshield.risk.expert import DEFAULT_SPEC
from arshield.risk.models import GradeRecord
from arshield.risk.tables import service as tables_service

# Orders the load holds carry this prefix; they are deleted between runs.
LOAD_PREFIX = "WRK-"
# (country, share): the policy covers DE, FR, CN and IT; US buyers are outside it.
COUNTRIES = (("DE", 0.40), ("FR", 0.25), ("CN", 0.25), ("IT", 0.05), ("US", 0.05))
# Share of buyers per grade 1..10 and the PD stored with it.
GRADES = (0.04, 0.10, 0.18, 0.22, 0.18, 0.12, 0.08, 0.05, 0.02, 0.01)
PDS = (0.0005, 0.001, 0.003, 0.006, 0.012, 0.025, 0.05, 0.1, 0.2, 0.5)
USD_EUR = "0.92"
USD_SHARE = 0.1  # of invoices (and of the load's checks)


@dataclass
class Book:
    api_key: str
    buyers: list[uuid.UUID]
    counts: dict[str, int] = field(default_factory=dict)


def reset_database(url: str) -> None:
    """Create the database if missing, then drop and recreate its public schema."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        )
        if not found:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url, pool=False)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()


def _pick(rng: random.Random, shares: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([s[0] for s in shares], weights=[s[1] for s in shares])[0]


def load_book(
    url: str, *, buyers: int, open_per_buyer: int, paid_per_buyer: int, held: int, seed: int
) -> Book:
    """The insurer, a seller with a key, graded buyers, a policy, cover and a ledger."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    counts: dict[str, int] = {}
    with unit_of_work(factory) as session:
        ins = orgs_service.create_org(session, ref="INS", name="Insurer", kind=OrgKind.INSURER)
        seller = orgs_service.create_org(session, ref="SELLER", name="Seller", kind=OrgKind.SELLER)
        issued = orgs_service.create_api_key(
            session, org_ref="SELLER", role=Role.SELLER, label="bench"
        )
        tables_service.load_defaults(session)
        companies, statements, grades = [], [], []
        for i in range(buyers):
            cid = uuid.uuid4()
            grade = rng.choices(range(1, 11), weights=GRADES)[0]
            equity = int(rng.lognormvariate(14.5, 1.0)) * 100  # median ~2 M EUR
            status = "insolvent" if rng.random() < 0.01 else "active"
            companies.append(
                {
                    "id": cid,
                    "ref": f"BUY{i:06d}",
                    "name": f"Buyer {i}",
                    "search_key": f"buyer {i}",
                    "country": _pick(rng, COUNTRIES),
                    "sector": "C25",
                    "status": status,
                    "verified": True,
                    "created_at": now,
                }
            )
            for years in (1, 2):
                assets = equity * rng.choice((2, 3, 4))
                statements.append(
                    {
                        "id": uuid.uuid4(),
                        "company_id": cid,
                        "fiscal_year_end": dt.date(today.year - years, 12, 31),
                        "currency": "EUR",
                        "total_assets": assets,
                        "current_assets": assets // 2,
                        "cash": assets // 10,
                        "receivables": assets // 5,
                        "inventory": assets // 10,
                        "total_liabilities": assets - equity,
                        "current_liabilities": (assets - equity) // 2,
                        "equity": equity,
                        "retained_earnings": equity // 2,
                        "sales": equity * 3,
                        "ebit": equity // 5,
                        "net_income": equity // 10,
                        "created_at": now,
                    }
                )
            grades.append(
                {
                    "as_of": today,
                    "model_version": DEFAULT_SPEC.version,
                    "company_id": cid,
                    "score": 100 - grade * 9,
                    "grade": grade,
                    "pd": PDS[grade - 1],
                    "model_pd": PDS[grade - 1],
                    "confidence": "high",
                    "cap_grade": 10,
                    "statement_date": dt.date(today.year - 1, 12, 31),
                    "statement_years": 2,
                    "payment_months": 12,
                    "reasons": "",
                    "created_at": now,
                }
            )
        session.execute(Company.__table__.insert(), companies)
        session.execute(FinancialStatement.__table__.insert(), statements)
        session.execute(GradeRecord.__table__.insert(), grades)
        insurer = Actor(name="underwriter:INS/bench", now=now, org_id=ins.id)
        policy = policies.create_policy(
            session,
            number="POL-BENCH",
            seller_ref="SELLER",
            terms=PolicyTerms(
                currency="EUR",
                starts_on=today - dt.timedelta(days=300),
                ends_on=today + dt.timedelta(days=400),
                countries=("DE", "FR", "CN", "IT"),
                max_credit_days=90,
                indemnity_bp=9000,
                discretionary_max=50_000_00,
                discretionary_worst_grade=5,
                credit_check_max=20_000_00,
                reduction_notice_days=30,
                stop_delivery_days=60,
            ),
            actor=insurer,
        )
        session.add(
            FxRate(
                org_id=seller.id,
                date=today - dt.timedelta(days=1),
                base="USD",
                quote="EUR",
                rate=USD_EUR,
                source="bench",
            )
        )
        counts["buyers"], counts["statements"] = len(companies), len(statements)
        seller_id, policy_id = seller.id, policy.id
    ids = [c["id"] for c in companies]
    started = time.perf_counter()
    asker = Actor(name="seller:SELLER/bench", now=now, org_id=seller_id, is_insurer=False)
    rules = load_rules()
    cover: dict[uuid.UUID, int] = {}
    with unit_of_work(factory) as session:
        for cid, company in zip(ids, companies, strict=True):
            if company["country"] == "US":
                continue
            amount = rng.randrange(20_000, 150_000) * 100
            outcome = service.request_cover(
                session,
                service.CoverAskIn(policy_id, cid, amount, "EUR", CoverKind.CREDIT_LIMIT),
                actor=asker,
                seller_org_id=seller_id,
                as_of=today,
                rules=rules,
            )
            cover[cid] = outcome.request.decided_amount
        statuses = session.execute(
            select(CoverRequest.status, func.count()).group_by(CoverRequest.status)
        ).all()
    counts["cover_seconds"] = round(time.perf_counter() - started, 1)
    for status, n in statuses:
        counts[f"cover_{CoverStatus(status).value}"] = n
    invoices, entries = _ledger(
        rng, seller_id, ids, cover, today=today, open_per_buyer=open_per_buyer,
        paid_per_buyer=paid_per_buyer, now=now,
    )  # fmt: skip
    orders = [
        {
            "id": uuid.uuid4(),
            "org_id": seller_id,
            "company_id": rng.choice(ids),
            "policy_id": policy_id,
            "order_ref": f"SO-{i:06d}",
            "amount": rng.randrange(1_000, 20_000) * 100,
            "currency": "EUR",
            "ship_date": today + dt.timedelta(days=rng.randrange(1, 20)),
            "result": "ok",
            "checked_at": now - dt.timedelta(days=rng.randrange(0, 30)),
        }
        for i in range(held)
    ]
    with unit_of_work(factory) as session:
        session.execute(Invoice.__table__.insert(), invoices)
        session.execute(LedgerEntry.__table__.insert(), entries)
        if orders:
            session.execute(CheckedOrder.__table__.insert(), orders)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    counts["invoices"], counts["ledger_entries"], counts["held_orders"] = (
        len(invoices),
        len(entries),
        len(orders),
    )
    return Book(api_key=issued.secret, buyers=ids, counts=counts)


def _ledger(
    rng: random.Random,
    seller_id: uuid.UUID,
    buyers: list[uuid.UUID],
    cover: dict[uuid.UUID, int],
    *,
    today: dt.date,
    open_per_buyer: int,
    paid_per_buyer: int,
    now: dt.datetime,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Invoices per buyer: older paid ones and open ones worth 30-95 % of the buyer's cover (or
    a few thousand euros without cover), a third of the open ones half paid. Net 30 or 60,
    issued over the last 30 days (six buyers in ten) or 80 days (the others, some overdue); one
    buyer in twenty also has an invoice past the policy's stop-delivery threshold."""
    invoices: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []

    def add(cid: uuid.UUID, issued: dt.date, terms: int, amount: int, settled: int) -> None:
        iid = uuid.uuid4()
        due = issued + dt.timedelta(days=terms)
        usd = rng.random() < USD_SHARE
        invoices.append(
            {
                "id": iid,
                "org_id": seller_id,
                "invoice_ref": f"INV{len(invoices):08d}",
                "company_id": cid,
                "issue_date": issued,
                "due_date": due,
                "currency": "USD" if usd else "EUR",
                "amount": amount * 109 // 100 if usd else amount,  # about the same in EUR
                "discount_bp": 0,
                "created_at": now,
            }
        )
        if settled:
            entries.append(
                {
                    "id": uuid.uuid4(),
                    "org_id": seller_id,
                    "invoice_id": iid,
                    "kind": EntryKind.ALLOCATION.value,
                    "date": min(today, due + dt.timedelta(days=rng.randrange(-10, 20))),
                    "amount": settled if not usd else settled * 109 // 100,
                    "actor": "bench",
                    "created_at": now,
                }
            )

    for cid in buyers:
        limit = cover.get(cid) or rng.randrange(5_000, 30_000) * 100
        each = max(limit * rng.randrange(30, 95) // 100 // max(open_per_buyer, 1), 100_00)
        for _ in range(paid_per_buyer):
            amount = each * rng.randrange(50, 150) // 100
            add(cid, today - dt.timedelta(days=rng.randrange(90, 365)), 30, amount, amount)
        window = 30 if rng.random() < 0.6 else 80  # six buyers in ten pay on time
        for _ in range(open_per_buyer):
            amount = each * rng.randrange(50, 150) // 100
            half = amount // 2 if rng.random() < 1 / 3 else 0
            add(cid, today - dt.timedelta(days=rng.randrange(0, window)), rng.choice((30, 60)),
                amount, half)  # fmt: skip
        if rng.random() < 0.05:
            add(cid, today - dt.timedelta(days=rng.randrange(100, 130)), 30, each, 0)
    return invoices, entries


def forget_load_orders(url: str) -> None:
    """Delete the orders a load held, so the next run starts from the same book."""
    engine = make_engine(url, pool=False)
    with engine.begin() as conn:
        conn.execute(delete(CheckedOrder).where(CheckedOrder.order_ref.like(f"{LOAD_PREFIX}%")))
    engine.dispose()


def existing_book(url: str) -> Book | None:
    """The book a previous run left (``--reuse-db``), with a fresh API key."""
    engine = make_engine(url, pool=False)
    factory = make_session_factory(engine)
    try:
        with unit_of_work(factory) as session:
            ids = list(session.scalars(select(Company.id).order_by(Company.ref)))
            if not ids:
                return None
            issued = orgs_service.create_api_key(
                session, org_ref="SELLER", role=Role.SELLER, label="bench"
            )
            counts = {
                "buyers": len(ids),
                "invoices": session.scalar(select(func.count()).select_from(Invoice)) or 0,
                "ledger_entries": session.scalar(select(func.count()).select_from(LedgerEntry))
                or 0,
            }
    except Exception:
        return None
    finally:
        engine.dispose()
    return Book(api_key=issued.secret, buyers=ids, counts=counts)
