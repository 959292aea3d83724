"""Condition: the member has (or lacks) a tag."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase, ShopData
from engine.journey.facts import MemberFacts


class HasTag(ConditionBase):
    kind: Literal["has_tag"] = "has_tag"
    tag: str = Field(min_length=1, max_length=64, title="Tag", description="e.g. VIP")

    title: ClassVar[str] = "Has tag"
    help: ClassVar[str] = "True when the member carries this tag."

    def holds(self, member: MemberFacts) -> bool:
        return self.tag in member.tags

    def publish_warnings(self, shop: ShopData) -> list[str]:
        if shop.tags is None or self.tag in shop.tags:
            return []
        return [
            f"no member has ever had tag '{self.tag}' and no tag rule or block of this journey gives it: "
            "check the spelling"
        ]
