"""The demo shop: a seeded, believable population of members and their orders, as records, CSV files or saved."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from engine import clock
from engine.db import session_scope
from engine.files.csv_cells import safe_row
from engine.intake import saving
from engine.intake.csv_import import COLUMNS
from engine.intake.records import MemberRecord, OrderRecord

SHOP = ZoneInfo("Asia/Shanghai")
BATCH_SIZE = 5000
LAPSED_AFTER = timedelta(days=180)

Habit = Literal["never", "one-time", "newcomer", "occasional", "loyal", "lapsed"]
# How members buy, in shares of the whole population; a newcomer is a recent one-time buyer (新客).
HABITS: dict[Habit, float] = {
    "never": 0.08, "one-time": 0.34, "newcomer": 0.08, "occasional": 0.28, "loyal": 0.09, "lapsed": 0.13,
}  # fmt: skip
# Earliest and latest day of sign-up for each habit, in days before today.
SIGN_UP_DAYS: dict[Habit, tuple[int, int]] = {
    "never": (730, 1), "one-time": (730, 2), "newcomer": (30, 2), "occasional": (730, 30), "loyal": (730, 200),
    "lapsed": (730, 240),
}  # fmt: skip
# Typical basket (the median, in yuan) and its spread, per category; weights say how often each is bought.
BASKETS = {"母婴": (180, 0.6), "美妆": (220, 0.55), "食品": (60, 0.5), "服饰": (260, 0.6), "家居": (150, 0.7),
           "数码": (900, 0.8)}  # fmt: skip
CATEGORY_WEIGHTS = (20, 18, 25, 20, 10, 7)
FAN_TAGS = {"母婴": "母婴达人", "美妆": "美妆达人", "数码": "数码控"}
CHANNEL_WEIGHTS = {"online": 50, "store": 32, "mini-program": 18}
SEASONAL_COUPONS = ("SPRING20", "618SALE", "DOUBLE11", "BIRTHDAY15")

SURNAMES = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
            ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"))  # fmt: skip
GIVEN = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
         ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("艳", "yan"), ("杰", "jie"), ("婷", "ting"), ("涛", "tao"),
         ("明", "ming"), ("超", "chao"), ("霞", "xia"), ("华", "hua"), ("玉", "yu"), ("欣", "xin"), ("怡", "yi"),
         ("雪", "xue"), ("慧", "hui"), ("浩", "hao"), ("宇", "yu"), ("晨", "chen"), ("琳", "lin"),
         ("佳", "jia"))  # fmt: skip
CITIES = {"上海": 30, "北京": 12, "杭州": 10, "苏州": 9, "南京": 8, "广州": 7, "深圳": 7, "成都": 5, "武汉": 4,
          "重庆": 3, "西安": 2, "天津": 2}  # fmt: skip
ABROAD = ("Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "America/Los_Angeles", "Europe/London")
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "158", "159", "186", "187", "188", "177")

T = TypeVar("T")


def generate_members(count: int, *, seed: int = 7, today: date) -> list[MemberRecord]:
    """`count` members who signed up in the two years before `today`; the same seed gives the same people."""
    rng = random.Random(f"members:{seed}")
    return [_member(rng, number, seed=seed, today=today) for number in range(1, count + 1)]


def _member(rng: random.Random, number: int, *, seed: int, today: date) -> MemberRecord:
    member_id = f"M{number:06d}"
    _, habit, favourite = _member_dice(seed, member_id)
    (surname, surname_py), (given, given_py) = rng.choice(SURNAMES), rng.choice(GIVEN)
    if rng.random() < 0.6:
        extra, extra_py = rng.choice(GIVEN)
        given, given_py = given + extra, given_py + extra_py
    email = _email(rng, number, f"{given_py}.{surname_py}") if rng.random() < 0.85 else None
    phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}" if rng.random() < 0.95 else None
    gender = rng.choices(("female", "male", None), weights=(57, 38, 5))[0]
    city = rng.choices(list(CITIES), weights=list(CITIES.values()))[0] if rng.random() < 0.97 else None
    timezone = rng.choice(ABROAD) if rng.random() < 0.04 else None
    earliest, latest = SIGN_UP_DAYS[habit]
    sign_up_day = _day_between(rng, today - timedelta(days=earliest), today - timedelta(days=latest))
    registered_at = datetime.combine(sign_up_day, time(7), SHOP) + timedelta(seconds=rng.randrange(17 * 3600))
    return MemberRecord.model_validate(
        _given(
            member_id=member_id,
            name=surname + given,
            email=email,
            phone=phone,
            birthday=_birthday(rng, number),
            gender=gender,
            city=city,
            timezone=timezone,
            registered_at=registered_at,
            tags=_tags(rng, habit, favourite),
        )
    )


def _given(**fields: object) -> dict[str, object]:
    """Only the fields we know: like an empty CSV cell, a field left out keeps what the shop already has."""
    return {name: value for name, value in fields.items() if value is not None}


def _email(rng: random.Random, number: int, pinyin: str) -> str:
    domain = rng.choice(("example.com", "example.cn"))
    return f"{pinyin}{number}@{domain}" if rng.random() < 0.7 else f"user{number}@{domain}"


def _birthday(rng: random.Random, number: int) -> date | None:
    """About 90% tell us their birthday; every thousandth member was born on 29 February."""
    if number % 1000 == 0:
        return date(1980 + 4 * rng.randrange(6), 2, 29)
    if rng.random() >= 0.9:
        return None
    return _day_between(rng, date(1960, 1, 1), date(2006, 12, 31))


def _tags(rng: random.Random, habit: Habit, favourite: str) -> list[str]:
    tags = ["VIP"] if habit == "loyal" else ["新客"] if habit == "newcomer" else []
    if favourite in FAN_TAGS and habit in ("occasional", "loyal", "lapsed") and rng.random() < 0.3:
        tags.append(FAN_TAGS[favourite])
    return tags


def _member_dice(seed: int, member_id: str) -> tuple[random.Random, Habit, str]:
    """Each member's own dice, and how they buy (habit, favourite category): the same for members and orders."""
    rng = random.Random(f"{seed}:{member_id}")
    habit = rng.choices(list(HABITS), weights=list(HABITS.values()))[0]
    return rng, habit, rng.choices(list(BASKETS), weights=CATEGORY_WEIGHTS)[0]


