"""API tokens: shown once when made, stored only as their SHA-256, accepted until revoked; API_TOKEN still works."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from typer.testing import CliRunner

from engine.access.api_tokens import create_token, first_token
from engine.clock import now
from engine.db import session_scope
from engine.errors import Conflict, Invalid
from engine.models import ApiToken

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]


def stored() -> list[tuple[str, str]]:
    with session_scope() as session:
        return [(row.name, row.token_hash) for row in session.scalars(select(ApiToken).order_by(ApiToken.name))]


async def members(client: AsyncTestClient, token: str) -> int:  # type: ignore[type-arg]
    answer = await client.get("/api/members", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


async def test_a_created_token_is_shown_once_stored_hashed_and_refused_once_revoked(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    from cli.main import app

    created = CliRunner().invoke(app, ["token", "create", "crm-sync"])
    token = created.stdout.strip()

    assert created.exit_code == 0, created.output
    assert token.startswith("mf_") and len(token) >= 43  # 256 random bits
    assert stored() == [("crm-sync", hashlib.sha256(token.encode()).hexdigest())]
    assert await members(client, token) == 200
    listed = CliRunner().invoke(app, ["token", "list", "--json"]).stdout
    assert token not in listed and stored()[0][1] not in listed
    assert '"name": "crm-sync"' in listed and '"last_used_at": null' not in listed  # the call above was noted

    revoked = CliRunner().invoke(app, ["token", "revoke", "crm-sync"])

    assert revoked.exit_code == 0
    assert await members(client, token) == 401
    assert stored() == []


async def test_the_operator_token_from_the_environment_still_works(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    assert await members(client, "test-token") == 200  # API_TOKEN (tests/conftest.py)
    assert await members(client, "test-token-but-longer") == 401
    assert await members(client, "") == 401


def test_names_are_unique_and_plain() -> None:
    with session_scope() as session:
        create_token(session, "pos", now())
    with pytest.raises(Conflict) as taken, session_scope() as session:
        create_token(session, "pos", now())
    with pytest.raises(Invalid) as odd, session_scope() as session:
        create_token(session, "has space", now())

    assert taken.value.problems == ["a token called 'pos' exists; revoke it first or choose another name"]
    assert odd.value.problems[0].startswith("token name 'has space' must be 1-64 letters, digits")


async def test_up_makes_the_first_token_once(client: AsyncTestClient, tmp_path: Path) -> None:  # type: ignore[type-arg]
    with session_scope() as session:
        first = first_token(session, now(), tmp_path / "api-token")
    with session_scope() as session:
        again = first_token(session, now(), tmp_path / "api-token")

    assert first is not None and again is None
    assert [name for name, _ in stored()] == ["first"]
    assert await members(client, first) == 200


async def test_a_token_kept_in_clear_by_an_earlier_version_is_stored_hashed_and_its_file_removed(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    legacy = tmp_path / "api-token"
    legacy.write_text("kept-in-clear-0123456789abcdef\n", encoding="utf-8")

    with session_scope() as session:
        made = first_token(session, now(), legacy)

    assert made is None and not legacy.exists()
    assert stored() == [("api-token-file", hashlib.sha256(b"kept-in-clear-0123456789abcdef").hexdigest())]
    assert await members(client, "kept-in-clear-0123456789abcdef") == 200
