"""Condition: the member's total order amount over all history (累计消费)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, Op, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_MONEY


class TotalSpend(ConditionBase):
    kind: Literal["total_spend"] = "total_spend"
    op: Annotated[Op, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "ge", title="Comparison", description="How the member's value compares with the one given."
    )
    amount: Annotated[float, zh("金额", "以店铺币种计，例如 5000（累计消费满 5000）。")] = Field(
        ge=0,
        le=float(MAX_MONEY),
        allow_inf_nan=False,
        title="Amount",
        description="In the shop's currency, e.g. 5000 (累计消费满5000).",
    )

    title: ClassVar[Words] = Words("Total spend", "累计消费金额")
    help: ClassVar[Words] = Words("The member's total order amount over all history.", "会员全部历史订单的总金额。")
    icon: ClassVar[str] = "wallet"
    about: ClassVar[ConditionCategory] = "orders"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"kind": "total_spend", "op": "ge", "amount": 5000},)

    def holds(self, member: MemberFacts) -> bool:
        return compare(float(member.total_spend), self.op, self.amount)
