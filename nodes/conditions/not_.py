"""Condition: a condition does not hold (the module name takes an underscore: `not` is a Python keyword)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.journey.registry import Condition


class Not(ConditionBase):
    kind: Literal["not"] = "not"
    condition: Annotated[Condition, zh("条件", "必须不成立的条件。")] = Field(
        title="Not", description="The condition that must not hold."
    )

    title: ClassVar[Words] = Words("Not", "不满足条件")
    help: ClassVar[Words] = Words("True when the condition does not hold.", "条件不成立时成立（非）。")
    icon: ClassVar[str] = "ban"
    about: ClassVar[ConditionCategory] = "logic"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "not", "condition": {"kind": "has_tag", "tag": "VIP"}},
    )

    def holds(self, member: MemberFacts) -> bool:
        return not self.condition.holds(member)

    def parts(self) -> Iterator[ConditionBase]:
        return iter((self.condition,))
