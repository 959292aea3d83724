"""Journey blocks and condition kinds, one module each, and the registry that lists them by permanent slug.

Adding a block: write `nodes/<slug>.py` with its config model (a BlockBase), its `run` step and its activity,
then list the class (and the activity) here. Slugs (`type`, `kind`) never change: stored journeys use them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from engine.journey.base import BlockBase, ConditionBase
from nodes.add_tag import AddTag, add_tag_to_member
from nodes.branch import Branch, Path
from nodes.conditions.attribute import MemberAttribute
from nodes.conditions.birthday import BirthdayThisMonth
from nodes.conditions.did_event import DidEvent
from nodes.conditions.has_tag import HasTag
from nodes.conditions.logic import AllOf, AnyOf, Not
from nodes.conditions.order_facts import (
    BoughtCategory,
    DaysSinceLastOrder,
    OrdersInLastDays,
    PrefersCategory,
    SpendInLastDays,
    TotalSpend,
)
from nodes.conditions.rewards import HasUnredeemedCoupon, PointsBalance
from nodes.conditions.rfm import RfmScoreIs, RfmSegment, SegmentChanged
from nodes.exit import Exit
from nodes.grant_points import GrantPoints, grant_points_to_member
from nodes.if_else import ElseIf, IfElse
from nodes.issue_coupon import IssueCoupon, issue_coupon_to_member
from nodes.remove_tag import RemoveTag, remove_tag_from_member
from nodes.send_email import SendEmail, deliver_email, prepare_email
from nodes.send_sms import SendSms, deliver_sms, prepare_sms
from nodes.split import Arm, Split, ask_for_winner, assign_member_to_arm
from nodes.wait import Wait
from nodes.wait_for_event import WaitForEvent
from nodes.wait_until import WaitUntil
from nodes.webhook import CallWebhook, deliver_webhook, prepare_webhook

CONDITION_KINDS: tuple[type[ConditionBase], ...] = (
    HasTag, MemberAttribute, DaysSinceLastOrder, OrdersInLastDays, SpendInLastDays, BoughtCategory, TotalSpend,
    PrefersCategory, BirthdayThisMonth, PointsBalance, HasUnredeemedCoupon, DidEvent, RfmSegment, RfmScoreIs,
    SegmentChanged, AllOf, AnyOf, Not,
)  # fmt: skip
BLOCK_TYPES: tuple[type[BlockBase], ...] = (
    AddTag, RemoveTag, IssueCoupon, GrantPoints, SendEmail, SendSms, CallWebhook, Exit, Wait, WaitUntil, WaitForEvent,
    IfElse, Branch, Split,
)  # fmt: skip
ACTIVITIES: tuple[Callable[..., Any], ...] = (
    add_tag_to_member, remove_tag_from_member, issue_coupon_to_member, grant_points_to_member, prepare_email,
    deliver_email, prepare_sms, deliver_sms, prepare_webhook, deliver_webhook, assign_member_to_arm, ask_for_winner,
)  # fmt: skip

Condition = Annotated[
    HasTag
    | MemberAttribute
    | DaysSinceLastOrder
    | OrdersInLastDays
    | SpendInLastDays
    | BoughtCategory
    | TotalSpend
    | PrefersCategory
    | BirthdayThisMonth
    | PointsBalance
    | HasUnredeemedCoupon
    | DidEvent
    | RfmSegment
    | RfmScoreIs
    | SegmentChanged
    | AllOf
    | AnyOf
    | Not,
    Field(discriminator="kind"),
]
Block = Annotated[
    AddTag
    | RemoveTag
    | IssueCoupon
    | GrantPoints
    | SendEmail
    | SendSms
    | CallWebhook
    | Exit
    | Wait
    | WaitUntil
    | WaitForEvent
    | IfElse
    | Branch
    | Split,
    Field(discriminator="type"),
]

for _model in (AllOf, AnyOf, Not, ElseIf, IfElse, Path, Branch, WaitForEvent, Arm, Split):
    _model.model_rebuild(_types_namespace={"Block": Block, "Condition": Condition})

BLOCKS: dict[str, type[BlockBase]] = {cls.model_fields["type"].default: cls for cls in BLOCK_TYPES}
CONDITIONS: dict[str, type[ConditionBase]] = {cls.model_fields["kind"].default: cls for cls in CONDITION_KINDS}

__all__ = ["ACTIVITIES", "BLOCKS", "BLOCK_TYPES", "CONDITIONS", "CONDITION_KINDS", "Block", "Condition"]
