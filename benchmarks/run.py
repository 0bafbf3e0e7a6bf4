"""`make bench`: every benchmark of the platform, with its default sizes.

Set BENCH_COMPANIES to change the registry size (default 1,000,000).
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


if __name__ == "__main__":
    main()
