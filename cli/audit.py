"""`memberflow audit`: the audit log (sign-ins, user changes, publishes, settings changes), newest first."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table

console = Console()


def audit(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many entries.")] = 50,
    action: Annotated[str | None, typer.Option("--action", help="Only this action, e.g. login_failed.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this actor, e.g. user:admin.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON (times in UTC).")] = False,
) -> None:
    """The audit log, newest first: when (the shop's time zone), who, what, to what, details and the client address."""
    from engine.access.audit import entries
    from engine.db import session_scope
    from engine.settings import get_settings

    with session_scope() as session:
        found = entries(session, limit=limit, action=action, actor=actor)
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in found], ensure_ascii=False))
        return
    zone = get_settings().shop_zone
    rows = [[e.at.astimezone(zone).isoformat(timespec="seconds"), e.actor, e.action, e.subject,
             " ".join(f"{k}={v}" for k, v in e.detail.items()), e.client or ""] for e in found]  # fmt: skip
    print_table(console, ["when", "who", "action", "subject", "detail", "client"], rows)
