"""Condition: the member ordered in a category in the last N days."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_DAYS


class BoughtCategory(ConditionBase):
    kind: Literal["bought_category"] = "bought_category"
    category: Annotated[str, zh("品类", "订单的商品品类，例如 母婴。")] = Field(
        min_length=1, max_length=64, title="Category", description="An order category, e.g. 母婴."
    )
    days: Annotated[int, zh("最近天数", "最近 N 个自然日，1 表示今天。")] = Field(
        gt=0, le=MAX_DAYS, title="Window (days)", description="The last N calendar days; 1 is today."
    )

    title: ClassVar[Words] = Words("Bought a category", "购买过某品类")
    help: ClassVar[Words] = Words(
        "True when the member ordered in this category in the last N calendar days.",
        "会员在最近 N 个自然日内买过这个品类时成立。",
    )
    icon: ClassVar[str] = "shopping-bag"
    about: ClassVar[ConditionCategory] = "orders"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"kind": "bought_category", "category": "母婴", "days": 90},)

    def holds(self, member: MemberFacts) -> bool:
        return member.bought_category(self.category, self.days)
