"""Signing in and out of the web app: the login page, sessions in the database, `next`, rotation, the rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlmodel import col

from engine import clock
from engine.access import audit
from engine.access.users import set_disabled, set_role
from engine.db import session_scope
from engine.models import WebSession
from tests.login import PASSWORD, csrf_token, ensure_user, sign_in
from web.app import create_app
from web.security import CSRF_COOKIE, LOGIN_ATTEMPTS
from web.sessions import SESSION_COOKIE

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client


async def post_login(client: AsyncTestClient, login: str, password: str, next_: str = "/") -> Response:  # type: ignore[type-arg]
    token = await csrf_token(client)
    return await client.post(
        "/login", data={"login": login, "password": password, "next": next_, "_csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip


def session_rows() -> int:
    with session_scope() as session:
        query = select(func.count()).select_from(WebSession).where(col(WebSession.key).startswith("session:"))
        return int(session.scalar(query) or 0)


def set_cookie_of(answer: Response, name: str) -> str:
    headers = answer.headers.get_list("set-cookie")
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, headers
    return str(found[0])


async def test_a_page_sends_a_visitor_to_the_login_page_and_back_after(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    user = ensure_user("analyst")

    away = await client.get("/members?q=张", follow_redirects=False)
    page = await client.get(away.headers["location"])
    signed = await post_login(client, user.login, PASSWORD, next_="/members?q=张")
    back = await client.get(signed.headers["location"])

    assert away.status_code == 302
    assert away.headers["location"] == "/login?next=/members%3Fq%3D%25E5%25BC%25A0"
    assert page.status_code == 200 and 'name="next" value="/members?q=%E5%BC%A0"' in page.text
    assert 'id="login-form"' in page.text and "<nav>" not in page.text  # the bare layout: no menu
    assert signed.status_code == 303 and signed.headers["location"] == "/members?q=%E5%BC%A0"
    assert back.status_code == 200 and 'id="signed-in-as"' in back.text and "Analyst · analyst" in back.text
    cookie = set_cookie_of(signed, SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    assert session_rows() == 1


async def test_a_visitor_leaves_no_session_behind(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    for path in ("/", "/login", "/api/health", "/static/app.css", "/u/nope"):
        answer = await client.get(path, follow_redirects=False)
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", ""), path

    assert session_rows() == 0


@pytest.mark.parametrize(
    "target",
    ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com/", "http:/x", "/login", "javascript:x",
     "/\x00x"],
)  # fmt: skip
async def test_next_only_goes_to_a_path_on_this_site(client: AsyncTestClient, target: str) -> None:  # type: ignore[type-arg]
    user = ensure_user("analyst")

    signed = await post_login(client, user.login, PASSWORD, next_=target)

    assert signed.headers["location"] == "/"


async def test_a_wrong_password_an_unknown_login_and_a_disabled_account_are_refused(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    ensure_user("admin")
    user = ensure_user("analyst")
    wrong = await post_login(client, user.login, "not the password")
    unknown = await post_login(client, "nobody@example.com", PASSWORD)
    with session_scope() as session:
        set_disabled(session, user.login, True, clock.now())
    disabled = await post_login(client, user.login, PASSWORD)
    home = await client.get("/", follow_redirects=False)

    assert wrong.status_code == unknown.status_code == disabled.status_code == 401
    assert "Unknown login or wrong password." in wrong.text and wrong.text == unknown.text.replace(
        'value="nobody@example.com"', f'value="{user.login}"'
    )  # the same answer whether or not the login exists
    assert "This account is disabled: ask an admin." in disabled.text
    assert home.status_code == 302
    with session_scope() as session:
        failures = [(e.subject, e.detail["reason"]) for e in audit.entries(session, action=audit.LOGIN_FAILED)]
    assert failures == [(user.login, "disabled"), ("nobody@example.com", "unknown login or wrong password"),
                        (user.login, "unknown login or wrong password")]  # fmt: skip


async def test_a_session_id_planted_before_sign_in_is_worth_nothing(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    user = ensure_user("marketer")
    token = await csrf_token(client)
    planted = {"cookie": f"{CSRF_COOKIE}={token}; {SESSION_COOKIE}=planted-by-someone-else"}

    signed = await client.post("/login", data={"login": user.login, "password": PASSWORD, "_csrf_token": token},
                               headers=planted, follow_redirects=False)  # fmt: skip
    async with AsyncTestClient(app=create_app()) as other:
        used = await other.get("/", headers={"cookie": f"{SESSION_COOKIE}=planted-by-someone-else"},
                               follow_redirects=False)  # fmt: skip

    assert signed.status_code == 303
    fresh = set_cookie_of(signed, SESSION_COOKIE).split(";")[0].split("=", 1)[1]
    assert len(fresh) == 64 and fresh != "planted-by-someone-else"
    assert used.status_code == 302
    assert session_rows() == 1


async def test_sign_out_ends_the_session_for_good(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    user = await sign_in(client, "analyst")
    kept = client.cookies[SESSION_COOKIE]

    out = await client.post("/logout", follow_redirects=False)
    after = await client.get("/", follow_redirects=False)
    async with AsyncTestClient(app=create_app()) as replay:
        replay.cookies.set(SESSION_COOKIE, kept)
        replayed = await replay.get("/", follow_redirects=False)

    assert (out.status_code, out.headers["location"]) == (303, "/login")  # an analyst may sign out too
    assert after.status_code == 302 and replayed.status_code == 302
    assert session_rows() == 0
    with session_scope() as session:
        recorded = [(e.action, e.actor) for e in audit.entries(session)][:2]
    assert recorded == [("logout", f"user:{user.login}"), ("login", f"user:{user.login}")]


async def test_a_disabled_user_or_a_role_change_counts_at_the_next_request(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    ensure_user("admin")
    user = await sign_in(client, "marketer")
    with session_scope() as session:
        set_role(session, user.login, "analyst", clock.now())
    demoted = await client.post("/segments/recompute")
    with session_scope() as session:
        set_disabled(session, user.login, True, clock.now())
    gone = await client.get("/", follow_redirects=False)

    assert demoted.status_code == 403 and "your role (analyst) may not do this" in demoted.text
    assert gone.status_code == 302


async def test_sign_in_is_rate_limited_for_a_minute_then_allowed_again(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    user = ensure_user("analyst")
    tries = [await post_login(client, user.login, "wrong password") for _ in range(LOGIN_ATTEMPTS)]

    blocked = await post_login(client, user.login, PASSWORD)
    with clock.pinned(clock.now() + timedelta(seconds=61)):  # the count's row has expired a minute on
        later = await post_login(client, user.login, PASSWORD)

    assert [t.status_code for t in tries] == [401] * LOGIN_ATTEMPTS
    assert blocked.status_code == 429
    assert "Too many sign-in attempts from your address (5 a minute): wait a minute" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= 60
    assert later.status_code == 303


async def test_an_expired_form_is_said_so(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    user = ensure_user("analyst")

    answer = await client.post("/login", data={"login": user.login, "password": PASSWORD}, follow_redirects=False)

    assert answer.status_code == 403 and "The sign-in form had expired" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


async def test_a_signed_in_user_skips_the_login_page(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await sign_in(client, "analyst")

    answer = await client.get("/login?next=/outbox", follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (302, "/outbox")


async def test_cookies_are_secure_over_https() -> None:
    user = ensure_user("analyst")
    async with AsyncTestClient(app=create_app(), base_url="https://testserver.local") as client:
        signed = await post_login(client, user.login, PASSWORD)
        home = await client.get("/")

    assert "Secure" in set_cookie_of(signed, SESSION_COOKIE)
    assert home.status_code == 200 and 'id="signed-in-as"' in home.text
