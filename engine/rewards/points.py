"""Points (积分): an append-only ledger of grants, redemptions, expiries and adjustments, and the rules for earning.

Balance and expiry follow one rule, replayed in time order over the ledger (`replay`): every grant is a lot with
its expiry; a debit (redemption, negative adjustment) at a time t uses up the lots still unexpired at t, the one
expiring soonest first; a lot past its expiry is no longer spendable, whether or not the daily expiry run has
written it off yet. The balance at any moment therefore already leaves expired points out, and the expiry run only
records what is already true (`lapsed`), idempotently.

Every entry has a reason and a unique idempotency key: an activity retried, an order imported twice or an expiry
run repeated never writes a second entry.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from engine import clock
from engine.access import audit
from engine.db import insert_new
from engine.errors import Conflict, Invalid
from engine.members.profiles import member_by_key
from engine.models import Event, Member, Order, PointsBoost, PointsEntry, RfmRun, RfmScore, ShopSetting, table_of
from engine.ranges import FIRST_DATE, LAST_DATE, MAX_DAYS, MAX_MONEY, MAX_MULTIPLIER, MAX_POINTS
from engine.rfm.segments import SEGMENT8_NAMES

DEBITS = ("redeem", "expire", "adjust")  # adjust counts as a debit only when negative
SETTING_KEY = "points"


class PointsRules(BaseModel):
    """How orders earn points; the marketer edits them in the app (stored in shop_settings)."""

    per_yuan: Decimal = Field(
        Decimal(1), ge=0, le=1000, decimal_places=4, description="Points per unit of the shop's currency spent"
    )
    starts_on: date | None = Field(
        None, ge=FIRST_DATE, le=LAST_DATE, description="Orders placed from this day (shop's zone) earn; empty: none do"
    )
    expire_days: int | None = Field(
        365, ge=1, le=MAX_DAYS, description="Granted points expire after this many days; empty: never"
    )
    segment_multipliers: dict[str, Decimal] = Field(
        default_factory=dict, description="Earning multiplier by 8-segment, e.g. 重要价值客户: 1.5"
    )
    point_value: Decimal = Field(
        Decimal("0.01"), ge=0, le=MAX_MONEY, decimal_places=4, description="What one point costs the shop, for ROI"
    )

    @field_validator("segment_multipliers")
    @classmethod
    def _known_segments(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if unknown := sorted(set(value) - set(SEGMENT8_NAMES)):
            raise ValueError(f"unknown segment {', '.join(unknown)}; the segments are {', '.join(SEGMENT8_NAMES)}")
        if negative := sorted(name for name, m in value.items() if m < 0):
            raise ValueError(f"multiplier of {', '.join(negative)} is below 0")
        if huge := sorted(name for name, m in value.items() if not m.is_finite() or m > MAX_MULTIPLIER):
            raise ValueError(f"multiplier of {', '.join(huge)} is above {MAX_MULTIPLIER}")
        return value


# --- the rules as pure functions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry as the replay reads it: when (aware), how many points (+ credit, - debit), what kind
    (grant, redeem, expire, adjust) and, for a credit, when it expires (None: never)."""

    at: datetime
    points: int
    kind: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PointsState:
    """A member's points at a moment, from `replay`."""

    balance: int  # spendable now: unexpired lots (less any debit the lots could not cover, from older data)
    lapsed: int  # points past their expiry that no `expire` entry has written off yet
    lots: tuple[tuple[int, datetime | None], ...]  # the spendable lots (points, expiry), soonest expiry first
    last_lapsed_at: datetime | None  # the expiry moment of the newest lapsed lot (None: nothing lapsed)
    debited: int  # everything debited so far (redeemed, expired, negative adjustments), as a positive number


