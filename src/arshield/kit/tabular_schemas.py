"""Response bodies of every import route: the import report and its row errors."""

from __future__ import annotations

from pydantic import BaseModel


class RowErrorOut(BaseModel):
    """One rejected row's problem: source row number, column (if any) and reason."""

    row: int
    column: str | None
    reason: str


class ImportReportOut(BaseModel):
    """What an import read, accepted, rejected and wrote (rows_read = accepted + rejected)."""

    kind: str
    rows_read: int
    accepted: int
    rejected: int
    inserted: int
    updated: int
    unchanged: int
    errors: list[RowErrorOut]
    encoding: str | None
    delimiter: str | None
    file_format: str | None
    applied: bool
    ignored_columns: list[str]
