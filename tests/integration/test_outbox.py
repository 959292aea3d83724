"""The outbox tells why a message waits: a message deferred by quiet hours says until when, in the member's zone,
on the CLI (whole, however narrow the terminal), the Outbox page and the API; sending clears the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient

from engine.db import session_scope
from engine.messages.message_log import SendRules, claim, mark_sent, outbox, record_intent
from engine.messages.send_rules import parse_quiet_hours
from engine.messages.templates import TemplateSpec
from engine.models import Member
from tests.login import sign_in
from web.app import create_app

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}
EVENING_IN_BERLIN = datetime(2024, 5, 1, 19, 30, tzinfo=UTC)  # 21:30 in Berlin (CEST), inside 21:00-09:00
REASON = "deferred by quiet hours until 09:00 on 2024-05-02 (member's zone, Europe/Berlin)"
TEMPLATE = TemplateSpec(key="hello", name="Hello", channel="email", subject="Hello, newcomer to the evening shift",
                        html="<p>Hi</p>", text="Hi")  # fmt: skip


def rules() -> SendRules:
    quiet = parse_quiet_hours("21:00-09:00")
    return SendRules(quiet_hours=quiet, frequency_cap=None, shop_zone=ZoneInfo("Asia/Shanghai"),
                     link_base="https://links.example.com", link_key=b"k")  # fmt: skip


@pytest.fixture
def deferred(db: None) -> int:
    """A member in Berlin emailed at 21:30 their time: the message waits for 09:00 there."""
    with session_scope() as session:
        member = Member(external_id="BERLIN-1", name="Anna", email="anna@example.com", timezone="Europe/Berlin")
        session.add(member)
        session.flush()
        assert member.id is not None
        intent = record_intent(session, channel="email", template=TEMPLATE, member_id=member.id, key="welcome/BERLIN-1",
                               now=EVENING_IN_BERLIN, rules=rules(), variables={})  # fmt: skip
    return intent.message_id


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        await sign_in(test_client, "analyst")  # the pages need a signed-in user; reading them, any role
        yield test_client


def test_a_deferred_message_records_until_when_in_the_members_zone(deferred: int) -> None:
    with session_scope() as session:
        row = outbox(session)[0]

    assert (row.id, row.status, row.reason) == (deferred, "queued", REASON)


def test_sending_clears_the_deferral_reason(deferred: int) -> None:
    with session_scope() as session:
        claimed = claim(session, "welcome/BERLIN-1", EVENING_IN_BERLIN)
        assert claimed is not None
        mark_sent(session, deferred, "<id@memberflow>", EVENING_IN_BERLIN, Decimal(0))
    with session_scope() as session:
        row = outbox(session)[0]

    assert (row.status, row.reason) == ("sent", None)


@pytest.mark.usefixtures("deferred")
def test_the_cli_outbox_shows_every_value_whole_on_a_narrow_terminal() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "cli", "messages", "outbox"],
        env={**os.environ, "COLUMNS": "60"}, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip

    lines = shown.stdout.splitlines()
    assert "…" not in shown.stdout
    assert f"reason          {REASON}" in lines
    assert "subject / text  Hello, newcomer to the evening shift" in lines
    assert "to              anna@example.com" in lines
    assert "status          queued" in lines


@pytest.mark.usefixtures("deferred")
async def test_the_outbox_page_and_the_api_say_why_it_waits(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    page = await client.get("/outbox")
    listed = await client.get("/api/messages", headers=AUTH)

    assert page.status_code == 200
    assert "deferred by quiet hours until 09:00 on 2024-05-02 (member&#39;s zone, Europe/Berlin)" in page.text
    assert listed.status_code == 200
    assert [(m["member"], m["status"], m["reason"]) for m in listed.json()] == [("BERLIN-1", "queued", REASON)]
