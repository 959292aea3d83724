"""`memberflow user …` and `memberflow audit`: users made, listed, given roles and disabled from the terminal, each
refusal one clear line; argon2 hashes (rehashed when the parameters change); the audit log of it all."""

from __future__ import annotations

import io
import json
import sys

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner

from engine import clock
from engine.access import audit
from engine.access.audit import Actor, acting_as
from engine.access.users import add_user, first_admin, sign_in
from engine.db import session_scope
from engine.models import User

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
GOOD = "a long enough password"


def memberflow(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
               stdin: str = "") -> tuple[int, str, str]:  # fmt: skip
    """Run `memberflow ARGS` as the terminal does (cli.main.main: its error handling, exit codes); (code, out, err)."""
    from cli.main import main

    monkeypatch.setattr(sys, "argv", ["memberflow", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def stored_hash(login: str) -> str:
    with session_scope() as session:
        found = session.scalar(select(User.password_hash).where(User.login == login))  # type: ignore[arg-type]
    assert found is not None
    return str(found)


def test_a_user_added_with_the_password_on_stdin_signs_in_with_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = memberflow(monkeypatch, capsys, "user", "add", "Li.Na@Example.com", "--role", "marketer",
                              "--name", "李娜", "--locale", "zh-CN", "--password-stdin", stdin=GOOD + "\n")  # fmt: skip

    assert code == 0
    assert "user 'li.na@example.com' added as marketer" in out
    assert stored_hash("li.na@example.com").startswith("$argon2id$")
    assert GOOD not in stored_hash("li.na@example.com")
    with session_scope() as session:
        accepted = sign_in(session, "LI.NA@example.com", GOOD, clock.now())
        refused = sign_in(session, "li.na@example.com", GOOD + "!", clock.now())
    assert accepted.user is not None and (accepted.user.role, accepted.user.display_name) == ("marketer", "李娜")
    assert accepted.user.locale == "zh-CN" and accepted.user.last_login_at is not None
    assert refused.user is None


def test_the_password_prompt_asks_twice() -> None:
    from cli.main import app

    added = CliRunner().invoke(app, ["user", "add", "ana", "--role", "analyst"], input=f"{GOOD}\n{GOOD}\n")

    assert added.exit_code == 0, added.output
    with session_scope() as session:
        assert sign_in(session, "ana", GOOD, clock.now()).user is not None


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (["user", "add", "bo", "--role", "boss"], GOOD, "error: role 'boss' is not one of admin, marketer, analyst"),
        (
            ["user", "add", "bo", "--role", "analyst"],
            "short",
            "error: the password is too weak: it has 5 characters, at least 10 are needed",
        ),
        (["user", "add", "bo b", "--role", "analyst"], GOOD, "error: login 'bo b' must be an email address or 1-64"),
        (["user", "add", "x@", "--role", "analyst"], GOOD, "error: login 'x@' is not a valid email address"),
        (
            ["user", "add", "bo", "--role", "analyst", "--locale", "fr"],
            GOOD,
            "error: locale 'fr' is not one of zh-CN, en",
        ),
        (["user", "set-role", "nobody", "admin"], "", "error: there is no user 'nobody'"),
        (["user", "disable", "nobody"], "", "error: there is no user 'nobody'"),
    ],
)
def test_refusals_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], stdin: str, error: str
) -> None:
    code, _, err = memberflow(monkeypatch, capsys, *args, *(["--password-stdin"] if stdin else []), stdin=stdin + "\n")

    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.strip().startswith(error), err
    with session_scope() as session:
        assert session.scalars(select(User)).all() == []


def test_a_duplicate_is_refused_before_the_password_is_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    memberflow(monkeypatch, capsys, "user", "add", "ana", "--role", "analyst", "--password-stdin", stdin=GOOD)

    code, _, err = memberflow(monkeypatch, capsys, "user", "add", "ANA", "--role", "admin", "--password-stdin")

    assert (code, err.strip()) == (2, "error: a user 'ana' exists already (memberflow user list shows the users)")


