"""``arshield db``: migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from arshield.config import get_settings

if TYPE_CHECKING:
    from alembic.config import Config

app = typer.Typer(help="Database migrations.", no_args_is_help=True)

REPO_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at the project's migrations and the configured database."""
    from alembic.config import Config  # imported on use: commands that don't migrate skip it

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url or get_settings().database_url)
    return cfg


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (head by default)."""
    upgrade(revision=revision)
    typer.echo(f"database at {revision}")


@app.command("check")
def check_cmd() -> None:
    """Fail if the tables in code and the migrations disagree."""
    from alembic import command

    command.check(alembic_config())
    typer.echo("models and migrations agree")


@app.command("current")
def current_cmd() -> None:
    """Print the database's current revision."""
    from alembic import command

    command.current(alembic_config())
