"""Rule-based tags: added where the condition holds, removed where it stopped, manual tags left alone, events kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.errors import Invalid
from engine.intake.csv_import import import_csv
from engine.members.tag_rules import TagRuleSpec, apply_rules, members_to_retag, retag, save_rule
from engine.models import Event, Member, MemberTag, Tag

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db"), pytest.mark.clock_sensitive]
EXAMPLES = Path(__file__).parents[2] / "examples"


def day(n: int) -> str:
    """An ISO date n days before today in the shop's zone (read back as midnight there)."""
    return (clock.today() - timedelta(days=n)).isoformat()


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    month = clock.today().month  # "this month" is the shop's, whatever month UTC is in
    other = month % 12 + 1
    members = tmp_path / "members.csv"
    members.write_text(
        "member_id,name,birthday,tags\n"
        f"often,常客,1990-{month:02d}-15,\nonce,偶尔,1990-{other:02d}-15,\nmanual,手动,,消费满3次\n",
        encoding="utf-8",
    )
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,member_id,placed_at,amount,category\n"
        f"a1,often,{day(2)},100,母婴\na2,often,{day(5)},3500,母婴\na3,often,{day(9)},3000,服饰\n"
        f"b1,once,{day(3)},300,美妆\nb2,once,{day(40)},300,母婴\n",
        encoding="utf-8",
    )
    assert import_csv(members, "members").rejected == 0
    assert import_csv(orders, "orders").rejected == 0


def tags() -> dict[str, set[tuple[str, str]]]:
    """member → {(tag, source)}"""
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(Tag.name), col(MemberTag.source))
            .join(MemberTag, col(MemberTag.member_id) == col(Member.id))
            .join(Tag, col(Tag.id) == col(MemberTag.tag_id))
        )
        found: dict[str, set[tuple[str, str]]] = {}
        for member, tag, source in rows:
            found.setdefault(member, set()).add((tag, source))
        return found


def rule(tag: str, condition: dict[str, Any]) -> None:
    with session_scope() as session:
        save_rule(session, TagRuleSpec.model_validate({"tag": tag, "condition": condition}), clock.now())


def tag_events(kind: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(Event.properties))
            .join(Member, col(Member.id) == col(Event.member_id))
            .where(col(Event.type) == kind, col(Event.properties)["source"].as_string() == "rule")
        )
        return sorted((member, p["tag"]) for member, p in rows)


@pytest.mark.usefixtures("shop")
def test_the_example_rules_tag_the_members_they_describe() -> None:
    result = CliRunner().invoke(app, ["tags", "load", str(EXAMPLES / "rules" / "tag-rules.yaml")])
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        report = apply_rules(session)

    found = tags()
    assert {t for t, s in found["often"] if s == "rule"} == {"消费满3次", "偏好母婴", "累计消费5000", "生日当月"}
    assert "once" not in found  # 300 美妆 vs 300 母婴 is a tie: no preference
    assert found["manual"] == {("消费满3次", "import")}  # already had it by hand: the rule adds nothing
    assert report.added == 4
    assert tag_events("tag_added") == [
        ("often", t) for t in sorted(["消费满3次", "偏好母婴", "累计消费5000", "生日当月"])
    ]


@pytest.mark.usefixtures("shop")
def test_a_rule_takes_back_only_the_tags_it_gave() -> None:
    rule("大额", {"kind": "total_spend", "op": "ge", "amount": 5000})
    with session_scope() as session:
        apply_rules(session)
    assert ("大额", "rule") in tags()["often"]
    rule("消费满3次", {"kind": "orders_in_last_days", "days": 30, "op": "ge", "count": 3})

    rule("大额", {"kind": "total_spend", "op": "ge", "amount": 50000})  # raised: nobody qualifies now
    with session_scope() as session:
        report = apply_rules(session)

    found = tags()
    assert not any(t == "大额" for t, _ in found["often"])
    assert ("消费满3次", "import") in found["manual"]  # the rule does not hold for it, but a person gave it
    assert report.removed == 1
    assert tag_events("tag_removed") == [("often", "大额")]
    with session_scope() as session:
        assert apply_rules(session).added == apply_rules(session).removed == 0  # applying again changes nothing


@pytest.mark.usefixtures("shop")
def test_new_orders_retag_their_members(tmp_path: Path) -> None:
    rule("买过美妆", {"kind": "bought_category", "category": "美妆", "days": 30})
    more = tmp_path / "more.csv"
    more.write_text(f"order_id,member_id,placed_at,amount,category\nc1,often,{day(1)},50,美妆\n", encoding="utf-8")
    assert import_csv(more, "orders").rejected == 0
    with session_scope() as session:
        pending = session.execute(
            select(col(Event.member_id), col(Event.type), col(Event.properties)).where(
                col(Event.type) == "order_placed"
            )
        ).all()
    members = members_to_retag((m, t, p) for m, t, p in pending)

    report = retag(members)

    assert ("买过美妆", "rule") in tags()["often"]
    assert report.added == 2  # often (new order) and once (its 美妆 order was there already)
    assert members_to_retag([(1, "tag_added", {"source": "rule"}), (2, "tag_added", {"source": "api"})]) == [2]


@pytest.mark.parametrize(
    ("tag", "condition", "problem"),
    [
        ("VIP", {"kind": "not", "condition": {"kind": "has_tag", "tag": "VIP"}}, "asks about 'VIP' itself"),
        ("回购", {"kind": "did_event", "event": "order_placed"}, "did_event asks about the time since entering"),
        ("错", {"kind": "rfm_segment", "segments": ["重要客户"]}, "'重要客户' is not a segment"),
    ],
)
def test_rules_that_cannot_work_are_refused_with_the_reason(
    tag: str, condition: dict[str, Any], problem: str, db: None
) -> None:
    with pytest.raises(Invalid, match=problem):
        rule(tag, condition)
