"""CSRF: every form and htmx request of a signed-in browser carries the token; the bearer-token API and the signed
links do not need it. A refusal is told in the asker's form (web/errors.py): a page for a form, a fragment for htmx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from tests.login import sign_in
from tests.web.error_pages import page_problems
from web.app import create_app
from web.security import CSRF_COOKIE, CSRF_HEADER
from web.sessions import SESSION_COOKIE

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        await sign_in(test_client, "marketer")
        del test_client.headers[CSRF_HEADER]  # each test sends the token itself, or not
        yield test_client


async def test_a_change_without_the_token_or_with_a_forged_one_is_refused(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    missing = await client.post("/logout", follow_redirects=False)  # a plain form: the refusal is a whole page
    forged = await client.post("/segments/recompute", headers={CSRF_HEADER: "0" * 128, "HX-Request": "true"})
    still_in = await client.get("/", follow_redirects=False)

    assert missing.status_code == forged.status_code == 403
    assert missing.text.startswith("<!doctype html>") and page_problems(missing.text) == (
        403, ["CSRF token verification failed"]
    )  # fmt: skip
    assert "<html" not in forged.text and page_problems(forged.text) == (403, ["CSRF token verification failed"])
    assert still_in.status_code == 200  # nothing happened: still signed in


async def test_the_form_field_and_the_htmx_header_both_carry_it(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    page = await client.get("/segments")
    meta = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
    field = re.search(r'<input type="hidden" name="_csrf_token" value="([0-9a-f]+)" />', page.text)
    assert meta is not None and field is not None, page.text
    script = await client.get("/static/csrf.js")

    by_header = await client.post("/segments/recompute", headers={CSRF_HEADER: meta.group(1), "HX-Request": "true"})
    by_form = await client.post("/logout", data={"_csrf_token": field.group(1)}, follow_redirects=False)

    assert meta.group(1) == field.group(1) == client.cookies[CSRF_COOKIE]
    assert 'src="/static/csrf.js"' in page.text and "X-CSRFToken" in script.text and "htmx:configRequest" in script.text
    assert by_header.status_code != 403, by_header.text  # past CSRF and the guard (Temporal may be down: 503)
    assert by_form.status_code == 303 and by_form.headers["location"] == "/login"
    assert client.cookies.get(SESSION_COOKIE) in (None, "null")  # signed out (the cookie expires as it is set)
    assert (await client.get("/", follow_redirects=False)).status_code == 302


async def test_the_token_cookie_is_http_only_and_same_site() -> None:
    async with AsyncTestClient(app=create_app()) as client:
        page = await client.get("/login")

    cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith(f"{CSRF_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_the_api_with_its_bearer_token_and_the_signed_links_need_no_csrf_token(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    created = await client.post("/api/members", json={"member_id": "M1"}, headers=AUTH)
    unsubscribe = await client.post("/u/not-a-signed-token")

    assert created.status_code == 201
    assert unsubscribe.status_code == 404 and "this link is not valid" in unsubscribe.text  # the signature's answer
