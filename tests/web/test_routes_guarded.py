"""Every route the app registers is public by the list below, API behind its token, or behind a sign-in, and every
route that changes something refuses an analyst. New routes are enumerated from the app itself, so one added
without protection fails here."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.login import csrf_token, sign_in
from tests.web.test_experiment_pages import assigned_shop
from web.access import PUBLIC, SAFE_METHODS, allowed_roles
from web.app import create_app
from web.security import CSRF_HEADER

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]

# The only routes anyone may call: the health check, the signed message links, static files, signing in and out,
# and the language switcher (on the login page too).
PUBLIC_ROUTES = {
    ("/api/health", "GET"),
    ("/u/{token:str}", "GET"), ("/u/{token:str}", "POST"), ("/o/{token:str}", "GET"), ("/c/{token:str}", "GET"),
    ("/static/{file_path:path}", "GET"), ("/static/{file_path:path}", "HEAD"),
    ("/login", "GET"), ("/login", "POST"), ("/logout", "POST"), ("/locale", "GET"),
}  # fmt: skip
ADMIN_ROUTES = {("/admin/audit", "GET")}
ARGUMENT = re.compile(r"\{(\w+):(\w+)\}")


def routes(app: Litestar) -> list[tuple[str, str, object]]:
    """(path template, method, handler) of every route, OPTIONS included."""
    found = [
        (route.path, method, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method, (handler, _) in route.route_handler_map.items()
    ]
    assert len(app.routes) == len({path for path, _, _ in found})  # nothing but HTTP routes (no mounts, sockets)
    return sorted(found, key=lambda item: (item[0], item[1]))


def concrete(path: str) -> str:
    """The template with each parameter filled: 'x' for a string, 1 for an integer, 'x/y' for a path."""
    return ARGUMENT.sub(lambda m: {"int": "1", "path": "x/y"}.get(m.group(2), "x"), path)


@pytest.fixture
async def app_and_clients() -> AsyncIterator[tuple[Litestar, AsyncTestClient, AsyncTestClient, AsyncTestClient]]:  # type: ignore[type-arg]
    """The app, and three clients: nobody signed in, an analyst, a marketer (each sends a valid CSRF token)."""
    app = create_app()
    async with (
        AsyncTestClient(app=app) as anonymous, AsyncTestClient(app=app) as analyst,
        AsyncTestClient(app=app) as marketer,
    ):  # fmt: skip
        anonymous.headers[CSRF_HEADER] = await csrf_token(anonymous)  # so a refusal is the guard's, not CSRF's
        await sign_in(analyst, "analyst")
        await sign_in(marketer, "marketer")
        yield app, anonymous, analyst, marketer


def test_the_public_routes_are_exactly_the_listed_ones() -> None:
    public = {(path, method) for path, method, handler in routes(create_app()) if handler.opt.get(PUBLIC)}  # type: ignore[attr-defined]

    assert public - {(p, m) for p, m in public if m == "OPTIONS"} == PUBLIC_ROUTES


async def test_every_route_is_public_token_api_or_behind_sign_in(
    app_and_clients: tuple[Litestar, AsyncTestClient, AsyncTestClient, AsyncTestClient],  # type: ignore[type-arg]
) -> None:
    app, anonymous, analyst, _ = app_and_clients
    checked = 0
    for path, method, handler in routes(app):
        url = concrete(path)
        if handler.opt.get(PUBLIC):  # type: ignore[attr-defined]
            answer = await anonymous.request(method, url, follow_redirects=False)
            to_login = answer.status_code == 302 and answer.headers["location"].startswith("/login")
            assert not to_login and "sign in first" not in answer.text, (method, path, answer.status_code)
            assert answer.status_code != 403, (method, path, answer.text)
        elif path.startswith("/api/"):
            nobody = await anonymous.request(method, url, follow_redirects=False)
            browser = await analyst.request(method, url, follow_redirects=False)
            assert nobody.status_code == 401 and "API token" in nobody.text, (method, path, nobody.text)
            if method in ("GET", "HEAD"):  # a signed-in browser may read the API (the CSV on a page)
                assert browser.status_code not in (401, 403), (method, path, browser.status_code, browser.text)
            else:  # changes through the API take its token, never a browser's session
                assert browser.status_code == 401, (method, path, browser.status_code)
        else:
            nobody = await anonymous.request(method, url, follow_redirects=False)
            if method in ("GET", "HEAD"):
                assert nobody.status_code == 302, (method, path, nobody.status_code)
                assert nobody.headers["location"].startswith("/login?next="), (method, path)
            else:
                assert nobody.status_code == 401 and "sign in first" in nobody.text, (method, path, nobody.text)
            if "analyst" not in allowed_roles(handler, method):  # type: ignore[arg-type]
                refused = await analyst.request(method, url, follow_redirects=False)
                assert refused.status_code == 403, (method, path, refused.status_code)
                assert "your role (analyst) may not do this" in refused.text
        checked += 1
    assert checked == len(routes(app)) > 90


async def test_an_analyst_may_not_change_anything_and_only_admins_read_admin_pages(
    app_and_clients: tuple[Litestar, AsyncTestClient, AsyncTestClient, AsyncTestClient],  # type: ignore[type-arg]
) -> None:
    app, _, analyst, marketer = app_and_clients
    changing = [(path, method, handler) for path, method, handler in routes(app)
                if method not in SAFE_METHODS and not handler.opt.get(PUBLIC) and not path.startswith("/api/")]  # type: ignore[attr-defined]  # fmt: skip
    admin_only = [(path, method) for path, method, handler in routes(app) if method != "OPTIONS"
                  and allowed_roles(handler, method) == ("admin",)]  # type: ignore[arg-type]  # fmt: skip

    assert changing, "no page changes anything? then this test checks nothing"
    for path, method, handler in changing:
        assert allowed_roles(handler, method) in (("admin", "marketer"), ("admin",)), (method, path)  # type: ignore[arg-type]
    assert set(admin_only) == ADMIN_ROUTES
    for path, method in admin_only:
        assert (await marketer.request(method, concrete(path))).status_code == 403
        assert (await analyst.request(method, concrete(path))).status_code == 403


async def test_the_members_csv_linked_from_the_experiments_page_downloads_for_a_signed_in_analyst(
    tmp_path: Path,
) -> None:
    assigned_shop(tmp_path, coupon=3, points=2, buyers={"coupon": 1, "points": 0})
    async with AsyncTestClient(app=create_app()) as browser:
        await sign_in(browser, "analyst")
        page = await browser.get("/experiments/offer-test/offer")
        link = re.search(r'href="(/api/[^"]+members\.csv)"', page.text)
        assert link is not None, page.text
        download = await browser.get(link.group(1))
        change = await browser.post("/api/journeys/offer-test/sweep")

    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert len(download.text.splitlines()) == 1 + 5  # a header and the five members
    assert change.status_code == 401  # changes through the API still need its token
