"""``arshield audit``: read the audit trail (the operator sees every organisation's events)."""

from __future__ import annotations

import datetime as dt
import json

import typer

from arshield.audit import service
from arshield.audit.domain import EventFilter
from arshield.cli.common import OutputFormat, emit_rows, handle_errors, transaction
from arshield.kit.errors import ValidationFailed
from arshield.orgs import service as orgs_service

app = typer.Typer(
    help="The audit trail: who did what, to which object, and why.", no_args_is_help=True
)

LIST_COLUMNS = [
    "at",
    "action",
    "object_type",
    "object_id",
    "tenant_org",
    "actor_org",
    "actor",
    "reason",
    "details",
    "id",
]
TABLE_COLUMNS = ["at", "action", "object_type", "object_id", "tenant_org", "actor", "reason"]


def _time(value: str | None, option: str) -> dt.datetime | None:
    """An ISO date or date-time; without a zone it is read as UTC."""
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"{option}: {value!r} is not an ISO date or date-time (e.g. 2026-01-31T12:00Z)"
        ) from None


@app.command("list")
@handle_errors
def list_events(
    object_type: str | None = typer.Option(None, "--object-type", help="e.g. cover_request."),
    object_id: str | None = typer.Option(None, "--object-id", help="The object's id."),
    action: str | None = typer.Option(None, "--action", help="e.g. cover.decide."),
    tenant: str | None = typer.Option(None, "--tenant", help="Organisation whose objects."),
    at_from: str | None = typer.Option(None, "--from", help="Earliest time, inclusive (UTC)."),
    at_to: str | None = typer.Option(None, "--to", help="Latest time, exclusive (UTC)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many events."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="table, json or csv."),
) -> None:
    """List audit events, newest first."""
    with transaction() as session:
        tenant_id = orgs_service.get_org_by_ref(session, tenant).id if tenant else None
        flt = EventFilter(
            object_type=object_type,
            object_id=object_id,
            action=action,
            tenant_org_id=tenant_id,
            at_from=_time(at_from, "--from"),
            at_to=_time(at_to, "--to"),
        )
        views, _total = service.list_events(session, flt, limit=limit)
        rows = [
            {
                "id": str(v.event.id),
                "at": v.event.at.isoformat(),
                "action": v.event.action,
                "object_type": v.event.object_type,
                "object_id": v.event.object_id,
                "tenant_org": v.tenant_org_ref,
                "actor_org": v.actor_org_ref,
                "actor": v.actor,
                "reason": v.event.reason,
                "details": (
                    json.loads(v.event.details) if fmt is OutputFormat.JSON else v.event.details
                ),
            }
            for v in views
        ]
    columns = TABLE_COLUMNS if fmt is OutputFormat.TABLE else LIST_COLUMNS
    emit_rows(rows, columns=columns, fmt=fmt, title="Audit events")
