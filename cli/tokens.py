"""`memberflow token`: API tokens, made with a name, shown once, kept only as a hash."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table

tokens_app = typer.Typer(help="API tokens: create (shown once), list, revoke.")
console = Console()
errors = Console(stderr=True)


@tokens_app.command("create")
def token_create(name: Annotated[str, typer.Argument(help="What the token is for, e.g. crm-sync.")]) -> None:
    """Make an API token and print it once: only its hash is kept, so store it now."""
    from engine.access.api_tokens import create_token
    from engine.clock import now
    from engine.db import session_scope, upgrade
    from engine.settings import get_settings

    upgrade(get_settings().sqlalchemy_url)
    with session_scope() as session:
        token = create_token(session, name, now())
    print(token)  # plain, alone on stdout, so `memberflow token create x > file` or a pipe takes just the token
    errors.print(f"token '{name}' made; it is shown only now, store it (Authorization: Bearer <token>)",
                 highlight=False)  # fmt: skip


@tokens_app.command("list")
def token_list(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """The tokens by name, when each was made and last used (never the tokens themselves)."""
    from engine.access.api_tokens import list_tokens
    from engine.db import session_scope

    with session_scope() as session:
        found = list_tokens(session)
    if as_json:
        print(json.dumps([t.model_dump(mode="json") for t in found]))
        return
    rows = [[t.name, t.created_at.isoformat(timespec="seconds"),
             t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"] for t in found]  # fmt: skip
    print_table(console, ["name", "created", "last used"], rows)


@tokens_app.command("revoke")
def token_revoke(name: str) -> None:
    """Delete a token: calls made with it are refused from now on."""
    from engine.access.api_tokens import revoke_token
    from engine.db import session_scope

    with session_scope() as session:
        revoke_token(session, name)
    console.print(f"token '{name}' revoked")
