"""Coupons: the templates marketers define, codes issued to members, redemption by orders, and the report.

The rules are pure functions (`validity`, `redemption`); the functions taking a session do the I/O around them.
Issuing and redeeming are idempotent: a code is issued once per idempotency key, an order redeems at most one
code once, and the compare-and-set on `redeemed_at` makes two orders racing for one code end with one winner.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from engine import clock
from engine.db import insert_new
from engine.errors import Conflict, NotFound
from engine.members.profiles import member_by_key
from engine.models import Coupon, CouponRedemption, CouponTemplate, Event, Order, table_of
from engine.ranges import FIRST_DATE, LAST_DATE, MAX_MONEY

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud at the till
CODE_LENGTH = 8
Outcome = Literal["redeemed", "unknown", "foreign", "used", "early", "expired", "minimum"]


class CouponSpec(BaseModel):
    """A coupon template as the marketer writes it (YAML, API)."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Permanent id used by journey blocks.")
    name: str = Field(min_length=1, max_length=200, description="e.g. 满100减20")
    code_prefix: str = Field("", pattern=r"^[A-Z0-9]{0,12}$", description="Codes start with it, e.g. WB20")
    kind: Literal["amount_off", "percent_off", "gift"]
    amount_off: Decimal | None = Field(
        None, gt=0, le=MAX_MONEY, decimal_places=2, description="amount_off: money off the order"
    )
    percent_off: Decimal | None = Field(
        None, gt=0, lt=100, decimal_places=2, description="percent_off: e.g. 15 for 15% off"
    )
    cap: Decimal | None = Field(
        None, gt=0, le=MAX_MONEY, decimal_places=2, description="percent_off: most money off one order"
    )
    gift: str | None = Field(None, max_length=200, description="gift: what the member receives")
    min_spend: Decimal = Field(
        Decimal(0), ge=0, le=MAX_MONEY, decimal_places=2, description="Orders below this amount cannot use the coupon"
    )
    valid_days: int | None = Field(None, ge=1, le=3650, description="Valid through the end of the Nth day after issue")
    valid_from: date | None = Field(
        None, ge=FIRST_DATE, le=LAST_DATE, description="Fixed dates (shop's zone): first day of validity"
    )
    valid_until: date | None = Field(
        None, ge=FIRST_DATE, le=LAST_DATE, description="Fixed dates (shop's zone): last day of validity"
    )
    face_value: Decimal | None = Field(
        None, ge=0, le=MAX_MONEY, decimal_places=2, description="Cost of one redeemed coupon; amount_off: the amount"
    )
    budget: Decimal | None = Field(
        None, gt=0, le=MAX_MONEY, decimal_places=2, description="Stop issuing once issued face value would exceed it"
    )

    @model_validator(mode="after")
    def _complete(self) -> CouponSpec:
        problems = spec_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def cost(self) -> Decimal:
        """The face value one coupon accounts for."""
        if self.face_value is not None:
            return self.face_value
        assert self.amount_off is not None
        return self.amount_off


def spec_problems(spec: CouponSpec) -> list[str]:
    """Every inconsistency of a template, each a sentence naming the fields."""
    problems = []
    if spec.kind == "amount_off" and spec.amount_off is None:
        problems.append("an amount_off coupon needs amount_off")
    if spec.kind == "percent_off" and spec.percent_off is None:
        problems.append("a percent_off coupon needs percent_off")
    if spec.kind == "gift" and not spec.gift:
        problems.append("a gift coupon needs gift (what the member receives)")
    if spec.kind != "amount_off" and spec.face_value is None:
        problems.append(f"a {spec.kind} coupon needs face_value (its cost, for the report)")
    if spec.cap is not None and spec.kind != "percent_off":
        problems.append("cap only applies to percent_off coupons")
    if spec.valid_days is None and spec.valid_until is None:
        problems.append("give valid_days (after issue) or valid_until (a fixed last day)")
    if spec.valid_days is not None and (spec.valid_from or spec.valid_until):
        problems.append("give either valid_days or fixed dates (valid_from/valid_until), not both")
    if spec.valid_from and spec.valid_until and spec.valid_from > spec.valid_until:
        problems.append(f"valid_from {spec.valid_from} is after valid_until {spec.valid_until}")
    if spec.budget is not None and spec.face_value == 0:
        problems.append("a budget needs a face_value above 0 to count against")
    return problems


