"""`memberflow demo`: a believable shop, generated from a seed, saved or written as CSV files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from engine.settings import Settings, get_settings

demo_app = typer.Typer(help="Demo data: a believable shop, generated from a seed.")
console = Console()


@demo_app.command("load")
def demo_load(
    members: Annotated[int | None, typer.Option(help="How many members (default: DEMO_MEMBERS).")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same shop.")] = 7,
) -> None:
    """Generate the demo shop and save it (safe to run again: it upserts)."""
    from engine.db import upgrade
    from engine.demo import load_demo

    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    saved_members, saved_orders = load_demo(members or settings.demo_members, seed=seed, today=shop_today(settings))
    console.print(f"demo shop: {saved_members} members, {saved_orders} orders")


@demo_app.command("csv")
def demo_csv(
    directory: Annotated[Path, typer.Argument(help="Where to write members.csv and orders.csv.")],
    members: Annotated[int, typer.Option()] = 5000,
    seed: Annotated[int, typer.Option()] = 7,
    max_orders: Annotated[int | None, typer.Option(help="Stop after this many orders.")] = None,
) -> None:
    """Write the demo shop as the two CSV files the importer reads."""
    from engine.demo import write_csv

    paths = write_csv(directory, members=members, seed=seed, today=shop_today(get_settings()), max_orders=max_orders)
    console.print("wrote " + " and ".join(str(p) for p in paths))


def shop_today(settings: Settings) -> date:
    from engine import clock

    return clock.today(settings.shop_zone)
