"""CSV import against the real database: counts, the error report, idempotent re-import, nothing partial."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import session_scope
from engine.errors import InputError
from engine.importer import import_csv
from engine.models import Event, Member, MemberTag, Order, Tag

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]

MEMBERS = """member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags
M1,张三,zs@example.com,13800000001,1990-02-28,男,上海,,2024-01-01,VIP|新客
M2,李四,li@example.com,,1988-02-29,female,北京,Asia/Hong_Kong,2024-01-02T09:30:00,
M3,王五,,,,,,,,母婴达人
"""

ORDERS = """order_id,member_id,placed_at,amount,category,channel,coupon_code
O1,M1,2024-05-01,100.50,母婴,online,
O2,M9,2024-05-02,10,,,
O3,M1,2024-05-03T10:00,-5,,,
O4,M2,yesterday,5,,,
O5,M2,2024-06-01 12:00:00+08:00,88,食品,小程序,WELCOME10
O1,M1,2024-05-01,100.51,母婴,online,
O5,M2,2024-06-01 12:00:00+08:00,88,食品,小程序,WELCOME10
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def table_counts() -> dict[str, int]:
    with session_scope() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[attr-defined]
            for model in (Member, Order, Tag, MemberTag, Event)
        }


def test_members_import_counts_and_tags(tmp_path: Path) -> None:
    report = import_csv(write(tmp_path, "members.csv", MEMBERS), "members")

    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (3, 0, 0, 0)
    with session_scope() as session:
        m1 = session.scalars(select(Member).where(Member.external_id == "M1")).one()
        m2 = session.scalars(select(Member).where(Member.external_id == "M2")).one()
        tags = set(session.execute(select(Tag.name)).scalars())
    assert m1.gender == "male" and m1.city == "上海" and str(m1.birthday) == "1990-02-28"
    assert m2.birthday is not None and (m2.birthday.month, m2.birthday.day) == (2, 29)
    # A time without offset is read in the shop's time zone (Asia/Shanghai, UTC+8).
    assert m2.registered_at is not None and m2.registered_at.isoformat() == "2024-01-02T01:30:00+00:00"
    assert tags == {"VIP", "新客", "母婴达人"}
    assert table_counts()["events"] == 3 + 3  # a signup per member, a tag_added per tag given


def test_orders_import_reports_each_bad_row_with_file_line_and_reason(tmp_path: Path) -> None:
    import_csv(write(tmp_path, "members.csv", MEMBERS), "members")
    path = write(tmp_path, "orders.csv", ORDERS)

    report = import_csv(path, "orders")

    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (2, 0, 1, 4)
    assert list(report.problem_lines()) == [
        f"{path}:3: member M9 does not exist",
        f"{path}:4: amount '-5' is negative",
        f"{path}:5: placed_at 'yesterday' is not an ISO date or date-time such as 2024-05-01 or 2024-05-01T10:30",
        f"{path}:7: order_id O1 appeared before on line 2 with different content",
    ]
    with session_scope() as session:
        orders = {o.external_id: o for o in session.scalars(select(Order))}
    assert set(orders) == {"O1", "O5"}  # no rejected row was written, not even in part
    assert orders["O1"].amount == Decimal("100.50")  # the first O1 stands; the conflicting repeat changed nothing
    assert orders["O5"].channel == "mini-program"
    assert orders["O5"].placed_at.isoformat() == "2024-06-01T04:00:00+00:00"


def test_reimporting_the_same_files_changes_nothing(tmp_path: Path) -> None:
    members = write(tmp_path, "members.csv", MEMBERS)
    orders = write(tmp_path, "orders.csv", ORDERS)
    import_csv(members, "members")
    import_csv(orders, "orders")
    before = table_counts()

    again_members = import_csv(members, "members")
    again_orders = import_csv(orders, "orders")

    assert (again_members.inserted, again_members.updated, again_members.unchanged) == (0, 0, 3)
    assert (again_orders.inserted, again_orders.updated, again_orders.unchanged, again_orders.rejected) == (0, 0, 3, 4)
    assert table_counts() == before


