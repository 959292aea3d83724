"""The API page in a real browser (Debian's chromium): Swagger UI from the vendored files draws the API under the
Content-Security-Policy, and the page asks no other host for anything (it works offline and where CDNs are blocked)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.web.test_results_page_browser import open_signed_in, page, web  # noqa: F401 - the fixtures

pytestmark = [pytest.mark.usefixtures("db")]


def test_swagger_ui_draws_the_api_from_this_site_alone(web: str, page: Page) -> None:  # noqa: F811
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    open_signed_in(page, f"{web}/schema/swagger")
    page.wait_for_selector(".swagger-ui .info .title")

    assert "memberflow" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path[data-path='/api/members']").count() >= 1
    assert {urlsplit(url).netloc for url in asked} == {urlsplit(web).netloc}
