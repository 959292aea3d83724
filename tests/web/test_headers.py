"""Security headers on every response, templates that need no inline script or style, and the API page served from
vendored Swagger UI files (no CDN)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from engine.messages.message_log import sign
from engine.settings import get_settings
from tests.login import sign_in
from web.app import create_app

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
WEB = Path(__file__).resolve().parents[2] / "web"
SWAGGER = WEB / "static" / "vendor" / "swagger-ui"


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        await sign_in(test_client, "analyst")
        yield test_client


def csp(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/members", 200), ("/login", 302), ("/no-such-page", 404), ("/api/members", 200),
     ("/api/health", None), ("/static/app.css", 200), ("/schema/swagger", 200), ("/u/bad-token", 404)],
)  # fmt: skip
async def test_every_answer_carries_the_headers(client: AsyncTestClient, path: str, status: int | None) -> None:  # type: ignore[type-arg]
    answer = await client.get(path, follow_redirects=False)

    assert status is None or answer.status_code == status
    policy = csp(answer.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_a_visitor_and_an_error_get_them_too() -> None:
    async with AsyncTestClient(app=create_app()) as client:
        refused = await client.get("/api/members")
        redirected = await client.get("/outbox", follow_redirects=False)

    for answer in (refused, redirected):
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_no_template_has_an_inline_script_style_or_event_handler() -> None:
    """The policy forbids them (no 'unsafe-inline'): each would silently not run in the browser."""
    offending = []
    for template in sorted((WEB / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        offending += [
            f"{template.name}: <script> without src" for _ in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
        ]
        offending += [f"{template.name}: <style>" for _ in re.findall(r"<style\b", text)]
        offending += [f"{template.name}: {m}" for m in re.findall(r"\s(style|on[a-z]+)=", text)]
        offending += [f"{template.name}: {m}" for m in re.findall(r"(?:src|href)=\"(?:https?:)?//[^\"]+", text)]
    assert offending == []


async def test_the_api_page_loads_swagger_ui_from_this_site_only(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    page = await client.get("/schema/swagger")
    root = await client.get("/schema")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    served = {asset: await client.get(asset) for asset in assets}

    assert page.status_code == root.status_code == 200 and "swagger-container" in root.text
    assert "<style" not in page.text and re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert not re.search(r"https?://|//[a-z]", page.text.split("<!DOCTYPE html>", 1)[1])  # no other host at all
    assert set(assets) == {"/static/vendor/swagger-ui/swagger-ui.css", "/static/vendor/swagger-ui/swagger-ui-bundle.js",
                           "/static/swagger.js"}  # fmt: skip
    for asset, answer in served.items():
        assert answer.status_code == 200, asset
        assert answer.content == (WEB / asset.removeprefix("/")).read_bytes()
    assert (
        served["/static/vendor/swagger-ui/swagger-ui-bundle.js"]
        .headers["content-type"]
        .startswith(("application/javascript", "text/javascript"))
    )
    assert 'data-spec-url="/schema/openapi.json"' in page.text
    assert "validatorUrl: null" in served["/static/swagger.js"].text  # the validator badge would call a CDN
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200 and "/api/members" in schema.json()["paths"]


def test_the_vendored_files_come_with_licence_and_version() -> None:
    version = (SWAGGER / "VERSION").read_text(encoding="utf-8")

    assert "swagger-ui-dist 5.35.0" in version and "Apache-2.0" in version
    assert "Apache License" in (SWAGGER / "LICENSE").read_text(encoding="utf-8")
    for line in version.splitlines():
        if match := re.fullmatch(r"([0-9a-f]{64})  (\S+)", line):
            assert hashlib.sha256((SWAGGER / match.group(2)).read_bytes()).hexdigest() == match.group(1)
    assert "swagger-ui-bundle.js" in version and "swagger-ui.css" in version


async def test_the_unsubscribe_page_is_bare_for_the_shopper() -> None:
    token = sign(get_settings().link_key(), "unsubscribe", 12345)
    async with AsyncTestClient(app=create_app()) as shopper:
        page = await shopper.get(f"/u/{token}")

    assert page.status_code == 200 and 'id="confirm-unsubscribe"' in page.text
    assert "<nav>" not in page.text and "/members" not in page.text and "csrf" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
