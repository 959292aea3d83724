"""`memberflow events`: member events whose delivery to journeys failed (retrying, or set aside), and putting
them back."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table
from engine import clock
from engine.errors import NotFound

events_app = typer.Typer(help="Member events: the ones journeys could not be given, and delivering them again.")
console = Console()


@events_app.command("undelivered")
def events_undelivered(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, oldest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Events whose delivery failed: retrying (with the next try's time) or set aside, each with its reason."""
    from engine.db import session_scope
    from engine.journey.event_delivery import undelivered

    with session_scope() as session:
        rows = undelivered(session, limit)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    if not rows:
        console.print("every event was delivered (or is waiting for its first try)")
        return
    zone = clock.shop_zone()
    table = [
        [str(r.event_id), r.member_id, r.type, r.state, str(r.attempts),
         f"{r.retry_at.astimezone(zone):%Y-%m-%d %H:%M}" if r.retry_at else "", r.reason]
        for r in rows
    ]  # fmt: skip
    print_table(console, ["event", "member", "type", "state", "attempts", f"next try ({zone.key})", "reason"], table)


@events_app.command("redeliver")
def events_redeliver(
    event_ids: Annotated[list[int] | None, typer.Argument(help="Event ids; none: every event set aside.")] = None,
) -> None:
    """Deliver events again with a fresh count of attempts (after fixing what made them fail); the worker picks
    them up within seconds."""
    from engine.db import session_scope
    from engine.journey.event_delivery import redeliver

    with session_scope() as session:
        count = redeliver(session, event_ids or None)
    if event_ids and count == 0:
        raise NotFound([f"none of the events {', '.join(map(str, event_ids))} is waiting for delivery"])
    console.print(f"{count} event(s) will be delivered again")
