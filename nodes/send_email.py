"""Block: send an email from a marketer's template.

Two steps. `prepare_email` (in the journey's transaction, a local activity) applies the rules — consent, the
frequency cap, quiet hours — renders the template and records the message before anything is sent. Then, if the
message may go (after waiting out quiet hours when the block defers), `deliver_email` hands it to SMTP as a regular
activity: transient failures retry with backoff, a permanent one (5xx, a refused address) marks it failed at once,
and the last attempt marks it failed with the reason. A message is recorded once per member, block and entry.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlmodel import Session
from temporalio import activity

from connectors.email import PermanentFailure, TransientFailure, build_email, send_email
from engine.db import session_scope
from engine.journey.base import BlockBase, Category
from engine.journey.ledger import perform_once, record_steps
from engine.journey.runtime import PROVIDER_ATTEMPTS, ActionInput, ActionResult, JourneyRunContext
from engine.messages.outbox import claim, mark_failed, mark_sent, record_intent, rules_from, unsubscribe_url
from engine.messages.templates import find_template, template_problems
from engine.models import Message, utc_now
from engine.settings import get_settings


class SendEmail(BlockBase):
    type: Literal["send_email"] = "send_email"
    template: str = Field(min_length=1, max_length=64, title="Email template", description="e.g. winback-email")
    quiet_hours: Literal["defer", "skip"] = Field(
        "defer", title="In quiet hours", description="defer: send when they end; skip: do not send"
    )

    title: ClassVar[str] = "Send email"
    icon: ClassVar[str] = "mail"
    category: ClassVar[Category] = "action"
    help: ClassVar[str] = "Email the member (only with consent, outside quiet hours, within the frequency cap)."

    def publish_problems(self, session: Session) -> list[str]:
        return template_problems(session, self.template, "email")

    async def run(self, journey: JourneyRunContext) -> str | None:
        prepared = await journey.act(self, prepare_email)
        if prepared.detail.get("status") != "queued":
            return None
        send_at = datetime.fromisoformat(prepared.detail["send_at"])
        if send_at > journey.now():
            await journey.pause(send_at - journey.now())
        await journey.act_with_retries(self, deliver_email)
        return None


@activity.defn(name="prepare_email")
def prepare_email(request: ActionInput) -> ActionResult:
    block = SendEmail.model_validate(request.block)
    entry, key = request.entry, request.idempotency_key
    with session_scope() as session:
        record_steps(session, entry, request.steps)
        template = find_template(session, block.template)
        if template is None:  # deleted after the journey was published
            missing: dict[str, Any] = {
                "status": "failed",
                "reason": f"message template '{block.template}' does not exist",
            }
            perform_once(session, entry, block.id, key, "send_email", missing, request.now)
            return ActionResult(performed=False, detail=missing)
        variables = {**request.variables, "journey": {"key": entry.journey_key, "name": entry.journey_key}}
        intent = record_intent(
            session, channel="email", template=template, member_id=entry.member_id, key=key, now=request.now,
            rules=rules_from(get_settings()), variables=variables, quiet=block.quiet_hours,
            journey_id=entry.journey_id, block_id=block.id,
        )  # fmt: skip
        detail: dict[str, Any] = {"message": intent.message_id, "status": intent.status, "reason": intent.reason,
                  "send_at": intent.send_at.isoformat() if intent.send_at else None}  # fmt: skip
        performed = perform_once(session, entry, block.id, key, "send_email", detail, request.now)
        return ActionResult(performed=performed, detail=detail)


@activity.defn(name="deliver_email")
async def deliver_email(request: ActionInput) -> ActionResult:
    settings = get_settings()
    message = await asyncio.to_thread(_claim, request.idempotency_key)
    if message is None:
        return ActionResult(performed=False, detail={"status": "not sent (done already, or the member opted out)"})
    assert message.id is not None and message.recipient and message.subject and message.body_text
    email = build_email(
        sender=settings.smtp_from, recipient=message.recipient, subject=message.subject, html=message.body_html or "",
        text=message.body_text, idempotency_key=message.idempotency_key,
        unsubscribe_url=unsubscribe_url(rules_from(settings), message.id),
    )  # fmt: skip
    try:
        reply = await send_email(settings, email)
    except PermanentFailure as exc:
        await asyncio.to_thread(_finish, message.id, None, str(exc))
        return ActionResult(performed=False, detail={"status": "failed", "reason": str(exc)})
    except TransientFailure as exc:
        if activity.info().attempt < PROVIDER_ATTEMPTS:
            raise  # Temporal tries again with backoff
        reason = f"gave up after {PROVIDER_ATTEMPTS} attempts: {exc}"
        await asyncio.to_thread(_finish, message.id, None, reason)
        return ActionResult(performed=False, detail={"status": "failed", "reason": reason})
    await asyncio.to_thread(_finish, message.id, str(email["Message-ID"]), None)
    return ActionResult(performed=True, detail={"status": "sent", "reply": reply})


def _claim(key: str) -> Message | None:
    with session_scope() as session:
        return claim(session, key, utc_now())


def _finish(message_id: int, provider_id: str | None, failure: str | None) -> None:
    with session_scope() as session:
        if failure is None:
            assert provider_id is not None
            mark_sent(session, message_id, provider_id, utc_now())
        else:
            mark_failed(session, message_id, failure, utc_now())
