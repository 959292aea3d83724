"""The grant_points block inside JourneyRun: fixed points, a multiple of the last order, a next-order boost; once
per entry however often the activity runs; and the points balance condition reading the result."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import session_scope
from engine.journey.runtime import ActionInput
from engine.models import Order, PointsBoost, PointsEntry
from engine.rewards.points import PointsRules, member_id_of, points_balance, save_rules
from engine.settings import get_settings
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from workflows.journey_activities import EnterInput, enter_journey

pytestmark = [pytest.mark.database, pytest.mark.clock_sensitive]
MEMBERS = "M1,张三,zs@example.com,,,,上海,,2024-01-01,\nM2,李四,,,,,北京,,2024-01-01,\n"


def points_journey(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "points-test", "name": "points test", "trigger": {"type": "manual"}, "steps": steps}


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    load_members(tmp_path, MEMBERS)
    with session_scope() as session:
        save_rules(session, PointsRules(starts_on=clock.today() - timedelta(days=30)), clock.now())
        session.add(Order(external_id="last", member_id=member_id_of(session, "M1"), placed_at=clock.now(),
                          amount=200))  # fmt: skip


def balance(member: str) -> int:
    with session_scope() as session:
        return points_balance(session, member_id_of(session, member), clock.now())


async def test_fixed_and_last_order_points_then_the_balance_condition(shop: None, worker: Lane) -> None:
    _, plan = publish_live(
        points_journey([
            {"id": "welcome", "type": "grant_points", "points": 300, "reason": "生日积分"},
            {"id": "bonus", "type": "grant_points", "mode": "last_order", "multiplier": 1.5},
            {"id": "rich", "type": "if_else", "condition": {"kind": "points_balance", "op": "ge", "points": 600},
             "then": [{"id": "tag-rich", "type": "add_tag", "tag": "积分600+"}], "else": []},
        ])
    )  # fmt: skip

    result = await worker.run(plan, "M1")

    assert result.status == "completed"
    assert balance("M1") == 300 + 300  # 1.5 × the 200 points of the last order
    assert "积分600+" in tags_of("M1")
    with session_scope() as session:
        reasons = session.scalars(select(col(PointsEntry.reason)).order_by(col(PointsEntry.id))).all()
        blocks = session.scalars(select(col(PointsEntry.block_id)).order_by(col(PointsEntry.id))).all()
    assert reasons == ["生日积分", "journey points-test"] and blocks == ["welcome", "bonus"]


async def test_a_retried_grant_writes_one_entry_and_a_boost_is_made_once(shop: None) -> None:
    from nodes.grant_points import grant_points_to_member

    _, plan = publish_live(
        points_journey([
            {"id": "give", "type": "grant_points", "points": 100},
            {"id": "double", "type": "grant_points", "mode": "next_order", "multiplier": 2, "within_days": 7},
        ])
    )  # fmt: skip
    now = clock.now()
    entered = enter_journey(EnterInput(plan=plan, member_key="M2", entry_key="x", workflow_id="wf", run_id="r",
                                       now=now))  # fmt: skip
    assert entered.entry is not None
    results = []
    for block in ("give", "give", "double", "double"):  # each activity runs twice, as after a worker crash
        request = ActionInput(entry=entered.entry, block=plan.steps[block].block, now=now,
                              idempotency_key=f"{entered.entry.action_prefix}:{block}")  # fmt: skip
        results.append(grant_points_to_member(request))

    assert [r.performed for r in results] == [True, False, True, False]
    assert results[0].exports == results[1].exports
    assert results[2].exports["points"]["multiplier"] == "2"
    assert balance("M2") == 100
    with session_scope() as session:
        boosts = session.scalars(select(PointsBoost)).all()
    ends = clock.start_of_day(
        clock.local_date(now, get_settings().shop_zone) + timedelta(days=8), get_settings().shop_zone
    )
    assert [(b.multiplier, b.starts_at, b.ends_at) for b in boosts] == [(2, now, ends)]  # through the 7th day after


def test_a_block_with_missing_settings_says_which() -> None:
    from nodes.grant_points import GrantPoints

    assert GrantPoints(id="a", mode="next_order", multiplier=1).check() == [
        "a next-order boost needs a multiplier above 1 (2 means double points)",
        "a next-order boost needs within_days above 0",
    ]
    assert GrantPoints(id="b").check() == ["fixed points need points above 0"]
