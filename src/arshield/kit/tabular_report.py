"""What an import did: row errors, the report, required columns, and rejects files."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from arshield.kit.tabular import RawTable

ROW = "__row"
"""The source-row-number column of a table frame (re-exported by ``kit.tabular``)."""
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: ``column`` is None when it concerns the whole row."""

    row: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """What an import read, accepted, rejected and wrote. ``rows_read == accepted + rejected``."""

    kind: str
    rows_read: int
    accepted: int
    rejected: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    file_format: str | None = None
    applied: bool = False
    ignored_columns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rows_read != self.accepted + self.rejected:
            raise ValueError(
                f"rows_read {self.rows_read} != accepted {self.accepted} + rejected {self.rejected}"
            )
        if self.applied and self.inserted + self.updated + self.unchanged != self.accepted:
            raise ValueError("inserted + updated + unchanged must equal accepted rows written")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (delimiter shown as ``\\t`` for tab)."""
        out = asdict(self)
        out["delimiter"] = "\\t" if self.delimiter == "\t" else self.delimiter
        return out


def missing_columns(table: RawTable, required: Iterable[str]) -> list[str]:
    """Required column names the table lacks, in the order given."""
    present = set(table.columns)
    return [name for name in required if name not in present]


def require_columns(table: RawTable, required: Iterable[str]) -> None:
    """Raise ``TableError`` naming every required column the table lacks."""
    from arshield.kit.tabular import TableError

    missing = missing_columns(table, required)
    if missing:
        raise TableError(f"missing required column(s): {', '.join(missing)}")


def neutralise(value: str | None) -> str | None:
    """Prefix ``'`` to text a spreadsheet would run as a formula (plain numbers stay as is)."""
    if value and value[0] in "=+-@" and not _PLAIN_NUMBER.match(value):
        return "'" + value
    if value and value[0] in "\t\r":
        return "'" + value
    return value


def write_rejects(path: Path, *, table: RawTable, errors: Sequence[RowError]) -> int:
    """Write rejected rows as UTF-8 CSV (with BOM) for correction; returns rows written.

    Columns: ``source_row``, the file's columns, then ``reason``. Cells a spreadsheet would run
    as formulas are prefixed with ``'``. Errors on the header (``table.header_row``, e.g. a
    missing column) reject every row.
    """
    by_row: dict[int, list[str]] = {}
    header_problems: list[str] = []
    for err in errors:
        text = f"{err.column}: {err.reason}" if err.column else err.reason
        if err.row == table.header_row:
            header_problems.append(text)
        else:
            by_row.setdefault(err.row, []).append(text)
    frame = table.frame
    if not header_problems:
        frame = frame.filter(pl.col(ROW).is_in(list(by_row)))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_row", *table.columns, "reason"])
        count = 0
        for record in frame.select(ROW, *table.columns).iter_rows():
            number = int(record[0] or 0)
            reasons = header_problems + by_row.get(number, [])
            cells = [neutralise(v) for v in record[1:]]
            writer.writerow([number, *cells, neutralise("; ".join(reasons))])
            count += 1
    return count
