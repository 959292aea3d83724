"""The coupon rules as pure functions: template consistency, validity in the shop's days, redemption decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from engine.rewards.coupons import CouponFacts, CouponSpec, new_code, redemption, validity

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def spec(**changes: object) -> CouponSpec:
    fields: dict[str, object] = {"key": "wb-20", "name": "满100减20", "kind": "amount_off", "amount_off": 20,
                                 "min_spend": 100, "valid_days": 7}  # fmt: skip
    return CouponSpec.model_validate(fields | changes)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"amount_off": None}, "an amount_off coupon needs amount_off"),
        ({"kind": "percent_off", "amount_off": None, "face_value": 10}, "a percent_off coupon needs percent_off"),
        ({"kind": "gift", "amount_off": None, "face_value": 10}, "a gift coupon needs gift"),
        ({"kind": "gift", "amount_off": None, "gift": "礼盒"}, "a gift coupon needs face_value"),
        ({"cap": 5}, "cap only applies to percent_off coupons"),
        ({"valid_days": None}, "give valid_days (after issue) or valid_until"),
        ({"valid_until": date(2026, 12, 31)}, "give either valid_days or fixed dates"),
        (
            {"valid_days": None, "valid_from": date(2026, 12, 31), "valid_until": date(2026, 12, 1)},
            "valid_from 2026-12-31 is after valid_until 2026-12-01",
        ),
        ({"code_prefix": "wb-"}, "code_prefix"),
    ],
)
def test_an_inconsistent_template_is_refused_with_the_fields_named(changes: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        spec(**changes)
    assert says in str(caught.value)


def test_the_cost_is_the_amount_off_unless_a_face_value_is_given() -> None:
    assert spec().cost == Decimal(20)
    assert spec(face_value=12).cost == Decimal(12)


def test_valid_days_run_through_the_end_of_the_nth_local_day_after_issue() -> None:
    issued = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)  # 26 Nov 04:30 in Shanghai
    start, end = validity(spec(valid_days=7), issued, SHANGHAI)
    assert start is None
    assert end == datetime(2026, 12, 4, 0, 0, tzinfo=SHANGHAI)  # 26 Nov + 7 days = 3 Dec, valid through its end


def test_valid_days_follow_the_shops_clock_across_a_dst_change() -> None:
    issued = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
    _, end = validity(spec(valid_days=3), issued, NEW_YORK)  # DST ends 1 Nov 2026 in New York
    assert end == datetime(2026, 11, 3, 0, 0, tzinfo=NEW_YORK)
    assert end == datetime(2026, 11, 3, 5, 0, tzinfo=UTC)  # that midnight is at -05:00, DST having ended


def test_fixed_dates_cover_whole_local_days() -> None:
    fixed = spec(valid_days=None, valid_from=date(2026, 12, 24), valid_until=date(2026, 12, 26))
    start, end = validity(fixed, datetime(2026, 12, 1, tzinfo=UTC), SHANGHAI)
    assert (start, end) == (datetime(2026, 12, 24, tzinfo=SHANGHAI), datetime(2026, 12, 27, tzinfo=SHANGHAI))


def test_codes_carry_the_prefix_and_avoid_look_alike_characters() -> None:
    codes = {new_code("WB") for _ in range(2000)}
    assert len(codes) == 2000
    assert all(c.startswith("WB") and len(c) == 10 for c in codes)
    assert not any(ch in c[2:] for c in codes for ch in "01IOL")


COUPON = CouponFacts(
    coupon_id=1, member_id=7, template_name="满100减20", min_spend=Decimal(100),
    valid_from=datetime(2026, 12, 1, tzinfo=UTC), expires_at=datetime(2026, 12, 15, tzinfo=UTC), redeemed_order_id=None,
)  # fmt: skip
IN_TIME = datetime(2026, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("coupon", "member", "amount", "placed_at", "outcome", "says"),
    [
        (COUPON, 7, Decimal(100), IN_TIME, "redeemed", "redeemed 满100减20"),
        (None, 7, Decimal(100), IN_TIME, "unknown", "no coupon has the code WBX"),
        (COUPON, 8, Decimal(100), IN_TIME, "foreign", "coupon WBX was issued to another member"),
        (
            CouponFacts(**{**COUPON.__dict__, "redeemed_order_id": 99}), 7, Decimal(100), IN_TIME,
            "used", "coupon WBX was already used by another order",
        ),
        (COUPON, 7, Decimal(100), datetime(2026, 11, 30, tzinfo=UTC), "early", "is valid from 2026-12-01"),
        (COUPON, 7, Decimal(100), datetime(2026, 12, 15, tzinfo=UTC), "expired", "expired at 2026-12-15"),
        (COUPON, 7, Decimal("99.99"), IN_TIME, "minimum", "99.99 is below the minimum spend 100 of 满100减20"),
    ],
)  # fmt: skip
def test_redemption_decides_each_case_with_a_reason(
    coupon: CouponFacts | None, member: int, amount: Decimal, placed_at: datetime, outcome: str, says: str
) -> None:
    decided, reason = redemption("WBX", coupon, order_id=5, member_id=member, amount=amount, placed_at=placed_at)
    assert decided == outcome
    assert says in reason


def test_the_order_that_redeemed_a_code_redeems_it_again_when_asked_twice() -> None:
    mine = CouponFacts(**{**COUPON.__dict__, "redeemed_order_id": 5})
    assert redemption("WBX", mine, order_id=5, member_id=7, amount=Decimal(100), placed_at=IN_TIME)[0] == "redeemed"