def replay(rows: Iterable[LedgerRow], at: datetime) -> PointsState:
    """Replay the ledger in time order (ties in the given order) and say what it holds at `at`.

    Before each entry, lots whose expiry is at or before the entry's time lapse. A credit adds a lot; a redemption
    or negative adjustment uses up the unexpired lots, soonest expiry first (never-expiring last); an `expire`
    entry writes off lapsed points (anything beyond them, written by older rules, comes off the lots like a debit).
    Finally, lots expired by `at` lapse. Every entry counts, also one dated after `at` (a workflow's clock may run
    ahead of this one): it is replayed as if made at `at`, so no lot lapses later than `at`.
    """
    lots: list[list[Any]] = []  # [points, expires_at], kept soonest expiry first
    lapsed = owed = debited = 0
    last_lapsed_at: datetime | None = None

    def lapse(moment: datetime) -> None:
        nonlocal lapsed, last_lapsed_at
        for lot in lots:
            if lot[1] is not None and lot[1] <= moment and lot[0] > 0:
                lapsed += lot[0]
                last_lapsed_at = lot[1] if last_lapsed_at is None else max(last_lapsed_at, lot[1])
                lot[0] = 0

    def soonest_first(lot: list[Any]) -> tuple[bool, datetime]:
        return lot[1] is None, lot[1] or at

    def use(points: int) -> int:
        """Take `points` from the lots, soonest expiry first; returns what they could not cover."""
        for lot in lots:
            taken = min(lot[0], points)
            lot[0], points = lot[0] - taken, points - taken
        return points

    for row in sorted(rows, key=lambda r: r.at):  # sorted() is stable: same-moment entries keep their order
        lapse(min(row.at, at))
        if row.points > 0:
            repaid = min(owed, row.points)
            owed -= repaid
            insort(lots, [row.points - repaid, row.expires_at], key=soonest_first)
        elif row.points < 0:
            debit = -row.points
            debited += debit
            if row.kind == "expire":
                written_off = min(lapsed, debit)
                lapsed, debit = lapsed - written_off, debit - written_off
            owed += use(debit)
            lots[:] = [lot for lot in lots if lot[0] > 0]
    lapse(at)
    live = tuple((points, expires_at) for points, expires_at in lots if points > 0)
    return PointsState(sum(p for p, _ in live) - owed, lapsed, live, last_lapsed_at, debited)


def order_points(amount: Decimal, rules: PointsRules, segment: str | None) -> int:
    """What an order earns: amount × points per unit × the member's segment multiplier, rounded down, and at most
    MAX_POINTS (what one ledger entry holds; only an order of billions could reach it)."""
    multiplier = rules.segment_multipliers.get(segment or "", Decimal(1))
    return min(math.floor(amount * rules.per_yuan * multiplier), MAX_POINTS)


def expiry_of(granted_at: datetime, days: int | None, zone: ZoneInfo) -> datetime | None:
    """Points granted on a local day expire at the end of the local day `days` later (calendar days in `zone`, the
    shop's, as every day count: engine.clock); None: they never expire."""
    if days is None:
        return None
    return clock.end_of_day_after(granted_at, days, zone)


# --- reading the ledger ---------------------------------------------------------------------------------------


def ledger_rows(session: Session, member_id: int) -> list[LedgerRow]:
    """The member's ledger in time order (then in the order written), as `replay` reads it."""
    rows = session.execute(
        select(col(PointsEntry.created_at), col(PointsEntry.points), col(PointsEntry.kind), col(PointsEntry.expires_at))
        .where(col(PointsEntry.member_id) == member_id)
        .order_by(col(PointsEntry.created_at), col(PointsEntry.id))
    ).all()
    return [LedgerRow(at, points, kind, expires_at) for at, points, kind, expires_at in rows]


def points_state(session: Session, member_id: int, at: datetime) -> PointsState:
    return replay(ledger_rows(session, member_id), at)


def history(session: Session, member_id: int, limit: int = 200) -> list[PointsEntry]:
    return list(
        session.scalars(
            select(PointsEntry)
            .where(col(PointsEntry.member_id) == member_id)
            .order_by(col(PointsEntry.created_at).desc(), col(PointsEntry.id).desc())
            .limit(limit)
        )
    )


def points_balance(session: Session, member_id: int, at: datetime) -> int:
    """What the member can spend at `at`: points past their expiry are left out whether or not they were written
    off yet (`replay`)."""
    return points_state(session, member_id, at).balance


def load_rules(session: Session) -> PointsRules:
    row = session.get(ShopSetting, SETTING_KEY)
    return PointsRules.model_validate(row.value) if row else PointsRules()


def save_rules(session: Session, rules: PointsRules, now: datetime) -> None:
    row = session.get(ShopSetting, SETTING_KEY) or ShopSetting(key=SETTING_KEY, value={})
    audit.record_setting_change(session, SETTING_KEY, dict(row.value), rules.model_dump(mode="json"), now)
    row.value, row.updated_at = rules.model_dump(mode="json"), now
    session.add(row)
    session.flush()


# --- writing the ledger ---------------------------------------------------------------------------------------


def add_entry(session: Session, entry: dict[str, Any]) -> bool:
    """Write one ledger entry unless its idempotency key was used; True if written."""
    return bool(insert_new(session, table_of(PointsEntry), [entry], "idempotency_key"))


def grant(
    session: Session, *, member_id: int, points: int, reason: str, key: str, now: datetime,
    expires_at: datetime | None, journey_id: int | None = None, block_id: str | None = None,
    order_id: int | None = None,
) -> bool:  # fmt: skip
    if not 0 < points <= MAX_POINTS:
        raise ValueError(f"a grant is a number of points from 1 to {MAX_POINTS}, not {points}")
    return add_entry(session, {"member_id": member_id, "kind": "grant", "points": points, "reason": reason,
                               "idempotency_key": key, "expires_at": expires_at, "created_at": now,
                               "journey_id": journey_id, "block_id": block_id, "order_id": order_id})  # fmt: skip


