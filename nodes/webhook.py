"""Block: POST the member, journey, block and any coupon or points to a URL, signed (connectors/webhook.py).

The body is built and recorded once (a `webhook` message) before the first attempt, so every retry sends the same
bytes under the same idempotency key; timeouts and 5xx retry with backoff, a 4xx fails at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, HttpUrl
from temporalio import activity

from connectors.webhook import post_webhook
from engine.db import insert_new, session_scope
from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.run_records import perform_once, record_steps
from engine.journey.runtime import ActionInput, ActionResult
from engine.messages.message_log import member_variables
from engine.messages.sending import call_provider, claim_message, record_result, send_when_allowed
from engine.models import Member, Message, table_of
from engine.settings import get_settings, mask_url


class CallWebhook(BlockBase):
    type: Literal["webhook"] = "webhook"
    url: Annotated[HttpUrl, zh("推送地址", "接收 POST 请求的地址，例如你的微信模板消息转发服务。")] = Field(
        title="URL", description="Where to POST, e.g. your WeChat template-message bridge"
    )
    timeout_seconds: Annotated[int, zh("超时（秒）", "等待对方响应的秒数，超时后会自动重试。")] = Field(
        10, ge=1, le=60, title="Timeout (seconds)", description="How long to wait for an answer before trying again."
    )

    title: ClassVar[Words] = Words("Webhook", "Webhook 推送")
    help: ClassVar[Words] = Words(
        "Send the member and this journey's coupon or points to another system (signed JSON).",
        "把会员信息及本旅程发放的优惠券或积分推送到其他系统（带签名的 JSON）。",
    )
    icon: ClassVar[str] = "plug"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "to-crm", "type": "webhook", "url": "https://crm.example.com/hooks/memberflow", "timeout_seconds": 5},
    )

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (prepare_webhook, deliver_webhook)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await send_when_allowed(journey, self, prepare_webhook, deliver_webhook)
        return None


@activity.defn(name="prepare_webhook")
def prepare_webhook(request: ActionInput) -> ActionResult:
    block = CallWebhook.model_validate(request.block)
    entry, key = request.entry, request.idempotency_key
    with session_scope() as session:
        record_steps(session, entry, request.steps)
        member = session.get(Member, entry.member_id)
        assert member is not None
        body = {"idempotency_key": key, **member_variables(session, member),
                "journey": {"key": entry.journey_key, "version": entry.version, "entry": entry.entry_key},
                "block": block.id, "coupon": request.variables.get("coupon"), "points": request.variables.get("points"),
                "sent_at": request.now.isoformat()}  # fmt: skip
        row = {"idempotency_key": key, "channel": "webhook", "template": block.id, "member_id": entry.member_id,
               "journey_id": entry.journey_id, "block_id": block.id, "recipient": mask_url(str(block.url))[:254],
               "body_text": json.dumps(body, ensure_ascii=False, sort_keys=True), "status": "queued",
               "created_at": request.now, "send_at": request.now, "attempts": 0, "segments": 0, "cost": 0,
               "opens": 0, "clicks": 0}  # fmt: skip
        insert_new(session, table_of(Message), [row], "idempotency_key")
        detail = {"status": "queued", "url": mask_url(str(block.url))}  # shown on pages: no token from its query
        performed = perform_once(session, entry, block.id, key, "webhook", detail, request.now)
        return ActionResult(performed=performed, detail=detail)


@activity.defn(name="deliver_webhook")
async def deliver_webhook(request: ActionInput) -> ActionResult:
    block = CallWebhook.model_validate(request.block)
    message = await asyncio.to_thread(claim_message, request.idempotency_key)
    if message is None:
        return ActionResult(performed=False, detail={"status": "done already"})
    assert message.id is not None and message.body_text is not None
    posting = post_webhook(
        str(block.url), message.body_text.encode(), secret=get_settings().webhook_key(),
        idempotency_key=message.idempotency_key, timeout_seconds=block.timeout_seconds,
    )  # fmt: skip
    answer = await call_provider(message.id, posting, activity.info().attempt)
    if isinstance(answer, ActionResult):
        return answer
    await asyncio.to_thread(record_result, message.id, answer, None)
    return ActionResult(performed=True, detail={"status": "sent", "answer": answer})
