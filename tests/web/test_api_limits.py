"""The API's edges against hostile and careless input: sizes, lengths and ranges refused with a sentence naming
them, paths and bodies that must agree, and inputs that once answered 500 now answering 400 or 404."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from engine.db import session_scope
from engine.errors import Invalid
from engine.models import Event, Member, Order, TagRule
from engine.settings import get_settings
from tests.web.error_pages import page_problems

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}
JSON = {**AUTH, "Content-Type": "application/json"}
RULE = {"condition": {"kind": "has_tag", "tag": "VIP"}}


def count(model: type) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def answers(response: Any) -> tuple[int, list[str]]:
    return response.status_code, response.json()["problems"]


async def test_a_body_over_the_limit_is_413_naming_its_size_and_the_limit(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    members = [{"member_id": f"M{i}", "name": "x" * 190} for i in range(25_000)]
    body = json.dumps(members).encode()

    response = await client.post("/api/members", content=body, headers=JSON)

    assert await answers(response) == (
        413,
        [
            f"the request body is {len(body):,} bytes; the limit is 4,194,304 bytes (4 MB): "
            "send fewer records per request"
        ],
    )
    assert count(Member) == 0


async def test_a_big_event_property_is_refused_at_intake_naming_size_and_limit(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.post("/api/members", json={"member_id": "M1"}, headers=AUTH)
    event = {"member_id": "M1", "type": "page_view", "properties": {"html": "x" * 3_000_000}}

    response = await client.post("/api/events", json=event, headers=AUTH)

    assert await answers(response) == (
        400,
        ["properties are 3,000,011 bytes of JSON; the limit is 32,768 bytes (32 KB)"],
    )
    assert count(Event) == 1  # the member's signup, nothing else


async def test_a_batch_holds_at_most_a_thousand_records(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.post("/api/members", json=[{"member_id": f"M{i}"} for i in range(1001)], headers=AUTH)

    assert await answers(response) == (400, ["body holds 1,001 records; send at most 1,000 per request"])
    assert count(Member) == 0


async def test_a_tag_rule_path_and_body_must_agree_and_tags_are_at_most_64(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    long_tag = "t" * 65
    too_long = await client.put(f"/api/tag-rules/{long_tag}", json={"tag": "other", **RULE}, headers=AUTH)
    other = await client.put("/api/tag-rules/高价值", json={"tag": "其他", **RULE}, headers=AUTH)
    same = await client.put("/api/tag-rules/高价值", json={"tag": "高价值", **RULE}, headers=AUTH)
    from_path = await client.put("/api/tag-rules/老客", json=RULE, headers=AUTH)
    deleted = await client.delete(f"/api/tag-rules/{long_tag}", headers=AUTH)
    listed = await client.get("/api/tag-rules", headers=AUTH)
    applied = await client.post("/api/tag-rules/apply", headers=AUTH)

    assert await answers(too_long) == (400, ["tag is longer than 64 characters"])
    assert await answers(other) == (
        400,
        ["the path names tag '高价值' but the body names tag '其他'; they must agree"],
    )
    assert (same.status_code, same.json()["tag"]) == (200, "高价值")
    assert (from_path.status_code, from_path.json()["tag"]) == (200, "老客")
    assert await answers(deleted) == (400, ["tag is longer than 64 characters"])
    assert listed.status_code == 200 and sorted(rule["tag"] for rule in listed.json()) == ["老客", "高价值"]
    assert applied.status_code == 201
    with session_scope() as session:
        assert sorted(session.scalars(select(TagRule.tag))) == ["老客", "高价值"]


async def test_a_tag_is_never_blank_padded_or_made_of_broken_bytes(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    blank = await client.put("/api/tag-rules/%20", json=RULE, headers=AUTH)
    broken = await client.put("/api/tag-rules/a%FFb", json=RULE, headers=AUTH)
    padded = await client.post("/api/members/M1/tags", json={"tag": " VIP"}, headers=AUTH)

    assert blank.status_code == 400, blank.text
    assert broken.status_code == 400, broken.text
    assert await answers(padded) == (400, ["tag ' VIP' has spaces at its start or end"])
    assert count(TagRule) == 0


async def test_a_coupon_template_path_and_body_must_agree(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    template = {"name": "满50减5", "kind": "amount_off", "amount_off": 5, "valid_days": 3}

    other = await client.put("/api/coupons/templates/api-5", json={**template, "key": "api-6"}, headers=AUTH)
    same = await client.put("/api/coupons/templates/api-5", json={**template, "key": "api-5"}, headers=AUTH)
    too_long = await client.put(f"/api/coupons/templates/{'k' * 65}", json=template, headers=AUTH)
    listed = await client.get("/api/coupons/templates", headers=AUTH)

    assert await answers(other) == (
        400,
        ["the path names template 'api-5' but the body names 'api-6'; they must agree"],
    )
    assert (same.status_code, same.json()["key"]) == (200, "api-5")
    assert await answers(too_long) == (400, ["key is longer than 64 characters"])
    assert [t["key"] for t in listed.json()] == ["api-5"]


async def test_a_member_tag_body_names_only_the_tag(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.post("/api/members", json=[{"member_id": "M1"}, {"member_id": "M2"}], headers=AUTH)

    elsewhere = await client.post("/api/members/M1/tags", json={"tag": "VIP", "member_id": "M2"}, headers=AUTH)
    line_break = await client.post("/api/members/M1/tags", json={"tag": "V\nIP"}, headers=AUTH)
    long_tag = await client.delete(f"/api/members/M1/tags/{'t' * 65}", headers=AUTH)

    assert await answers(elsewhere) == (400, ["member_id extra inputs are not permitted"])
    assert await answers(line_break) == (400, ["tag contains a line break or another control character (U+000A)"])
    assert await answers(long_tag) == (400, ["tag is longer than 64 characters"])


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"as_of": "9999-12-31"}, "as_of '9999-12-31' is outside the years 1900 to 2100"),
        ({"as_of": "0001-01-01"}, "as_of '0001-01-01' is outside the years 1900 to 2100"),
        ({"window_days": 1_000_000_000}, "window_days must be at most 36,525"),
        ({"window_days": 0}, "window_days must be at least 1"),
    ],
)
async def test_rfm_recompute_refuses_days_outside_its_domain(
    client: AsyncTestClient,  # type: ignore[type-arg]
    body: dict[str, Any],
    problem: str,
) -> None:
    assert await answers(await client.post("/api/rfm/recompute", json=body, headers=AUTH)) == (400, [problem])


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--as-of", "9999-12-31"], "--as-of '9999-12-31' is outside the years 1900 to 2100"),
        (["--as-of", "0001-01-01"], "--as-of '0001-01-01' is outside the years 1900 to 2100"),
        (["--window-days", "1000000000"], "--window-days 1000000000 is not between 1 and 36,525 days"),
    ],
)
def test_the_rfm_command_refuses_days_outside_its_domain(options: list[str], problem: str) -> None:
    result = CliRunner().invoke(cli, ["rfm", "recompute", *options])

    assert isinstance(result.exception, Invalid)  # main() prints it as "error: …" and exits 2
    assert result.exception.problems == [problem]


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("/api/members", {"member_id": "M9", "registered_at": "0001-01-01T00:00+08:00"},
         "registered_at '0001-01-01T00:00+08:00' is outside the years 1900 to 2100"),
        ("/api/members", {"member_id": "M9", "registered_at": "9999-12-31T23:59-10:00"},
         "registered_at '9999-12-31T23:59-10:00' is outside the years 1900 to 2100"),
        ("/api/orders", {"order_id": "O9", "member_id": "M1", "placed_at": "9999-12-31T23:59-10:00", "amount": 1},
         "placed_at '9999-12-31T23:59-10:00' is outside the years 1900 to 2100"),
        ("/api/orders", {"order_id": "O9", "member_id": "M1", "placed_at": "2024-05-01", "amount": 1e30},
         "amount '1e+30' is too large for one order (the limit is 10^12)"),
        ("/api/events", {"member_id": "M1", "type": "visit", "occurred_at": "0001-01-01T00:00+08:00"},
         "occurred_at '0001-01-01T00:00+08:00' is outside the years 1900 to 2100"),
        ("/api/events", {"member_id": "M1", "type": "visit", "properties": {"note": "a\u0000b"}},
         "properties.note contains a NUL character (\\u0000), which cannot be stored"),
        ("/api/members", {"member_id": "M9", "phone": "1.38001E+10"},
         "phone '1.38001E+10' is a number in scientific notation, as spreadsheets write long numbers; "
         "format the column as text and export again"),
        ("/api/members", {"member_id": "M9", "email": "<script>@x.com"},
         "email '<script>@x.com' is not an email address: there can't be anything after the email address"),
    ],
)  # fmt: skip
async def test_values_outside_their_domain_are_refused_with_the_field_named(
    client: AsyncTestClient,  # type: ignore[type-arg]
    path: str,
    body: dict[str, Any],
    problem: str,
) -> None:
    await client.post("/api/members", json={"member_id": "M1"}, headers=AUTH)

    assert await answers(await client.post(path, json=body, headers=AUTH)) == (400, [problem])
    assert (count(Member), count(Order), count(Event)) == (1, 0, 1)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("offset=1e30", "offset must be a whole number"),
        ("offset=-1", "offset must be at least 0"),
        ("offset=99999999999999999999999", "offset must be at most 1,000,000,000"),
        ("limit=100000", "limit must be at most 500"),
        ("limit=0", "limit must be at least 1"),
        ("q=a%00b", "q contains a NUL character (\\u0000), which cannot be stored"),
        (f"q={'x' * 201}", "q is longer than 200 characters"),
        ("limt=10", "unknown query parameter limt; it takes limit, offset, q"),
    ],
)
async def test_listing_parameters_out_of_range_are_400(
    client: AsyncTestClient,  # type: ignore[type-arg]
    query: str,
    problem: str,
) -> None:
    assert await answers(await client.get(f"/api/members?{query}", headers=AUTH)) == (400, [problem])


async def test_the_members_page_refuses_a_huge_offset(logged_in_client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await logged_in_client.get("/members?offset=99999999999999999999999")

    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert page_problems(response.text) == (400, ["offset must be at most 1,000,000,000"])


@pytest.mark.parametrize(
    "path",
    [
        "/u/١٢٣.abc",  # Arabic-Indic digits pass str.isdigit
        "/u/123.abc",
        f"/u/{'9' * 5000}.abc",  # more digits than int() takes
        f"/o/{'9' * 5000}.abc.gif",
        "/o/١٢٣.abc.gif",
        f"/c/{'9' * 30}.abc?u=https%3A%2F%2Fexample.com",
        "/c/١٢٣.abc?u=https%3A%2F%2F例子.中国",
    ],
)
async def test_link_routes_answer_404_for_anything_but_a_signed_token(
    client: AsyncTestClient,  # type: ignore[type-arg]
    path: str,
) -> None:
    response = await client.get(path)

    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert page_problems(response.text) == (404, ["this link is not valid"])


async def test_bodies_no_route_can_take_are_400(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    deep = await client.post("/api/members", content=b"[" * 1000 + b"]" * 1000, headers=JSON)
    objects = await client.post("/api/journeys", content=b'{"a":' * 100 + b"1" + b"}" * 100, headers=JSON)
    not_utf8 = await client.post("/api/members", content=b'{"member_id": "\xff\xfe"}', headers=JSON)
    nul = await client.post("/api/journeys", json={"id": "x", "steps": [{"subject": "a\u0000"}]}, headers=AUTH)

    assert await answers(deep) == (400, ["the body nests deeper than 64 levels"])
    assert await answers(objects) == (400, ["the body nests deeper than 64 levels"])
    assert await answers(not_utf8) == (400, ["the body is not UTF-8 text (byte 0xff at offset 15)"])
    assert await answers(nul) == (400, ["steps.0.subject contains a NUL character (\\u0000), which cannot be stored"])


async def test_temporal_out_of_reach_is_503_with_the_address(
    client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setattr(
        "web.temporal.get_settings", lambda: get_settings().model_copy(update={"temporal_address": closed})
    )

    status, problems = await answers(await client.post("/api/journeys/winback/sweep", headers=AUTH))

    assert status == 503
    assert problems[0].startswith(f"Temporal is unreachable at {closed} (")
    assert problems[0].endswith("); try again once it runs")


async def test_a_missing_body_is_named_as_such(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    put = await client.put("/api/tag-rules/VIP", headers=AUTH)
    redeliver = await client.post("/api/events/undelivered/redeliver", headers=AUTH)

    said = ["the request has no JSON body; send one (Content-Type: application/json)"]
    assert await answers(put) == (400, said)
    assert await answers(redeliver) == (400, said)
    assert count(TagRule) == 0


async def test_redelivery_refuses_a_misspelt_key_and_ids_below_one(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    """Without `event_ids` every event set aside is delivered again: a misspelt key must not mean that."""
    misspelt = await client.post("/api/events/undelivered/redeliver", json={"ids": [7]}, headers=AUTH)
    negative = await client.post("/api/events/undelivered/redeliver", json={"event_ids": [-1]}, headers=AUTH)

    status, said = await answers(misspelt)
    assert status == 400 and any("ids" in problem for problem in said), said
    status, said = await answers(negative)
    assert status == 400 and any("event_ids" in problem and "1" in problem for problem in said), said
