"""One failing tag rule never stops the others: a stored rule that no longer loads, or a rule that raises for one
member, is skipped there and recorded with its reason (API, CLI); every other rule and member is applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.members.tag_rules import TagRuleSpec, apply_rules, rule_failures, save_rule
from engine.models import Member, MemberTag, Tag, TagRule, TagRuleFailure
from engine.rewards.points import grant
from web.app import create_app

AUTH = {"Authorization": "Bearer test-token"}
BROKEN = "常客"  # its rule was stored before condition ranges were checked: 10^12 days overflow any date


@pytest.fixture
def members(tmp_path: Path, db: None) -> None:
    path = tmp_path / "members.csv"
    path.write_text("member_id,name\nA,甲\nB,乙\nC,丙\n", encoding="utf-8")
    assert import_csv(path, "members").rejected == 0


def rule(tag: str, condition: dict[str, object]) -> None:
    with session_scope() as session:
        save_rule(session, TagRuleSpec.model_validate({"tag": tag, "condition": condition}), clock.now())


def tagged(tag: str) -> list[str]:
    with session_scope() as session:
        rows = session.scalars(
            select(col(Member.external_id))
            .join(MemberTag, col(MemberTag.member_id) == col(Member.id))
            .join(Tag, col(Tag.id) == col(MemberTag.tag_id))
            .where(col(Tag.name) == tag)
            .order_by(col(Member.external_id))
        )
        return list(rows)


@pytest.mark.database
async def test_a_stored_rule_that_no_longer_loads_is_skipped_and_listed(members: None) -> None:
    rule("全员", {"kind": "total_spend", "op": "ge", "amount": 0})
    with session_scope() as session:
        condition = {"kind": "orders_in_last_days", "days": 10**12, "count": 3}
        session.add(TagRule(tag=BROKEN, condition=condition, updated_at=clock.now()))

    with session_scope() as session:
        report = apply_rules(session)

    assert tagged("全员") == ["A", "B", "C"]
    assert (report.added, report.failed) == (3, 1)
    [said] = report.failures
    assert said == (
        f"rule '{BROKEN}': the stored rule no longer loads: condition.orders_in_last_days.days: "
        "Input should be less than or equal to 36500"
    )
    with session_scope() as session:
        [failure] = rule_failures(session)
    assert (failure.tag, failure.member_id, failure.failures) == (BROKEN, None, 1)
    async with AsyncTestClient(app=create_app()) as client:
        listed = await client.get("/api/tag-rules", headers=AUTH)
        failing = await client.get("/api/tag-rules/failures", headers=AUTH)
        applied = await client.post("/api/tag-rules/apply", headers=AUTH)
    assert listed.status_code == 200 and [r["tag"] for r in listed.json()] == ["全员"]
    assert failing.status_code == 200
    assert [(f["tag"], f["member_id"], f["failures"]) for f in failing.json()] == [(BROKEN, None, 1)]
    assert applied.status_code == 201 and applied.json()["failed"] == 1
    cli = CliRunner().invoke(app, ["tags", "failures", "--json"])
    assert cli.exit_code == 0, cli.output
    assert [(f["tag"], f["failures"]) for f in json.loads(cli.output)] == [(BROKEN, 2)]  # the API's apply too

    assert CliRunner().invoke(app, ["tags", "delete-rule", BROKEN]).exit_code == 0
    with session_scope() as session:
        assert rule_failures(session) == []


def test_a_rule_that_raises_for_one_member_skips_only_that_member(members: None) -> None:
    """SQLite only: SQLite keeps a value of the wrong type that PostgreSQL would refuse, which is how a bad row
    reaches a rule here."""
    with session_scope() as session:
        ids = dict(session.execute(select(col(Member.external_id), col(Member.id))).all())
        for key, member_id in ids.items():
            grant(session, member_id=member_id, points=100, reason="gift", key=f"gift-{key}", now=clock.now(),
                  expires_at=None)  # fmt: skip
        session.execute(text("UPDATE points_ledger SET expires_at = 'soon' WHERE member_id = :id"), {"id": ids["B"]})
    rule("有积分", {"kind": "points_balance", "op": "ge", "points": 50})
    rule("全员", {"kind": "total_spend", "op": "ge", "amount": 0})

    with session_scope() as session:
        report = apply_rules(session)

    assert tagged("有积分") == ["A", "C"]
    assert tagged("全员") == ["A", "B", "C"]  # the other rule still applies to B
    assert (report.members, report.added, report.failed) == (3, 5, 1)
    with session_scope() as session:
        [failure] = rule_failures(session)
    assert (failure.tag, failure.member_id) == ("有积分", "B")
    assert failure.reason == "ValueError: Invalid isoformat string: 'soon'"
    shown = CliRunner().invoke(app, ["tags", "apply"])
    assert "1 rule application(s) failed and were skipped" in shown.output
    assert "rule '有积分', member #" in shown.output

    with session_scope() as session:
        session.execute(text("UPDATE points_ledger SET expires_at = NULL WHERE member_id = :id"), {"id": ids["B"]})
        assert apply_rules(session).failed == 0

    assert tagged("有积分") == ["A", "B", "C"]
    with session_scope() as session:
        assert session.scalars(select(TagRuleFailure)).all() == []
