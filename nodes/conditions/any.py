"""Condition: at least one of several conditions holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.registry import Condition


class AnyOf(ConditionBase):
    kind: Literal["any"] = "any"
    of: list[Condition] = Field(title="Any of", min_length=1)

    title: ClassVar[str] = "Any of"
    help: ClassVar[str] = "True when at least one condition holds."

    def holds(self, member: MemberFacts) -> bool:
        return any(c.holds(member) for c in self.of)

    def parts(self) -> Iterator[ConditionBase]:
        return iter(self.of)
