"""Condition: all of several conditions hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.journey.registry import Condition


class AllOf(ConditionBase):
    kind: Literal["all"] = "all"
    of: Annotated[list[Condition], zh("全部条件", "必须全部成立的条件。")] = Field(
        min_length=1, title="All of", description="The conditions that must all hold."
    )

    title: ClassVar[Words] = Words("All of", "满足全部条件")
    help: ClassVar[Words] = Words("True when every condition holds.", "所有条件都成立时才成立（且）。")
    icon: ClassVar[str] = "list-check"
    about: ClassVar[ConditionCategory] = "logic"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "all", "of": [{"kind": "has_tag", "tag": "VIP"}, {"kind": "total_spend", "op": "ge", "amount": 5000}]},
    )

    def holds(self, member: MemberFacts) -> bool:
        return all(c.holds(member) for c in self.of)

    def parts(self) -> Iterator[ConditionBase]:
        return iter(self.of)
