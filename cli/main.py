"""The `memberflow` command: its command groups (one module each in cli/) and the error handling every command shares.

`nodes` is imported here so that every block and condition kind has joined the registry before a command reads a
journey or a tag rule.
"""

from __future__ import annotations

import contextlib
import sys

import typer
from rich.console import Console

import nodes  # noqa: F401  (each block and condition module registers itself)
from cli.ab import ab_app
from cli.audit import audit
from cli.coupons import coupons_app
from cli.db import db_app
from cli.demo import demo_app
from cli.events import events_app
from cli.imports import import_app
from cli.journey import journey_app
from cli.messages import messages_app
from cli.points import points_app
from cli.rfm import rfm_app
from cli.tags import tags_app
from cli.tokens import tokens_app
from cli.up import up, web, worker
from cli.users import users_app
from engine.errors import Refusal, SettingsError
from engine.settings import get_settings, mask_url

app = typer.Typer(
    help="memberflow: membership marketing automation (会员营销) on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("up")(up)
app.command("worker")(worker)
app.command("web")(web)
app.add_typer(import_app, name="import")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(journey_app, name="journey")
app.add_typer(rfm_app, name="rfm")
app.add_typer(tags_app, name="tags")
app.add_typer(coupons_app, name="coupons")
app.add_typer(points_app, name="points")
app.add_typer(messages_app, name="messages")
app.add_typer(ab_app, name="ab")
app.add_typer(tokens_app, name="token")
app.add_typer(events_app, name="events")
app.add_typer(users_app, name="user")
app.command("audit")(audit)
errors = Console(stderr=True)


def main() -> None:
    """Run the command; a refusal (engine.errors) prints its sentences, one `error: …` line each (exit 2), an
    unexpected error its traceback (exit 1), each with secrets masked (Settings.mask)."""
    from sqlalchemy.exc import OperationalError

    from engine.access.audit import act_as, cli_actor
    from engine.logs import mask_secrets_in_logs

    act_as(cli_actor())  # the audit log names who ran the command
    try:
        with contextlib.suppress(SettingsError):  # a command that needs them says so below
            mask_secrets_in_logs(get_settings())
        app()
    except OperationalError as exc:
        settings = get_settings()
        reason = str(exc.orig or exc).strip().replace("\n", " ")
        database = mask_url(settings.database_url or settings.sqlalchemy_url)
        errors.print(f"[red]error:[/red] the database {database} answered: {settings.mask(reason)}", highlight=False,
                     soft_wrap=True)  # fmt: skip
        sys.exit(2)
    except SettingsError as exc:
        for problem in exc.problems:
            errors.print(f"[red]setting:[/red] {problem}", highlight=False)
        sys.exit(2)
    except Refusal as exc:  # Invalid, Rejected, NotFound, Conflict, Unavailable: each problem on its own line
        for problem in exc.problems:
            errors.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)  # one line each, unbroken
        sys.exit(2)
    except Exception:
        import traceback

        with contextlib.suppress(SettingsError):
            print(get_settings().mask(traceback.format_exc()), file=sys.stderr, end="")
            sys.exit(1)
        raise
