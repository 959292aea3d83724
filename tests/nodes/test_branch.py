"""The `branch` block on the time-skipping server: each member takes the first named path whose condition holds,
else "otherwise", and the flow goes on after the block. Its runs are recorded for the replay test
(RECORD_HISTORIES=1, see test_replay.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.db import session_scope
from engine.models import JourneyStep
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of

pytestmark = [pytest.mark.database]

MEMBERS = "M1,张三,,,,,上海,,2024-01-01,VIP\nM2,李四,,,,,北京,,2024-01-01,VIP\nM3,王五,,,,,广州,,2024-01-01,\n"
BY_CITY = {
    "id": "by-city", "name": "by city", "trigger": {"type": "manual"},
    "steps": [
        {"id": "route", "type": "branch",
         "paths": [
             {"name": "上海", "condition": {"kind": "attribute", "attribute": "city", "value": "上海"},
              "steps": [{"id": "tag-shanghai", "type": "add_tag", "tag": "SHANGHAI_OFFER"}]},
             {"name": "vip", "condition": {"kind": "has_tag", "tag": "VIP"},
              "steps": [{"id": "tag-vip", "type": "add_tag", "tag": "VIP_OFFER"}]},
         ],
         "otherwise": [{"id": "tag-other", "type": "add_tag", "tag": "GENERAL_OFFER"}]},
        {"id": "done", "type": "add_tag", "tag": "ROUTED"},
    ],
}  # fmt: skip


async def test_members_take_the_first_path_that_holds_or_otherwise_and_go_on_after(
    worker: Lane, tmp_path: Path
) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(BY_CITY)

    shanghai_vip = await worker.run(plan, "M1")
    beijing_vip = await worker.run(plan, "M2")
    neither = await worker.run(plan, "M3")

    assert shanghai_vip.blocks == ["route", "tag-shanghai", "done"]  # both paths hold: the first one wins
    assert beijing_vip.blocks == ["route", "tag-vip", "done"]
    assert neither.blocks == ["route", "tag-other", "done"]
    assert {r.status for r in (shanghai_vip, beijing_vip, neither)} == {"completed"}
    assert (tags_of("M1"), tags_of("M2"), tags_of("M3")) == (
        {"VIP", "SHANGHAI_OFFER", "ROUTED"},
        {"VIP", "VIP_OFFER", "ROUTED"},
        {"GENERAL_OFFER", "ROUTED"},
    )
    with session_scope() as session:
        taken = sorted(s.branch or "" for s in session.scalars(select(JourneyStep)) if s.block_id == "route")
    assert taken == sorted(["上海", "vip", "otherwise"])