def validity(spec: CouponSpec, issued_at: datetime, zone: ZoneInfo) -> tuple[datetime | None, datetime]:
    """(valid from, expires at), aware UTC moments, of a coupon issued at `issued_at`; days are calendar days in
    `zone` (the shop's), as every day count (engine.clock).

    valid_days = N: from issue through the end of the Nth local day after the day of issue.
    Fixed dates: from the start of valid_from (or issue) through the end of valid_until.
    """
    if spec.valid_days is not None:
        return None, clock.end_of_day_after(issued_at, spec.valid_days, zone)
    assert spec.valid_until is not None
    start = clock.start_of_day(spec.valid_from, zone) if spec.valid_from else None
    return start, clock.start_of_day(spec.valid_until + timedelta(days=1), zone)


@dataclass(frozen=True)
class CouponFacts:
    """What redemption needs to know of an issued coupon."""

    coupon_id: int
    member_id: int
    template_name: str
    min_spend: Decimal
    valid_from: datetime | None
    expires_at: datetime | None
    redeemed_order_id: int | None


def redemption(
    code: str, coupon: CouponFacts | None, *, order_id: int, member_id: int, amount: Decimal, placed_at: datetime
) -> tuple[Outcome, str]:
    """Whether an order may redeem a code, and the reason in words when it may not."""
    if coupon is None:
        return "unknown", f"no coupon has the code {code}"
    if coupon.member_id != member_id:
        return "foreign", f"coupon {code} was issued to another member"
    if coupon.redeemed_order_id is not None and coupon.redeemed_order_id != order_id:
        return "used", f"coupon {code} was already used by another order"
    if coupon.valid_from is not None and placed_at < coupon.valid_from:
        return "early", f"coupon {code} is valid from {coupon.valid_from.isoformat()}"
    if coupon.expires_at is not None and placed_at >= coupon.expires_at:
        return "expired", f"coupon {code} expired at {coupon.expires_at.isoformat()}"
    if amount < coupon.min_spend:
        return (
            "minimum",
            f"order amount {amount} is below the minimum spend {coupon.min_spend} of {coupon.template_name}",
        )
    return "redeemed", f"redeemed {coupon.template_name}"


# --- templates ------------------------------------------------------------------------------------------------


def save_template(session: Session, spec: CouponSpec, now: datetime) -> bool:
    """Create or replace a template; True if anything changed. Coupons already issued keep their terms."""
    row = session.scalar(select(CouponTemplate).where(col(CouponTemplate.key) == spec.key))
    stored = spec.model_dump(mode="json")
    if row is not None and row.spec == stored and row.name == spec.name:
        return False
    if row is None:
        row = CouponTemplate(key=spec.key, name=spec.name, spec=stored, updated_at=now)
    else:
        row.name, row.spec, row.updated_at = spec.name, stored, now
    session.add(row)
    session.flush()
    return True


def find_template(session: Session, key: str) -> CouponSpec:
    row = session.scalar(select(CouponTemplate).where(col(CouponTemplate.key) == key))
    if row is None:
        raise NotFound([f"coupon template {key} does not exist"])
    return CouponSpec.model_validate(row.spec)


def template_keys(session: Session) -> set[str]:
    return set(session.scalars(select(col(CouponTemplate.key))))


def templates(session: Session) -> list[CouponSpec]:
    rows = session.scalars(select(CouponTemplate).order_by(col(CouponTemplate.key)))
    return [CouponSpec.model_validate(row.spec) for row in rows]


# --- issuing --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    code: str | None  # None: not issued (see reason)
    reason: str = ""
    template: str = ""
    name: str = ""
    expires_at: datetime | None = None
    valid_from: datetime | None = None

    def as_variables(self) -> dict[str, Any]:
        """What message templates see as `coupon`; `valid_through` is the last day it can be used, in the shop's
        zone (YYYY-MM-DD), what to tell the member."""
        last_day = clock.last_day_before(self.expires_at, clock.shop_zone()) if self.expires_at else None
        return {
            "code": self.code, "template": self.template, "name": self.name,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_through": last_day.isoformat() if last_day else None,
        }  # fmt: skip