def generate_orders(
    members: Sequence[MemberRecord], *, seed: int = 7, today: date, years: int = 2
) -> Iterator[OrderRecord]:
    """Each member's orders in turn, placed after they signed up, within `years` and before `today`.

    Use the seed the members were generated with: it decides who is loyal, lapsed or never bought.
    """
    number = 0
    history_start = today - timedelta(days=365 * years)
    for member in members:
        rng, habit, favourite = _member_dice(seed, member.member_id)
        signed_up = member.registered_at.astimezone(SHOP).date() if member.registered_at else history_start
        first_day = max(signed_up + timedelta(days=1), history_start)
        if first_day >= today:
            continue
        for visit, day in enumerate(sorted(_order_days(rng, habit, first_day, today))):
            number += 1
            yield _order(rng, f"O{number:07d}", member.member_id, day, habit, favourite, first=visit == 0)


def _order_days(rng: random.Random, habit: Habit, first: date, today: date) -> list[date]:
    last = today - timedelta(days=1)
    if habit == "never":
        return []
    if habit in ("one-time", "newcomer"):
        return [_day_between(rng, first, min(last, first + timedelta(days=30)))]
    if habit == "occasional":
        return [_day_between(rng, first, last) for _ in range(rng.randint(2, 4))]
    if habit == "loyal":
        recent = _day_between(rng, max(first, today - timedelta(days=30)), last)
        return [recent] + [_day_between(rng, first, last) for _ in range(rng.randint(9, 39))]
    lapsed_by = today - LAPSED_AFTER - timedelta(days=1)
    return [_day_between(rng, first, max(first, min(last, lapsed_by))) for _ in range(rng.randint(2, 6))]


def _order(
    rng: random.Random, order_id: str, member_id: str, day: date, habit: Habit, favourite: str, *, first: bool
) -> OrderRecord:
    category = favourite if rng.random() < 0.5 else rng.choices(list(BASKETS), weights=CATEGORY_WEIGHTS)[0]
    median, spread = BASKETS[category]
    amount = median * rng.lognormvariate(0, spread) * (1.4 if habit == "loyal" else 1)
    coupon = "WELCOME10" if first and rng.random() < 0.3 else None
    if coupon is None and rng.random() < 0.05:
        coupon = rng.choice(SEASONAL_COUPONS)
    return OrderRecord.model_validate(
        _given(
            order_id=order_id,
            member_id=member_id,
            placed_at=datetime.combine(day, time(9), SHOP) + timedelta(seconds=rng.randrange(13 * 3600)),
            amount=Decimal(f"{amount:.2f}"),
            category=category,
            channel=rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0],
            coupon_code=coupon,
        )
    )


def _day_between(rng: random.Random, earliest: date, latest: date) -> date:
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def write_csv(
    directory: Path, *, members: int, seed: int = 7, today: date, max_orders: int | None = None
) -> tuple[Path, Path]:
    """Write members.csv and orders.csv (at most `max_orders` orders) into `directory`, streaming the orders."""
    directory.mkdir(parents=True, exist_ok=True)
    people = generate_members(members, seed=seed, today=today)
    members_path, orders_path = directory / "members.csv", directory / "orders.csv"
    _write(members_path, COLUMNS["members"], people)
    _write(orders_path, COLUMNS["orders"], islice(generate_orders(people, seed=seed, today=today), max_orders))
    return members_path, orders_path


def _write(path: Path, columns: Sequence[str], records: Iterable[MemberRecord | OrderRecord]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(safe_row(_cell(getattr(record, name)) for name in columns) for record in records)


def _cell(value: object) -> str:
    """A value as the importer reads it: empty for none, ISO dates and times, tags separated by |."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def load_demo(members: int, *, seed: int = 7, today: date) -> tuple[int, int]:
    """Save the demo members, then their orders, one transaction per batch; returns (members, orders) saved.

    Saving upserts on the shop's ids, so loading the same demo again changes nothing.
    """
    people = generate_members(members, seed=seed, today=today)
    members_saved = orders_saved = 0
    for group in _batches(people, BATCH_SIZE):
        with session_scope() as session:
            outcomes = saving.save_members(session, group, source="demo", added_by="demo", now=clock.now())
        members_saved += sum(outcome.status != "rejected" for outcome in outcomes)
    for batch in _batches(generate_orders(people, seed=seed, today=today), BATCH_SIZE):
        with session_scope() as session:
            outcomes = saving.save_orders(session, batch, now=clock.now())
        orders_saved += sum(outcome.status != "rejected" for outcome in outcomes)
    return members_saved, orders_saved


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
