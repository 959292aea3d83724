"""Block: send an email from a marketer's template.

Two steps. `prepare_email` (in the journey's transaction, a local activity) applies the rules — consent, the
frequency cap, quiet hours — renders the template and records the message before anything is sent. Then, if the
message may go (after waiting out quiet hours when the block defers), `deliver_email` hands it to SMTP as a regular
activity: transient failures retry with backoff, a permanent one (5xx, a refused address) marks it failed at once,
and the last attempt marks it failed with the reason. A message is recorded once per member, block and entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from temporalio import activity

from connectors.email import build_email, send_email
from engine.errors import PermanentFailure
from engine.journey.base import BlockBase, Category, JourneyRunContext, ShopData
from engine.journey.metadata import Words, zh
from engine.journey.runtime import ActionInput, ActionResult
from engine.messages.message_log import rules_from, unsubscribe_url
from engine.messages.sending import (
    QuietHours,
    call_provider,
    claim_message,
    prepare,
    record_result,
    send_when_allowed,
)
from engine.messages.templates import single_line
from engine.models import Message
from engine.settings import Settings, get_settings


class SendEmail(BlockBase):
    type: Literal["send_email"] = "send_email"
    template: Annotated[str, zh("邮件模板", "邮件模板的编号，例如 winback-email。")] = Field(
        min_length=1, max_length=64, title="Email template", description="The email template's key, e.g. winback-email."
    )
    quiet_hours: QuietHours = "defer"

    title: ClassVar[Words] = Words("Send email", "发送邮件")
    help: ClassVar[Words] = Words(
        "Email the member (only with consent, outside quiet hours, within the frequency cap).",
        "给会员发送邮件（仅发给同意接收邮件的会员，避开免打扰时段，不超过发送频次上限）。",
    )
    icon: ClassVar[str] = "mail"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "winback-mail", "type": "send_email", "template": "winback-email"},
        {"id": "night-mail", "type": "send_email", "template": "winback-email", "quiet_hours": "skip"},
    )

    def publish_problems(self, shop: ShopData) -> list[str]:
        return shop.message_problems(self.template, "email")

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (prepare_email, deliver_email)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await send_when_allowed(journey, self, prepare_email, deliver_email)
        return None


@activity.defn(name="prepare_email")
def prepare_email(request: ActionInput) -> ActionResult:
    block = SendEmail.model_validate(request.block)
    return prepare(request, block_id=block.id, template_key=block.template, channel="email", quiet=block.quiet_hours)


@activity.defn(name="deliver_email")
async def deliver_email(request: ActionInput) -> ActionResult:
    settings = get_settings()
    message = await asyncio.to_thread(claim_message, request.idempotency_key)
    if message is None:
        return ActionResult(performed=False, detail={"status": "not sent (done already, or the member opted out)"})
    assert message.id is not None
    answer = await call_provider(message.id, _build_and_send(settings, message), activity.info().attempt)
    if isinstance(answer, ActionResult):
        return answer
    reply, sent_id = answer
    await asyncio.to_thread(record_result, message.id, sent_id, None)
    return ActionResult(performed=True, detail={"status": "sent", "reply": reply})


async def _build_and_send(settings: Settings, message: Message) -> tuple[str, str]:
    """(the SMTP server's reply, the Message-ID); a message that cannot be built fails for good."""
    assert message.id is not None
    try:
        email = build_email(
            sender=settings.smtp_from, recipient=message.recipient or "", subject=single_line(message.subject or ""),
            html=message.body_html or "", text=message.body_text or "", idempotency_key=message.idempotency_key,
            unsubscribe_url=single_line(unsubscribe_url(rules_from(settings), message.id)),
        )  # fmt: skip
    except ValueError as exc:
        raise PermanentFailure(f"the email cannot be built: {exc}") from None
    return await send_email(settings, email), str(email["Message-ID"])
