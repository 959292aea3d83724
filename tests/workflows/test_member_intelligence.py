"""RFM and tag rules on Temporal: the daily schedule, a recompute started from the API, tags by hand and by rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from engine.settings import get_settings
from tests.login import sign_in
from tests.workflows.conftest import Lane, load_members, tags_of
from web.app import create_app
from workflows.member_intelligence import SCHEDULE_ID, MemberIntelligence, sync_intelligence_schedule

pytestmark = [pytest.mark.database]
AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
async def api(live_worker: Lane) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app()
    app.state.temporal_client = live_worker.client
    async with AsyncTestClient(app=app) as client:
        await sign_in(client, "marketer")  # the pages need a signed-in user, a recompute a marketer
        yield client


async def test_the_daily_schedule_follows_the_setting(live_worker: Lane) -> None:
    settings = get_settings().model_copy(update={"rfm_schedule": "30 2 * * *"})
    await sync_intelligence_schedule(live_worker.client, settings)
    await sync_intelligence_schedule(live_worker.client, settings)  # again: updates, does not fail

    described = await live_worker.client.get_schedule_handle(SCHEDULE_ID).describe()

    spec = described.schedule.spec
    assert spec.time_zone_name == "Asia/Shanghai"
    assert [(c.hour[0].start, c.minute[0].start) for c in spec.calendars] == [(2, 30)]


async def test_a_recompute_from_the_api_scores_members_then_applies_the_rules(
    api: AsyncTestClient,  # type: ignore[type-arg]
    live_worker: Lane,
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "A,甲,,,,,,,,\nB,乙,,,,,,,,\nC,丙,,,,,,,,\n")
    for i, (member, amount) in enumerate([("B", 50), ("C", 300), ("A", 900), ("A", 900)]):
        order = {"order_id": f"o{i}", "member_id": member, "placed_at": "2026-01-0" + str(i + 1), "amount": amount}
        assert (await api.post("/api/orders", json=order, headers=AUTH)).status_code == 201
    rule = {"condition": {"kind": "rfm_segment", "scheme": "8", "segments": ["重要价值客户"]}}  # the tag is the path's
    saved = await api.put("/api/tag-rules/高价值", json=rule, headers=AUTH)
    assert saved.status_code == 200, saved.text
    before = await api.get("/api/rfm/summary", headers=AUTH)

    started = await api.post("/api/rfm/recompute", json={"as_of": "2026-02-01"}, headers=AUTH)
    assert started.status_code == 202, started.text
    # the test client runs the app on this thread, so the test (not the request) waits for the workflow
    workflow_id = started.json()["workflow_id"]
    result = await live_worker.client.get_workflow_handle_for(MemberIntelligence.run, workflow_id).result()

    assert before.status_code == 404
    assert result.rfm.members_scored == 3
    assert result.tag_rules is not None and result.tag_rules.added == 1
    summary = (await api.get("/api/rfm/summary", headers=AUTH)).json()
    assert summary["as_of"] == "2026-02-01"
    assert summary["segments8"]["重要价值客户"] == 1
    assert "高价值" in tags_of("A")  # most recent, most orders, most spend


async def test_tags_by_hand_and_bad_rules_through_the_api(
    api: AsyncTestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "A,甲,,,,,,,,\n")
    added = await api.post("/api/members/A/tags", json={"tag": "门店之友"}, headers=AUTH)
    again = await api.post("/api/members/A/tags", json={"tag": "门店之友"}, headers=AUTH)
    unknown = await api.post("/api/members/Z/tags", json={"tag": "门店之友"}, headers=AUTH)
    bad = await api.put("/api/tag-rules/x", json={"tag": "x", "condition": {"kind": "rfm_score", "dimension": "q"}},
                        headers=AUTH)  # fmt: skip
    looping = await api.put(
        "/api/tag-rules/VIP", json={"tag": "VIP", "condition": {"kind": "has_tag", "tag": "VIP"}}, headers=AUTH
    )

    assert (added.json()["changed"], again.json()["changed"]) == (True, False)
    assert "门店之友" in tags_of("A")
    assert unknown.status_code == 404
    assert bad.status_code == 400
    assert looping.status_code == 400
    assert "asks about 'VIP' itself" in looping.json()["problems"][0]
    removed = await api.delete("/api/members/A/tags/门店之友", headers=AUTH)
    assert removed.json()["changed"] is True
    assert "门店之友" not in tags_of("A")


async def test_the_segments_page_shows_the_latest_run_and_recomputes_on_demand(
    api: AsyncTestClient,  # type: ignore[type-arg]
    live_worker: Lane,
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "A,甲,,,,,,,,\nB,乙,,,,,,,,\n")
    for i, member in enumerate(["A", "A", "B"]):
        order = {"order_id": f"o{i}", "member_id": member, "placed_at": "2026-01-0" + str(i + 1), "amount": 100}
        assert (await api.post("/api/orders", json=order, headers=AUTH)).status_code == 201
    empty = await api.get("/segments")

    started = await api.post("/segments/recompute", headers={"HX-Request": "true"})
    workflow_id = started.text.split()[1].removesuffix(";")
    await live_worker.client.get_workflow_handle_for(MemberIntelligence.run, workflow_id).result()
    shown = await api.get("/segments")

    assert "No RFM run yet" in empty.text
    assert started.status_code == 200
    assert workflow_id.startswith("member-intelligence/web-")
    assert "2 members scored" in shown.text
    assert "重要价值客户" in shown.text and "Champions" in shown.text
