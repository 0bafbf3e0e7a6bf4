"""``arshield idempotency``: keep the Idempotency-Key store from growing without end."""

from __future__ import annotations

import datetime as dt

import typer

from arshield.cli.common import OutputFormat, emit_rows, handle_errors, transaction
from arshield.config import get_settings
from arshield.kit import idempotency as store
from arshield.kit.time import utcnow

app = typer.Typer(help="The Idempotency-Key store.", no_args_is_help=True)


@app.command("purge")
@handle_errors
def purge(
    older_than_hours: float | None = typer.Option(
        None,
        "--older-than-hours",
        min=0,
        help="Delete keys finished more than this many hours ago "
        "(default ARSHIELD_IDEMPOTENCY_RETENTION_HOURS, 24).",
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="table, json or csv."),
) -> None:
    """Delete finished keys older than the retention, and claims whose requests died.

    A request sent again with a purged key runs as a new request. Run it from cron, e.g. daily.
    """
    settings = get_settings()
    hours = settings.idempotency_retention_hours if older_than_hours is None else older_than_hours
    now = utcnow()
    with transaction() as session:
        deleted = store.purge(
            session,
            now=now,
            older_than=dt.timedelta(hours=hours),
            stale_after=dt.timedelta(seconds=settings.idempotency_stale_after_seconds),
        )
    before = (now - dt.timedelta(hours=hours)).isoformat(timespec="seconds")
    emit_rows(
        [{"purged": deleted, "finished_before": before}],
        columns=["purged", "finished_before"],
        fmt=fmt,
        title="Idempotency keys purged",
    )
