"""Event matching shared by triggers, goals, waits and conditions: a type plus optional property filters."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from engine.intake.records import BUILT_IN_EVENT_TYPES
from engine.journey.compare import OP_CHOICES, OP_WORDS, Op, Operand, check_operands, compare
from engine.journey.metadata import zh
from engine.ranges import MAX_DAYS


class PropertyFilter(BaseModel):
    """e.g. amount ≥ 500, or (on segment_changed) to is 重要挽留客户."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    property: Annotated[str, zh("事件属性", "事件属性的名称，例如 amount（金额）。")] = Field(
        min_length=1, max_length=64, title="Property", description="A key of the event's properties, e.g. amount."
    )
    op: Annotated[Op, zh("比较方式", "事件属性与取值的比较方式。", OP_CHOICES)] = Field(
        "eq", title="Comparison", description="How the property compares with the value."
    )
    value: Annotated[Operand, zh("取值", "例如 500；选“是其中之一”时填一个列表。")] = Field(
        title="Value", description="e.g. 500, or a list for 'is one of'."
    )

    def matches(self, properties: dict[str, Any]) -> bool:
        return compare(properties.get(self.property), self.op, self.value)

    def problem(self) -> str | None:
        return check_operands(self.op, self.value)

    def __str__(self) -> str:
        return f"{self.property} {OP_WORDS[self.op]} {self.value}"


class EventMatch(BaseModel):
    """A member event of one type whose properties pass every filter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: Annotated[
        str,
        zh(
            "事件",
            "signup（注册）、order_placed（下单）、tag_added（打标签）、segment_changed（分群变化）或自定义事件。",
        ),
    ] = Field(
        min_length=1,
        max_length=64,
        title="Event",
        description="signup, order_placed, tag_added, segment_changed or custom.",
    )
    where: Annotated[list[PropertyFilter], zh("筛选条件", "事件属性须全部满足的筛选条件。")] = Field(
        default_factory=list, title="Only when", description="Filters on the event's properties; all must pass."
    )

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

    event: Annotated[str, zh("目标事件", "计为一次转化的事件，例如 order_placed（下单）。")] = Field(
        "order_placed",
        min_length=1,
        max_length=64,
        title="Goal event",
        description="The event that counts as a conversion.",
    )
    where: Annotated[list[PropertyFilter], zh("筛选条件", "事件属性须全部满足的筛选条件。")] = Field(
        default_factory=list, title="Only when", description="Filters on the event's properties; all must pass."
    )
    within_days: Annotated[int, zh("转化周期（天）", "进入旅程后第 N 天结束前（按店铺时区）发生才计为转化。")] = Field(
        14,
        le=MAX_DAYS,
        title="Within (days after entry)",
        description="It counts until the end of the Nth day after entry, in the shop's time zone.",
    )

    @property
    def match(self) -> EventMatch:
        return EventMatch(event=self.event, where=self.where)
