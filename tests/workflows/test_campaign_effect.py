"""Campaign effect per journey and per block: a journey issues coupons, grants points and messages three members;
one redeems the coupon in the order that converts, one clicks. The report must equal the rows counted by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.analytics.campaign_effect import campaign_effect
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.messages.message_log import count_click
from engine.models import Conversion, Coupon, JourneyEntry, JourneyStep, Member, Message, PointsEntry
from engine.rewards.points import load_rules
from engine.settings import get_settings
from tests.smtp_sink import Sink
from tests.workflows.conftest import Lane, load_members, publish_live
from workflows.event_delivery import dispatch_pending

pytestmark = [pytest.mark.database]
EXAMPLES = Path(__file__).parents[2] / "examples"
JOURNEY = {
    "id": "effect", "name": "effect", "trigger": {"type": "manual"},
    "goal": {"event": "order_placed", "within_days": 14},
    "steps": [
        {"id": "coupon", "type": "issue_coupon", "template": "winback-20"},
        {"id": "points", "type": "grant_points", "points": 500},
        {"id": "reach", "type": "if_else",
         "condition": {"kind": "attribute", "attribute": "email_consent", "op": "eq", "value": True},
         "then": [{"id": "email", "type": "send_email", "template": "winback-email"}],
         "else": [{"id": "sms", "type": "send_sms", "template": "winback-sms"}]},
        {"id": "two-weeks", "type": "wait", "days": 14},
    ],
}  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    load_members(tmp_path, "E1,一,e1@example.com,,,,,,,\nE2,二,e2@example.com,,,,,,,\nE3,三,,+8613700000003,,,,,,\n")
    runner = CliRunner()
    for args in (["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")],
                 ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")],
                 ["points", "rules", str(EXAMPLES / "rewards" / "points.yaml")]):  # fmt: skip
        assert runner.invoke(app, args).exit_code == 0


def rows(model: type) -> list[Any]:
    with session_scope() as session:
        return list(session.scalars(select(model)))


async def test_the_report_equals_the_rows_counted_by_hand(
    shop: None, worker: Lane, smtp_sink: Sink, tmp_path: Path
) -> None:
    _, plan = publish_live(JOURNEY)
    handles = [await worker.start(plan, member) for member in ("E1", "E2", "E3")]
    for member in ("E1", "E2", "E3"):
        await worker.reached(plan, member, "two-weeks")
    await dispatch_pending(worker.client, get_settings())  # the signups: nothing to do with this journey
    with session_scope() as session:
        e1 = session.scalar(select(Member.id).where(Member.external_id == "E1"))
        code = session.scalar(select(Coupon.code).where(Coupon.member_id == e1))
        email_to_e2 = session.scalar(select(Message).where(Message.recipient == "e2@example.com"))
        assert email_to_e2 is not None and email_to_e2.id is not None
        count_click(session, email_to_e2.id, clock.now())
    order = tmp_path / "order.csv"
    placed = (await worker.env.get_current_time()).isoformat()
    order.write_text(f"order_id,member_id,placed_at,amount,coupon_code\nx1,E1,{placed},300,{code}\n", encoding="utf-8")
    assert import_csv(order, "orders").rejected == 0
    assert await dispatch_pending(worker.client, get_settings()) >= 1  # the order reaches E1's run: the goal
    results = [await worker.result(h) for h in handles]

    report = {row.block: row for row in campaign_effect_of("effect")}

    messages, coupons, points = rows(Message), rows(Coupon), rows(PointsEntry)
    conversions, steps, entries = rows(Conversion), rows(JourneyStep), rows(JourneyEntry)
    point_value = load_rules_now().point_value
    sms_cost = sum((m.cost for m in messages if m.channel == "sms"), Decimal(0))
    coupon_cost = sum((c.face_value for c in coupons if c.redeemed_order_id is not None), Decimal(0))
    journey_id = entries[0].journey_id
    points_cost = sum(p.points for p in points if p.kind == "grant" and p.journey_id == journey_id) * point_value
    cost = coupon_cost + points_cost + sms_cost
    revenue = sum((c.revenue for c in conversions), Decimal(0))
    whole = report[None]
    assert [r.status for r in results] == ["converted", "completed", "completed"]
    assert (whole.entered, whole.sent, whole.opened, whole.clicked) == (
        len(entries), len([m for m in messages if m.status == "sent"]), 1, 1,
    )  # fmt: skip
    assert (whole.converted_members, whole.converted_orders, whole.revenue) == (1, len(conversions), revenue)
    assert (whole.coupon_cost, whole.points_cost, whole.sms_cost) == (coupon_cost, points_cost, sms_cost)
    assert (whole.cost, whole.roi) == (cost.quantize(Decimal("0.01")), float((revenue - cost) / cost))
    assert (revenue, coupon_cost, points_cost) == (Decimal(300), Decimal(20), Decimal("15.00"))
    email, sms = report["email"], report["sms"]
    assert (email.entered, email.sent, email.clicked, email.converted_members) == (
        len([s for s in steps if s.block_id == "email"]), 2, 1, 1,
    )  # fmt: skip
    assert (sms.sent, sms.sms_cost, sms.converted_members) == (1, sms_cost, 0)
    assert report["coupon"].coupon_cost == coupon_cost and report["points"].points_cost == points_cost


def campaign_effect_of(key: str) -> list[Any]:
    with session_scope() as session:
        return campaign_effect(session, key)


def load_rules_now() -> Any:
    with session_scope() as session:
        return load_rules(session)
