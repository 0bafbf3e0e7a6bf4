"""The ``arshield`` command."""

from __future__ import annotations

import typer

from arshield.cli import audit as audit_cli
from arshield.cli import buyers as buyers_cli
from arshield.cli import cover as cover_cli
from arshield.cli import db as db_cli
from arshield.cli import demo as demo_cli
from arshield.cli import fx as fx_cli
from arshield.cli import grade as grade_cli
from arshield.cli import idempotency as idempotency_cli
from arshield.cli import model as model_cli
from arshield.cli import orgs as orgs_cli
from arshield.cli import receivables as receivables_cli
from arshield.cli import reports as reports_cli
from arshield.cli import risk_tables as risk_cli
from arshield.workbench import service as workbench_service

app = typer.Typer(
    help="arshield: accounts-receivable protection platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(orgs_cli.org_app, name="org")
app.add_typer(orgs_cli.key_app, name="apikey")
app.add_typer(buyers_cli.app, name="buyers")
app.add_typer(risk_cli.app, name="risk")
app.add_typer(grade_cli.app, name="grade")
app.add_typer(model_cli.app, name="model")
# Grades come from the active trained model when one is active (arshield model activate).
workbench_service.install()
app.add_typer(demo_cli.app, name="demo")
app.add_typer(receivables_cli.app, name="receivables")
reports_cli.register(app, receivables_cli.app)
app.add_typer(fx_cli.app, name="fx")
cover_cli.register(app)
app.add_typer(audit_cli.app, name="audit")
app.add_typer(idempotency_cli.app, name="idempotency")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1),
    access_log: bool = typer.Option(
        True,
        "--access-log/--no-access-log",
        help="Log a line per request (off when a proxy in front logs them: it costs CPU).",
    ),
) -> None:
    """Serve the API on the configured database (uvloop and httptools, from uvicorn[standard])."""
    import uvicorn

    uvicorn.run(
        "arshield.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )


def main() -> None:
    app()