def member_id_of(session: Session, member_key: str) -> int:
    """The database id of the member with member_id `member_key`; NotFound if there is none."""
    found = member_by_key(session, member_key).id
    assert found is not None
    return found


def redeem(session: Session, *, member_key: str, points: int, reason: str, key: str, now: datetime) -> int:
    """Spend points (a gift at the till); refused when the balance is short. Returns the balance after."""
    if not 0 < points <= MAX_POINTS:
        raise Invalid([f"redeem a number of points from 1 to {MAX_POINTS}, not {points}"])
    member_id = member_id_of(session, member_key)
    _lock_member(session, member_id)
    if session.scalar(select(col(PointsEntry.id)).where(col(PointsEntry.idempotency_key) == key)) is None:
        available = points_balance(session, member_id, now)
        if available < points:
            raise Conflict([f"member {member_key} has {available} points, fewer than {points}"])
        add_entry(session, {"member_id": member_id, "kind": "redeem", "points": -points, "reason": reason,
                            "idempotency_key": key, "created_at": now})  # fmt: skip
    return points_balance(session, member_id, now)


def adjust(session: Session, *, member_key: str, points: int, reason: str, key: str, now: datetime) -> int:
    """Correct a balance by hand (positive or negative, never below zero). Returns the balance after."""
    if points == 0 or not reason.strip():
        raise Invalid(["an adjustment needs a non-zero number of points and a reason"])
    if abs(points) > MAX_POINTS:
        raise Invalid([f"an adjustment is at most {MAX_POINTS} points either way, not {points}"])
    member_id = member_id_of(session, member_key)
    _lock_member(session, member_id)
    if points < 0 and points_balance(session, member_id, now) + points < 0:
        raise Conflict([f"member {member_key} would go below zero points"])
    add_entry(session, {"member_id": member_id, "kind": "adjust", "points": points, "reason": reason,
                        "idempotency_key": key, "created_at": now})  # fmt: skip
    return points_balance(session, member_id, now)


def _lock_member(session: Session, member_id: int) -> None:
    """Serialise balance checks of one member (PostgreSQL row lock; SQLite has one writer at a time)."""
    session.execute(select(col(Member.id)).where(col(Member.id) == member_id).with_for_update())


# --- orders earn ----------------------------------------------------------------------------------------------


def earn_for_orders(session: Session, order_keys: Sequence[str], now: datetime, zone: ZoneInfo) -> int:
    """New orders placed since the programme started earn points (× the member's segment multiplier); an order
    inside a boost's window earns the boost's extra too. Returns the points granted."""
    rules = load_rules(session)
    if rules.starts_on is None or not order_keys:
        return 0
    since = clock.start_of_day(rules.starts_on, zone)
    orders = session.execute(
        select(col(Order.id), col(Order.external_id), col(Order.member_id), col(Order.amount), col(Order.placed_at))
        .where(col(Order.external_id).in_(list(order_keys)), col(Order.placed_at) >= since)
        .order_by(col(Order.placed_at), col(Order.id))
    ).all()
    segments = latest_segments(session, {member_id for _, _, member_id, _, _ in orders})
    granted = 0
    for order_id, external_id, member_id, amount, placed_at in orders:
        points = order_points(amount, rules, segments.get(member_id))
        expires_at = expiry_of(placed_at, rules.expire_days, zone)
        if points > 0 and grant(
            session, member_id=member_id, points=points, reason=f"order {external_id}", key=f"order:{external_id}",
            now=now, expires_at=expires_at, order_id=order_id,
        ):  # fmt: skip
            granted += points
        granted += _use_boost(session, member_id, order_id, external_id, points, placed_at, now, expires_at)
    return granted


def latest_segments(session: Session, member_ids: set[int]) -> dict[int, str]:
    run = session.scalar(select(func.max(col(RfmRun.id))))
    if run is None or not member_ids:
        return {}
    rows = session.execute(
        select(col(RfmScore.member_id), col(RfmScore.segment8)).where(
            col(RfmScore.run_id) == run, col(RfmScore.member_id).in_(list(member_ids))
        )
    )
    return {member_id: segment for member_id, segment in rows}