def issue_coupon(
    session: Session,
    *,
    template_key: str,
    member_id: int,
    idempotency_key: str,
    now: datetime,
    zone: ZoneInfo,
    journey_id: int | None = None,
    block_id: str | None = None,
) -> Issued:
    """Issue one code for `idempotency_key` (the same code again if it was issued already)."""
    spec = find_template(session, template_key)
    existing = session.scalar(select(Coupon).where(col(Coupon.idempotency_key) == idempotency_key))
    if existing is not None:
        return _issued(existing, spec)
    valid_from, expires_at = validity(spec, now, zone)
    if expires_at <= now:
        return Issued(None, f"coupon template {spec.key} ended on {spec.valid_until}", spec.key, spec.name)
    if spec.budget is not None:
        _lock_template(session, spec.key)
        spent = session.scalar(
            select(func.coalesce(func.sum(col(Coupon.face_value)), 0)).where(col(Coupon.template) == spec.key)
        )
        if Decimal(spent or 0) + spec.cost > spec.budget:
            return Issued(None, f"the budget of {spec.key} ({spec.budget}) is spent", spec.key, spec.name)
    row = {"member_id": member_id, "template": spec.key, "idempotency_key": idempotency_key, "issued_at": now,
           "valid_from": valid_from, "expires_at": expires_at, "face_value": spec.cost, "journey_id": journey_id,
           "block_id": block_id}  # fmt: skip
    for _ in range(5):  # a fresh random code collides about never; try another if it does
        try:
            with session.begin_nested():  # a concurrent issuer of the same key wins quietly: its code is returned
                insert_new(session, table_of(Coupon), [{**row, "code": new_code(spec.code_prefix)}], "idempotency_key")
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError(f"could not find a free coupon code with prefix {spec.code_prefix!r}")
    stored = session.scalar(select(Coupon).where(col(Coupon.idempotency_key) == idempotency_key))
    assert stored is not None
    return _issued(stored, spec)


def issue_by_hand(
    session: Session, *, template_key: str, member_key: str, occasion: str, source: str, now: datetime, zone: ZoneInfo
) -> Issued:
    """A coupon given by the service desk (CLI, API): once per template, member and occasion; refusals raise."""
    member_id = member_by_key(session, member_key).id
    assert member_id is not None
    key = f"{source}:{template_key}:{member_key}:{occasion}"
    issued = issue_coupon(session, template_key=template_key, member_id=member_id, idempotency_key=key, now=now,
                          zone=zone)  # fmt: skip
    if issued.code is None:
        raise Conflict([issued.reason])
    return issued


def new_code(prefix: str) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _issued(coupon: Coupon, spec: CouponSpec) -> Issued:
    return Issued(coupon.code, "", spec.key, spec.name, coupon.expires_at, coupon.valid_from)


def _lock_template(session: Session, key: str) -> None:
    """Serialise issuers of one budgeted template (PostgreSQL row lock; SQLite has one writer at a time)."""
    session.execute(select(col(CouponTemplate.id)).where(col(CouponTemplate.key) == key).with_for_update())


def has_unredeemed_coupon(session: Session, member_id: int, *, template: str | None, now: datetime) -> bool:
    query = select(col(Coupon.id)).where(
        col(Coupon.member_id) == member_id,
        col(Coupon.redeemed_at).is_(None),
        or_(col(Coupon.expires_at).is_(None), col(Coupon.expires_at) > now),
    )
    if template is not None:
        query = query.where(col(Coupon.template) == template)
    return session.scalar(query.limit(1)) is not None


# --- redeeming ------------------------------------------------------------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def redeem_orders(session: Session, order_ids: Sequence[int], now: datetime) -> dict[int, tuple[Outcome, str]]:
    """Redeem the codes the given orders carry; each order is decided once (recorded in coupon_redemptions)."""
    if not order_ids:
        return {}
    orders = session.execute(
        select(col(Order.id), col(Order.member_id), col(Order.coupon_code), col(Order.amount), col(Order.placed_at))
        .where(col(Order.id).in_(list(order_ids)), col(Order.coupon_code).is_not(None), col(Order.coupon_code) != "")
        .where(~select(col(CouponRedemption.id)).where(col(CouponRedemption.order_id) == col(Order.id)).exists())
        .order_by(col(Order.placed_at), col(Order.id))
    ).all()
    if not orders:
        return {}
    facts = _coupon_facts(session, {code for _, _, code, _, _ in orders})
    decided: dict[int, tuple[Outcome, str]] = {}
    records, events = [], []
    for order_id, member_id, code, amount, placed_at in orders:
        coupon = facts.get(code)
        outcome, reason = redemption(
            code, coupon, order_id=order_id, member_id=member_id, amount=amount, placed_at=placed_at
        )
        if outcome == "redeemed":
            assert coupon is not None
            if not _claim(session, coupon.coupon_id, order_id, placed_at):
                outcome, reason = "used", f"coupon {code} was already used by another order"
            else:
                facts[code] = CouponFacts(**{**coupon.__dict__, "redeemed_order_id": order_id})
                events.append(_redeemed_event(member_id, code, coupon, order_id, placed_at, now))
        decided[order_id] = (outcome, reason)
        records.append({"order_id": order_id, "code": code, "coupon_id": coupon.coupon_id if coupon else None,
                        "outcome": outcome, "reason": reason, "recorded_at": now})  # fmt: skip
    insert_new(session, table_of(CouponRedemption), records, "order_id")
    insert_new(session, table_of(Event), events, "idempotency_key")
    return decided


