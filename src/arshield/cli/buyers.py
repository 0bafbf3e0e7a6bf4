"""``arshield buyers``: the buyer registry (import, search, match, show)."""

from __future__ import annotations

import typer

from arshield.cli import buyers_import, buyers_lookup

app = typer.Typer(help="The buyer registry: import, search, match.", no_args_is_help=True)
buyers_import.register(app)
buyers_lookup.register(app)
