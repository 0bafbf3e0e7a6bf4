"""``arshield buyers import``: load companies, financials, payments or events from a file."""

from __future__ import annotations

import enum
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from arshield.buyers.importing import ImportKind, ImportRejected, import_buyers
from arshield.cli.common import (
    OutputFormat,
    console,
    emit_rows,
    err_console,
    handle_errors,
    transaction,
)
from arshield.kit.tabular import ImportReport

DEFAULT_MAX_BYTES = 4 * 1024**3


class ReportFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


def register(app: typer.Typer) -> None:
    """Add ``import`` to ``app``."""
    app.command("import")(import_file)


@handle_errors
def import_file(
    kind: ImportKind = typer.Argument(..., help="companies, financials, payments or events."),
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV (UTF-8 or GBK/GB18030; , ; or tab), .xlsx, .jsonl/.ndjson or .parquet.",
    ),
    partial: bool = typer.Option(
        False, "--partial", help="Write the good rows even when some are rejected."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", dir_okay=False, help="Write rejected rows and reasons to this CSV."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.TABLE, "--format", help="table or json."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", min=1, help="File size limit."),
) -> None:
    """Import a file; all or nothing unless --partial. Exits 1 when any row was rejected."""
    with progress_reporter() as progress:
        try:
            with transaction() as session:
                report = import_buyers(
                    session, kind=kind, path=file, partial=partial, actor=cli_actor(),
                    max_bytes=max_bytes, rejects=rejects, progress=progress,
                )  # fmt: skip
        except ImportRejected as exc:
            report = exc.report
    show_report(report, fmt=fmt, rejects=rejects)
    if report.rejected:
        raise typer.Exit(code=1)


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


class _PlainProgress:
    """Progress as plain stderr lines (no terminal): stage starts, each tenth, and the end."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        tenth = 10 * done // total if total else 10
        if done == 0 or done == total or tenth > self._last.get(stage, 0):
            self._last[stage] = tenth
            sys.stderr.write(f"{stage} {done}/{total}\n")
            sys.stderr.flush()


class _BarProgress:
    """A rich progress bar per stage."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bars.add_task(stage, total=total or None)
        self._bars.update(self._tasks[stage], completed=done, total=total or None)


@contextmanager
def progress_reporter() -> Iterator[_PlainProgress | _BarProgress]:
    if not err_console.is_terminal:
        yield _PlainProgress()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as bars:
        yield _BarProgress(bars)


def show_report(report: ImportReport, *, fmt: ReportFormat, rejects: Path | None) -> None:
    if fmt is ReportFormat.JSON:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    summary = Table(title=f"Import of {report.kind}", show_header=False)
    summary.add_column("what")
    summary.add_column("value", justify="right")
    for label, value in (
        ("rows read", report.rows_read),
        ("accepted", report.accepted),
        ("rejected", report.rejected),
        ("inserted", report.inserted),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("format", report.file_format),
        ("encoding", report.encoding or "-"),
        ("delimiter", {"\t": "tab", None: "-"}.get(report.delimiter, report.delimiter)),
    ):
        summary.add_row(label, str(value))
    console.print(summary)
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}", highlight=False)
    if report.errors:
        rows = [{"row": e.row, "column": e.column or "", "reason": e.reason} for e in report.errors]
        emit_rows(
            rows, columns=["row", "column", "reason"], fmt=OutputFormat.TABLE, title="Rejected"
        )
    if not report.applied:
        console.print("nothing was imported: fix the rejected rows or use --partial")
    if rejects is not None and report.errors:
        console.print(f"rejected rows written to {rejects}", highlight=False)
