"""`make bench`: every benchmark of the platform, with its default sizes.

Set BENCH_COMPANIES to change the registry size (default 1,000,000), BENCH_INVOICES the ledger
size for the receivables import (1,000,000 invoices, 80 % of them paid) and BENCH_OPEN_INVOICES
the open items for aging (10,000,000). BENCH_DATABASE_URL adds a PostgreSQL run of the import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    companies = os.environ.get("BENCH_COMPANIES", "1000000")
    subprocess.run(
        [sys.executable, str(HERE / "grading.py"), "--companies", companies, "--runs", "3"],
        check=True,
    )
    invoices = int(os.environ.get("BENCH_INVOICES", "1000000"))
    imports = [sys.executable, str(HERE / "receivables_import.py"), "--invoices", str(invoices),
               "--payments", str(invoices * 4 // 5)]  # fmt: skip
    subprocess.run(imports, check=True)
    if os.environ.get("BENCH_DATABASE_URL"):
        subprocess.run([*imports, "--database-url", os.environ["BENCH_DATABASE_URL"]], check=True)
    open_items = os.environ.get("BENCH_OPEN_INVOICES", "10000000")
    subprocess.run(
        [sys.executable, str(HERE / "aging.py"), "--invoices", open_items, "--runs", "5"],
        check=True,
    )


if __name__ == "__main__":
    main()
