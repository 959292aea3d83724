"""The one mapping from an error to an answer (web/errors.py): each refusal's status, as JSON {"problems": [...]} for
/api, a whole HTML page for a page, an HTML fragment for an htmx request; always every problem, escaped in HTML."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from engine.errors import Conflict, Invalid, NotFound, Refusal, Rejected, Unavailable
from engine.settings import get_settings
from tests.login import sign_in
from tests.web.error_pages import page_problems
from web.app import create_app

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}
HTMX = {"HX-Request": "true"}
KINDS: dict[str, tuple[type[Refusal], int]] = {
    "not-found": (NotFound, 404), "conflict": (Conflict, 409), "invalid": (Invalid, 400),
    "rejected": (Rejected, 422), "unavailable": (Unavailable, 503),
}  # fmt: skip
PROBLEMS = ["amount '-5' is negative", "member <M1> & co does not exist"]


@get("/refuse/{kind:str}", include_in_schema=False)
async def refuse_page(kind: FromPath[str]) -> None:
    raise KINDS[kind][0](PROBLEMS)


@get("/api/refuse/{kind:str}", include_in_schema=False)
async def refuse_api(kind: FromPath[str]) -> None:
    raise KINDS[kind][0](PROBLEMS)


@pytest.fixture
async def refusing() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The real app, with a page and an API route that raise the refusal their path names, signed in as an analyst
    (the page is behind login like every page; reading it takes any role)."""
    app = create_app()
    app.register(refuse_page)
    app.register(refuse_api)
    async with AsyncTestClient(app=app) as client:
        await sign_in(client, "analyst")
        yield client


def is_html(response: Any) -> bool:
    return str(response.headers["content-type"]).startswith("text/html")


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_refusal_answers_its_status_in_the_askers_form(refusing: AsyncTestClient, kind: str) -> None:  # type: ignore[type-arg]
    status = KINDS[kind][1]

    api = await refusing.get(f"/api/refuse/{kind}", headers=AUTH)
    page = await refusing.get(f"/refuse/{kind}")
    fragment = await refusing.get(f"/refuse/{kind}", headers=HTMX)

    assert (api.status_code, api.json()) == (status, {"problems": PROBLEMS})
    assert page.status_code == status and is_html(page)
    assert page.text.startswith("<!doctype html>") and "<nav>" in page.text  # the whole page, with the site's menu
    assert page_problems(page.text) == (status, PROBLEMS)
    assert fragment.status_code == status and is_html(fragment)
    assert fragment.text.lstrip().startswith('<div class="error"') and "<html" not in fragment.text
    assert page_problems(fragment.text) == (status, PROBLEMS)
    assert "member &lt;M1&gt; &amp; co does not exist" in page.text + fragment.text  # escaped, not markup


async def test_real_routes_refuse_through_the_same_mapping(logged_in_client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    client = logged_in_client
    member = await client.get("/api/members/NOPE", headers=AUTH)
    journey = await client.get("/experiments/<nope>/offer")
    agree = await client.put("/api/tag-rules/VIP", json={"tag": "VIPS", "condition": {"kind": "has_tag", "tag": "x"}},
                             headers=AUTH)  # fmt: skip
    event = {"member_id": "M1", "type": "signup", "occurred_at": "2026-01-02T03:04:05+08:00", "idempotency_key": "k1"}
    await client.post("/api/members", json={"member_id": "M1"}, headers=AUTH)
    first = await client.post("/api/events", json=event, headers=AUTH)
    other = await client.post("/api/events", json={**event, "properties": {"x": 1}}, headers=AUTH)

    assert (member.status_code, member.json()) == (404, {"problems": ["member NOPE does not exist"]})
    assert journey.status_code == 404 and is_html(journey)
    assert page_problems(journey.text) == (404, ["journey <nope> does not exist"])
    assert "journey &lt;nope&gt; does not exist" in journey.text
    assert (agree.status_code, agree.json()) == (
        400, {"problems": ["the path names tag 'VIP' but the body names tag 'VIPS'; they must agree"]}
    )  # fmt: skip
    assert first.status_code == 201
    assert (other.status_code, other.json()) == (
        409, {"problems": ["idempotency key k1 was already used for a different event"]}
    )  # fmt: skip


async def test_temporal_out_of_reach_is_told_in_the_recompute_button_and_on_the_api(
    logged_in_client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = logged_in_client
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setattr(
        "web.temporal.get_settings", lambda: get_settings().model_copy(update={"temporal_address": closed})
    )

    button = await client.post("/segments/recompute", headers=HTMX)  # the segments page's htmx form
    api = await client.post("/api/rfm/recompute", json={}, headers=AUTH)

    status, (problem,) = page_problems(button.text)
    assert button.status_code == status == 503 and "<html" not in button.text
    assert problem.startswith(f"Temporal is unreachable at {closed} (") and problem.endswith("; try again once it runs")
    assert (api.status_code, api.json()) == (503, {"problems": [problem]})


async def test_bad_input_is_named_before_temporal_is_reached(
    client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(  # Temporal would answer 503 at once: it must not be asked
        "web.temporal.get_settings", lambda: get_settings().model_copy(update={"temporal_address": "127.0.0.1:1"})
    )

    draft = {"id": "j", "name": "j", "trigger": {"type": "manual"}, "steps": [{"id": "w", "type": "wait"}]}
    journey = await client.post("/api/journeys", json=draft, headers=AUTH)
    enroll = await client.post("/api/journeys/nope/enroll", json={"member_ids": ["M1"]}, headers=AUTH)

    assert journey.status_code == 422 and journey.json()["problems"]
    assert (enroll.status_code, enroll.json()) == (404, {"problems": ["journey nope does not exist"]})


async def test_a_dependency_name_is_no_query_parameter(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    answer = await client.get("/api/members?session=1", headers=AUTH)

    assert (answer.status_code, answer.json()) == (
        400, {"problems": ["unknown query parameter session; it takes limit, offset, q"]}
    )  # fmt: skip
