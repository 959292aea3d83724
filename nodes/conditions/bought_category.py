"""Condition: the member ordered in a category in the last N days."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_DAYS


class BoughtCategory(ConditionBase):
    kind: Literal["bought_category"] = "bought_category"
    category: str = Field(min_length=1, max_length=64, title="Category", description="e.g. 母婴")
    days: int = Field(gt=0, le=MAX_DAYS, title="Window (days)")

    title: ClassVar[str] = "Bought a category"
    help: ClassVar[str] = "True when the member ordered in this category in the last N calendar days."

    def holds(self, member: MemberFacts) -> bool:
        return member.bought_category(self.category, self.days)
