"""What retrying cannot fix ends the run at once with the reason recorded, instead of retrying without limit: a
block whose coupon template was deleted after publishing fails on its first attempt, the entry is closed as
`failed` with the reason, and nothing after the block runs. Every retry policy is bounded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlmodel import col
from temporalio.exceptions import ActivityError, ApplicationError
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.messages.sending import give_up
from engine.models import CouponTemplate, JourneyEntry, Member, Message
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from workflows import retries
from workflows.journey_activities import REASON_LENGTH
from workflows.journey_run import failure_reason

pytestmark = [pytest.mark.database]
EXAMPLES = Path(__file__).parents[2] / "examples"


async def test_a_block_that_cannot_succeed_ends_the_run_with_its_reason(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, "F1,一,,,,,,,,\n")
    assert CliRunner().invoke(app, ["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")]).exit_code == 0
    _, plan = publish_live({
        "id": "gift", "name": "gift", "trigger": {"type": "manual"},
        "steps": [{"id": "coupon", "type": "issue_coupon", "template": "winback-20"},
                  {"id": "tag", "type": "add_tag", "tag": "GIFTED"}],
    })  # fmt: skip
    with session_scope() as session:  # deleted after the journey was published
        session.execute(delete(CouponTemplate).where(col(CouponTemplate.key) == "winback-20"))

    started = time.monotonic()
    result = await worker.run(plan, "F1")
    took = time.monotonic() - started

    reason = "block coupon failed: NotFound: coupon template winback-20 does not exist"
    assert (result.status, result.reason, result.blocks) == ("failed", reason, ["coupon"])
    assert took < 10  # one attempt: retries would back off 1, 2, 4, … seconds in the worker first
    with session_scope() as session:
        entry = session.scalars(select(JourneyEntry)).one()
    assert (entry.status, entry.exit_reason) == ("failed", reason[:REASON_LENGTH])
    assert entry.ended_at is not None
    assert "GIFTED" not in tags_of("F1")


def test_every_retry_policy_is_bounded_and_never_retries_bad_data() -> None:
    policies = [retries.JOURNEY_DATABASE, retries.PROVIDER, retries.BATCH, retries.PROBE]
    assert all(0 < policy.maximum_attempts <= 300 for policy in policies)
    for policy in policies:
        assert {"OverflowError", "ValidationError", "Invalid", "NotFound", "Conflict", "Rejected", "DataError"} <= set(
            policy.non_retryable_error_types or []
        )


def test_a_message_whose_provider_activity_gave_up_is_failed_unless_it_was_sent(db: None, tmp_path: Path) -> None:
    load_members(tmp_path, "F1,一,f1@example.com,,,,,,,\n")
    with session_scope() as session:
        member_id = session.scalars(select(col(Member.id))).one()
        for key, status in (("k-sending", "sending"), ("k-sent", "sent")):
            session.add(Message(idempotency_key=key, channel="email", template="t", member_id=member_id,
                                status=status, created_at=clock.now(), send_at=clock.now(), attempts=8))  # fmt: skip

    give_up("k-sending", "gave up: timed out (START_TO_CLOSE)")
    give_up("k-sent", "gave up: timed out (START_TO_CLOSE)")
    give_up("k-unknown", "gave up")  # nothing recorded under the key: nothing to do

    with session_scope() as session:
        found = dict(session.execute(select(col(Message.idempotency_key), col(Message.status))).all())
        reason = session.scalar(select(col(Message.reason)).where(col(Message.idempotency_key) == "k-sending"))
    assert found == {"k-sending": "failed", "k-sent": "sent"}
    assert reason == "gave up: timed out (START_TO_CLOSE)"


def test_a_failure_is_told_by_its_innermost_cause() -> None:
    permanent = ApplicationError("coupon template x does not exist", type="NotFound", non_retryable=True)
    gave_up = ActivityError("activity error", scheduled_event_id=1, started_event_id=2, identity="w",
                            activity_type="issue_coupon", activity_id="1", retry_state=None)  # fmt: skip
    gave_up.__cause__ = permanent

    assert failure_reason(permanent) == "NotFound: coupon template x does not exist"
    assert failure_reason(gave_up) == "NotFound: coupon template x does not exist"
    assert failure_reason(OverflowError("date value out of range")) == "OverflowError: date value out of range"
