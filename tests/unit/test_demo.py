"""The demo shop: deterministic, believable members and orders that the importer accepts as they are."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.demo import generate_members, generate_orders, write_csv
from engine.intake.records import CHANNELS, MemberRecord, OrderRecord

TODAY = date(2025, 3, 1)
SHOP = ZoneInfo("Asia/Shanghai")
MIDNIGHT_TODAY = datetime.combine(TODAY, time(), SHOP)
MEMBERS_HEADER = "member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags,email_consent,sms_consent"
ORDERS_HEADER = "order_id,member_id,placed_at,amount,category,channel,coupon_code"


@pytest.fixture(scope="module")
def shop() -> tuple[list[MemberRecord], list[OrderRecord]]:
    members = generate_members(2000, today=TODAY)
    return members, list(generate_orders(members, today=TODAY))


def _rows(path: Path) -> list[dict[str, str]]:
    """Data rows without their empty cells, as the CSV importer hands them to validation."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{name: cell for name, cell in row.items() if cell} for row in csv.DictReader(handle)]


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a", members=300, seed=7, today=TODAY)
    again = write_csv(tmp_path / "b", members=300, seed=7, today=TODAY)
    other = write_csv(tmp_path / "c", members=300, seed=8, today=TODAY)
    for mine, same, different in zip(first, again, other, strict=True):
        assert mine.read_bytes() == same.read_bytes()
        assert mine.read_bytes() != different.read_bytes()


def test_the_same_seed_gives_equal_records() -> None:
    members = generate_members(200, today=TODAY)
    assert members == generate_members(200, today=TODAY)
    assert list(generate_orders(members, today=TODAY)) == list(generate_orders(members, today=TODAY))
    assert members != generate_members(200, seed=8, today=TODAY)


def test_files_have_the_importer_headers(tmp_path: Path) -> None:
    members_csv, orders_csv = write_csv(tmp_path, members=50, today=TODAY)
    assert (members_csv.name, orders_csv.name) == ("members.csv", "orders.csv")
    assert members_csv.read_text(encoding="utf-8").splitlines()[0] == MEMBERS_HEADER
    assert orders_csv.read_text(encoding="utf-8").splitlines()[0] == ORDERS_HEADER


def test_buyers_spread_like_a_real_shop(shop: tuple[list[MemberRecord], list[OrderRecord]]) -> None:
    members, orders = shop
    orders_of = Counter(order.member_id for order in orders)
    last_order: dict[str, datetime] = {}
    for order in orders:
        last_order[order.member_id] = max(order.placed_at, last_order.get(order.member_id, order.placed_at))
    buyers = [m for m in members if orders_of[m.member_id]]

    assert 0.35 <= sum(orders_of[m.member_id] == 1 for m in buyers) / len(buyers) <= 0.55
    assert any(count >= 10 for count in orders_of.values())
    assert any(MIDNIGHT_TODAY - last > timedelta(days=180) for last in last_order.values())
    assert 0 < len(members) - len(buyers) < 0.15 * len(members)
    assert any(m.birthday and (m.birthday.month, m.birthday.day) == (2, 29) for m in members)
    tags = Counter(tag for m in members for tag in m.tags)
    assert tags["VIP"] > 0
    assert tags["新客"] > 0
    assert all(orders_of[m.member_id] >= 10 for m in members if "VIP" in m.tags)
    assert all(orders_of[m.member_id] == 1 for m in members if "新客" in m.tags)


def test_orders_fall_after_sign_up_and_before_today(shop: tuple[list[MemberRecord], list[OrderRecord]]) -> None:
    members, orders = shop
    registered = {m.member_id: m.registered_at for m in members}
    for order in orders:
        signed_up = registered[order.member_id]
        assert signed_up is not None
        assert signed_up < order.placed_at < MIDNIGHT_TODAY
        assert 9 <= order.placed_at.astimezone(SHOP).hour < 22
    assert len({order.order_id for order in orders}) == len(orders)


def test_members_look_like_chinese_shoppers(shop: tuple[list[MemberRecord], list[OrderRecord]]) -> None:
    members, _ = shop
    assert len({m.member_id for m in members}) == len(members)
    assert members[0].member_id == "M000001"
    assert 0.75 < sum(m.email is not None for m in members) / len(members) < 0.95
    assert 0.9 < sum(m.phone is not None for m in members) / len(members) < 0.99
    for member in members:
        assert member.name and 2 <= len(member.name) <= 3
        assert member.email is None or member.email.endswith(("@example.com", "@example.cn"))
        assert member.phone is None or (len(member.phone) == 14 and member.phone.startswith("+861"))  # E.164
        assert member.registered_at is not None
        assert TODAY - timedelta(days=2 * 365) <= member.registered_at.date() < TODAY


def test_every_csv_row_validates_and_matches_the_records(tmp_path: Path) -> None:
    members_csv, orders_csv = write_csv(tmp_path, members=500, today=TODAY)
    members = [MemberRecord.model_validate(row) for row in _rows(members_csv)]
    orders = [OrderRecord.model_validate(row) for row in _rows(orders_csv)]
    assert members == generate_members(500, today=TODAY)
    assert orders == list(generate_orders(members, today=TODAY))
    for order in orders:
        assert order.amount >= 0
        assert order.amount == order.amount.quantize(Decimal("0.01"))
        assert order.channel in CHANNELS
        assert order.category in {"母婴", "美妆", "食品", "服饰", "家居", "数码"}


def test_max_orders_stops_the_orders_file_early(tmp_path: Path) -> None:
    _, all_orders = write_csv(tmp_path / "all", members=100, today=TODAY)
    _, first_orders = write_csv(tmp_path / "some", members=100, today=TODAY, max_orders=50)
    every_row = all_orders.read_text(encoding="utf-8").splitlines()
    assert len(every_row) > 51
    assert first_orders.read_text(encoding="utf-8").splitlines() == every_row[:51]
