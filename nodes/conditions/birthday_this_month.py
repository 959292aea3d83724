"""Condition: the member's birthday falls in the current month (生日当月), the month of today in the shop's zone
(as the birthday trigger's sweep counts its days)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words


class BirthdayThisMonth(ConditionBase):
    kind: Literal["birthday_this_month"] = "birthday_this_month"

    title: ClassVar[Words] = Words("Birthday this month", "本月生日")
    help: ClassVar[Words] = Words(
        "True in the month of the member's birthday; members without a birthday never match.",
        "会员的生日在本月（按店铺时区）时成立；没有生日信息的会员永远不满足。",
    )
    icon: ClassVar[str] = "cake"
    about: ClassVar[ConditionCategory] = "profile"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"kind": "birthday_this_month"},)

    def holds(self, member: MemberFacts) -> bool:
        birthday = member.member.birthday
        return birthday is not None and birthday.month == member.local_today.month
