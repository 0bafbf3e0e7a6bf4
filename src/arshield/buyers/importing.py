"""Importing registry files: companies, financial statements, payment experience and events.

Errors are data: the whole file is read and every bad row collected with its row, column and
reason. By default the import is all or nothing; with ``partial`` the good rows are written and
the report carries the rest. Re-importing a file changes nothing. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from arshield.buyers import importing_store as store
from arshield.buyers.importing_kinds import SPECS, WriteContext
from arshield.buyers.models import ImportBatch
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


class ImportKind(enum.StrEnum):
    """What an import file holds."""

    COMPANIES = "companies"
    FINANCIALS = "financials"
    PAYMENTS = "payments"
    EVENTS = "events"


class ImportRejected(ValidationFailed):
    """Rows were rejected, so nothing was imported; the detail is the import report."""

    error_type = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.to_dict())


def columns_of(kind: ImportKind) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) column names of ``kind``."""
    spec = SPECS[kind.value]
    return spec.required, spec.optional


def import_buyers(
    session: Session,
    *,
    kind: ImportKind,
    path: Path,
    partial: bool = False,
    actor: str,
    max_bytes: int,
    file_name: str | None = None,
    rejects: Path | None = None,
    now: dt.datetime | None = None,
    progress: store.Progress = store.no_progress,
) -> ImportReport:
    """Import ``path`` as ``kind``; returns the report or raises ``ImportRejected``.

    Raises ``ImportRejected`` (nothing written) when any row is rejected and ``partial`` is
    false, and ``TableError`` when the file cannot be read at all. With ``rejects`` the rejected
    rows are written there as CSV for correction. Never commits.
    """
    kind = ImportKind(kind)
    spec = SPECS[kind.value]
    progress("reading", 0, 0)
    table = read_table(path, max_bytes=max_bytes)
    known = set(spec.required) | set(spec.optional)
    base: dict[str, Any] = {
        "kind": kind.value,
        "rows_read": table.height,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "file_format": table.file_format,
        "ignored_columns": [c for c in table.columns if c not in known],
    }
    missing = missing_columns(table, spec.required)
    if missing:
        errors = [RowError(table.header_row, c, "required column is missing") for c in missing]
        report = ImportReport(**base, accepted=0, rejected=table.height, errors=errors)
        _write_rejects(rejects, table, errors)
        raise ImportRejected(report)

    progress("validating", 0, table.height)
    checks = cols.Checks(table.frame)
    checks.add_rows(table.cell_errors)
    typed = spec.parse(checks)
    lock_for_write(session)
    with store.bulk_writes(session):
        typed = spec.resolve(session, checks, typed)
        errors = checks.row_errors()
        good = typed.filter(~pl.col(ROW).is_in(checks.bad_rows().implode()))
        base |= {"accepted": good.height, "rejected": table.height - good.height, "errors": errors}
        progress("validating", table.height, table.height)
        if errors and not partial:
            _write_rejects(rejects, table, errors)
            raise ImportRejected(ImportReport(**base, applied=False))
        moment = now or utcnow()
        context = WriteContext(session, frozenset(table.columns), moment, progress)
        counts = spec.write(context, good)
    report = ImportReport(
        **base,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        applied=True,
    )
    record_batch(
        session,
        report,
        org_id=None,
        kind=kind.value,
        file_name=file_name or path.name,
        sha256=file_sha256(path),
        partial=partial,
        actor=actor,
        moment=moment,
    )
    _write_rejects(rejects, table, errors)
    return report


def record_batch(
    session: Session,
    report: ImportReport,
    *,
    org_id: uuid.UUID | None,
    kind: str,
    file_name: str,
    sha256: str,
    partial: bool,
    actor: str,
    moment: dt.datetime,
) -> ImportBatch:
    """Keep the record of an applied import: file, sha256, counts, who and when."""
    batch = ImportBatch(
        org_id=org_id,
        kind=kind,
        file_name=file_name[:300],
        sha256=sha256,
        file_format=report.file_format or "",
        encoding=report.encoding,
        partial=partial,
        rows_read=report.rows_read,
        accepted=report.accepted,
        rejected=report.rejected,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        actor=actor[:200],
        created_at=moment,
    )
    session.add(batch)
    session.flush()
    return batch


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_rejects(target: Path | None, table: RawTable, errors: list[RowError]) -> None:
    if target is not None and errors:
        write_rejects(target, table=table, errors=errors)
