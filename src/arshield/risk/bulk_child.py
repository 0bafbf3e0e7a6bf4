"""Child process of the bulk reader on SQLite: run queries through ADBC, write Arrow IPC files.

Kept free of the platform's heavier imports so the child starts fast. It reads a JSON spec on
standard input: ``{"uri": path, "queries": {name: sql}, "out": directory}``.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def read_one(uri: str, sql: str) -> Any:
    """One query's result as an Arrow table."""
    import adbc_driver_sqlite.dbapi as dbapi

    with dbapi.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def main() -> None:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    spec = json.loads(sys.stdin.read())
    out = Path(spec["out"])

    def run(item: tuple[str, str]) -> None:
        name, sql = item
        table = read_one(spec["uri"], sql)
        with (
            pa.OSFile(str(out / f"{name}.arrow"), "wb") as sink,
            ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, spec["queries"].items()))


if __name__ == "__main__":
    main()