def test_roles_change_users_are_disabled_and_the_last_admin_stays(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for login, role in (("boss", "admin"), ("ana", "analyst")):
        memberflow(monkeypatch, capsys, "user", "add", login, "--role", role, "--password-stdin", stdin=GOOD)

    promoted = memberflow(monkeypatch, capsys, "user", "set-role", "ana", "marketer")
    last_admin = memberflow(monkeypatch, capsys, "user", "disable", "boss")
    demoted = memberflow(monkeypatch, capsys, "user", "set-role", "boss", "analyst")
    disabled = memberflow(monkeypatch, capsys, "user", "disable", "ana")
    listed = json.loads(memberflow(monkeypatch, capsys, "user", "list", "--json")[1])

    assert promoted[:2] == (0, "user 'ana' is now marketer\n")
    assert last_admin[0] == 2 and "'boss' is the last active admin" in last_admin[2]
    assert demoted[0] == 2 and "make another user admin before you change their role" in demoted[2]
    assert disabled[:2] == (0, "user 'ana' is disabled\n")
    assert [(u["login"], u["role"], u["disabled"]) for u in listed] == [("ana", "marketer", True),
                                                                        ("boss", "admin", False)]  # fmt: skip
    assert all("password_hash" not in u for u in listed)
    with session_scope() as session:
        assert sign_in(session, "ana", GOOD, clock.now()).refusal == "disabled"


def test_the_audit_log_names_who_did_what_and_never_a_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    memberflow(monkeypatch, capsys, "user", "add", "ana", "--role", "analyst", "--password-stdin", stdin=GOOD)
    memberflow(monkeypatch, capsys, "user", "set-role", "ana", "marketer")
    with session_scope() as session, acting_as(Actor(name="anonymous", client="203.0.113.9")):
        sign_in(session, "ana", "wrong password!", clock.now())
        sign_in(session, "ana", GOOD, clock.now())

    code, out, _ = memberflow(monkeypatch, capsys, "audit", "--json")
    entries = json.loads(out)

    assert code == 0
    assert [(e["action"], e["subject"]) for e in entries] == [
        ("login", "ana"), ("login_failed", "ana"), ("role_changed", "ana"), ("user_added", "ana"),
    ]  # fmt: skip
    assert entries[0]["actor"] == "user:ana" and entries[0]["client"] == "203.0.113.9"
    assert entries[1]["actor"] == "anonymous" and entries[1]["detail"] == {"reason": "unknown login or wrong password"}
    assert entries[2]["actor"].startswith("cli") and entries[2]["detail"] == {"role": "marketer", "was": "analyst"}
    assert GOOD not in out and "wrong password!" not in out
    only_failures = json.loads(memberflow(monkeypatch, capsys, "audit", "--json", "--action", "login_failed")[1])
    assert [e["action"] for e in only_failures] == ["login_failed"]
    table = memberflow(monkeypatch, capsys, "audit")[1]
    assert "role_changed" in table and "+08:00" in table  # times in the shop's zone (Asia/Shanghai)


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with session_scope() as session:
        add_user(session, "old", "", "analyst", GOOD, clock.now())
        row = session.scalar(select(User).where(User.login == "old"))  # type: ignore[arg-type]
        assert row is not None
        row.password_hash = weak.hash(GOOD)
    before = stored_hash("old")

    with session_scope() as session:
        assert sign_in(session, "old", GOOD, clock.now()).user is not None

    after = stored_hash("old")
    assert "m=8192,t=1,p=1" in before
    assert after != before and not PasswordHasher().check_needs_rehash(after)
    with session_scope() as session:
        assert sign_in(session, "old", GOOD, clock.now()).user is not None


def test_the_first_admin_is_made_once() -> None:
    with session_scope() as session:
        made = first_admin(session, clock.now())
        again = first_admin(session, clock.now())

    assert made is not None and made[0] == "admin" and len(made[1]) >= 16
    assert again is None
    with session_scope() as session:
        signed = sign_in(session, "admin", made[1], clock.now())
        kinds = [e.action for e in audit.entries(session)]
    assert signed.user is not None and signed.user.role == "admin"
    assert kinds == ["login", "user_added"]
