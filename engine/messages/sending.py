"""What every message block does around its provider call: record the intent inside the journey's transaction,
claim the message before the call, record the result after it. Blocks (nodes/send_*.py) add only the transport."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import Field
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import session_scope
from engine.errors import PermanentFailure, TransientFailure
from engine.journey.base import BlockBase, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.run_records import perform_once, record_steps
from engine.journey.runtime import PROVIDER_ATTEMPTS, ActionInput, ActionResult
from engine.messages.message_log import QuietPolicy, claim, mark_failed, mark_sent, record_intent, rules_from
from engine.messages.templates import Channel, find_template
from engine.models import Message
from engine.settings import get_settings

# A message block's `quiet_hours` field (message_log.QuietPolicy) with its editor words, shared by every channel.
QuietHours = Annotated[
    QuietPolicy,
    zh(
        "免打扰时段内",
        "延后：免打扰时段结束后再发送；不发送：这条消息不再发出。",
        {
            "defer": Words("Send when quiet hours end", "延后到免打扰时段结束再发送"),
            "skip": Words("Do not send", "不发送"),
        },
    ),
    Field(title="In quiet hours", description="defer: send when they end; skip: do not send"),
]

T = TypeVar("T")


def prepare(
    request: ActionInput, *, block_id: str, template_key: str, channel: Channel, quiet: QuietPolicy
) -> ActionResult:
    """Apply the send rules, render, and record the message (queued, skipped or failed) once for this entry."""
    entry, key = request.entry, request.idempotency_key
    kind = f"send_{channel}"
    with session_scope() as session:
        record_steps(session, entry, request.steps)
        template = find_template(session, template_key)
        if template is None:  # deleted after the journey was published
            missing: dict[str, Any] = {
                "status": "failed",
                "reason": f"message template '{template_key}' does not exist",
            }
            perform_once(session, entry, block_id, key, kind, missing, request.now)
            return ActionResult(performed=False, detail=missing)
        variables = {**request.variables, "journey": {"key": entry.journey_key, "name": entry.journey_key}}
        intent = record_intent(
            session, channel=channel, template=template, member_id=entry.member_id, key=key, now=request.now,
            rules=rules_from(get_settings()), variables=variables, quiet=quiet, journey_id=entry.journey_id,
            block_id=block_id,
        )  # fmt: skip
        detail: dict[str, Any] = {"message": intent.message_id, "status": intent.status, "reason": intent.reason,
                                  "send_at": intent.send_at.isoformat() if intent.send_at else None}  # fmt: skip
        performed = perform_once(session, entry, block_id, key, kind, detail, request.now)
        return ActionResult(performed=performed, detail=detail)


async def send_when_allowed(
    journey: JourneyRunContext,
    block: BlockBase,
    prepare_activity: Callable[[ActionInput], ActionResult],
    deliver_activity: Callable[[ActionInput], Awaitable[ActionResult]],
) -> None:
    """A message block's step: record the message; if it may go, wait out quiet hours when it was deferred, then
    hand it to the provider (retried with backoff under the block's idempotency key)."""
    prepared = await journey.act(block, prepare_activity)
    if prepared.detail.get("status") != "queued":
        return
    if send_at := prepared.detail.get("send_at"):
        wait = datetime.fromisoformat(send_at) - journey.now()
        if wait.total_seconds() > 0:
            await journey.sleep(wait)
    await journey.act_with_retries(block, deliver_activity)


def claim_message(key: str) -> Message | None:
    with session_scope() as session:
        return claim(session, key, clock.now())


def give_up(key: str, reason: str) -> None:
    """Fail the message recorded under `key` (if still queued or sending) with the reason the block gave up."""
    with session_scope() as session:
        found = session.scalar(select(col(Message.id)).where(col(Message.idempotency_key) == key))
        if found is not None:
            mark_failed(session, found, reason, clock.now())


def record_result(message_id: int, provider_id: str | None, failure: str | None, cost: Decimal = Decimal(0)) -> None:
    with session_scope() as session:
        if failure is None:
            assert provider_id is not None
            mark_sent(session, message_id, provider_id, clock.now(), cost)
        else:
            mark_failed(session, message_id, failure, clock.now())


async def call_provider(message_id: int, call: Awaitable[T], attempt: int) -> T | ActionResult:
    """The provider's answer; or, on a permanent failure or a transient one at the last attempt, the message marked
    failed and the block's result saying why. A transient failure before the last attempt is raised, so Temporal
    tries again with backoff. A ValueError or TypeError (a message the provider's library cannot take as it is, e.g.
    an address it cannot encode) is permanent: the same message fails the same way on every attempt."""
    try:
        return await call
    except PermanentFailure as exc:
        reason = str(exc)
    except (ValueError, TypeError) as exc:
        reason = f"cannot be sent as it is: {type(exc).__name__}: {exc}"
    except TransientFailure as exc:
        if attempt < PROVIDER_ATTEMPTS:
            raise
        reason = f"gave up after {PROVIDER_ATTEMPTS} attempts: {exc}"
    await asyncio.to_thread(record_result, message_id, None, reason)
    return ActionResult(performed=False, detail={"status": "failed", "reason": reason})
