"""Combining conditions: all of, any of, not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts

if TYPE_CHECKING:
    from nodes import Condition


class AllOf(ConditionBase):
    kind: Literal["all"] = "all"
    of: list[Condition] = Field(title="All of", min_length=1)

    title: ClassVar[str] = "All of"
    help: ClassVar[str] = "True when every condition holds."

    def holds(self, member: MemberFacts) -> bool:
        return all(c.holds(member) for c in self.of)

    def parts(self) -> Iterator[ConditionBase]:
        return iter(self.of)


class AnyOf(ConditionBase):
    kind: Literal["any"] = "any"
    of: list[Condition] = Field(title="Any of", min_length=1)

    title: ClassVar[str] = "Any of"
    help: ClassVar[str] = "True when at least one condition holds."

    def holds(self, member: MemberFacts) -> bool:
        return any(c.holds(member) for c in self.of)

    def parts(self) -> Iterator[ConditionBase]:
        return iter(self.of)


class Not(ConditionBase):
    kind: Literal["not"] = "not"
    condition: Condition = Field(title="Not")

    title: ClassVar[str] = "Not"
    help: ClassVar[str] = "True when the condition does not hold."

    def holds(self, member: MemberFacts) -> bool:
        return not self.condition.holds(member)

    def parts(self) -> Iterator[ConditionBase]:
        return iter((self.condition,))
