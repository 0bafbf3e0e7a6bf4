"""Copy a benchmark registry from a SQLite file into PostgreSQL with COPY (setup, not measured).

    .venv/bin/python benchmarks/copy_to_postgres.py SQLITE_FILE POSTGRES_URL

The importer validates every row and is measured separately; this only moves already-imported
rows so the grading benchmark can run on PostgreSQL too. The target must be migrated and empty.
"""

from __future__ import annotations

import sqlite3
import sys
import time
import uuid

import psycopg

TABLES = {
    "companies": (
        "id", "ref", "name", "name_latin", "search_key", "country", "sector", "founded",
        "employees", "status", "verified", "created_at",
    ),
    "financial_statements": (
        "id", "company_id", "fiscal_year_end", "currency", "total_assets", "current_assets",
        "cash", "receivables", "inventory", "total_liabilities", "current_liabilities", "equity",
        "retained_earnings", "sales", "ebit", "net_income", "created_at",
    ),
    "payment_experiences": (
        "id", "company_id", "month", "currency", "amount_paid", "amount_overdue",
        "days_beyond_terms", "created_at",
    ),
    "company_events": (
        "id", "company_id", "date", "type", "severity", "description", "dedupe_key", "created_at",
    ),
    "country_risks": (
        "id", "country", "short_term", "medium_term", "valid_from", "valid_to", "changed_by",
        "reason", "created_at",
    ),
    "sector_risks": (
        "id", "section", "risk", "valid_from", "valid_to", "changed_by", "reason", "created_at",
    ),
}  # fmt: skip
UUID_COLUMNS = {"id", "company_id"}


def main() -> None:
    source, target = sys.argv[1], sys.argv[2].replace("postgresql+psycopg://", "postgresql://")
    lite = sqlite3.connect(source)
    with psycopg.connect(target) as pg:
        for table, columns in TABLES.items():
            started = time.perf_counter()
            uuid_at = [i for i, c in enumerate(columns) if c in UUID_COLUMNS]
            bool_at = [i for i, c in enumerate(columns) if c == "verified"]
            rows = lite.execute(f"SELECT {', '.join(columns)} FROM {table}")
            count = 0
            with pg.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    values = list(row)
                    for i in uuid_at:
                        values[i] = str(uuid.UUID(values[i]))
                    for i in bool_at:
                        values[i] = bool(values[i])
                    copy.write_row(values)
                    count += 1
            pg.commit()
            print(f"{table}: {count:,} rows in {time.perf_counter() - started:.1f} s")
        with pg.cursor() as cur:
            cur.execute("ANALYZE")


if __name__ == "__main__":
    main()
