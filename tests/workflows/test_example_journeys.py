"""The example journeys in examples/: they validate, publish, and run end to end from the events that trigger them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.db import session_scope
from engine.journey.language import read_journey_file
from engine.journey.store import check_against_shop
from engine.models import JourneyEntry
from engine.settings import get_settings
from tests.smtp_sink import Sink
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from workflows.event_delivery import dispatch_pending
from workflows.journey_activities import MemberEventSignal
from workflows.journey_run import JourneyRun

pytestmark = [pytest.mark.database]

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(autouse=True)
def example_templates(request: pytest.FixtureRequest) -> None:
    """The coupon and message templates the example journeys use (as `make up` loads them)."""
    if not {"worker", "db"} & set(request.fixturenames):
        return
    from typer.testing import CliRunner

    from cli.main import app

    request.getfixturevalue("db")
    for args in (["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")],
                 ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")]):  # fmt: skip
        loaded = CliRunner().invoke(app, args)
        assert loaded.exit_code == 0, loaded.output


def example(name: str) -> Any:
    return read_journey_file(EXAMPLES / name)


def test_the_examples_include_a_welcome_and_a_vip_journey() -> None:
    assert {"welcome.yaml", "vip-thanks.yaml"} <= {path.name for path in EXAMPLES.glob("*.yaml")}


@pytest.mark.parametrize("name", sorted(path.name for path in EXAMPLES.glob("*.yaml")))
def test_the_example_journeys_are_valid(name: str, db: None) -> None:
    with session_scope() as session:
        journey, problems, _ = check_against_shop(session, example(name))  # with the example templates loaded

    assert problems == []
    assert journey is not None and journey.key == Path(name).stem


async def test_a_new_vip_tag_starts_the_vip_journey(worker: Lane, tmp_path: Path) -> None:
    _, plan = publish_live(example("vip-thanks.yaml"))
    load_members(tmp_path, "M1,张三,,,,,,,,VIP|常客\nM2,李四,,,,,,,,常客\n")  # the import records tag_added events

    delivered = await dispatch_pending(worker.client, get_settings())
    result = await worker.result(worker.handle(plan, "M1"))

    assert delivered >= 3  # two signups and the tags
    assert (result.status, result.blocks) == ("completed", ["is-vip", "thank", "wait-1d", "follow-up"])
    assert {"VIP_THANKED", "VIP_FOLLOWED_UP"} <= tags_of("M1")
    assert "VIP_THANKED" not in tags_of("M2")
    with session_scope() as session:
        entered = list(session.scalars(select(col(JourneyEntry.entry_key))))
    assert len(entered) == 1 and entered[0].startswith("event-")  # only M1's tag_added VIP matched


async def test_welcome_marks_members_without_a_first_order_for_a_nudge(
    worker: Lane, tmp_path: Path, smtp_sink: Sink
) -> None:
    _, plan = publish_live(example("welcome.yaml"))
    load_members(tmp_path, "M1,张三,zs@example.com,,,,,,,\nM2,李四,,13800000000,,,,,,\n")

    await dispatch_pending(worker.client, get_settings())
    email, sms = [await worker.result(worker.handle(plan, key)) for key in ("M1", "M2")]

    assert email.blocks == ["tag-new", "welcome-mail", "at-ten", "first-order", "needs-nudge", "tag-email-nudge",
                            "settle", "no-longer-new"]  # fmt: skip
    assert sms.blocks[-3:] == ["tag-sms-nudge", "settle", "no-longer-new"]
    assert tags_of("M1") == {"待激活-邮件"} and tags_of("M2") == {"待激活-短信"}
    assert [(m["To"], m["Subject"]) for m in smtp_sink.received] == [("zs@example.com", "欢迎加入，张三！")]


async def test_welcome_tags_the_first_order_and_converts_on_a_big_one(
    worker: Lane, tmp_path: Path, smtp_sink: Sink
) -> None:
    _, plan = publish_live(example("welcome.yaml"))
    load_members(tmp_path, "M1,张三,zs@example.com,,,,,,,\n")
    await dispatch_pending(worker.client, get_settings())
    handle = worker.handle(plan, "M1")
    await worker.env.sleep(timedelta(days=2))
    now = await worker.env.get_current_time()

    small = MemberEventSignal(event_id=101, type="order_placed", properties={"amount": 59}, occurred_at=now)
    await handle.signal(JourneyRun.member_event, small)
    await worker.env.sleep(timedelta(days=1))
    big = MemberEventSignal(event_id=102, type="order_placed", properties={"amount": 399}, occurred_at=now)
    await handle.signal(JourneyRun.member_event, big)
    result = await worker.result(handle)

    assert (result.status, result.blocks) == ("converted", ["tag-new", "welcome-mail", "at-ten", "first-order",
                                                            "tag-first-order", "settle"])  # fmt: skip
    assert "首单会员" in tags_of("M1")


@pytest.mark.clock_sensitive
async def test_birthday_gives_the_most_valuable_a_gift_coupon_and_others_double_points(
    worker: Lane, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from engine import clock
    from engine.intake.csv_import import import_csv
    from engine.models import Coupon, PointsBoost, PointsEntry
    from engine.rewards.points import PointsRules, save_rules

    load_members(tmp_path, "M1,张三,,,,,,,,\nM2,李四,,,,,,,,\n")
    history = tmp_path / "history.csv"
    recent, old = (clock.now() - timedelta(days=d) for d in (5, 200))
    history.write_text(
        f"order_id,member_id,placed_at,amount\nh1,M1,{recent.isoformat()},3000\nh2,M1,{recent.isoformat()},900\n"
        f"h3,M2,{old.isoformat()},80\n",
        encoding="utf-8",
    )
    assert import_csv(history, "orders").rejected == 0
    runner = CliRunner()
    assert runner.invoke(app, ["rfm", "recompute"]).exit_code == 0  # M1: 重要价值客户; M2: 一般挽留客户
    with session_scope() as session:
        save_rules(session, PointsRules(starts_on=clock.today()), clock.now())
    _, plan = publish_live(example("birthday.yaml"))

    vip = await worker.run(plan, "M1", "birthday-2026")
    other = await worker.run(plan, "M2", "birthday-2026")
    after = tmp_path / "after.csv"
    with session_scope() as session:
        boost_start = session.scalars(select(col(PointsBoost.starts_at))).one()
    placed = (boost_start + timedelta(days=2)).isoformat()  # inside M2's 7 days
    after.write_text(f"order_id,member_id,placed_at,amount\nb1,M2,{placed},120\n", encoding="utf-8")
    assert import_csv(after, "orders").rejected == 0

    assert vip.blocks[:3] == ["gift-kind", "premium-gift", "vip-gift"]
    assert other.blocks[:3] == ["gift-kind", "double-points", "standard-gift"]
    with session_scope() as session:
        coupons = session.scalars(select(col(Coupon.template))).all()
        earned = session.scalars(select(col(PointsEntry.points)).order_by(col(PointsEntry.id))).all()
    assert coupons == ["birthday-gift"]
    assert earned == [120, 120]  # the order's points, then as many again for the birthday boost


@pytest.mark.clock_sensitive
async def test_winback_gives_a_coupon_by_value_by_email_or_sms_and_a_stronger_one_at_sixty_days(
    worker: Lane, tmp_path: Path, smtp_sink: Sink
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from engine import clock
    from engine.intake.csv_import import import_csv
    from engine.models import Coupon, Member, Message

    load_members(tmp_path, "W1,陈静,cj@example.com,,,,,,,\nW2,刘洋,,+8613900000002,,,,,,\n")
    history = tmp_path / "history.csv"
    last = (clock.now() - timedelta(days=30)).isoformat()
    history.write_text(f"order_id,member_id,placed_at,amount\nw1,W1,{last},4800\nw2,W2,{last},60\n", encoding="utf-8")
    assert import_csv(history, "orders").rejected == 0
    assert CliRunner().invoke(app, ["rfm", "recompute"]).exit_code == 0  # W1 outspent W2: a 重要… segment
    _, plan = publish_live(example("winback.yaml"))

    big = await worker.run(plan, "W1", "silent-30")
    small = await worker.run(plan, "W2", "silent-30")

    assert big.blocks == ["by-value", "vip-coupon", "reach", "email", "thirty-more-days", "stronger-coupon",
                          "reach-again", "email-again"]  # fmt: skip
    assert small.blocks == ["by-value", "coupon", "reach", "sms", "thirty-more-days", "stronger-coupon",
                            "reach-again", "sms-again"]  # fmt: skip
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(Coupon.template), col(Coupon.code))
            .join(Member, col(Member.id) == col(Coupon.member_id))
            .order_by(col(Coupon.id))
        ).all()
        sent = session.execute(
            select(col(Member.external_id), col(Message.channel), col(Message.status), col(Message.body_text))
            .join(Member, col(Member.id) == col(Message.member_id))
            .order_by(col(Message.id))
        ).all()
    assert [(m, t) for m, t, _ in rows] == [("W1", "winback-vip"), ("W1", "winback-50"), ("W2", "winback-20"),
                                            ("W2", "winback-50")]  # fmt: skip
    assert [(m, c, s) for m, c, s, _ in sent] == [("W1", "email", "sent")] * 2 + [("W2", "sms", "sent")] * 2
    codes = [code for _, _, code in rows]
    assert all(code in (body or "") for code, (_, _, _, body) in zip(codes, sent, strict=True))  # each its coupon
    with session_scope() as session:
        issued = session.scalars(select(col(Coupon.issued_at)).order_by(col(Coupon.id))).first()
    assert issued is not None
    last_day = clock.local_date(issued, get_settings().shop_zone) + timedelta(days=14)  # valid_days: 14
    assert f"有效期至 {last_day.isoformat()}" in (sent[0][3] or "")  # the shop's day, not UTC's
    assert [m["Subject"] for m in smtp_sink.received] == ["陈静，好久不见！送您一张重要客户回归 85折 (最多减100)",
                                                          "陈静，好久不见！送您一张满200减50 (60天未购)"]  # fmt: skip


async def test_the_coupon_vs_points_test_runs_on_the_demo_shop(worker: Lane, smtp_sink: Sink, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from engine import clock
    from engine.ab.splits import split_report
    from engine.demo import load_demo
    from engine.journey.audience import members_matching
    from engine.models import Coupon, Message, PointsEntry, SplitAssignment, SplitDecision
    from engine.rewards.points import load_rules
    from nodes.conditions.days_since_last_order import DaysSinceLastOrder

    load_demo(300, today=clock.today())
    with session_scope() as session:
        silent = members_matching(session, DaysSinceLastOrder(op="ge", days=45), clock.now())[:120]
    _, plan = publish_live(example("ab_coupon_vs_points.yaml"))

    await worker.enroll(plan, silent, "silent-45")
    results = await worker.finish_all(plan, silent, "silent-45")

    assert len(silent) >= 60 and {r.status for r in results} <= {"completed", "converted"}
    with session_scope() as session:
        groups = session.execute(select(col(SplitAssignment.group), col(SplitAssignment.arm))).all()
        decision = session.scalars(select(SplitDecision)).one()
        coupons = len(session.scalars(select(Coupon)).all())
        grants = len(session.scalars(select(PointsEntry).where(col(PointsEntry.kind) == "grant")).all())
        emails = {m.template for m in session.scalars(select(Message))}
    tested = [arm for group, arm in groups if group == "test"]
    assert 0 < len(tested) < len(silent) / 2  # 20% tested, the rest held for 48 hours
    # The demo shop has no orders after today, so no arm can beat the coupon: the fallback (the control) wins.
    assert decision.winner == "coupon20" and "fallback" in decision.reason
    assert {arm for group, arm in groups if group == "rest"} == {"coupon20"}
    assert coupons == sum(arm == "coupon20" for _, arm in groups)
    assert grants == tested.count("points300")
    assert emails <= {"winback-email", "points-gift-email"} and smtp_sink.received

    with session_scope() as session:
        report, _ = split_report(session, "ab_coupon_vs_points", "offer")
        point_value = load_rules(session).point_value
    coupon_arm, points_arm = report.secondary
    assert (coupon_arm.arm, coupon_arm.users, coupon_arm.coupons_issued) == (
        "coupon20",
        tested.count("coupon20"),
        tested.count("coupon20"),
    )
    assert (points_arm.arm, points_arm.coupons_issued) == ("points300", 0)
    assert points_arm.cost == (300 * point_value * tested.count("points300")).quantize(Decimal("0.01"))
    assert 0 < coupon_arm.messages_sent <= coupon_arm.users  # members without email consent get none

    printed = CliRunner().invoke(app, ["ab", "report", "ab_coupon_vs_points", "offer", "--json"])
    assert printed.exit_code == 0, printed.output
    assert '"control": "coupon20"' in printed.stdout and '"arm": "points300"' in printed.stdout
