"""Condition: the member's birthday falls in the current month (生日当月), the month of today in the shop's zone
(as the birthday trigger's sweep counts its days)."""

from __future__ import annotations

from typing import ClassVar, Literal

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts


class BirthdayThisMonth(ConditionBase):
    kind: Literal["birthday_this_month"] = "birthday_this_month"

    title: ClassVar[str] = "Birthday this month"
    help: ClassVar[str] = "True in the month of the member's birthday; members without a birthday never match."

    def holds(self, member: MemberFacts) -> bool:
        birthday = member.member.birthday
        return birthday is not None and birthday.month == member.local_today.month
