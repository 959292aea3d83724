"""Condition: at least one of several conditions holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.journey.registry import Condition


class AnyOf(ConditionBase):
    kind: Literal["any"] = "any"
    of: Annotated[list[Condition], zh("任一条件", "至少有一个成立即可的条件。")] = Field(
        min_length=1, title="Any of", description="The conditions of which at least one must hold."
    )

    title: ClassVar[Words] = Words("Any of", "满足任一条件")
    help: ClassVar[Words] = Words("True when at least one condition holds.", "任意一个条件成立即成立（或）。")
    icon: ClassVar[str] = "list-details"
    about: ClassVar[ConditionCategory] = "logic"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {
            "kind": "any",
            "of": [{"kind": "has_tag", "tag": "VIP"}, {"kind": "points_balance", "op": "ge", "points": 1000}],
        },
    )

    def holds(self, member: MemberFacts) -> bool:
        return any(c.holds(member) for c in self.of)

    def parts(self) -> Iterator[ConditionBase]:
        return iter(self.of)
