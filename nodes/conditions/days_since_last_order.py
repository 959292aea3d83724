"""Condition: calendar days since the member's last order, e.g. exactly 30 (a win-back's day)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_DAYS


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
