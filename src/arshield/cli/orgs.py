"""``arshield org`` and ``arshield apikey``: organisations and API keys."""

from __future__ import annotations

import uuid

import typer

from arshield.cli.common import OutputFormat, emit_rows, handle_errors, transaction
from arshield.kit.time import utcnow
from arshield.orgs import service
from arshield.orgs.domain import OrgKind, Role

org_app = typer.Typer(help="Organisations: the insurer and insured sellers.", no_args_is_help=True)
key_app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)


@org_app.command("create")
@handle_errors
def org_create(
    ref: str = typer.Option(..., "--ref", help="Stable reference, e.g. ACME-CN."),
    name: str = typer.Option(..., "--name", help="Display name."),
    kind: OrgKind = typer.Option(..., "--kind", help="insurer or seller."),
) -> None:
    """Create an organisation."""
    with transaction() as session:
        org = service.create_org(session, ref=ref, name=name, kind=kind)
        typer.echo(f"created {org.kind} organisation {org.ref} ({org.id})")


@org_app.command("list")
@handle_errors
def org_list(fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format")) -> None:
    """List organisations."""
    with transaction() as session:
        rows = [
            {"ref": o.ref, "name": o.name, "kind": o.kind.value, "id": str(o.id)}
            for o in service.list_orgs(session)
        ]
    emit_rows(rows, columns=["ref", "name", "kind", "id"], fmt=fmt, title="Organisations")


@key_app.command("create")
@handle_errors
def key_create(
    org: str = typer.Option(..., "--org", help="Organisation reference."),
    role: Role = typer.Option(..., "--role"),
    label: str | None = typer.Option(None, "--label"),
) -> None:
    """Issue a key; the secret is printed once, alone on the last line."""
    with transaction() as session:
        issued = service.create_api_key(session, org_ref=org, role=role, label=label)
        typer.echo(f"key {issued.key.id} for {org} with role {issued.key.role}")
    typer.echo(issued.secret)


@key_app.command("revoke")
@handle_errors
def key_revoke(key_id: uuid.UUID = typer.Argument(..., help="The key's id.")) -> None:
    """Revoke a key at once."""
    with transaction() as session:
        key = service.revoke_api_key(session, key_id=key_id, now=utcnow())
        typer.echo(f"revoked {key.id} at {key.revoked_at}")


@key_app.command("list")
@handle_errors
def key_list(
    org: str | None = typer.Option(None, "--org"),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """List keys (never their secrets)."""
    with transaction() as session:
        org_id = service.get_org_by_ref(session, org).id if org else None
        rows = [
            {
                "id": str(k.id),
                "prefix": k.prefix,
                "role": k.role.value,
                "label": k.label,
                "revoked_at": k.revoked_at,
            }
            for k in service.list_api_keys(session, org_id=org_id)
        ]
    emit_rows(rows, columns=["id", "prefix", "role", "label", "revoked_at"], fmt=fmt)
