"""`memberflow user`: the people who sign in to the web app, their roles (admin, marketer, analyst) and passwords."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from cli.output import print_table

users_app = typer.Typer(help="Web app users: add, list, set-role, disable, enable, set-password.")
console = Console()
errors = Console(stderr=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin (without its line end), or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password (at least 10 characters)", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def user_add(
    login: Annotated[str, typer.Argument(help="An email address or a login name (letters, digits, . _ -).")],
    role: Annotated[str, typer.Option("--role", help="admin, marketer or analyst.")],
    name: Annotated[str, typer.Option("--name", help="The name the app shows (default: the login).")] = "",
    locale: Annotated[str | None, typer.Option("--locale", help="zh-CN or en (default: the browser's).")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user who can sign in at once; asks for the password (or reads it with --password-stdin)."""
    from engine.access.users import add_user, find_user, locale_of, login_of, password_problems, role_of
    from engine.clock import now
    from engine.db import session_scope, upgrade
    from engine.errors import Conflict, Invalid
    from engine.settings import get_settings

    upgrade(get_settings().sqlalchemy_url)
    checked = login_of(login)
    role_of(role)  # a bad role or locale is refused before the password is asked for
    locale_of(locale)
    with session_scope() as session:
        if find_user(session, checked) is not None:
            raise Conflict([f"a user '{checked}' exists already (memberflow user list shows the users)"])
    password = _password(password_stdin)
    if problems := password_problems(password):
        raise Invalid(problems)
    with session_scope() as session:
        user = add_user(session, checked, name, role, password, now(), locale)
    console.print(f"user '{user.login}' added as {user.role}; they sign in at /login", highlight=False)


@users_app.command("list")
def user_list(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Every user: login, name, role, whether disabled, language, when made and last signed in (UTC)."""
    from engine.access.users import list_users
    from engine.db import session_scope

    with session_scope() as session:
        found = list_users(session)
    if as_json:
        print(json.dumps([u.model_dump(mode="json", exclude={"id"}) for u in found], ensure_ascii=False))
        return
    rows = [[u.login, u.display_name, u.role, "disabled" if u.disabled else "active", u.locale or "",
             u.created_at.isoformat(timespec="seconds"),
             u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "never"] for u in found]  # fmt: skip
    print_table(console, ["login", "name", "role", "status", "locale", "created", "last sign-in"], rows)


@users_app.command("set-role")
def user_set_role(login: str, role: Annotated[str, typer.Argument(help="admin, marketer or analyst.")]) -> None:
    """Give a user another role; it counts from their next request."""
    from engine.access.users import set_role
    from engine.clock import now
    from engine.db import session_scope

    with session_scope() as session:
        user = set_role(session, login, role, now())
    console.print(f"user '{user.login}' is now {user.role}", highlight=False)


@users_app.command("disable")
def user_disable(login: str) -> None:
    """Stop a user from signing in; their open sessions end at their next request. The user stays in the audit log."""
    from engine.access.users import set_disabled
    from engine.clock import now
    from engine.db import session_scope

    with session_scope() as session:
        user = set_disabled(session, login, True, now())
    console.print(f"user '{user.login}' is disabled", highlight=False)


@users_app.command("enable")
def user_enable(login: str) -> None:
    """Let a disabled user sign in again."""
    from engine.access.users import set_disabled
    from engine.clock import now
    from engine.db import session_scope

    with session_scope() as session:
        user = set_disabled(session, login, False, now())
    console.print(f"user '{user.login}' is enabled", highlight=False)


@users_app.command("set-password")
def user_set_password(login: str, password_stdin: PasswordStdin = False) -> None:
    """Give a user a new password (asked for, or read with --password-stdin)."""
    from engine.access.users import find_user, password_problems, set_password
    from engine.clock import now
    from engine.db import session_scope
    from engine.errors import Invalid, NotFound

    with session_scope() as session:
        if find_user(session, login) is None:
            raise NotFound([f"there is no user '{login.strip().lower()}' (memberflow user list shows the users)"])
    password = _password(password_stdin)
    if problems := password_problems(password):
        raise Invalid(problems)
    with session_scope() as session:
        set_password(session, login, password, now())
    console.print(f"the password of '{login.strip().lower()}' is changed", highlight=False)
