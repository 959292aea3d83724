"""`memberflow import`: members and orders from CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.settings import get_settings

import_app = typer.Typer(help="Import members or orders from CSV files (re-importing a file changes nothing).")
console = Console()
errors = Console(stderr=True)


ENCODING_HELP = "The file's encoding, e.g. utf-8 or gb18030 (GBK); default: UTF-8 if it reads as such, else GB18030."


@import_app.command("members")
def import_members(
    file: Annotated[Path, typer.Argument(help="CSV with member_id,name,email,phone,birthday,…")],
    encoding: Annotated[str | None, typer.Option("--encoding", help=ENCODING_HELP)] = None,
) -> None:
    """Import members: member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags (tags a|b)."""
    _import(file, "members", encoding)


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(help="CSV with order_id,member_id,placed_at,amount,…")],
    encoding: Annotated[str | None, typer.Option("--encoding", help=ENCODING_HELP)] = None,
) -> None:
    """Import orders: order_id,member_id,placed_at,amount,category,channel,coupon_code (first four required)."""
    _import(file, "orders", encoding)


def _import(file: Path, kind: str, encoding: str | None) -> None:
    from engine.db import upgrade
    from engine.intake.csv_import import count_rows, import_csv

    assert kind in ("members", "orders")
    upgrade(get_settings().sqlalchemy_url)
    total = count_rows(file) if file.is_file() else 0
    columns = (TextColumn(f"{file.name}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=False) as progress:
        task = progress.add_task("import", total=total)
        report = import_csv(
            file,
            kind,  # type: ignore[arg-type]
            encoding=encoding,
            on_progress=lambda line: progress.update(task, completed=min(line, total)),
        )
    if report.encoding != "UTF-8":
        errors.print(f"{file.name}: read as {report.encoding}", highlight=False)
    for line in report.problem_lines():
        errors.print(line, highlight=False, soft_wrap=True)
    console.print(
        f"{kind}: {report.inserted} inserted, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected} rejected"
    )
    if report.rejected:
        raise typer.Exit(1)
