"""Signing a test client in as a real user (argon2 hash, the login form, a database session, the CSRF token), and
the `logged_in_client` fixture: an AsyncTestClient of the app signed in as a marketer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from engine import clock
from engine.access.users import UserView, add_user, list_users
from engine.db import session_scope
from web.app import create_app
from web.security import CSRF_COOKIE, CSRF_HEADER

PASSWORD = "correct horse battery"


def ensure_user(role: str, login: str | None = None) -> UserView:
    """The user `login` (default '<role>@example.com') with PASSWORD, made if missing."""
    login = login or f"{role}@example.com"
    with session_scope() as session:
        found = next((user for user in list_users(session) if user.login == login), None)
        return found or add_user(session, login, role.title(), role, PASSWORD, clock.now())


async def csrf_token(client: AsyncTestClient) -> str:  # type: ignore[type-arg]
    """The client's CSRF token (its cookie's value, which the form field or header must repeat); fetched with a
    GET of the login page if the client has none yet."""
    if CSRF_COOKIE not in client.cookies:
        await client.get("/login")
    return str(client.cookies[CSRF_COOKIE])


async def sign_in(client: AsyncTestClient, role: str = "marketer", login: str | None = None) -> UserView:  # type: ignore[type-arg]
    """Sign `client` in through the login form as a `role` user, and make it send the CSRF header from now on
    (as htmx does on every request of a page)."""
    user = ensure_user(role, login)
    token = await csrf_token(client)
    answer = await client.post(
        "/login", data={"login": user.login, "password": PASSWORD, "_csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    client.headers[CSRF_HEADER] = token
    return user


@pytest.fixture
async def logged_in_client(db: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The app, signed in as a marketer (who may read and change everything but users and settings)."""
    async with AsyncTestClient(app=create_app()) as client:
        await sign_in(client)
        yield client
