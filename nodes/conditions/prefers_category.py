"""Condition: the category the member spent most on within a window (偏好品类)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_DAYS


class PrefersCategory(ConditionBase):
    kind: Literal["prefers_category"] = "prefers_category"
    category: Annotated[str, zh("品类", "订单的商品品类，例如 母婴。")] = Field(
        min_length=1, max_length=64, title="Category", description="An order category, e.g. 母婴."
    )
    days: Annotated[int, zh("最近天数", "最近 N 个自然日，1 表示今天。")] = Field(
        180, gt=0, le=MAX_DAYS, title="Window (days)", description="The last N calendar days; 1 is today."
    )

    title: ClassVar[Words] = Words("Prefers a category", "偏好品类")
    help: ClassVar[Words] = Words(
        "True when the member spent more in this category than in any other within the window.",
        "在所选时间范围内，会员在这个品类上的消费金额高于其他任何品类时成立。",
    )
    icon: ClassVar[str] = "heart"
    about: ClassVar[ConditionCategory] = "orders"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"kind": "prefers_category", "category": "母婴"},)

    def holds(self, member: MemberFacts) -> bool:
        return member.top_category(self.days) == self.category