def test_a_changed_row_is_an_update_and_empty_cells_keep_stored_values(tmp_path: Path) -> None:
    import_csv(write(tmp_path, "members.csv", MEMBERS), "members")
    changed = "member_id,city,email,tags\nM1,杭州,,VIP|老客\nM2,北京,,\n"

    report = import_csv(write(tmp_path, "changes.csv", changed), "members")

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with session_scope() as session:
        m1 = session.scalars(select(Member).where(Member.external_id == "M1")).one()
        m1_tags = set(
            session.execute(
                select(Tag.name).join(MemberTag, MemberTag.tag_id == Tag.id).where(MemberTag.member_id == m1.id)
            ).scalars()
        )
    assert m1.city == "杭州"
    assert m1.email == "zs@example.com"
    assert m1_tags == {"VIP", "新客", "老客"}


def test_consent_columns_record_an_opt_out_and_clear_it(tmp_path: Path) -> None:
    import_csv(write(tmp_path, "members.csv", MEMBERS), "members")

    opt_out = "member_id,email_consent,sms_consent\nM1,false,\nM2,,0\n"
    report = import_csv(write(tmp_path, "out.csv", opt_out), "members")
    assert (report.updated, report.rejected) == (2, 0)
    with session_scope() as session:
        m1, m2 = (session.scalars(select(Member).where(Member.external_id == key)).one() for key in ("M1", "M2"))
        assert (m1.email_opted_out_at is not None, m1.sms_opted_out_at is None) == (True, True)
        assert (m2.email_opted_out_at is None, m2.sms_opted_out_at is not None) == (True, True)

    back = import_csv(write(tmp_path, "back.csv", "member_id,email_consent\nM1,true\nM2,maybe\n"), "members")
    assert (back.updated, back.rejected) == (1, 1)
    assert "email_consent" in back.problems[0].reason
    with session_scope() as session:
        assert session.scalars(select(Member).where(Member.external_id == "M1")).one().email_opted_out_at is None


def test_a_bad_header_rejects_the_file_before_any_row(tmp_path: Path) -> None:
    path = write(tmp_path, "orders.csv", "order_id,member,placed_at,amout\nO1,M1,2024-01-01,5\n")

    with pytest.raises(InputError) as raised:
        import_csv(path, "orders")

    assert raised.value.problems == [
        f"{path}: unknown column(s) member, amout; orders files have "
        "order_id, member_id, placed_at, amount, category, channel, coupon_code",
        f"{path}: required column(s) member_id, amount missing from the header",
    ]
    assert table_counts()["orders"] == 0


def test_rows_with_the_wrong_number_of_cells_are_rejected(tmp_path: Path) -> None:
    import_csv(write(tmp_path, "members.csv", MEMBERS), "members")
    path = write(tmp_path, "orders.csv", "order_id,member_id,placed_at,amount\nO1,M1,2024-01-01\nO2,M1,2024-01-01,5\n")

    report = import_csv(path, "orders")

    assert (report.inserted, report.rejected) == (1, 1)
    assert list(report.problem_lines()) == [f"{path}:2: 3 cells where the header has 4"]


def test_the_cli_prints_the_report_and_fails_when_rows_were_rejected(tmp_path: Path) -> None:
    members = write(tmp_path, "members.csv", MEMBERS)
    orders = write(tmp_path, "orders.csv", ORDERS)
    cli = [sys.executable, "-m", "engine.cli", "import"]

    ok = subprocess.run([*cli, "members", str(members)], capture_output=True, text=True, timeout=120)
    bad = subprocess.run([*cli, "orders", str(orders)], capture_output=True, text=True, timeout=120)

    assert ok.returncode == 0, ok.stderr
    assert "members: 3 inserted, 0 updated, 0 unchanged, 0 rejected" in ok.stdout
    assert bad.returncode == 1
    assert f"{orders}:3: member M9 does not exist" in bad.stderr
    assert "orders: 2 inserted, 0 updated, 1 unchanged, 4 rejected" in bad.stdout
