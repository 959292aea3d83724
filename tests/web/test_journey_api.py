"""/api/journeys and `memberflow journey …`: publish with versions, every problem at once, status, enrollment,
and an event posted to the API starting a run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlmodel import col
from temporalio.service import RPCError
from typer.testing import CliRunner

from cli.main import app as cli
from engine import clock
from engine.access import audit
from engine.db import session_scope
from engine.journey.language import read_journey_file
from engine.journey.plan import Plan
from engine.journey.store import live_plan
from engine.models import Event
from tests.workflows.conftest import Lane, load_members
from web.app import create_app
from workflows.journey_run import JourneyRun
from workflows.schedules import schedule_id

pytestmark = [pytest.mark.database]
AUTH = {"Authorization": "Bearer test-token"}
EXAMPLES = Path(__file__).parents[2] / "examples"
INVALID = Path(__file__).parents[1] / "journeys" / "invalid"


@pytest.fixture
async def api(live_worker: Lane) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app()
    app.state.temporal_client = live_worker.client
    async with AsyncTestClient(app=app) as client:
        yield client


def manual_plan() -> Plan:
    with session_scope() as session:
        return live_plan(session, "vip-manual")[1]


def vip_thanks() -> dict[str, Any]:
    data: dict[str, Any] = read_journey_file(EXAMPLES / "vip-thanks.yaml")
    return data


async def test_publishing_makes_a_version_only_when_the_journey_changed(
    api: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    first = await api.post("/api/journeys", json=vip_thanks(), headers=AUTH)
    same = await api.post("/api/journeys", json=vip_thanks(), headers=AUTH)
    changed = vip_thanks()
    changed["steps"][-1]["tag"] = "VIP_回访"
    second = await api.post("/api/journeys", json=changed, headers=AUTH)
    listed = await api.get("/api/journeys", headers=AUTH)

    assert first.status_code == 201
    assert (first.json()["version"], first.json()["new_version"], first.json()["status"]) == (1, True, "live")
    assert (same.json()["version"], same.json()["new_version"]) == (1, False)
    assert (second.json()["version"], second.json()["new_version"]) == (2, True)
    assert second.json()["content_hash"] != first.json()["content_hash"]
    assert [(j["key"], j["status"], j["live_version"]) for j in listed.json()] == [("vip-thanks", "live", 2)]


async def test_a_bad_journey_gets_every_problem_with_its_block(api: AsyncTestClient) -> None:  # type: ignore[type-arg]
    bad = vip_thanks()
    bad["steps"][1]["days"] = 0
    bad["steps"][2]["type"] = "send_fax"

    response = await api.post("/api/journeys", json=bad, headers=AUTH)

    assert response.status_code == 422
    problems = response.json()["problems"]
    assert any(p.startswith("follow-up: unknown block type 'send_fax'") for p in problems), problems
    listed = await api.get("/api/journeys", headers=AUTH)
    assert listed.json() == []


async def test_enrolling_by_hand_respects_the_occasion_and_the_status(
    api: AsyncTestClient,  # type: ignore[type-arg]
    live_worker: Lane,
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "M1,张三,,,,,,,,VIP\nM2,李四,,,,,,,,\n")
    manual = vip_thanks() | {"id": "vip-manual", "trigger": {"type": "manual"}}
    await api.post("/api/journeys", json=manual, headers=AUTH)

    first = await api.post("/api/journeys/vip-manual/enroll", json={"member_ids": ["M1", "M2"]}, headers=AUTH)
    again = await api.post("/api/journeys/vip-manual/enroll", json={"member_ids": ["M1"]}, headers=AUTH)
    exited = await live_worker.result(live_worker.handle(manual_plan(), "M2"))  # not a VIP; M1 waits a day
    await live_worker.reached(manual_plan(), "M1", "wait-1d")
    paused = await api.post("/api/journeys/vip-manual/status", json={"status": "paused"}, headers=AUTH)
    refused = await api.post(
        "/api/journeys/vip-manual/enroll", json={"member_ids": ["M1"], "occasion": "later"}, headers=AUTH
    )

    assert first.json() == {"started": 2, "already_in": 0}
    assert again.json() == {"started": 0, "already_in": 1}
    assert exited.status == "exited"
    assert paused.json()["running_members_told"] == 1
    position = await live_worker.handle(manual_plan(), "M1").query(JourneyRun.position)
    assert position[-1] == "wait-1d"
    assert refused.status_code == 409
    assert refused.json()["problems"] == ["journey vip-manual is paused; only live journeys take new members"]


async def test_an_event_posted_to_the_api_starts_the_journey_it_triggers(
    api: AsyncTestClient,  # type: ignore[type-arg]
    live_worker: Lane,
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "M1,张三,,,,,,,,\n")
    big_order = {
        "id": "big-order", "name": "大额订单感谢",
        "trigger": {"type": "event", "event": "order_placed",
                    "where": [{"property": "amount", "op": "ge", "value": 500}]},
        "reentry": {"policy": "always"},
        "steps": [{"id": "thank", "type": "add_tag", "tag": "大客户"}],
    }  # fmt: skip
    await api.post("/api/journeys", json=big_order, headers=AUTH)

    now = clock.now().isoformat()  # orders placed before the journey went live do not trigger it
    small = {"order_id": "O1", "member_id": "M1", "placed_at": now, "amount": "99"}
    large = {"order_id": "O2", "member_id": "M1", "placed_at": now, "amount": "688"}
    for order in (small, large):
        assert (await api.post("/api/orders", json=order, headers=AUTH)).status_code == 201

    with session_scope() as session:
        _, plan = live_plan(session, "big-order")
        orders = session.scalars(select(col(Event.id)).where(col(Event.type) == "order_placed").order_by(col(Event.id)))
        small_event, large_event = orders.all()
    result = await live_worker.result(live_worker.handle(plan, "M1", f"event-{large_event}"))
    never_started = live_worker.handle(plan, "M1", f"event-{small_event}")

    assert (result.status, result.blocks) == ("completed", ["thank"])
    with pytest.raises(RPCError, match="not found"):
        await never_started.describe()
    listed = await api.get("/api/journeys", headers=AUTH)
    profile = await api.get("/api/members/M1", headers=AUTH)
    assert listed.json()[0]["entered"] == 1  # only the ¥688 order matched
    assert "大客户" in profile.json()["tags"]


def test_the_cli_validates_a_file_and_exits_non_zero_on_problems(db: None) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["journey", "validate", str(EXAMPLES / "welcome.yaml")])
    assert runner.invoke(cli, ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")]).exit_code == 0

    good = runner.invoke(cli, ["journey", "validate", str(EXAMPLES / "welcome.yaml")])
    bad = runner.invoke(cli, ["journey", "validate", str(INVALID / "negative_wait.yaml")])
    schema = runner.invoke(cli, ["journey", "schema"])

    assert missing.exit_code == 1  # its email template is not in this shop yet: publishing would refuse it
    assert "message template 'welcome-email' does not exist" in missing.output
    assert good.exit_code == 0, good.output
    assert "journey welcome is valid" in good.output
    assert bad.exit_code != 0
    assert "wait-delivery: days must be at least 0 (it is -3)" in bad.output
    blocks = json.loads(schema.output)["$defs"]
    assert {"AddTag", "WaitForEvent", "IfElse"} <= set(blocks)


async def test_a_sweeping_journey_gets_a_schedule_that_follows_its_status(
    api: AsyncTestClient,  # type: ignore[type-arg]
    live_worker: Lane,
) -> None:
    winback = read_journey_file(EXAMPLES / "winback-30d.yaml")
    await api.post("/api/journeys", json=winback, headers=AUTH)
    schedule = live_worker.client.get_schedule_handle(schedule_id("winback-30d"))

    live = await schedule.describe()
    await api.post("/api/journeys/winback-30d/status", json={"status": "paused"}, headers=AUTH)
    paused = await schedule.describe()
    await api.post("/api/journeys/winback-30d/status", json={"status": "archived"}, headers=AUTH)

    (calendar,) = live.schedule.spec.calendars  # the server keeps the cron as a calendar
    assert [(r.start, r.end) for r in (*calendar.hour, *calendar.minute)] == [(10, 10), (0, 0)]
    assert live.schedule.spec.time_zone_name == "Asia/Shanghai"
    assert (live.schedule.state.paused, paused.schedule.state.paused) == (False, True)
    with pytest.raises(RPCError, match="not found"):
        await schedule.describe()
    with session_scope() as session:  # the audit log names the API token that did each
        recorded = [(e.action, e.actor, e.detail.get("status")) for e in audit.entries(session, actor="api:API_TOKEN")]
    assert recorded == [("journey_status", "api:API_TOKEN", "archived"), ("journey_status", "api:API_TOKEN", "paused"),
                        ("journey_published", "api:API_TOKEN", "live")]  # fmt: skip


async def test_a_filter_enrolls_every_member_it_selects(
    api: AsyncTestClient,  # type: ignore[type-arg]
    live_worker: Lane,
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "M1,张三,,,,,上海,,,VIP\nM2,李四,,,,,北京,,,VIP\nM3,王五,,,,,上海,,,\n")
    manual = vip_thanks() | {"id": "vip-manual", "trigger": {"type": "manual"}}
    await api.post("/api/journeys", json=manual, headers=AUTH)
    shanghai_vips = {"kind": "all", "of": [{"kind": "has_tag", "tag": "VIP"},
                                           {"kind": "attribute", "attribute": "city", "value": "上海"}]}  # fmt: skip

    chosen = await api.post("/api/journeys/vip-manual/enroll", json={"where": shanghai_vips}, headers=AUTH)
    both = await api.post(
        "/api/journeys/vip-manual/enroll", json={"where": shanghai_vips, "member_ids": ["M2"]}, headers=AUTH
    )
    unknown = await api.post(
        "/api/journeys/vip-manual/enroll", json={"where": {"kind": "did_event", "event": "app_opened"}}, headers=AUTH
    )

    assert chosen.json() == {"started": 1, "already_in": 0}
    assert (await live_worker.handle(manual_plan(), "M1", "manual").describe()).id == "journey/vip-manual/M1"
    with pytest.raises(RPCError, match="not found"):
        await live_worker.handle(manual_plan(), "M2", "manual").describe()
    assert both.status_code == 400
    assert "one of the two" in str(both.json())
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0].startswith("where: event type 'app_opened' is unknown")
