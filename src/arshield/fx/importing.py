"""Loading rate tables from files (CSV, XLSX, JSON Lines, Parquet) or from JSON rows.

Errors are data: every row is read and every bad row reported with its row, column and reason.
By default the load is all or nothing; with ``partial`` the good rows are written and the report
carries the rest. Re-loading unchanged rows changes nothing; a changed rate (or source) for a
stored (date, base, quote) updates it. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from arshield.fx import repository
from arshield.fx.parsing import COLUMNS, REQUIRED, parse_rates
from arshield.kit import tabular_columns as cols
from arshield.kit.db import lock_for_write
from arshield.kit.errors import ValidationFailed
from arshield.kit.tabular import (
    ROW,
    ImportReport,
    RawTable,
    RowError,
    missing_columns,
    read_table,
    write_rejects,
)
from arshield.kit.time import utcnow

KIND = "fx_rates"
MAX_BATCH_ROWS = 10_000
INSERTED, UPDATED, UNCHANGED = "inserted", "updated", "unchanged"


class RatesRejected(ValidationFailed):
    """Rows were rejected, so no rate was written; the detail is the import report."""

    error_type = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.to_dict())


def import_rates(
    session: Session,
    *,
    org_id: uuid.UUID,
    path: Path,
    max_bytes: int,
    partial: bool = False,
    rejects: Path | None = None,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Load the rate file at ``path`` into ``org_id``'s table; returns the report.

    Raises ``RatesRejected`` (nothing written) when any row is rejected and ``partial`` is
    false, and ``TableError`` when the file cannot be read at all. With ``rejects`` the rejected
    rows are written there as CSV for correction. Never commits.
    """
    table = read_table(path, max_bytes=max_bytes)
    return _load(session, org_id=org_id, table=table, partial=partial, rejects=rejects, now=now)


def import_rows(
    session: Session,
    *,
    org_id: uuid.UUID,
    rows: Sequence[Mapping[str, str | None]],
    partial: bool = False,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Load rate rows given as mappings of ``date, base, quote, rate, source`` text.

    Validated exactly as a file is; each error's ``row`` is the row's 1-based position in
    ``rows``. All or nothing unless ``partial``. Never commits.
    """
    if not rows:
        raise ValidationFailed("rows: at least one rate row is required")
    if len(rows) > MAX_BATCH_ROWS:
        raise ValidationFailed(f"rows: at most {MAX_BATCH_ROWS} rows per request; send a file")
    data: dict[str, Any] = {ROW: pl.Series(ROW, range(1, len(rows) + 1), dtype=pl.Int64)}
    for name in COLUMNS:
        data[name] = pl.Series(name, [row.get(name) for row in rows], dtype=pl.Utf8)
    table = RawTable(pl.DataFrame(data), list(COLUMNS), "json")
    return _load(session, org_id=org_id, table=table, partial=partial, rejects=None, now=now)


def _load(
    session: Session,
    *,
    org_id: uuid.UUID,
    table: RawTable,
    partial: bool,
    rejects: Path | None,
    now: dt.datetime | None,
) -> ImportReport:
    base: dict[str, Any] = {
        "kind": KIND,
        "rows_read": table.height,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "file_format": table.file_format,
        "ignored_columns": [c for c in table.columns if c not in COLUMNS],
    }
    missing = missing_columns(table, REQUIRED)
    if missing:
        errors = [RowError(table.header_row, c, "required column is missing") for c in missing]
        _write_rejects(rejects, table, errors)
        raise RatesRejected(ImportReport(**base, accepted=0, rejected=table.height, errors=errors))

    checks = cols.Checks(table.frame)
    checks.add_rows(table.cell_errors)
    typed = parse_rates(checks)
    errors = checks.row_errors()
    good = typed.filter(~pl.col(ROW).is_in(checks.bad_rows().implode()))
    base |= {"accepted": good.height, "rejected": table.height - good.height, "errors": errors}
    if errors and not partial:
        _write_rejects(rejects, table, errors)
        raise RatesRejected(ImportReport(**base))
    lock_for_write(session)
    outcomes = _write(session, org_id=org_id, rows=good, now=now or utcnow())
    _write_rejects(rejects, table, errors)
    return ImportReport(
        **base,
        inserted=outcomes.get(INSERTED, 0),
        updated=outcomes.get(UPDATED, 0),
        unchanged=outcomes.get(UNCHANGED, 0),
        applied=True,
    )


def _write(
    session: Session, *, org_id: uuid.UUID, rows: pl.DataFrame, now: dt.datetime
) -> dict[str, int]:
    """Insert new keys, update changed rates or sources, leave equal rows alone."""
    if rows.height == 0:
        return {}
    key = ["date", "base", "quote"]
    dates = sorted(rows["date"].unique().to_list())
    stored = repository.stored_for_dates(session, org_id=org_id, dates=dates)
    joined = rows.join(stored, on=key, how="left", maintain_order="left")
    changed = pl.col("rate").ne_missing(pl.col("rate__db")) | pl.col("source").ne_missing(
        pl.col("source__db")
    )
    joined = joined.with_columns(
        outcome=pl.when(pl.col("id").is_null())
        .then(pl.lit(INSERTED))
        .when(changed)
        .then(pl.lit(UPDATED))
        .otherwise(pl.lit(UNCHANGED))
    )
    inserts = [
        {**record, "id": uuid.uuid4(), "org_id": org_id, "created_at": now}
        for record in joined.filter(pl.col("outcome") == INSERTED)
        .select(*key, "rate", "source")
        .to_dicts()
    ]
    updates = [
        {"b_id": uuid.UUID(r["id"]), "b_rate": r["rate"], "b_source": r["source"], "b_at": now}
        for r in joined.filter(pl.col("outcome") == UPDATED)
        .select("id", "rate", "source")
        .to_dicts()
    ]
    repository.insert_rates(session, inserts)
    repository.update_rates(session, updates)
    tally = joined["outcome"].value_counts()
    return dict(zip(tally["outcome"].to_list(), tally["count"].to_list(), strict=True))


def _write_rejects(target: Path | None, table: RawTable, errors: list[RowError]) -> None:
    if target is not None and errors:
        write_rejects(target, table=table, errors=errors)
