"""One validation for `journey validate`, `journey publish` and `POST /api/journeys`: each lists every problem at
once, with its block id, including what only the shop's data shows (missing coupon and message templates)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.errors import Rejected
from engine.journey.store import publish
from engine.journey.validate import parse_journey
from engine.messages.templates import TemplateSpec
from engine.messages.templates import save_template as save_message_template
from engine.rewards.coupons import CouponSpec, save_template
from web.app import create_app

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
AUTH = {"Authorization": "Bearer test-token"}

JOURNEY = """
id: lapsed
name: Lapsed members
trigger: {type: manual}
steps:
  - id: gift
    type: issue_coupon
    template: no-such-coupon
  - id: tell
    type: send_email
    template: no-such-email
  - id: text
    type: send_sms
    template: hello-email
  - id: still-holding
    type: if_else
    condition: {kind: has_unredeemed_coupon, template: gone-coupon}
    then:
      - id: wait-1d
        type: wait
        days: 0
"""

EXPECTED = [
    "gift: coupon template 'no-such-coupon' does not exist; define it first (memberflow coupons load)",
    "tell: message template 'no-such-email' does not exist; define it first (memberflow messages load)",
    "text: message template 'hello-email' is an email template, not sms",
    "still-holding: condition: coupon template 'gone-coupon' does not exist; define it first (memberflow coupons load)",
    "wait-1d: the wait must be longer than zero (it is 0:00:00)",
]


@pytest.fixture
def hello_email(db: None) -> None:
    """An email template the shop has (so using it for SMS is the mistake)."""
    spec = TemplateSpec(key="hello-email", name="Hi", channel="email", subject="Hi", html="<p>Hi</p>", text="Hi")
    with session_scope() as session:
        save_message_template(session, spec)


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client


def raw() -> Any:
    return yaml.safe_load(JOURNEY)


@pytest.mark.usefixtures("hello_email")
def test_validate_lists_what_publishing_would_refuse(tmp_path: Path) -> None:
    file = tmp_path / "lapsed.yaml"
    file.write_text(JOURNEY, encoding="utf-8")

    result = CliRunner().invoke(app, ["journey", "validate", str(file)])

    assert result.exit_code == 1
    assert [line.removeprefix(f"{file}: ") for line in result.output.splitlines()] == EXPECTED


@pytest.mark.usefixtures("hello_email")
def test_publish_refuses_with_the_same_problems() -> None:
    with session_scope() as session, pytest.raises(Rejected) as refused:
        publish(session, parse_journey(raw()), now=clock.now())

    assert refused.value.problems == EXPECTED


@pytest.mark.usefixtures("hello_email")
async def test_the_api_lists_the_same_problems(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    answer = await client.post("/api/journeys", json=raw(), headers=AUTH)

    assert answer.status_code == 422
    assert answer.json() == {"problems": EXPECTED}


def test_a_journey_whose_templates_exist_is_valid_and_publishes(tmp_path: Path) -> None:
    journey = {"id": "gift", "name": "Gift", "trigger": {"type": "manual"},
               "steps": [{"id": "gift", "type": "issue_coupon", "template": "gift-10"}]}  # fmt: skip
    coupon = CouponSpec.model_validate(
        {"key": "gift-10", "name": "¥10", "kind": "amount_off", "amount_off": 10, "valid_days": 7}
    )
    file = tmp_path / "gift.yaml"
    file.write_text(yaml.safe_dump(journey), encoding="utf-8")
    before = CliRunner().invoke(app, ["journey", "validate", str(file)])
    with session_scope() as session:
        save_template(session, coupon, clock.now())

    after = CliRunner().invoke(app, ["journey", "validate", str(file)])
    with session_scope() as session:
        published = publish(session, parse_journey(journey), now=clock.now())

    assert before.exit_code == 1 and "coupon template 'gift-10' does not exist" in before.output
    assert after.exit_code == 0, after.output
    assert "journey gift is valid (1 blocks)" in after.output
    assert (published.version, published.warnings) == (1, [])


def test_a_tag_nobody_ever_had_is_a_warning_not_a_refusal(tmp_path: Path) -> None:
    journey = {"id": "vips", "name": "VIPs", "trigger": {"type": "manual"},
               "steps": [{"id": "is-vip", "type": "if_else", "condition": {"kind": "has_tag", "tag": "VIPP"},
                          "then": [{"id": "mark", "type": "add_tag", "tag": "SEEN"}]},
                         {"id": "seen", "type": "if_else", "condition": {"kind": "has_tag", "tag": "SEEN"},
                          "then": [{"id": "done", "type": "exit"}]}]}  # fmt: skip
    file = tmp_path / "vips.yaml"
    file.write_text(yaml.safe_dump(journey), encoding="utf-8")

    result = CliRunner().invoke(app, ["journey", "validate", str(file)])
    with session_scope() as session:
        published = publish(session, parse_journey(journey), now=clock.now())

    warning = ("is-vip: condition: no member has ever had tag 'VIPP' and no tag rule or block of this journey gives "
               "it: check the spelling")  # fmt: skip
    assert result.exit_code == 0
    assert f"warning: {file}: {warning}" in " ".join(result.output.split())
    assert published.warnings == [warning]  # SEEN is given by the journey's own add_tag: no warning
