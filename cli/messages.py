"""`memberflow messages`: message templates (email, SMS) and the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table
from engine.errors import Invalid

messages_app = typer.Typer(help="Messages: email and SMS templates, and what was sent (the outbox).")
console = Console()


@messages_app.command("load")
def messages_load(file: Annotated[Path, typer.Argument(help="YAML or JSON: a list of message templates.")]) -> None:
    """Create or replace the templates in a file; each is test-rendered first, and nothing is saved on a problem."""
    from engine.db import session_scope
    from engine.files.spec_files import read_specs
    from engine.messages.templates import TemplateSpec, save_template, trial_render

    specs = read_specs(file, TemplateSpec, "template")
    if problems := [f"{file}: {p}" for spec in specs for p in trial_render(spec)]:
        raise Invalid(problems)
    with session_scope() as session:
        changed = sum(save_template(session, spec) for spec in specs)
    console.print(f"{file}: {len(specs)} message templates, {changed} new or changed")


@messages_app.command("outbox")
def messages_outbox(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The newest messages with their status (queued, sending, sent, failed, skipped) and reason."""
    from engine.db import session_scope
    from engine.messages.message_log import outbox

    with session_scope() as session:
        rows = outbox(session, limit)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    lines = [[str(r.id), r.channel, r.member, r.recipient or "", r.subject or "", r.status, r.reason or ""]
             for r in rows]  # fmt: skip
    print_table(console, ["id", "channel", "member", "to", "subject / text", "status", "reason"], lines)
