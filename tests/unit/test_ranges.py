"""Domain ranges: values whose arithmetic would overflow later (a wait of 10^9 days, a coupon valid until 9999-12-31,
an amount of 10^30, points beyond int64) are refused when read, naming the field; every value inside the ranges
computes without overflow (checked over the whole range with hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.members.tag_rules import TagRuleSpec
from engine.ranges import FIRST_DATE, LAST_DATE, MAX_DAYS, MAX_HOURS, MAX_MINUTES, MAX_MONEY, MAX_MULTIPLIER, MAX_POINTS
from engine.rewards.coupons import CouponSpec, validity
from engine.rewards.points import PointsRules, expiry_of, order_points
from nodes.split import Split
from nodes.wait import Wait
from nodes.wait_for_event import WaitForEvent

ZONES = st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.just(UTC))
for _block in (Wait, WaitForEvent, Split):  # built on first use (defer_build): once, now, not in an example's deadline
    _block.model_rebuild(force=True)


def coupon(**changes: object) -> CouponSpec:
    fields: dict[str, object] = {"key": "wb", "name": "wb", "kind": "amount_off", "amount_off": 20, "valid_days": 7}
    return CouponSpec.model_validate(fields | changes)


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"valid_days": None, "valid_until": date(9999, 12, 31)}, "valid_until", "less than or equal to 2199-12-31"),
        ({"valid_days": None, "valid_until": date(1, 1, 1)}, "valid_until", "greater than or equal to 2000-01-01"),
        ({"amount_off": 1e30}, "amount_off", "less than or equal to 999999999999.99"),
        ({"amount_off": "0.001"}, "amount_off", "no more than 2 decimal places"),
        ({"min_spend": "Infinity"}, "min_spend", "finite number"),
        ({"budget": 10**40}, "budget", "less than or equal to 999999999999.99"),
    ],
)
def test_coupon_values_beyond_their_range_are_refused_by_name(
    changes: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        coupon(**changes)
    [error] = caught.value.errors()
    assert error["loc"] == (field,)
    assert says in error["msg"]


@given(last_day=st.dates(FIRST_DATE, LAST_DATE), days=st.integers(1, 3650), issued=MOMENTS, zone=ZONES)
def test_any_coupon_in_range_has_a_validity_that_computes(
    last_day: date, days: int, issued: datetime, zone: ZoneInfo
) -> None:
    fixed = validity(coupon(valid_days=None, valid_until=last_day), issued, zone)[1]
    relative = validity(coupon(valid_days=days), issued, zone)[1]
    assert fixed.astimezone(zone).date() == last_day + timedelta(days=1)
    assert relative > issued


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expire_days": 10**12}, "expire_days"),
        ({"per_yuan": 1e30}, "per_yuan"),
        ({"starts_on": date(9999, 12, 31)}, "starts_on"),
        ({"point_value": "NaN"}, "point_value"),
        ({"segment_multipliers": {"重要价值客户": 1e30}}, "segment_multipliers"),
    ],
)
def test_points_rules_beyond_their_range_are_refused_by_name(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PointsRules.model_validate(changes)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


@given(
    amount=st.decimals(0, Decimal("999999999999.99"), places=2),
    per_yuan=st.decimals(0, 1000, places=4),
    multiplier=st.decimals(0, MAX_MULTIPLIER, places=2),
)
def test_an_order_earns_at_most_what_one_ledger_entry_holds(
    amount: Decimal, per_yuan: Decimal, multiplier: Decimal
) -> None:
    rules = PointsRules(per_yuan=per_yuan, segment_multipliers={"重要价值客户": multiplier})
    assert 0 <= order_points(amount, rules, "重要价值客户") <= MAX_POINTS


@given(granted=MOMENTS, days=st.integers(1, MAX_DAYS), zone=ZONES)
def test_points_expire_within_the_calendar_for_any_expiry_in_range(
    granted: datetime, days: int, zone: ZoneInfo
) -> None:
    expires = expiry_of(granted, days, zone)
    assert expires is not None and expires > granted


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"kind": "orders_in_last_days", "days": 10**12, "count": 3}, "days"),
        ({"kind": "days_since_last_order", "days": 1e30}, "days"),
        ({"kind": "total_spend", "amount": float("inf")}, "amount"),
        ({"kind": "points_balance", "points": 2**70}, "points"),
        ({"kind": "not", "condition": {"kind": "bought_category", "category": "母婴", "days": 10**9}}, "days"),
    ],
)
def test_tag_rule_conditions_beyond_their_range_are_refused_by_name(condition: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TagRuleSpec.model_validate({"tag": "t", "condition": condition})
    [error] = caught.value.errors()
    assert error["loc"][0] == "condition" and error["loc"][-1] == field


@given(
    now=MOMENTS, days=st.integers(0, MAX_DAYS), hours=st.integers(0, MAX_HOURS),
    minutes=st.integers(0, MAX_MINUTES), decide=st.floats(0.001, float(MAX_HOURS)),
)  # fmt: skip
def test_any_wait_or_decision_in_range_lands_on_the_calendar(
    now: datetime, days: int, hours: int, minutes: int, decide: float
) -> None:
    wait = Wait(id="w", days=days, hours=hours, minutes=minutes)
    if not wait.check():  # more than nothing, and at most MAX_DAYS in all
        assert now < now + wait.duration <= now + timedelta(days=MAX_DAYS)
    timeout = WaitForEvent(id="e", until={"event": "order_placed"}, timeout_days=days, timeout_hours=hours).timeout
    assert now + timeout >= now
    arms = [{"name": "A", "steps": [{"id": "a", "type": "exit"}]}, {"name": "B"}]
    split = Split(id="s", arms=arms, mode="test_then_winner", decide_after_hours=decide)
    assert split.decide_after_hours is not None and now + timedelta(hours=split.decide_after_hours) > now
    assert now - timedelta(days=days) <= now  # a condition's window of `days` before now


def test_a_wait_in_range_per_unit_but_too_long_in_all_is_a_problem() -> None:
    wait = Wait(id="w", days=MAX_DAYS, hours=24)
    assert wait.check() == [f"the wait must be at most {MAX_DAYS} days in all (it is {MAX_DAYS + 1} days)"]


def test_money_beyond_the_columns_is_refused() -> None:
    assert coupon(amount_off=MAX_MONEY).amount_off == MAX_MONEY
    with pytest.raises(ValidationError):
        coupon(amount_off=MAX_MONEY + Decimal("0.01"))
