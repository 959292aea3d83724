"""Points rules as pure functions: the ledger replayed in time order (first-expiring first, expired lots unspendable),
order points by segment, expiry dates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.rewards.points import LedgerRow, PointsRules, expiry_of, order_points, replay

D = [datetime(2026, 1, day, tzinfo=UTC) for day in range(1, 32)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def grant(at: datetime, points: int, expires_at: datetime | None) -> LedgerRow:
    return LedgerRow(at, points, "grant", expires_at)


def redeem(at: datetime, points: int) -> LedgerRow:
    return LedgerRow(at, -points, "redeem")


def write_off(rows: list[LedgerRow], at: datetime) -> list[LedgerRow]:
    """What the expiry run appends at `at`: an `expire` entry for what has lapsed (nothing when nothing has)."""
    lapsed = replay(rows, at).lapsed
    return [*rows, LedgerRow(at, -lapsed, "expire")] if lapsed else rows


@pytest.mark.parametrize(
    ("rows", "at", "balance", "lapsed"),
    [
        ([grant(D[0], 100, D[10])], D[9], 100, 0),  # not yet
        ([grant(D[0], 100, D[10])], D[10], 0, 100),  # at the moment of expiry
        ([grant(D[0], 100, D[10]), redeem(D[5], 30)], D[20], 0, 70),  # redeemed 30 first: 70 left to expire
        ([grant(D[0], 100, D[10]), grant(D[1], 50, D[20]), redeem(D[5], 120)], D[15], 30, 0),  # 120 used the first
        ([grant(D[0], 100, D[10]), grant(D[1], 50, D[20]), redeem(D[5], 120)], D[25], 0, 30),  # … and 20 of the next
        ([grant(D[0], 100, None), grant(D[0], 50, D[5])], D[30], 100, 50),  # points that never expire stay
        ([grant(D[0], 100, None), grant(D[0], 50, D[5]), redeem(D[1], 60)], D[30], 90, 0),  # expiring ones go first
        # a debit after a lot expired cannot use it, however late the expiry run comes
        ([grant(D[0], 100, D[10]), grant(D[11], 50, None), redeem(D[11], 50)], D[12], 0, 100),
    ],
)
def test_debits_use_the_unexpired_lots_expiring_first(
    rows: list[LedgerRow], at: datetime, balance: int, lapsed: int
) -> None:
    state = replay(rows, at)
    assert (state.balance, state.lapsed) == (balance, lapsed)


def test_points_spent_after_midnight_never_come_out_of_points_that_expired_at_midnight() -> None:
    """100 points expiring at midnight; at 08:30, before the daily expiry run, the member earns 50 and redeems 50."""
    midnight = datetime(2026, 12, 2, tzinfo=SHANGHAI)
    morning = datetime(2026, 12, 2, 8, 30, tzinfo=SHANGHAI)
    earned = [grant(datetime(2025, 12, 1, 15, tzinfo=SHANGHAI), 100, midnight), grant(morning, 50, None)]
    spent = [*earned, redeem(morning, 50)]

    before, after = replay(earned, morning), replay(spent, morning)
    written = write_off(spent, datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))

    assert (before.balance, before.lapsed) == (50, 100)
    assert (after.balance, after.lapsed) == (0, 100)
    assert written[-1] == LedgerRow(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI), -100, "expire")
    assert sum(row.points for row in written) == 0  # the final balance, as the ledger's sum
    assert replay(written, written[-1].at).balance == 0
    assert write_off(written, written[-1].at) == written  # a second run writes nothing


def test_a_write_off_by_older_rules_is_completed_by_the_next_run() -> None:
    """A ledger written before the replay rule (50 written off where 100 had lapsed) comes right on the next run."""
    rows = [grant(D[0], 100, D[10]), grant(D[11], 50, None), redeem(D[11], 50), LedgerRow(D[12], -50, "expire")]
    assert (replay(rows, D[13]).balance, replay(rows, D[13]).lapsed) == (0, 50)
    assert sum(row.points for row in write_off(rows, D[13])) == 0


moments = st.sampled_from(D)


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerRow]:
    """Grants, redemptions the balance allows at their time, and expiry runs, in time order."""
    rows: list[LedgerRow] = []
    for at in sorted(draw(st.lists(moments, max_size=12))):
        kind = draw(st.sampled_from(["grant", "redeem", "expire"]))
        if kind == "grant":
            rows.append(grant(at, draw(st.integers(1, 1000)), draw(st.one_of(st.none(), moments))))
        elif kind == "redeem" and (available := replay(rows, at).balance) > 0:
            rows.append(redeem(at, draw(st.integers(1, available))))
        elif kind == "expire":
            rows = write_off(rows, at)
    return rows


@given(rows=ledgers(), at=moments)
def test_the_balance_is_the_ledger_less_what_lapsed_never_negative_never_growing(
    rows: list[LedgerRow], at: datetime
) -> None:
    at = max([at, *(row.at for row in rows)])
    state = replay(rows, at)

    assert 0 <= state.balance == sum(row.points for row in rows) - state.lapsed
    assert state.balance == sum(points for points, _ in state.lots)
    assert all(expires_at is None or expires_at > at for _, expires_at in state.lots)
    assert replay(rows, D[-1]).balance <= state.balance  # time alone only takes points away
    written = write_off(rows, at)
    assert replay(written, at).lapsed == 0 and replay(written, at).balance == state.balance
    assert sum(row.points for row in written) == state.balance  # the run only records what was already true


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
    assert expiry_of(granted, 365, SHANGHAI) == datetime(2027, 3, 3, tzinfo=SHANGHAI)
    assert expiry_of(granted, None, SHANGHAI) is None
