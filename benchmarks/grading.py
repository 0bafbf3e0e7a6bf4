"""Benchmark: grade every buyer of a generated registry, against a per-row Python baseline.

    .venv/bin/python benchmarks/grading.py --companies 1000000 --runs 3

Steps: generate demo data (cached under benchmarks/out/), import it into a fresh database
(timed per kind), run `arshield grade run` in a child process several times (wall time and peak
memory of the process tree), then time the model itself: the vectorised engine and the same
model as a plain per-row loop (`arshield.risk.reference`) on identical inputs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procmem import machine, run_measured

from arshield.buyers.importing import ImportKind, import_buyers
from arshield.cli.db import upgrade
from arshield.demo.generate import generate, write
from arshield.kit.db import make_engine, make_session_factory, unit_of_work
from arshield.risk.expert import build_features, grade_frame
from arshield.risk.inputs import aggregate_payments, load_bulk, read_frames
from arshield.risk.reference import grade_rows
from arshield.risk.tables import service as tables_service

OUT = Path(__file__).resolve().parent / "out"
AS_OF = dt.date(2026, 6, 30)
ARSHIELD = str(Path(sys.executable).with_name("arshield"))


def prepare_data(companies: int, seed: int, months: int) -> Path:
    folder = OUT / f"data-{companies}-s{seed}-m{months}"
    if (folder / "outcomes.csv").exists():
        return folder
    started = time.perf_counter()
    data = generate(companies=companies, seed=seed, as_of=AS_OF, payment_months=months)
    write(data, folder)
    print(f"generated {companies} companies in {time.perf_counter() - started:.1f} s -> {folder}")
    return folder


def import_all(url: str, folder: Path) -> dict[str, dict[str, float]]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        tables_service.load_defaults(session)
    results: dict[str, dict[str, float]] = {}
    for kind in (
        ImportKind.COMPANIES,
        ImportKind.FINANCIALS,
        ImportKind.PAYMENTS,
        ImportKind.EVENTS,
    ):
        path = folder / f"{kind.value}.csv"
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            report = import_buyers(session, kind=kind, path=path, actor="bench", max_bytes=2**40)
        seconds = time.perf_counter() - started
        results[kind.value] = {
            "rows": report.rows_read,
            "seconds": round(seconds, 2),
            "rows_per_s": round(report.rows_read / seconds),
        }
        print(
            f"imported {report.rows_read:>10,} {kind.value:<10} in {seconds:7.1f} s "
            f"({report.rows_read / seconds:,.0f} rows/s)"
        )
    engine.dispose()
    return results


def grade_runs(url: str, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        measured = run_measured(
            [ARSHIELD, "grade", "run", "--as-of", AS_OF.isoformat()],
            env={"ARSHIELD_DATABASE_URL": url},
        )
        if measured.returncode != 0:
            raise SystemExit(measured.output)
        steps = next(
            (line for line in measured.output.splitlines() if line.startswith("time:")), ""
        )
        results.append(
            {"seconds": round(measured.seconds, 2), "peak_mib": round(measured.peak_mib)}
        )
        print(f"grade run: {measured.seconds:.2f} s, peak {measured.peak_mib:,.0f} MiB; {steps}")
    return results


def model_only(url: str, runs: int, baseline: bool) -> dict[str, object]:
    inputs = load_bulk(database_url=url, as_of=AS_OF)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        countries = {
            c: r.short_term
            for c, r in tables_service.country_risk_as_of(session, as_of=AS_OF).items()
        }
        sectors = tables_service.sector_risk_as_of(session, as_of=AS_OF)
    engine.dispose()
    company_id = "CAST(company_id AS TEXT)" if url.startswith("postgresql") else "company_id"
    monthly = read_frames(
        database_url=url,
        sqls={
            "payments": f"SELECT {company_id} AS company_id, month, amount_paid, amount_overdue,"
            " days_beyond_terms "
            f"FROM payment_experiences WHERE month <= '{AS_OF.isoformat()}'"
        },
    )["payments"]
    if monthly.schema["month"] == pl.Utf8:
        monthly = monthly.with_columns(pl.col("month").str.to_date("%Y-%m-%d"))
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        payments = aggregate_payments(monthly, as_of=AS_OF, payment_months=12)
        features = build_features(
            companies=inputs.companies,
            statements=inputs.statements,
            payments=payments,
            events=inputs.events,
            country_short_term=countries,
            sector_risk=sectors,
            as_of=AS_OF,
        )
        graded = grade_frame(features, as_of=AS_OF)
        timings.append(time.perf_counter() - started)
    result: dict[str, object] = {
        "vectorised_runs_s": [round(t, 2) for t in timings],
        "vectorised_median_s": round(statistics.median(timings), 2),
    }
    print(f"model, vectorised: median {statistics.median(timings):.2f} s over {runs} runs")
    if baseline:
        rows = {
            "companies": inputs.companies.to_dicts(),
            "statements": inputs.statements.to_dicts(),
            "payments": monthly.to_dicts(),
            "events": inputs.events.to_dicts(),
        }
        started = time.perf_counter()
        reference = grade_rows(
            **rows, country_short_term=countries, sector_risk=sectors, as_of=AS_OF
        )
        seconds = time.perf_counter() - started
        same = graded.sort("company_id")["grade"].to_list() == [
            r["grade"] for r in sorted(reference, key=lambda r: r["company_id"])
        ]
        result.update(
            {
                "baseline_s": round(seconds, 2),
                "ratio": round(seconds / statistics.median(timings), 1),
                "same_grades": same,
            }
        )
        print(
            f"model, per-row loop baseline: {seconds:.2f} s; "
            f"ratio {seconds / statistics.median(timings):.1f}x; same grades: {same}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--payment-months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file under benchmarks/out/"
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--reuse-db", action="store_true", help="skip the import when the database exists"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(machine())
    folder = prepare_data(args.companies, args.seed, args.payment_months)
    url = args.database_url
    imported: dict[str, dict[str, float]] | None = None
    if url is None:
        db = OUT / f"bench-{args.companies}.db"
        url = f"sqlite:///{db}"
        if not (args.reuse_db and db.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            upgrade(url)
            imported = import_all(url, folder)
    elif not args.reuse_db:
        upgrade(url)
        imported = import_all(url, folder)
    runs = grade_runs(url, args.runs)
    model = model_only(url, args.runs, baseline=not args.no_baseline)
    summary = {
        "machine": machine(),
        "companies": args.companies,
        "database": url.split("://", 1)[0],
        "import": imported,
        "grade_run": runs,
        "grade_run_median_s": statistics.median(r["seconds"] for r in runs),
        "grade_run_peak_mib_max": max(r["peak_mib"] for r in runs),
        "model": model,
    }
    target = OUT / f"grading-{args.companies}-{summary['database']}.json"
    target.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
