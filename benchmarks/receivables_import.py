"""Benchmark: import 1,000,000 invoices and 800,000 payments into a seller's ledger.

    .venv/bin/python benchmarks/receivables_import.py --invoices 1000000 --payments 800000
    .venv/bin/python benchmarks/receivables_import.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/arshield_recv_bench

Each file is imported by `arshield receivables import` in a fresh process (wall time and peak
memory of the process), into a fresh database holding the seller and its buyers. Payments name
the invoice they pay, so each one is also allocated. The baseline, in the same run, is the ORM
way: `session.add_all` of mapped Invoice objects and a commit, timed on a slice of the same rows
and reported as rows per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procmem import run_measured

from arshield.all_models import Base
from arshield.buyers.models import Company
from arshield.kit.db import make_engine, make_session_factory, unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind
from arshield.receivables.models import Invoice

OUT = Path(__file__).resolve().parent / "out"
ARSHIELD = str(Path(sys.executable).with_name("arshield"))
START = dt.date(2025, 1, 1)
CURRENCIES = ("CNY", "EUR", "USD", "JPY")
SHARES = (0.6, 0.2, 0.15, 0.05)


def make_files(folder: Path, *, invoices: int, payments: int, buyers: int, seed: int) -> None:
    if (folder / "payments.csv").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    buyer = rng.integers(0, buyers, invoices)
    issued = rng.integers(0, 540, invoices)
    terms = rng.choice([30, 45, 60, 90], invoices)
    currency = rng.choice(len(CURRENCIES), invoices, p=SHARES)
    cents = rng.integers(10_000, 50_000_000, invoices)  # 100.00 - 500,000.00
    frame = pl.DataFrame(
        {"n": np.arange(invoices), "b": buyer, "i": issued, "t": terms, "c": currency, "m": cents}
    )
    ccy = pl.Series(CURRENCIES)
    base = pl.lit(START)
    inv = frame.select(
        pl.format("INV{}", pl.col("n").cast(pl.Utf8).str.zfill(8)).alias("invoice_ref"),
        pl.format("BUY{}", pl.col("b").cast(pl.Utf8).str.zfill(6)).alias("company_ref"),
        (base + pl.duration(days=pl.col("i"))).alias("issue_date"),
        (base + pl.duration(days=pl.col("i") + pl.col("t"))).alias("due_date"),
        pl.col("c").map_elements(lambda i: ccy[i], return_dtype=pl.Utf8).alias("currency"),
        pl.col("m"),
    ).with_columns(
        amount=pl.when(pl.col("currency") == "JPY")
        .then((pl.col("m") // 100).cast(pl.Utf8))
        .otherwise(
            pl.format("{}.{}", pl.col("m") // 100, (pl.col("m") % 100).cast(pl.Utf8).str.zfill(2))
        )
    )
    inv.drop("m").write_csv(folder / "invoices.csv")
    delay = rng.integers(-10, 60, payments)
    pay = inv.head(payments).with_columns(d=pl.Series(delay))
    pay.select(
        pl.format("PAY{}", pl.col("invoice_ref").str.slice(3)).alias("payment_ref"),
        "company_ref",
        pl.max_horizontal(
            pl.col("issue_date"), pl.col("due_date") + pl.duration(days=pl.col("d"))
        ).alias("date"),
        "currency",
        "amount",
        "invoice_ref",
    ).write_csv(folder / "payments.csv")


def fresh_database(url: str, buyers: int) -> None:
    engine = make_engine(url, pool=False)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        orgs_service.create_org(session, ref="SELLER", name="Seller", kind=OrgKind.SELLER)
        session.execute(
            Company.__table__.insert(),
            [
                {
                    "id": __import__("uuid").uuid4(),
                    "ref": f"BUY{i:06d}",
                    "name": f"Buyer {i}",
                    "search_key": f"buyer {i}",
                    "country": "CN",
                    "status": "active",
                    "verified": True,
                    "created_at": dt.datetime.now(dt.UTC),
                }
                for i in range(buyers)
            ],
        )
    engine.dispose()


def orm_baseline(url: str, folder: Path, rows: int) -> float:
    """Rows per second inserting mapped Invoice objects with session.add_all (then rolled back)."""
    engine = make_engine(url, pool=False)
    factory = make_session_factory(engine)
    sample = pl.read_csv(folder / "invoices.csv", n_rows=rows, infer_schema=False)
    with factory() as session:
        org = orgs_service.get_org_by_ref(session, "SELLER")
        ids = dict(session.execute(text("SELECT ref, id FROM companies")).tuples().all())
        started = time.perf_counter()
        session.add_all(
            Invoice(
                org_id=org.id,
                invoice_ref=f"B-{r['invoice_ref']}",
                company_id=__import__("uuid").UUID(str(ids[r["company_ref"]])),
                issue_date=dt.date.fromisoformat(r["issue_date"]),
                due_date=dt.date.fromisoformat(r["due_date"]),
                currency=r["currency"],
                amount=int(r["amount"].replace(".", "")),
            )
            for r in sample.iter_rows(named=True)
        )
        session.flush()
        elapsed = time.perf_counter() - started
        session.rollback()
    engine.dispose()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=800_000)
    parser.add_argument("--buyers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="fresh database each run")
    args = parser.parse_args()
    folder = OUT / f"recv-{args.invoices}-{args.payments}-{args.buyers}-s{args.seed}"
    started = time.perf_counter()
    make_files(
        folder, invoices=args.invoices, payments=args.payments, buyers=args.buyers, seed=args.seed
    )
    print(f"files ready in {time.perf_counter() - started:.1f} s -> {folder}")
    url = args.database_url or f"sqlite:///{OUT / 'recv-bench.db'}"
    results: dict[str, object] = {
        "database": url.split(":")[0],
        "invoices": args.invoices,
        "payments": args.payments,
        "buyers": args.buyers,
        "runs": [],
    }
    env = {"ARSHIELD_DATABASE_URL": url}
    runs: list[dict[str, dict[str, float]]] = []
    for _ in range(args.runs):
        if url.startswith("sqlite"):
            for suffix in ("", "-wal", "-shm"):
                Path(str(OUT / "recv-bench.db") + suffix).unlink(missing_ok=True)
        fresh_database(url, args.buyers)
        run: dict[str, dict[str, float]] = {}
        for kind in ("invoices", "payments"):
            measured = run_measured(
                [
                    ARSHIELD,
                    "receivables",
                    "import",
                    kind,
                    str(folder / f"{kind}.csv"),
                    "--org",
                    "SELLER",
                    "--format",
                    "json",
                ],
                env=env,
            )
            if measured.returncode != 0:
                raise SystemExit(f"import of {kind} failed:\n{measured.output[-3000:]}")
            report = json.loads(measured.output[measured.output.index("{") :])
            run[kind] = {
                "seconds": round(measured.seconds, 2),
                "peak_mib": round(measured.peak_mib),
                "inserted": report["inserted"],
            }
            print(
                f"{kind:9} {report['inserted']:>10,} rows in {measured.seconds:6.1f} s, "
                f"peak {measured.peak_mib:,.0f} MiB"
            )
        runs.append(run)
    results["runs"] = runs
    for kind in ("invoices", "payments"):
        seconds = [r[kind]["seconds"] for r in runs]
        results[f"{kind}_median_s"] = statistics.median(seconds)
        print(f"{kind}: median {statistics.median(seconds):.1f} s over {len(seconds)} runs")
    rate = orm_baseline(url, folder, args.baseline_rows)
    results["orm_baseline_rows_per_s"] = round(rate)
    print(
        f"baseline: ORM add_all of {args.baseline_rows:,} invoices: {rate:,.0f} rows/s "
        f"(1,000,000 would take {1_000_000 / rate:,.0f} s)"
    )
    name = f"receivables-import-{args.invoices}-{results['database']}.json"
    (OUT / name).write_text(json.dumps(results, indent=2))
    os.sync()


if __name__ == "__main__":
    main()
