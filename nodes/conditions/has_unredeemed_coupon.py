"""Condition: the member holds a coupon that is neither used nor expired."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase, ShopData
from engine.journey.facts import MemberFacts


class HasUnredeemedCoupon(ConditionBase):
    kind: Literal["has_unredeemed_coupon"] = "has_unredeemed_coupon"
    template: str | None = Field(None, max_length=64, title="Coupon template", description="Empty means any coupon.")

    title: ClassVar[str] = "Has an unredeemed coupon"
    help: ClassVar[str] = "True when the member holds a coupon that is neither used nor expired."

    def holds(self, member: MemberFacts) -> bool:
        return member.has_unredeemed_coupon(self.template)

    def publish_problems(self, shop: ShopData) -> list[str]:
        return [] if self.template is None else shop.coupon_problems(self.template)
