"""The split block inside JourneyRun on the time-skipping server: weighted arms as the hash says, the same arm on
re-entry, a holdout that does nothing, and "test, then send the winner" with a simulated response that makes arm B
better, so the held members go to B."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.ab.assign import assign, in_global_holdout
from engine.ab.splits import split_report
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.models import JourneyAction, JourneyEntry, Member, SplitAssignment, SplitDecision
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of

pytestmark = [pytest.mark.database]


def members(count: int) -> list[str]:
    return [f"S{n:04d}" for n in range(count)]


@pytest.fixture
def shop(tmp_path: Path, db: None) -> list[str]:
    keys = members(240)
    load_members(tmp_path, "".join(f"{k},会员{k},{k.lower()}@example.com,,,,,,2024-01-01,\n" for k in keys))
    return keys


def split_journey(**split: Any) -> dict[str, Any]:
    arms = split.pop("arms", None) or [
        {"name": "A", "weight": 3, "control": True, "steps": [{"id": "tag-a", "type": "add_tag", "tag": "ARM_A"}]},
        {"name": "B", "weight": 1, "steps": [{"id": "tag-b", "type": "add_tag", "tag": "ARM_B"}]},
    ]
    return {
        "id": "ab-test", "name": "A/B test", "trigger": {"type": "manual"}, "reentry": {"policy": "always"},
        "steps": [{"id": "offer", "type": "split", "arms": arms, **split},
                  {"id": "after", "type": "add_tag", "tag": "AFTER_SPLIT"}],
    }  # fmt: skip


def assignments() -> dict[str, tuple[str, str | None]]:
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(SplitAssignment.group), col(SplitAssignment.arm)).join(
                Member, col(Member.id) == col(SplitAssignment.member_id)
            )
        )
        return {member: (group, arm) for member, group, arm in rows}


async def finish_all(lane: Lane, plan: Any, keys: list[str], occasion: str = "manual-1") -> list[Any]:
    await lane.enroll(plan, keys, occasion)
    return await lane.finish_all(plan, keys, occasion)


async def test_members_take_the_arm_the_hash_gives_in_proportion_to_the_weights(shop: list[str], worker: Lane) -> None:
    _, plan = publish_live(split_journey())

    results = await finish_all(worker, plan, shop)

    expected = {key: "AB"[assign("ab-test", "offer", key, [3, 1])[1] or 0] for key in shop}
    assert {r.status for r in results} == {"completed"}
    assert assignments() == {key: ("split", arm) for key, arm in expected.items()}
    for key in shop[:40]:
        assert tags_of(key) == {f"ARM_{expected[key]}", "AFTER_SPLIT"}  # the arm's blocks, then the flow continues
    share = Counter(expected.values())["A"] / len(shop)
    assert 0.65 < share < 0.85  # 3:1 weights


async def test_a_member_keeps_their_arm_on_re_entry(shop: list[str], worker: Lane) -> None:
    _, plan = publish_live(split_journey(arms=[
        {"name": "A", "steps": [{"id": "tag-a", "type": "add_tag", "tag": "ARM_A"}]},
        {"name": "B", "steps": [{"id": "tag-b", "type": "add_tag", "tag": "ARM_B"}]},
    ]))  # fmt: skip
    movers = shop[:12]

    for occasion in ("first", "second", "third"):
        await finish_all(worker, plan, movers, occasion)

    with session_scope() as session:
        entries = session.scalar(select(func.count()).select_from(JourneyEntry))
        rows = session.scalar(select(func.count()).select_from(SplitAssignment))
        branches = session.execute(
            select(col(Member.external_id), col(JourneyAction.block_id))
            .join(JourneyEntry, col(JourneyEntry.id) == col(JourneyAction.entry_id))
            .join(Member, col(Member.id) == col(JourneyEntry.member_id))
            .where(col(JourneyAction.block_id).in_(["tag-a", "tag-b"]))
        ).all()
    assert (entries, rows) == (36, 12)  # three entries each, one assignment each
    by_member: dict[str, set[str]] = {}
    for member, block in branches:
        by_member.setdefault(member, set()).add(block)
    assert all(len(blocks) == 1 for blocks in by_member.values())  # the same arm every time
    assert sum(len(v) for v in by_member.values()) == 12 and len(branches) == 36


async def test_a_holdout_arm_does_nothing(shop: list[str], worker: Lane) -> None:
    journey = split_journey(arms=[
        {"name": "treat", "steps": [{"id": "tag-t", "type": "add_tag", "tag": "TREATED"}]},
        {"name": "holdout", "control": True, "steps": []},
    ])  # fmt: skip
    journey["steps"] = journey["steps"][:1]  # nothing after the split either
    _, plan = publish_live(journey)

    await finish_all(worker, plan, shop[:60])

    held_out = [k for k, (_, arm) in assignments().items() if arm == "holdout"]
    treated = [k for k, (_, arm) in assignments().items() if arm == "treat"]
    assert held_out and treated and len(held_out) + len(treated) == 60
    assert all(tags_of(k) == set() for k in held_out)
    assert all(tags_of(k) == {"TREATED"} for k in treated)
    with session_scope() as session:
        actions = session.scalar(
            select(func.count()).select_from(JourneyAction).where(col(JourneyAction.kind) == "add_tag")
        )
    assert actions == len(treated)


async def test_test_then_send_the_winner_sends_the_held_members_down_the_better_arm(
    shop: list[str], worker: Lane, tmp_path: Path
) -> None:
    journey = split_journey(
        arms=[
            {"name": "A", "control": True, "steps": [{"id": "tag-a", "type": "add_tag", "tag": "ARM_A"}]},
            {"name": "B", "steps": [{"id": "tag-b", "type": "add_tag", "tag": "ARM_B"}]},
        ],
        mode="test_then_winner", test_fraction=0.5, decide_after_hours=24,
        conversion={"event": "order_placed", "within_days": 7},
    )  # fmt: skip
    _, plan = publish_live(journey)
    await worker.enroll(plan, shop)
    expected = {key: assign("ab-test", "offer", key, [1, 1], 0.5) for key in shop}
    tested = {key: "AB"[arm] for key, (group, arm) in expected.items() if group == "test" and arm is not None}
    held = [key for key, (group, _) in expected.items() if group == "rest"]
    # Without letting time pass: the test members go through, the held ones are waiting for the decision.
    for _ in range(600):
        if len(assignments()) == len(shop) and all(tags_of(k) for k in list(tested)[:5] + list(tested)[-5:]):
            break
        await asyncio.sleep(0.1)
    assert {k: g for k, (g, _) in assignments().items()} == {k: g for k, (g, _) in expected.items()}
    assert all(tags_of(k) == set() for k in held[:10])

    # The simulated response: 60% of arm B's test members buy, 10% of arm A's.
    buyers = [k for n, k in enumerate(sorted(k for k, a in tested.items() if a == "B")) if n % 10 < 6]
    buyers += [k for n, k in enumerate(sorted(k for k, a in tested.items() if a == "A")) if n % 10 == 0]
    now = clock.now().isoformat()
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,member_id,placed_at,amount\n" + "".join(f"O-{k},{k},{now},99\n" for k in buyers))
    assert import_csv(orders, "orders").rejected == 0

    results = await worker.finish_all(plan, held)

    assert {r.status for r in results} == {"completed"}
    assert all(tags_of(k) == {"ARM_B", "AFTER_SPLIT"} for k in held)
    assert {arm for k, (_, arm) in assignments().items() if k in held} == {"B"}
    with session_scope() as session:
        decision = session.scalars(select(SplitDecision)).one()
        report, outcomes = split_report(session, "ab-test", "offer")
    assert decision.winner == "B" and "beats A with chance" in decision.reason
    b_vs_a = decision.analysis["comparisons"][0]
    assert b_vs_a["arm"] == "B" and b_vs_a["chance_to_win"] >= 0.95
    assert [a["users"] for a in decision.analysis["arms"]] == [Counter(tested.values())[x] for x in "AB"]
    # The report measures the test group only, and the export has every assigned member.
    assert [a.users for a in report.analysis.arms] == [Counter(tested.values())[x] for x in "AB"]
    assert report.decision is not None and report.decision["winner"] == "B"
    assert len(outcomes) == len(shop) and sum(o.converted_at is not None for o in outcomes) == len(buyers)

    printed = CliRunner().invoke(app, ["ab", "report", "ab-test", "offer", "--json", "--csv", str(tmp_path / "m.csv")])
    assert printed.exit_code == 0, printed.output
    result = json.loads(printed.stdout.splitlines()[0])
    assert result["comparisons"][0]["decision"] == "win"
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[0] == "member_id,group,arm,assigned_at,converted,converted_at,revenue" and len(lines) == len(shop) + 1


async def test_members_in_the_global_holdout_never_enter(shop: list[str], worker: Lane, rules: Any) -> None:
    rules(global_holdout_percent="20")
    journey = split_journey()
    journey["steps"] = [{"id": "mark", "type": "add_tag", "tag": "REACHED"}]
    _, plan = publish_live(journey)
    keys = shop[:80]

    await worker.enroll(plan, keys)
    results = dict(zip(keys, await worker.finish_all(plan, keys), strict=True))

    held_out = {key for key in keys if in_global_holdout(key, 20)}
    assert 5 < len(held_out) < 30
    for key, result in results.items():
        if key in held_out:
            assert (result.status, tags_of(key)) == ("not_entered", set())
            assert "global holdout" in (result.reason or "")
        else:
            assert (result.status, tags_of(key)) == ("completed", {"REACHED"})


async def test_a_minimum_sample_per_arm_decides_without_waiting_the_hours(shop: list[str], worker: Lane) -> None:
    journey = split_journey(
        arms=[
            {"name": "A", "control": True, "steps": [{"id": "tag-a", "type": "add_tag", "tag": "ARM_A"}]},
            {"name": "B", "steps": [{"id": "tag-b", "type": "add_tag", "tag": "ARM_B"}]},
        ],
        mode="test_then_winner", test_fraction=0.5, decide_after_hours=None, min_users_per_arm=10,
    )  # fmt: skip
    _, plan = publish_live(journey)

    results = await finish_all(worker, plan, shop[:80])  # lets the held members' time pass

    assert {r.status for r in results} == {"completed"}
    with session_scope() as session:
        decision = session.scalars(select(SplitDecision)).one()
        first = session.scalar(select(func.min(col(SplitAssignment.assigned_at))))
    assert first is not None and decision.decided_at - first < timedelta(hours=2)  # at most one hourly poll later
    assert decision.winner == "A" and "fallback" in decision.reason  # nobody bought: the control stays
    assert all(arm == "A" for _, (group, arm) in assignments().items() if group == "rest")
