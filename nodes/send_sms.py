"""Block: send an SMS from a marketer's template (the same rules and records as email; see nodes/send_email.py).

The provider is the shop's (SMS_PROVIDER): the outbox keeps and shows the message; the HTTP provider posts it to a
gateway. Each message records its segments and cost (SMS_COST_PER_SEGMENT) for the campaign's ROI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from temporalio import activity

from connectors.sms import send_sms
from engine.journey.base import BlockBase, Category, JourneyRunContext, ShopData
from engine.journey.metadata import Words, zh
from engine.journey.runtime import ActionInput, ActionResult
from engine.messages.sending import (
    QuietHours,
    call_provider,
    claim_message,
    prepare,
    record_result,
    send_when_allowed,
)
from engine.messages.sms import cost, segments
from engine.settings import get_settings


class SendSms(BlockBase):
    type: Literal["send_sms"] = "send_sms"
    template: Annotated[str, zh("短信模板", "短信模板的编号，例如 winback-sms。")] = Field(
        min_length=1, max_length=64, title="SMS template", description="The SMS template's key, e.g. winback-sms."
    )
    quiet_hours: QuietHours = "defer"

    title: ClassVar[Words] = Words("Send SMS", "发送短信")
    help: ClassVar[Words] = Words(
        "Text the member (only with consent, outside quiet hours, within the frequency cap).",
        "给会员发送短信（仅发给同意接收短信的会员，避开免打扰时段，不超过发送频次上限）。",
    )
    icon: ClassVar[str] = "message"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "winback-text", "type": "send_sms", "template": "winback-sms"},
    )

    def publish_problems(self, shop: ShopData) -> list[str]:
        return shop.message_problems(self.template, "sms")

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (prepare_sms, deliver_sms)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await send_when_allowed(journey, self, prepare_sms, deliver_sms)
        return None


@activity.defn(name="prepare_sms")
def prepare_sms(request: ActionInput) -> ActionResult:
    block = SendSms.model_validate(request.block)
    return prepare(request, block_id=block.id, template_key=block.template, channel="sms", quiet=block.quiet_hours)


@activity.defn(name="deliver_sms")
async def deliver_sms(request: ActionInput) -> ActionResult:
    settings = get_settings()
    message = await asyncio.to_thread(claim_message, request.idempotency_key)
    if message is None:
        return ActionResult(performed=False, detail={"status": "not sent (done already, or the member opted out)"})
    assert message.id is not None and message.recipient and message.body_text is not None
    text = message.body_text.strip()
    sending = send_sms(settings, to=message.recipient, text=text, idempotency_key=message.idempotency_key,
                       message_id=message.id)  # fmt: skip
    provider_id = await call_provider(message.id, sending, activity.info().attempt)
    if isinstance(provider_id, ActionResult):
        return provider_id
    price = cost(text, settings.sms_cost_per_segment)
    await asyncio.to_thread(record_result, message.id, provider_id, None, price)
    return ActionResult(performed=True, detail={"status": "sent", "segments": segments(text), "cost": str(price)})
