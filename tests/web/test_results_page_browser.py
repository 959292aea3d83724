"""The A/B results page in a real browser (Debian's chromium through Playwright), served by `memberflow web`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.login import PASSWORD, ensure_user
from tests.web.test_experiment_pages import assigned_shop

pytestmark = [pytest.mark.usefixtures("db")]


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert found, "Debian's chromium is not installed: run tests/chromium.sh (make test does)"
    return found


@pytest.fixture
def web() -> Iterator[str]:
    """`memberflow web` on a free port, with Temporal out of reach (the pages here need none but the recompute)."""
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    port, closed = ports
    env = {**os.environ, "WEB_PORT": str(port), "TEMPORAL_ADDRESS": f"127.0.0.1:{closed}"}
    server = subprocess.Popen([sys.executable, "-m", "cli", "web"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/experiments", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def page() -> Iterator[Page]:
    """A browser page; the test fails if anything on it broke the Content-Security-Policy (web/security.py)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        yield page
        browser.close()
        assert refused == []


def open_signed_in(page: Page, url: str, role: str = "analyst") -> None:
    """Open `url` as a `role` user: the app sends the browser to its login page, and back to `url` after."""
    user = ensure_user(role)
    page.goto(url)
    page.wait_for_url(lambda address: urlsplit(address).path == "/login")
    page.fill("#login", user.login)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(url)


def test_an_analyst_reads_the_results_and_switches_to_the_sequential_view(web: str, page: Page, tmp_path: Path) -> None:
    assigned_shop(tmp_path, coupon=500, points=505, buyers={"coupon": 50, "points": 90})

    open_signed_in(page, f"{web}/experiments")
    page.click("#splits a:has-text('offer')")
    page.wait_for_url("**/experiments/offer-test/offer")

    assert page.locator("#srm").count() == 0
    rows = page.locator("#arms tbody tr")
    assert rows.count() == 2 and "control" in rows.nth(0).inner_text() and "win" in rows.nth(1).inner_text()
    bar = page.locator("#lift line[stroke='#2563eb']").bounding_box()
    assert bar is not None and bar["width"] > 100  # the interval is drawn, and visibly wide
    assert page.locator("#over-time polyline").count() == 2
    fixed = page.locator("#method").inner_text()
    assert "Welch's t-test" in fixed

    page.click("text=sequential view")
    page.wait_for_url("**?sequential=true")

    assert "confidence sequence" in page.locator("#method").inner_text()
    wider = page.locator("#lift line[stroke='#2563eb']").bounding_box()
    assert wider is not None and wider["width"] >= bar["width"]  # a sequence is never narrower than the fixed CI


def test_a_sample_ratio_mismatch_is_a_red_banner(web: str, page: Page, tmp_path: Path) -> None:
    assigned_shop(tmp_path, coupon=600, points=400, buyers={"coupon": 60, "points": 40})

    open_signed_in(page, f"{web}/experiments/offer-test/offer")

    banner = page.locator("#srm")
    assert banner.is_visible() and "SAMPLE-RATIO MISMATCH" in banner.inner_text()
    colour = banner.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour == "rgb(254, 226, 226)"


def test_refusals_are_shown_on_a_page_and_inside_an_htmx_form(web: str, page: Page) -> None:
    open_signed_in(page, f"{web}/segments", "marketer")  # a marketer may start a recompute
    missing = page.goto(f"{web}/experiments/nope/offer")

    assert missing is not None and missing.status == 404
    assert page.locator("h1").inner_text() == "404 · Not Found"
    assert page.locator(".error li").inner_text() == "journey nope does not exist"

    page.goto(f"{web}/segments")
    page.click("text=Recompute now")
    said = page.locator("#recompute-status .error li")
    said.wait_for(timeout=20_000)  # Temporal is given 3 s to answer

    assert said.inner_text().startswith("Temporal is unreachable at 127.0.0.1:")
    assert page.locator("#recompute-status .error").get_attribute("data-status") == "503"
    assert page.url == f"{web}/segments"  # the form answered in place
