"""`memberflow db`: the database schema."""

from __future__ import annotations

import typer
from rich.console import Console

from engine.settings import get_settings

db_app = typer.Typer(help="Database schema.")
console = Console()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the tables to the newest schema."""
    from engine.db import upgrade

    upgrade(get_settings().sqlalchemy_url)
    console.print("database is up to date")
