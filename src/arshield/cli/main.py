"""The ``arshield`` command."""

from __future__ import annotations

import typer

from arshield.cli import buyers as buyers_cli
from arshield.cli import db as db_cli
from arshield.cli import demo as demo_cli
from arshield.cli import fx as fx_cli
from arshield.cli import grade as grade_cli
from arshield.cli import orgs as orgs_cli
from arshield.cli import receivables as receivables_cli
from arshield.cli import reports as reports_cli
from arshield.cli import risk_tables as risk_cli

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
app.add_typer(demo_cli.app, name="demo")
app.add_typer(receivables_cli.app, name="receivables")
reports_cli.register(app, receivables_cli.app)
app.add_typer(fx_cli.app, name="fx")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1),
) -> None:
    """Serve the API on the configured database."""
    import uvicorn

    uvicorn.run("arshield.api.asgi:app", host=host, port=port, workers=workers, log_level="info")


def main() -> None:
    app()
