"""Email from journeys against a real SMTP server (aiosmtpd): headers and both bodies, the unsubscribe link end to end,
tracked clicks and opens, and the rules at send time (consent, quiet hours, frequency cap) on the time-skipping
server. A message is recorded once per member, block and entry, before the SMTP server is called."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from connectors.email import message_id
from engine.db import session_scope
from engine.models import Member, Message
from engine.settings import get_settings
from tests.smtp_sink import Sink
from tests.workflows.conftest import Lane, load_members, publish_live
from web.app import create_app

pytestmark = [pytest.mark.database]
EXAMPLES = Path(__file__).parents[2] / "examples"
MEMBERS = (
    "M1,张三,zs@example.com,,,,上海,,2024-01-01,\nM2,李四,,,,,北京,,2024-01-01,\nM3,王五,bounce@example.com,,,,,,,\n"
)


def winback(key: str = "mail-test", send: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": key, "name": key, "trigger": {"type": "manual"}, "reentry": {"policy": "always"},
        "steps": [{"id": "coupon", "type": "issue_coupon", "template": "winback-20"},
                  {"id": "mail", "type": "send_email", "template": "winback-email", **(send or {})}],
    }  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    load_members(tmp_path, MEMBERS)
    runner = CliRunner()
    for args in (["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")],
                 ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def messages() -> list[tuple[str, str, str | None]]:
    """(member, status, reason) of every message, oldest first."""
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(Message.status), col(Message.reason))
            .join(Member, col(Member.id) == col(Message.member_id))
            .order_by(col(Message.id))
        )
        return [(m, s, r) for m, s, r in rows]


def parts(mail: Any) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


async def test_the_email_arrives_with_its_headers_both_bodies_and_working_links(
    shop: None, worker: Lane, smtp_sink: Sink
) -> None:
    _, plan = publish_live(winback())

    result = await worker.run(plan, "M1", "first")

    assert result.status == "completed"
    assert len(smtp_sink.received) == 1
    mail = smtp_sink.received[0]
    text, html = parts(mail)
    with session_scope() as session:
        row = session.scalars(select(Message)).one()
        code = session.scalars(select(col(Message.body_text))).one()
    assert (mail["To"], mail["From"]) == ("zs@example.com", get_settings().smtp_from)
    assert mail["Subject"] == "张三，好久不见！送您一张满100减20"
    assert mail["Message-ID"] == message_id(row.idempotency_key)
    unsubscribe = str(mail["List-Unsubscribe"]).strip("<>")
    assert unsubscribe.startswith("https://links.example.com/u/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (f"退订：{unsubscribe}" in text and code == text.replace("\r\n", "\n")) or code in text
    assert "券码 WB" in text and "<strong>WB" in html
    assert 'href="https://links.example.com/c/' in html and "/o/" in html
    assert (row.status, row.attempts, row.provider_id) == ("sent", 1, mail["Message-ID"])

    click = html.split('href="')[1].split('"')[0].replace("&amp;", "&")
    pixel = html.split('<img src="')[1].split('"')[0]
    async with AsyncTestClient(app=create_app()) as web:
        page = await web.get(urlsplit(unsubscribe).path)
        went = await web.get(urlsplit(click).path + "?" + urlsplit(click).query, follow_redirects=False)
        seen = await web.get(urlsplit(pixel).path)
        forged = await web.get(urlsplit(click).path + "?u=https://evil.example.com/", follow_redirects=False)
        done = await web.post(urlsplit(unsubscribe).path)
    again = await worker.run(plan, "M1", "second")

    assert page.status_code == 200 and "confirm-unsubscribe" in page.text
    assert went.status_code == 302
    assert went.headers["location"] == "https://shop.example.com/?utm_source=memberflow&utm_campaign=winback"
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/gif"
    assert forged.status_code == 404
    assert done.status_code == 200 and 'id="unsubscribed"' in done.text
    with session_scope() as session:
        first = session.scalars(select(Message).order_by(col(Message.id))).first()
        assert first is not None and (first.clicks, first.opens) == (1, 1)
    assert again.status == "completed"
    assert len(smtp_sink.received) == 1  # nothing more after the unsubscribe
    assert messages()[-1][1:] == ("skipped", f"member opted out of email on {messages_day()}")


def messages_day() -> str:
    with session_scope() as session:
        opted = session.scalar(select(col(Member.email_opted_out_at)).where(col(Member.external_id) == "M1"))
    assert opted is not None
    return opted.date().isoformat()


async def test_no_address_is_a_skip_and_a_refused_one_fails_without_retrying(
    shop: None, worker: Lane, smtp_sink: Sink
) -> None:
    smtp_sink.refuse["bounce@example.com"] = "550 5.1.1 mailbox unavailable"
    _, plan = publish_live(winback())

    await worker.run(plan, "M2")
    await worker.run(plan, "M3")

    assert messages() == [
        ("M2", "skipped", "member has no email address"),
        ("M3", "failed", "recipient refused: 550 5.1.1 mailbox unavailable"),  # the address is on the row
    ]
    assert smtp_sink.received == []


async def test_a_busy_server_is_tried_again_and_the_message_goes_once(
    shop: None, worker: Lane, smtp_sink: Sink
) -> None:
    smtp_sink.busy_for = 2
    _, plan = publish_live(winback())

    await worker.run(plan, "M1")

    with session_scope() as session:
        row = session.scalars(select(Message)).one()
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(smtp_sink.received) == 1


async def recorded(count: int) -> None:
    """Wait (real time, the test server's clock held) until `count` messages are recorded."""
    for _ in range(200):
        if len(messages()) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(messages())} messages recorded after 10 s, expected {count}")


