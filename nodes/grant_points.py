"""Block: grant points (once per member per block and entry).

Three ways: a fixed number; a multiple of what the member's last order earned (1.5× its points); or a boost on
the next order within N days (double points for 7 days), paid when that order arrives. Points expire after the
block's `expires_days`, else after the shop's rule (`memberflow points rules`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from temporalio import activity

from engine import clock
from engine.db import session_scope
from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.run_records import perform_once, record_steps
from engine.journey.runtime import ActionInput, ActionResult
from engine.ranges import MAX_DAYS, MAX_MULTIPLIER, MAX_POINTS
from engine.rewards.points import add_boost, expiry_of, grant, last_order_points, load_rules, points_balance
from engine.settings import get_settings

MODES = {
    "fixed": Words("Fixed points", "固定积分"),
    "last_order": Words("A multiple of the last order's points", "上一笔订单积分的倍数"),
    "next_order": Words("A boost on the next order", "下一笔订单积分加倍"),
}


class GrantPoints(BlockBase):
    type: Literal["grant_points"] = "grant_points"
    mode: Annotated[
        Literal["fixed", "last_order", "next_order"],
        zh("发放方式", "固定积分、按上一笔订单积分的倍数发放，或让下一笔订单积分加倍。", MODES),
    ] = Field(
        "fixed", title="How many", description="fixed points, a multiple of the last order's, or a next-order boost"
    )
    points: Annotated[int | None, zh("积分数", "固定积分：本次赠送的积分数。")] = Field(
        None, le=MAX_POINTS, title="Points", description="fixed: the points to grant"
    )
    multiplier: Annotated[Decimal | None, zh("倍数", "按上一笔订单或下一笔订单加倍时的倍数，例如 1.5 或 2。")] = Field(
        None,
        le=MAX_MULTIPLIER,
        decimal_places=2,
        title="Multiplier",
        description="last_order / next_order: e.g. 1.5 or 2",
    )
    within_days: Annotated[int | None, zh("加倍有效天数", "下一笔订单加倍：加倍活动持续的天数。")] = Field(
        None, le=MAX_DAYS, title="Within days", description="next_order: the boost lasts this long"
    )
    expires_days: Annotated[int | None, zh("积分有效期（天）", "积分多少天后过期；留空按店铺的积分规则。")] = Field(
        None, le=MAX_DAYS, title="Expire after days", description="Empty: the shop's points rule"
    )
    reason: Annotated[str, zh("发放原因", "显示在会员的积分明细中。")] = Field(
        "", max_length=120, title="Reason", description="Shown in the member's points history"
    )

    title: ClassVar[Words] = Words("Grant points", "发放积分")
    help: ClassVar[Words] = Words(
        "Give points now, or multiply the points of the member's next order for a few days.",
        "立即赠送积分，或在几天内让会员下一笔订单的积分翻倍。",
    )
    icon: ClassVar[str] = "coins"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "birthday-points", "type": "grant_points", "points": 300, "reason": "生日礼", "expires_days": 90},
        {"id": "one-and-a-half", "type": "grant_points", "mode": "last_order", "multiplier": 1.5},
        {"id": "double-7d", "type": "grant_points", "mode": "next_order", "multiplier": 2, "within_days": 7},
    )

    def check(self) -> list[str]:
        problems = []
        if self.mode == "fixed" and (self.points is None or self.points <= 0):
            problems.append("fixed points need points above 0")
        if self.mode != "fixed" and (self.multiplier is None or self.multiplier <= 0):
            problems.append(f"{self.mode} points need a multiplier above 0")
        if self.mode == "next_order" and self.multiplier is not None and self.multiplier <= 1:
            problems.append("a next-order boost needs a multiplier above 1 (2 means double points)")
        if self.mode == "next_order" and (self.within_days is None or self.within_days <= 0):
            problems.append("a next-order boost needs within_days above 0")
        if self.expires_days is not None and self.expires_days <= 0:
            problems.append(f"expires_days must be more than 0 (it is {self.expires_days})")
        return problems

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (grant_points_to_member,)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.act(self, grant_points_to_member)
        return None


@activity.defn(name="grant_points")
def grant_points_to_member(request: ActionInput) -> ActionResult:
    block = GrantPoints.model_validate(request.block)
    entry, key, now = request.entry, request.idempotency_key, request.now
    zone = get_settings().shop_zone
    with session_scope() as session:
        record_steps(session, entry, request.steps)
        rules = load_rules(session)
        reason = block.reason or f"journey {entry.journey_key}"
        detail: dict[str, Any] = {"mode": block.mode}
        exports: dict[str, Any]
        if block.mode == "next_order":
            assert block.multiplier is not None and block.within_days is not None
            _, ends = add_boost(session, member_id=entry.member_id, multiplier=block.multiplier,
                                     days=block.within_days, key=key, now=now, journey_id=entry.journey_id,
                                     block_id=block.id, zone=zone)  # fmt: skip
            through = clock.last_day_before(ends, zone).isoformat()  # what to tell the member, in the shop's zone
            detail |= {"multiplier": str(block.multiplier), "until": ends.isoformat()}
            exports = {
                "points": {"multiplier": str(block.multiplier), "until": ends.isoformat(), "valid_through": through}
            }
        else:
            points = block.points or 0
            if block.mode == "last_order":
                assert block.multiplier is not None
                last = last_order_points(session, entry.member_id, rules)
                points = min(math.floor((last[1] if last else 0) * block.multiplier), MAX_POINTS)
                detail["last_order"] = last[0] if last else None
            expires_at = expiry_of(now, block.expires_days or rules.expire_days, zone)
            if points > 0:
                grant(session, member_id=entry.member_id, points=points, reason=reason, key=key, now=now,
                      expires_at=expires_at, journey_id=entry.journey_id, block_id=block.id)  # fmt: skip
            detail |= {"points": points}
            exports = {"points": {"granted": points, "balance": points_balance(session, entry.member_id, now),
                                  "expires_at": expires_at.isoformat() if expires_at else None,
                                  "valid_through": clock.last_day_before(expires_at, zone).isoformat()
                                  if expires_at else None}}  # fmt: skip
        performed = perform_once(session, entry, block.id, key, "grant_points", detail, now)
        return ActionResult(performed=performed, detail=detail, exports=exports)
