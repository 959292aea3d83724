"""Condition: all of several conditions hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.registry import Condition


class AllOf(ConditionBase):
    kind: Literal["all"] = "all"
    of: list[Condition] = Field(title="All of", min_length=1)

    title: ClassVar[str] = "All of"
    help: ClassVar[str] = "True when every condition holds."

    def holds(self, member: MemberFacts) -> bool:
        return all(c.holds(member) for c in self.of)

    def parts(self) -> Iterator[ConditionBase]:
        return iter(self.of)
