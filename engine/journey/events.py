"""Event matching shared by triggers, goals, waits and conditions: a type plus optional property filters."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.intake.records import BUILT_IN_EVENT_TYPES
from engine.journey.compare import OP_WORDS, Op, Operand, check_operands, compare
from engine.ranges import MAX_DAYS


class PropertyFilter(BaseModel):
    """e.g. amount ≥ 500, or (on segment_changed) to is 重要挽留客户."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    property: str = Field(
        min_length=1, max_length=64, title="Property", description="A key of the event's properties, e.g. amount."
    )
    op: Op = Field("eq", title="Comparison")
    value: Operand = Field(title="Value")

    def matches(self, properties: dict[str, Any]) -> bool:
        return compare(properties.get(self.property), self.op, self.value)

    def problem(self) -> str | None:
        return check_operands(self.op, self.value)

    def __str__(self) -> str:
        return f"{self.property} {OP_WORDS[self.op]} {self.value}"


class EventMatch(BaseModel):
    """A member event of one type whose properties pass every filter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str = Field(
        min_length=1,
        max_length=64,
        title="Event",
        description="signup, order_placed, tag_added, segment_changed or custom.",
    )
    where: list[PropertyFilter] = Field(default_factory=list, title="Only when")

    def matches(self, event_type: str, properties: dict[str, Any]) -> bool:
        return event_type == self.event and all(f.matches(properties) for f in self.where)

    def problems(self, known_events: set[str]) -> list[str]:
        found = [f"filter '{f.property}': {p}" for f in self.where if (p := f.problem())]
        if self.event not in known_events:
            known = ", ".join(sorted(known_events))
            found.insert(0, f"event type '{self.event}' is unknown; known types are {known}")
        return found


def known_event_types(custom: set[str] | None = None) -> set[str]:
    return set(BUILT_IN_EVENT_TYPES) | (custom or set())


class Goal(BaseModel):
    """An event that ends the run and counts as a conversion, if it happens within the window after entry (a split
    block measures its arms by it too)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str = Field("order_placed", min_length=1, max_length=64, title="Goal event")
    where: list[PropertyFilter] = Field(default_factory=list, title="Only when")
    within_days: int = Field(14, le=MAX_DAYS, title="Within (days after entry)")

    @property
    def match(self) -> EventMatch:
        return EventMatch(event=self.event, where=self.where)