async def test_the_frequency_cap_skips_and_frees_up_after_its_days(
    shop: None, worker: Lane, smtp_sink: Sink, rules: Any
) -> None:
    rules(frequency_cap="1/7")
    _, first = publish_live(winback("first-campaign"))
    _, second = publish_live(winback("second-campaign"))

    runs = [await worker.start(first, "M1")]
    await recorded(1)
    runs.append(await worker.start(second, "M1"))
    await recorded(2)
    await worker.env.sleep(timedelta(days=8))
    runs.append(await worker.start(second, "M1", "a-week-later"))
    await recorded(3)
    for run in runs:
        await worker.result(run)

    assert [status for _, status, _ in messages()] == ["sent", "skipped", "sent"]
    assert messages()[1][2] == "frequency cap: 1 email messages in the last 7 days"
    assert len(smtp_sink.received) == 2


async def test_quiet_hours_defer_the_send_to_their_end_or_skip_it(
    shop: None, worker: Lane, smtp_sink: Sink, rules: Any
) -> None:
    local = (await worker.env.get_current_time()).astimezone(ZoneInfo("Asia/Shanghai"))
    start, end = local - timedelta(hours=1), local + timedelta(hours=2)
    rules(quiet_hours=f"{start:%H:%M}-{end:%H:%M}")
    _, deferring = publish_live(winback("deferring"))
    _, skipping = publish_live(winback("skipping", {"quiet_hours": "skip"}))

    handles = [await worker.start(deferring, "M1")]
    await recorded(1)
    handles.append(await worker.start(skipping, "M1"))
    await recorded(2)
    await worker.env.sleep(timedelta(hours=1))
    held = (len(smtp_sink.received), [status for _, status, _ in messages()])
    held_because = messages()[0][2]
    for handle in handles:
        await worker.result(handle)

    with session_scope() as session:
        send_at = session.scalars(select(col(Message.send_at)).order_by(col(Message.id))).first()
    assert held == (0, ["queued", "skipped"])
    assert send_at is not None and send_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == f"{end:%H:%M}"
    until = send_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert held_because == f"deferred by quiet hours until {until:%H:%M} on {until:%F} (member's zone, Asia/Shanghai)"
    assert messages()[0][1:] == ("sent", None)  # sending cleared the deferral's reason
    assert messages()[1][2] == f"quiet hours {start:%H:%M}-{end:%H:%M} (Asia/Shanghai)"
    assert len(smtp_sink.received) == 1


@pytest.mark.clock_sensitive
async def test_the_default_quiet_hours_hold_a_send_at_each_hostile_moment_until_nine(
    shop: None, worker: Lane, smtp_sink: Sink, rules: Any
) -> None:
    rules(quiet_hours="21:00-09:00")  # the default: every hostile moment lies inside it
    _, plan = publish_live(winback("nine-oclock"))
    zone = get_settings().shop_zone  # the member has no zone of their own

    handle = await worker.start(plan, "M1")
    await recorded(1)
    now = (await worker.env.get_current_time()).astimezone(zone)
    held = (len(smtp_sink.received), [status for _, status, _ in messages()])
    await worker.result(handle)

    nine = datetime.combine(now.date() + timedelta(days=now.hour >= 21), time(9), zone)  # the next 09:00 there
    with session_scope() as session:
        send_at = session.scalars(select(col(Message.send_at))).one()
    assert held == (0, ["queued"])
    assert send_at == nine
    assert [status for _, status, _ in messages()] == ["sent"] and len(smtp_sink.received) == 1


def test_publishing_checks_the_template_exists_fits_the_channel_and_renders(shop: None, tmp_path: Path) -> None:
    from engine.errors import Rejected
    from engine.messages.templates import TemplateSpec

    broken = TemplateSpec(key="broken", name="坏", channel="email", subject="hi", html="<p>hi</p>", text="hi")
    with session_scope() as session:  # stored directly, as a template saved before a sandbox rule tightened would be
        from engine.models import MessageTemplate

        spec = broken.model_dump(mode="json") | {"text": "{{ member.nmae }}"}
        session.add(MessageTemplate(key="broken", channel="email", name="坏", spec=spec))
    journeys = {
        "missing": {"id": "mail", "type": "send_email", "template": "nope"},
        "wrong-channel": {"id": "mail", "type": "send_email", "template": "winback-sms"},
        "broken": {"id": "mail", "type": "send_email", "template": "broken"},
    }

    said = {}
    for name, block in journeys.items():
        with pytest.raises(Rejected) as refused:
            publish_live({"id": name, "name": name, "trigger": {"type": "manual"}, "steps": [block]})
        said[name] = refused.value.problems

    assert said == {
        "missing": ["mail: message template 'nope' does not exist; define it first (memberflow messages load)"],
        "wrong-channel": ["mail: message template 'winback-sms' is an sms template, not email"],
        "broken": ["mail: template broken, text: UndefinedError: 'dict object' has no attribute 'nmae'"],
    }
