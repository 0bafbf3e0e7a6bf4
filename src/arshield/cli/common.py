"""Shared CLI plumbing: the database, output formats and error exits."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arshield.config import get_settings
from arshield.kit.db import make_engine, make_session_factory, unit_of_work
from arshield.kit.errors import ArshieldError, ValidationFailed
from arshield.kit.tabular import neutralise
from arshield.kit.time import parse_date

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


_factory: sessionmaker[Session] | None = None


def session_factory() -> sessionmaker[Session]:
    """The session factory for the configured database (one engine per process)."""
    global _factory
    if _factory is None:
        _factory = make_session_factory(make_engine(get_settings().database_url))
    return _factory


@contextmanager
def transaction() -> Iterator[Session]:
    """A unit of work for one command: committed on success, rolled back on error."""
    with unit_of_work(session_factory()) as session:
        yield session


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a platform error's detail to stderr and exit 1 instead of a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ArshieldError as exc:
            detail = (
                exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, default=str)
            )
            err_console.print(f"[red]error[/red] ({exc.error_type}): {detail}", highlight=False)
            raise typer.Exit(code=1) from None
        except IntegrityError:
            # The API answers 409 for the same race (two writers adding one new key at once).
            err_console.print(
                "[red]error[/red] (conflict): a concurrent change conflicts with this command; "
                "nothing was written, run it again",
                highlight=False,
            )
            raise typer.Exit(code=1) from None

    return wrapper


def emit_rows(
    rows: Sequence[dict[str, Any]], *, columns: Sequence[str], fmt: OutputFormat, title: str = ""
) -> None:
    """Print rows as a rich table, JSON or CSV."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(list(rows), default=str, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is OutputFormat.CSV:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _csv_cell(row.get(c)) for c in columns})
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title or None)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


def _csv_cell(value: Any) -> Any:
    """Text cells neutralised against spreadsheet formulas; other values as they are."""
    return neutralise(value) if isinstance(value, str) else value


def option_date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option's date (None when not given); a bad date names the option."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{option}: {exc.detail}") from None
