"""Conditions on rewards: points balance, an unredeemed coupon."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase, ShopData
from engine.journey.compare import Op, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_POINTS


class PointsBalance(ConditionBase):
    kind: Literal["points_balance"] = "points_balance"
    op: Op = Field("ge", title="Comparison")
    points: int = Field(ge=0, le=MAX_POINTS, title="Points")

    title: ClassVar[str] = "Points balance"
    help: ClassVar[str] = "The member's current points balance from the ledger."

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.points_balance, self.op, self.points)

    def check(self) -> list[str]:
        problem = check_operands(self.op, self.points)
        return [problem] if problem else []


class HasUnredeemedCoupon(ConditionBase):
    kind: Literal["has_unredeemed_coupon"] = "has_unredeemed_coupon"
    template: str | None = Field(None, max_length=64, title="Coupon template", description="Empty means any coupon.")

    title: ClassVar[str] = "Has an unredeemed coupon"
    help: ClassVar[str] = "True when the member holds a coupon that is neither used nor expired."

    def holds(self, member: MemberFacts) -> bool:
        return member.has_unredeemed_coupon(self.template)

    def publish_problems(self, shop: ShopData) -> list[str]:
        return [] if self.template is None else shop.coupon_problems(self.template)
