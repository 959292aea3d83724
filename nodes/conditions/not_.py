"""Condition: a condition does not hold (the module name takes an underscore: `not` is a Python keyword)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.registry import Condition


class Not(ConditionBase):
    kind: Literal["not"] = "not"
    condition: Condition = Field(title="Not")

    title: ClassVar[str] = "Not"
    help: ClassVar[str] = "True when the condition does not hold."

    def holds(self, member: MemberFacts) -> bool:
        return not self.condition.holds(member)

    def parts(self) -> Iterator[ConditionBase]:
        return iter((self.condition,))
