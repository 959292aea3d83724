"""Block: issue a coupon from a template (one code per member per block and entry; the same code on a retry).

The code is exported as `coupon` (`{{ coupon.code }}`, `{{ coupon.expires_at }}`) to the message blocks after it.
A template whose budget is spent or whose fixed dates are over issues nothing; the journey goes on and the
action records why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from temporalio import activity

from engine.db import session_scope
from engine.journey.base import BlockBase, Category, JourneyRunContext, ShopData
from engine.journey.metadata import Words, zh
from engine.journey.run_records import perform_once, record_steps
from engine.journey.runtime import ActionInput, ActionResult
from engine.rewards.coupons import issue_coupon
from engine.settings import get_settings


class IssueCoupon(BlockBase):
    type: Literal["issue_coupon"] = "issue_coupon"
    template: Annotated[str, zh("优惠券模板", "优惠券模板的编号，例如 winback-20。")] = Field(
        min_length=1, max_length=64, title="Coupon template", description="The coupon template's key, e.g. winback-20."
    )

    title: ClassVar[Words] = Words("Issue coupon", "发放优惠券")
    help: ClassVar[Words] = Words(
        "Give the member a coupon code; later messages can show it as {{ coupon.code }}.",
        "给会员发放一张优惠券，后面的消息可以用 {{ coupon.code }} 显示券码。",
    )
    icon: ClassVar[str] = "ticket"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "give-coupon", "type": "issue_coupon", "template": "winback-20"},
    )

    def publish_problems(self, shop: ShopData) -> list[str]:
        return shop.coupon_problems(self.template)

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (issue_coupon_to_member,)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.act(self, issue_coupon_to_member)
        return None


@activity.defn(name="issue_coupon")
def issue_coupon_to_member(request: ActionInput) -> ActionResult:
    block = IssueCoupon.model_validate(request.block)
    entry = request.entry
    with session_scope() as session:
        record_steps(session, entry, request.steps)
        issued = issue_coupon(
            session, template_key=block.template, member_id=entry.member_id, idempotency_key=request.idempotency_key,
            now=request.now, zone=get_settings().shop_zone, journey_id=entry.journey_id, block_id=block.id,
        )  # fmt: skip
        detail = {"template": block.template, "code": issued.code, "reason": issued.reason}
        performed = perform_once(session, entry, block.id, request.idempotency_key, "issue_coupon", detail, request.now)
        exports = {"coupon": issued.as_variables()} if issued.code else {}
        return ActionResult(performed=performed and issued.code is not None, detail=detail, exports=exports)
