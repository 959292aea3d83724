"""Condition: compare a member attribute (gender, city, days since registering, consents, birthday month)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, Operand, check_operands, compare
from engine.journey.facts import MemberFacts

Attribute = Literal["gender", "city", "registered_days_ago", "email_consent", "sms_consent", "birthday_month"]


class MemberAttribute(ConditionBase):
    kind: Literal["attribute"] = "attribute"
    attribute: Attribute = Field(title="Attribute")
    op: Op = Field("eq", title="Comparison")
    value: Operand = Field(title="Value", description="e.g. female, 上海, 30, true, or a list for 'is one of'.")

    title: ClassVar[str] = "Member attribute"
    help: ClassVar[str] = (
        "Compare the member's gender, city, days since registering (calendar days, shop's zone), consents or "
        "birthday month."
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(self.actual(member), self.op, self.value)

    def actual(self, member: MemberFacts) -> Any:
        row = member.member
        if self.attribute == "registered_days_ago":
            return None if row.registered_at is None else member.days_since(row.registered_at)
        if self.attribute == "email_consent":
            return row.accepts_email
        if self.attribute == "sms_consent":
            return row.accepts_sms
        if self.attribute == "birthday_month":
            return None if row.birthday is None else row.birthday.month
        return getattr(row, self.attribute)

    def check(self) -> list[str]:
        problem = check_operands(self.op, self.value)
        return [f"attribute {self.attribute}: {problem}"] if problem else []
