"""Conditions on orders: days since the last order, orders or spend in the last N days, a category bought."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_COUNT, MAX_DAYS, MAX_MONEY


class DaysSinceLastOrder(ConditionBase):
    kind: Literal["days_since_last_order"] = "days_since_last_order"
    op: Op = Field("eq", title="Comparison")
    days: int = Field(ge=0, le=MAX_DAYS, title="Days", description="e.g. exactly 30 days since the last order")

    title: ClassVar[str] = "Days since last order"
    help: ClassVar[str] = (
        "Calendar days from the member's last order to today in the shop's zone (0: today); members who never "
        "ordered never match."
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.days_since_last_order, self.op, self.days)

    def check(self) -> list[str]:
        problem = check_operands(self.op, self.days)
        return [problem] if problem else []


class OrdersInLastDays(ConditionBase):
    kind: Literal["orders_in_last_days"] = "orders_in_last_days"
    days: int = Field(gt=0, le=MAX_DAYS, title="Window (days)")
    op: Op = Field("ge", title="Comparison")
    count: int = Field(ge=0, le=MAX_COUNT, title="Orders")

    title: ClassVar[str] = "Orders in the last N days"
    help: ClassVar[str] = (
        "How many orders the member placed in the last N calendar days (1: today), e.g. at least 3 in 30 days "
        "(消费满3次)."
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.orders_in_last(self.days)[0], self.op, self.count)


class SpendInLastDays(ConditionBase):
    kind: Literal["spend_in_last_days"] = "spend_in_last_days"
    days: int = Field(gt=0, le=MAX_DAYS, title="Window (days)")
    op: Op = Field("ge", title="Comparison")
    amount: float = Field(
        ge=0, le=float(MAX_MONEY), allow_inf_nan=False, title="Amount", description="In the shop's currency."
    )

    title: ClassVar[str] = "Spend in the last N days"
    help: ClassVar[str] = "The member's total order amount in the last N calendar days (1: today)."

    def holds(self, member: MemberFacts) -> bool:
        return compare(float(member.orders_in_last(self.days)[1]), self.op, self.amount)


class BoughtCategory(ConditionBase):
    kind: Literal["bought_category"] = "bought_category"
    category: str = Field(min_length=1, max_length=64, title="Category", description="e.g. 母婴")
    days: int = Field(gt=0, le=MAX_DAYS, title="Window (days)")

    title: ClassVar[str] = "Bought a category"
    help: ClassVar[str] = "True when the member ordered in this category in the last N calendar days."

    def holds(self, member: MemberFacts) -> bool:
        return member.bought_category(self.category, self.days)


class TotalSpend(ConditionBase):
    kind: Literal["total_spend"] = "total_spend"
    op: Op = Field("ge", title="Comparison")
    amount: float = Field(
        ge=0, le=float(MAX_MONEY), allow_inf_nan=False, title="Amount",
        description="In the shop's currency, e.g. 5000 (累计消费满5000).",
    )  # fmt: skip

    title: ClassVar[str] = "Total spend"
    help: ClassVar[str] = "The member's total order amount over all history."

    def holds(self, member: MemberFacts) -> bool:
        return compare(float(member.total_spend), self.op, self.amount)


class PrefersCategory(ConditionBase):
    kind: Literal["prefers_category"] = "prefers_category"
    category: str = Field(min_length=1, max_length=64, title="Category", description="e.g. 母婴")
    days: int = Field(180, gt=0, le=MAX_DAYS, title="Window (days)")

    title: ClassVar[str] = "Prefers a category"
    help: ClassVar[str] = "True when the member spent more in this category than in any other within the window."

    def holds(self, member: MemberFacts) -> bool:
        return member.top_category(self.days) == self.category
