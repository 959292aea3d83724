"""Condition: the member has (or lacks) a tag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase, ShopData
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.limits import TagText


class HasTag(ConditionBase):
    kind: Literal["has_tag"] = "has_tag"
    tag: Annotated[TagText, zh("标签", "要判断的标签，例如 VIP。")] = Field(
        min_length=1, max_length=64, title="Tag", description="The tag to look for, e.g. VIP."
    )

    title: ClassVar[Words] = Words("Has tag", "带有标签")
    help: ClassVar[Words] = Words("True when the member carries this tag.", "会员带有这个标签时成立。")
    icon: ClassVar[str] = "tag"
    about: ClassVar[ConditionCategory] = "tags"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"kind": "has_tag", "tag": "VIP"},)

    def holds(self, member: MemberFacts) -> bool:
        return self.tag in member.tags

    def publish_warnings(self, shop: ShopData) -> list[str]:
        if shop.tags is None or self.tag in shop.tags:
            return []
        return [
            f"no member has ever had tag '{self.tag}' and no tag rule or block of this journey gives it: "
            "check the spelling"
        ]
