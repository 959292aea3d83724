"""Condition: the member holds a coupon that is neither used nor expired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase, ShopData
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh


class HasUnredeemedCoupon(ConditionBase):
    kind: Literal["has_unredeemed_coupon"] = "has_unredeemed_coupon"
    template: Annotated[str | None, zh("优惠券模板", "留空表示任意优惠券。")] = Field(
        None, max_length=64, title="Coupon template", description="Empty means any coupon."
    )

    title: ClassVar[Words] = Words("Has an unredeemed coupon", "持有未核销的优惠券")
    help: ClassVar[Words] = Words(
        "True when the member holds a coupon that is neither used nor expired.",
        "会员持有既未使用、也未过期的优惠券时成立。",
    )
    icon: ClassVar[str] = "ticket"
    about: ClassVar[ConditionCategory] = "rewards"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "has_unredeemed_coupon"},
        {"kind": "has_unredeemed_coupon", "template": "winback-20"},
    )

    def holds(self, member: MemberFacts) -> bool:
        return member.has_unredeemed_coupon(self.template)

    def publish_problems(self, shop: ShopData) -> list[str]:
        return [] if self.template is None else shop.coupon_problems(self.template)
