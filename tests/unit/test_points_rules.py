"""Points rules as pure functions: first-expiring-first expiry, order points by segment, expiry dates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.points import Ledger, PointsRules, expiry_of, order_points, pending_expiry

D = [datetime(2026, 1, day, tzinfo=UTC) for day in range(1, 32)]


@pytest.mark.parametrize(
    ("grants", "debited", "at", "due"),
    [
        ([(100, D[10])], 0, D[9], 0),  # not yet
        ([(100, D[10])], 0, D[10], 100),  # at the moment of expiry
        ([(100, D[10])], 30, D[20], 70),  # redeemed 30 first: 70 left to expire
        ([(100, D[10]), (50, D[20])], 120, D[15], 0),  # 120 debited used all of the first grant
        ([(100, D[10]), (50, D[20])], 120, D[25], 30),  # … and 20 of the second
        ([(100, None), (50, D[5])], 0, D[30], 50),  # points that never expire stay
        ([(100, None), (50, D[5])], 60, D[30], 0),  # debits use the expiring grant first
    ],
)
def test_debits_use_the_first_expiring_grants_first(
    grants: list[tuple[int, datetime | None]], debited: int, at: datetime, due: int
) -> None:
    assert pending_expiry(grants, debited, at) == due


@given(
    grants=st.lists(st.tuples(st.integers(1, 1000), st.one_of(st.none(), st.sampled_from(D))), max_size=8),
    debit_share=st.floats(0, 1),
    at=st.sampled_from(D),
)
def test_the_balance_is_never_negative_and_never_grows_with_time(
    grants: list[tuple[int, datetime | None]], debit_share: float, at: datetime
) -> None:
    granted = sum(p for p, _ in grants)
    debited = int(granted * debit_share)
    book = Ledger(total=granted - debited, grants=grants, debited=debited)

    assert 0 <= book.balance(at) <= book.total
    assert book.balance(D[-1]) <= book.balance(at)


def test_an_order_earns_by_the_rate_and_the_members_segment_rounded_down() -> None:
    rules = PointsRules(per_yuan=Decimal(1), segment_multipliers={"重要价值客户": Decimal("1.5")})
    assert order_points(Decimal("199.90"), rules, None) == 199
    assert order_points(Decimal("199.90"), rules, "一般发展客户") == 199
    assert order_points(Decimal("199.90"), rules, "重要价值客户") == 299


def test_rules_name_an_unknown_segment() -> None:
    with pytest.raises(ValidationError) as caught:
        PointsRules(segment_multipliers={"VIP客户": Decimal(2)})
    assert "unknown segment VIP客户; the segments are 重要价值客户" in str(caught.value)


def test_points_expire_at_the_end_of_the_local_day() -> None:
    granted = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 2 March 01:00 in Shanghai
    assert expiry_of(granted, 365, ZoneInfo("Asia/Shanghai")) == datetime(2027, 3, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert expiry_of(granted, None, ZoneInfo("Asia/Shanghai")) is None
