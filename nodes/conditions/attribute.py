"""Condition: compare a member attribute (gender, city, days since registering, consents, birthday month)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, Op, Operand, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh

Attribute = Literal["gender", "city", "registered_days_ago", "email_consent", "sms_consent", "birthday_month"]
ATTRIBUTES = {
    "gender": Words("Gender", "性别"), "city": Words("City", "城市"),
    "registered_days_ago": Words("Days since registering", "注册天数"),
    "email_consent": Words("Accepts email", "同意接收邮件"), "sms_consent": Words("Accepts SMS", "同意接收短信"),
    "birthday_month": Words("Birthday month", "生日月份"),
}  # fmt: skip


class MemberAttribute(ConditionBase):
    kind: Literal["attribute"] = "attribute"
    attribute: Annotated[Attribute, zh("属性", "要比较的会员属性。", ATTRIBUTES)] = Field(
        title="Attribute", description="Which of the member's attributes to compare."
    )
    op: Annotated[Op, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "eq", title="Comparison", description="How the member's value compares with the one given."
    )
    value: Annotated[Operand, zh("取值", "例如 female、上海、30、true；选“是其中之一”时填一个列表。")] = Field(
        title="Value", description="e.g. female, 上海, 30, true, or a list for 'is one of'."
    )

    title: ClassVar[Words] = Words("Member attribute", "会员属性")
    help: ClassVar[Words] = Words(
        "Compare the member's gender, city, days since registering (calendar days, shop's zone), consents or "
        "birthday month.",
        "比较会员的性别、城市、注册天数（按店铺时区的自然日）、是否同意接收邮件或短信，以及生日月份。",
    )
    icon: ClassVar[str] = "user"
    about: ClassVar[ConditionCategory] = "profile"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "attribute", "attribute": "city", "op": "in", "value": ["上海", "杭州"]},
        {"kind": "attribute", "attribute": "registered_days_ago", "op": "ge", "value": 30},
        {"kind": "attribute", "attribute": "email_consent", "value": True},
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