def _coupon_facts(session: Session, codes: set[str]) -> dict[str, CouponFacts]:
    rows = session.execute(
        select(
            col(Coupon.code), col(Coupon.id), col(Coupon.member_id), col(CouponTemplate.name),
            col(CouponTemplate.spec), col(Coupon.valid_from), col(Coupon.expires_at), col(Coupon.redeemed_order_id),
        )
        .join(CouponTemplate, col(CouponTemplate.key) == col(Coupon.template))
        .where(col(Coupon.code).in_(list(codes)))
    )  # fmt: skip
    return {
        code: CouponFacts(coupon_id, member_id, name, Decimal(str(spec.get("min_spend", 0))), start, end, used_by)
        for code, coupon_id, member_id, name, spec, start, end, used_by in rows
    }


def _claim(session: Session, coupon_id: int, order_id: int, placed_at: datetime) -> bool:
    """Mark the coupon used by this order unless another order got there first."""
    table = table_of(Coupon)
    result = session.execute(
        update(table)
        .where(table.c.id == coupon_id, table.c.redeemed_order_id.is_(None))
        .values(redeemed_order_id=order_id, redeemed_at=placed_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _redeemed_event(
    member_id: int, code: str, coupon: CouponFacts, order_id: int, placed_at: datetime, now: datetime
) -> dict[str, Any]:
    return {"member_id": member_id, "type": "coupon_redeemed",
            "properties": {"code": code, "coupon": coupon.template_name, "order": order_id},
            "occurred_at": placed_at, "idempotency_key": f"coupon_redeemed:{code}", "recorded_at": now}  # fmt: skip


# --- the report -----------------------------------------------------------------------------------------------


class TemplateReport(BaseModel):
    template: str
    name: str
    issued: int
    redeemed: int
    redemption_rate: float = Field(description="核销率: redeemed / issued (0 when none issued)")
    attributed_revenue: Decimal = Field(description="Sum of the amounts of the orders that redeemed a coupon")
    cost: Decimal = Field(description="Face value of the redeemed coupons")
    rejected: int = Field(description="Orders that carried one of its codes and were refused")


def coupon_report(session: Session) -> list[TemplateReport]:
    """Per template: issued, redeemed, 核销率, attributed revenue and cost, straight from the rows."""
    redeemed = col(Coupon.redeemed_order_id).is_not(None)
    counts = session.execute(
        select(
            col(Coupon.template), func.count(),
            func.sum(case((redeemed, 1), else_=0)),
            func.coalesce(func.sum(case((redeemed, col(Coupon.face_value)), else_=0)), 0),
            func.coalesce(func.sum(col(Order.amount)), 0),
        )
        .outerjoin(Order, col(Order.id) == col(Coupon.redeemed_order_id))
        .group_by(col(Coupon.template))
    )  # fmt: skip
    by_template = {t: (n, int(r or 0), Decimal(str(c)), Decimal(str(rev))) for t, n, r, c, rev in counts}
    rejected = dict(
        session.execute(
            select(col(Coupon.template), func.count())
            .join(CouponRedemption, col(CouponRedemption.coupon_id) == col(Coupon.id))
            .where(col(CouponRedemption.outcome) != "redeemed")
            .group_by(col(Coupon.template))
        ).all()
    )
    names = dict(session.execute(select(col(CouponTemplate.key), col(CouponTemplate.name))).all())
    report = []
    for key in sorted(set(names) | set(by_template)):
        issued, used, cost, revenue = by_template.get(key, (0, 0, Decimal(0), Decimal(0)))
        report.append(
            TemplateReport(
                template=key, name=names.get(key, key), issued=issued, redeemed=used,
                redemption_rate=used / issued if issued else 0.0, attributed_revenue=revenue.quantize(Decimal("0.01")),
                cost=cost.quantize(Decimal("0.01")), rejected=int(rejected.get(key, 0)),
            )
        )  # fmt: skip
    return report


class CouponCheck(BaseModel):
    """What became of the coupon code an order carried (the till can tell the customer)."""

    code: str
    outcome: Outcome
    reason: str


def coupon_checks(session: Session, order_keys: Sequence[str]) -> dict[str, CouponCheck]:
    """order_id → the recorded redemption decision, for the orders that carried a code."""
    rows = session.execute(
        select(col(Order.external_id), col(CouponRedemption.code), col(CouponRedemption.outcome),
               col(CouponRedemption.reason))
        .join(Order, col(Order.id) == col(CouponRedemption.order_id))
        .where(col(Order.external_id).in_(list(order_keys)))
    )  # fmt: skip
    return {key: CouponCheck(code=code, outcome=outcome, reason=reason) for key, code, outcome, reason in rows}