def _use_boost(
    session: Session, member_id: int, order_id: int, external_id: str, points: int, placed_at: datetime,
    now: datetime, expires_at: datetime | None,
) -> int:  # fmt: skip
    boost = session.execute(
        select(col(PointsBoost.id), col(PointsBoost.multiplier))
        .where(col(PointsBoost.member_id) == member_id, col(PointsBoost.used_order_id).is_(None))
        .where(col(PointsBoost.starts_at) <= placed_at, col(PointsBoost.ends_at) > placed_at)
        .order_by(col(PointsBoost.multiplier).desc(), col(PointsBoost.id))
        .limit(1)
    ).first()
    if boost is None:
        return 0
    boost_id, multiplier = boost
    table = table_of(PointsBoost)
    claimed = session.execute(
        update(table).where(table.c.id == boost_id, table.c.used_order_id.is_(None)).values(used_order_id=order_id)
    )
    extra = min(math.floor(points * (multiplier - 1)), MAX_POINTS)
    if not claimed.rowcount or extra <= 0:  # type: ignore[attr-defined]
        return 0
    reason = f"{multiplier}× points on order {external_id}"
    done = grant(session, member_id=member_id, points=extra, reason=reason, key=f"boost:{boost_id}", now=now,
                 expires_at=expires_at, order_id=order_id)  # fmt: skip
    return extra if done else 0


def add_boost(
    session: Session, *, member_id: int, multiplier: Decimal, days: int, key: str, now: datetime,
    journey_id: int | None = None, block_id: str | None = None, zone: ZoneInfo | None = None,
) -> tuple[datetime, datetime]:  # fmt: skip
    """The member's next order within `days` earns `multiplier`× points; once per key. Returns the window: from
    `now` to the end of the `days`th calendar day after today in `zone` (default: the shop's)."""
    ends_at = clock.end_of_day_after(now, days, zone or clock.shop_zone())
    row = {"member_id": member_id, "multiplier": multiplier, "starts_at": now, "ends_at": ends_at,
           "idempotency_key": key, "journey_id": journey_id, "block_id": block_id}  # fmt: skip
    insert_new(session, table_of(PointsBoost), [row], "idempotency_key")
    stored = session.execute(
        select(col(PointsBoost.starts_at), col(PointsBoost.ends_at)).where(col(PointsBoost.idempotency_key) == key)
    ).one()
    return stored[0], stored[1]


def last_order_points(session: Session, member_id: int, rules: PointsRules) -> tuple[str, int] | None:
    """(order id, the points it earns at the base rate) of the member's newest order, or None without orders."""
    last = session.execute(
        select(col(Order.external_id), col(Order.amount))
        .where(col(Order.member_id) == member_id)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    return last[0], order_points(last[1], rules, None)


# --- expiry ---------------------------------------------------------------------------------------------------


class ExpiryReport(BaseModel):
    members: int = Field(description="Members whose points expired in this run")
    points: int = Field(description="Points written off")
    warned: int = Field(description="points_expiring events recorded (members told their points expire soon)")


def expire_points(session: Session, now: datetime, warn_days: int = 7) -> ExpiryReport:
    """Write off what has expired by `now` (`lapsed` in the replay: the balance already leaves it out), and tell
    members whose points expire within `warn_days` (`points_expiring` events that can start journeys). Safe to run
    any number of times, also concurrently: each write-off's key names the ledger state it was computed from."""
    zone = clock.shop_zone()
    horizon = clock.end_of_day_after(now, warn_days, zone)  # "within 7 days": through the 7th day after today
    members = session.scalars(
        select(col(PointsEntry.member_id))
        .where(col(PointsEntry.expires_at).is_not(None), col(PointsEntry.expires_at) <= horizon)
        .distinct()
    ).all()
    expired_members = expired_points = warned = 0
    for member_id in members:  # no member lock: a redemption meanwhile never touches lapsed points
        state = points_state(session, member_id, now)
        if state.lapsed > 0:
            assert state.last_lapsed_at is not None
            last_day = clock.local_date(state.last_lapsed_at - timedelta(microseconds=1), zone)
            key = f"expire:{member_id}:{state.last_lapsed_at.isoformat()}:{state.debited}"
            entry = {"member_id": member_id, "kind": "expire", "points": -state.lapsed, "created_at": now,
                     "reason": f"points valid through {last_day} expired", "idempotency_key": key}  # fmt: skip
            if add_entry(session, entry):
                expired_members, expired_points = expired_members + 1, expired_points + state.lapsed
            state = points_state(session, member_id, now)
        expiring = [(points, expires_at) for points, expires_at in state.lots if expires_at and expires_at <= horizon]
        if expiring:
            soon, first = sum(points for points, _ in expiring), expiring[0][1]
            assert first is not None
            event = {"member_id": member_id, "type": "points_expiring", "occurred_at": now, "recorded_at": now,
                     "properties": {"points": soon, "expires_at": first.isoformat()},
                     "idempotency_key": f"points_expiring:{member_id}:{first.isoformat()}"}  # fmt: skip
            warned += len(insert_new(session, table_of(Event), [event], "idempotency_key"))
    return ExpiryReport(members=expired_members, points=expired_points, warned=warned)
