"""The issue_coupon block inside JourneyRun: one code per member per entry, the same code on a retried activity,
a new code when the member enters again, and a template that does not exist refused at publish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.errors import Rejected
from engine.journey.runtime import ActionInput
from engine.models import Coupon, JourneyAction, JourneyEntry, Member
from tests.workflows.conftest import Lane, load_members, publish_live
from workflows.journey_activities import EnterInput, enter_journey

pytestmark = [pytest.mark.database, pytest.mark.clock_sensitive]
EXAMPLES = Path(__file__).parents[2] / "examples"
MEMBERS = "M1,张三,zs@example.com,,,,上海,,2024-01-01,\nM2,李四,,,,,北京,,2024-01-01,\n"


def coupon_journey(template: str = "winback-20") -> dict[str, Any]:
    return {
        "id": "coupon-test", "name": "coupon test", "trigger": {"type": "manual"}, "reentry": {"policy": "always"},
        "steps": [{"id": "give", "type": "issue_coupon", "template": template},
                  {"id": "mark", "type": "add_tag", "tag": "GOT_COUPON"}],
    }  # fmt: skip


@pytest.fixture
def templates(tmp_path: Path, db: None) -> None:
    load_members(tmp_path, MEMBERS)
    loaded = CliRunner().invoke(app, ["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")])
    assert loaded.exit_code == 0, loaded.output


def coupons() -> list[tuple[str, str, str | None, int | None]]:
    """(member, code, block, journey) of every issued coupon."""
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(Coupon.code), col(Coupon.block_id), col(Coupon.journey_id))
            .join(Member, col(Member.id) == col(Coupon.member_id))
            .order_by(col(Coupon.id))
        )
        return [(m, c, b, j) for m, c, b, j in rows]


async def test_each_entry_gets_its_own_code_and_the_action_records_it(templates: None, worker: Lane) -> None:
    published, plan = publish_live(coupon_journey())

    first = await worker.run(plan, "M1", "occasion-1")
    second = await worker.run(plan, "M1", "occasion-2")
    other = await worker.run(plan, "M2", "occasion-1")

    issued = coupons()
    assert [r.status for r in (first, second, other)] == ["completed"] * 3
    assert [(m, b, j) for m, _, b, j in issued] == [("M1", "give", published.journey_id)] * 2 + [
        ("M2", "give", published.journey_id)
    ]
    assert len({code for _, code, _, _ in issued}) == 3
    assert all(code.startswith("WB") for _, code, _, _ in issued)
    with session_scope() as session:
        recorded = session.scalars(select(col(JourneyAction.detail)).where(col(JourneyAction.kind) == "issue_coupon"))
        assert sorted(d["code"] for d in recorded) == sorted(code for _, code, _, _ in issued)


async def test_a_retried_issue_activity_returns_the_same_code_and_issues_nothing_more(templates: None) -> None:
    from nodes.issue_coupon import issue_coupon_to_member

    _, plan = publish_live(coupon_journey())
    now = clock.now()
    entered = enter_journey(
        EnterInput(plan=plan, member_key="M1", entry_key="x", workflow_id="wf-x", run_id="run-x", now=now)
    )
    assert entered.entry is not None
    request = ActionInput(
        entry=entered.entry, block=plan.steps["give"].block, idempotency_key=f"{entered.entry.action_prefix}:give",
        now=now,
    )  # fmt: skip

    first = issue_coupon_to_member(request)
    retried = issue_coupon_to_member(request)  # the worker died after the commit; Temporal runs it again

    assert first.performed and not retried.performed
    assert first.exports["coupon"]["code"] == retried.exports["coupon"]["code"]
    assert first.exports["coupon"]["expires_at"] is not None
    assert len(coupons()) == 1
    with session_scope() as session:
        assert session.scalar(select(col(JourneyEntry.status))) == "running"


def test_publishing_a_journey_with_an_unknown_template_is_refused(templates: None) -> None:
    with pytest.raises(Rejected) as refused:
        publish_live(coupon_journey("no-such-template"))

    assert refused.value.problems == [
        "give: coupon template 'no-such-template' does not exist; define it first (memberflow coupons load)"
    ]
