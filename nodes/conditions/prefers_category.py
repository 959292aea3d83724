"""Condition: the category the member spent most on within a window (偏好品类)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_DAYS


class PrefersCategory(ConditionBase):
    kind: Literal["prefers_category"] = "prefers_category"
    category: str = Field(min_length=1, max_length=64, title="Category", description="e.g. 母婴")
    days: int = Field(180, gt=0, le=MAX_DAYS, title="Window (days)")

    title: ClassVar[str] = "Prefers a category"
    help: ClassVar[str] = "True when the member spent more in this category than in any other within the window."

    def holds(self, member: MemberFacts) -> bool:
        return member.top_category(self.days) == self.category
