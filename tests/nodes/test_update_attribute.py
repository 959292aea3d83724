"""The update_attribute block inside JourneyRun: it sets the member's city or gender by the import's rules (女 is
stored as female), the attribute condition after it sees the new value, and an activity run again with the same
key (as after a worker crash) changes nothing a second time; bad values are refused when the journey is checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import session_scope
from engine.journey.events import known_event_types
from engine.journey.runtime import ActionInput
from engine.journey.validate import check_journey
from engine.models import JourneyAction, JourneyEntry, Member
from nodes.update_attribute import update_member_attribute
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from workflows.journey_activities import EnterInput, enter_journey

pytestmark = [pytest.mark.database]
MEMBER = "M1,张三,zs@example.com,,,,{city},,2024-01-01,\n"


def attribute_journey(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "moved", "name": "搬到上海的会员", "trigger": {"type": "manual"}, "steps": steps}


MOVED = attribute_journey([
    {"id": "set-city", "type": "update_attribute", "attribute": "city", "value": "上海"},
    {"id": "set-gender", "type": "update_attribute", "attribute": "gender", "value": "女"},
    {"id": "seen", "type": "if_else",
     "condition": {"kind": "all", "of": [{"kind": "attribute", "attribute": "city", "value": "上海"},
                                         {"kind": "attribute", "attribute": "gender", "value": "female"}]},
     "then": [{"id": "tag-moved", "type": "add_tag", "tag": "上海会员"}],
     "else": [{"id": "tag-unseen", "type": "add_tag", "tag": "NOT_SEEN"}]},
])  # fmt: skip


def attributes(member_key: str) -> tuple[str | None, str | None]:
    with session_scope() as session:
        member = session.scalar(select(Member).where(col(Member.external_id) == member_key))
        assert member is not None
        return member.city, member.gender


async def test_the_attribute_is_set_once_and_the_attribute_condition_sees_it(
    worker: Lane, tmp_path: Path, db: None
) -> None:
    load_members(tmp_path, MEMBER.format(city="北京"))
    _, plan = publish_live(MOVED)

    result = await worker.run(plan, "M1")

    assert (result.status, result.blocks) == ("completed", ["set-city", "set-gender", "seen", "tag-moved"])
    assert attributes("M1") == ("上海", "female")
    assert "上海会员" in tags_of("M1")

    load_members(tmp_path, MEMBER.format(city="杭州"))  # the member moves on; then the activity runs once more
    with session_scope() as session:
        entry = session.scalar(select(JourneyEntry))
        assert entry is not None
    same_run = EnterInput(plan=plan, member_key="M1", entry_key=entry.entry_key, workflow_id=entry.workflow_id,
                          run_id=entry.run_id, now=clock.now())  # fmt: skip
    entered = enter_journey(same_run)  # the run's own entry, as its retried activities see it
    assert entered.entry is not None
    again = update_member_attribute(
        ActionInput(entry=entered.entry, block=plan.steps["set-city"].block, now=clock.now(),
                    idempotency_key=f"{entered.entry.action_prefix}:set-city")
    )  # fmt: skip

    assert not again.performed
    assert attributes("M1") == ("杭州", "female")  # not set back to 上海
    with session_scope() as session:
        actions = session.execute(
            select(col(JourneyAction.block_id), col(JourneyAction.detail))
            .where(col(JourneyAction.kind) == "update_attribute")
            .order_by(col(JourneyAction.id))
        ).all()
    assert [(block, detail) for block, detail in actions] == [
        ("set-city", {"attribute": "city", "value": "上海"}),
        ("set-gender", {"attribute": "gender", "value": "female"}),
    ]


def problems_of(steps: list[dict[str, Any]]) -> list[str]:
    _, problems = check_journey(attribute_journey(steps), known_event_types())
    return [str(problem) for problem in problems]


def test_values_the_import_would_refuse_are_refused_naming_the_block() -> None:
    assert problems_of([
        {"id": "set-gender", "type": "update_attribute", "attribute": "gender", "value": "robot"},
        {"id": "set-city", "type": "update_attribute", "attribute": "city", "value": "上海\n徐汇"},
    ]) == [
        "set-gender: gender 'robot' is not one of female, male, other",
        "set-city: city contains a line break or another control character (U+000A)",
    ]  # fmt: skip
    assert problems_of([{"id": "long", "type": "update_attribute", "attribute": "city", "value": "徐" * 65}]) == [
        "long: value must be at most 64 characters long"
    ]
    assert problems_of([{"id": "tier", "type": "update_attribute", "attribute": "tier", "value": "gold"}]) == [
        "tier: attribute must be 'city' or 'gender', not 'tier'"
    ]
