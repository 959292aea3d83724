"""CSV import against the real database: counts, the error report, idempotent re-import, nothing partial."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import session_scope
from engine.errors import Invalid
from engine.intake.csv_import import import_csv, text_encoding
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

    with pytest.raises(Invalid) as raised:
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
    cli = [sys.executable, "-m", "cli", "import"]

    ok = subprocess.run([*cli, "members", str(members)], capture_output=True, text=True, timeout=120)
    bad = subprocess.run([*cli, "orders", str(orders)], capture_output=True, text=True, timeout=120)

    assert ok.returncode == 0, ok.stderr
    assert "members: 3 inserted, 0 updated, 0 unchanged, 0 rejected" in ok.stdout
    assert bad.returncode == 1
    assert f"{orders}:3: member M9 does not exist" in bad.stderr
    assert "orders: 2 inserted, 0 updated, 1 unchanged, 4 rejected" in bad.stdout


# Files as Chinese shops export them: Excel's default "CSV" there is GBK / GB18030.
HEADER = "member_id,name,city,phone\n"


def member_rows(first: int, count: int) -> str:
    return "".join(f"M{n},会员{n},上海,\n" for n in range(first, first + count))


def member_ids() -> set[str]:
    with session_scope() as session:
        return set(session.scalars(select(Member.external_id)))


def test_a_gb18030_file_is_detected_and_read(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes((HEADER + "M1,张三,杭州,13800138000\nM2,李䶮,北京,\n").encode("gb18030"))

    report = import_csv(path, "members")

    assert (report.inserted, report.rejected, report.encoding) == (2, 0, "GB18030")
    with session_scope() as session:
        names = {m.external_id: (m.name, m.city, m.phone) for m in session.scalars(select(Member))}
    assert names == {"M1": ("张三", "杭州", "+8613800138000"), "M2": ("李䶮", "北京", None)}


def test_utf8_with_and_without_bom_is_read_as_utf8(tmp_path: Path) -> None:
    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_bytes((HEADER + "M1,张三,,\n").encode())
    bom.write_bytes((HEADER + "M2,李四,,\n").encode("utf-8-sig"))

    first, second = import_csv(plain, "members"), import_csv(bom, "members")

    assert (first.inserted, first.encoding, second.inserted, second.encoding) == (1, "UTF-8", 1, "UTF-8")
    with session_scope() as session:
        assert {m.external_id: m.name for m in session.scalars(select(Member))} == {"M1": "张三", "M2": "李四"}


def test_ascii_lines_then_a_gbk_row_is_a_gbk_file(tmp_path: Path) -> None:
    ascii_rows = "".join(f"M{n},member {n},,\n" for n in range(2, 402))  # lines 2 to 401
    path = tmp_path / "members.csv"
    path.write_bytes((HEADER + ascii_rows).encode() + "M402,王五,苏州,\n".encode("gbk"))

    report = import_csv(path, "members")

    assert (report.inserted, report.rejected, report.encoding) == (401, 0, "GB18030")
    with session_scope() as session:
        assert session.scalars(select(Member.name).where(Member.external_id == "M402")).one() == "王五"


@pytest.mark.parametrize("utf8_rows", [400, 6000])
def test_a_gbk_row_in_a_utf8_file_rejects_the_file_naming_its_line(tmp_path: Path, utf8_rows: int) -> None:
    path = tmp_path / "members.csv"
    bad_line = utf8_rows + 2  # after the header and the UTF-8 rows
    path.write_bytes((HEADER + member_rows(2, utf8_rows)).encode() + "M9,王五,苏州,\n".encode("gbk"))

    with pytest.raises(Invalid) as raised:
        import_csv(path, "members", batch_size=1000)

    assert raised.value.problems == [
        f"{path}:{bad_line}: this line is not UTF-8 text (bytes cd f5 ce e5 at column 4) while the lines before it "
        "are: the file mixes encodings; save it again as one (CSV UTF-8, or GB18030) and import it again: "
        "nothing was imported"
    ]
    assert member_ids() == set()


def test_an_encoding_can_be_named_and_must_fit_every_line(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes((HEADER + "M1,张三,,\nM2,李四,,\n").encode("gbk"))

    with pytest.raises(Invalid) as wrong:
        import_csv(path, "members", encoding="utf-8")
    named = import_csv(path, "members", encoding="GBK")

    assert wrong.value.problems == [
        f"{path}:2: this line is not UTF-8 text (bytes d5 c5 c8 fd at column 4); nothing was imported"
    ]
    assert (named.inserted, named.encoding) == (2, "GB18030")


def test_bytes_that_are_neither_utf8_nor_gb18030_reject_the_file(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(HEADER.encode() + b"M1,\xff\xff,,\n")

    with pytest.raises(Invalid) as raised:
        import_csv(path, "members")

    assert raised.value.problems == [
        f"{path}:2: this line is neither UTF-8 nor GB18030 (GBK) text (bytes ff ff 2c 2c at column 4); save the file "
        "as CSV UTF-8, or name its encoding with --encoding: nothing was imported"
    ]


def test_a_row_is_reported_at_the_physical_line_it_is_on(tmp_path: Path) -> None:
    text = (
        "member_id,name,city,phone\r\n"
        'M1,"张三, ""小张""",上海,\r\n'  # line 2: quoted comma and doubled quotes, Windows line ends
        "\r\n"  # line 3: blank
        "M2,李四,北京,1.38001E+10\r\n"  # line 4
        "\n"  # line 5: blank
        'M3,"王五","苏州",x\n'  # line 6
    )
    path = write(tmp_path, "members.csv", text)

    report = import_csv(path, "members")

    assert list(report.problem_lines()) == [
        f"{path}:4: phone '1.38001E+10' is a number in scientific notation, as spreadsheets write long numbers; "
        "format the column as text and export again",
        f"{path}:6: phone 'x' is not a phone number",
    ]
    with session_scope() as session:
        assert session.scalars(select(Member.name)).all() == ['张三, "小张"']


def test_lines_ended_by_a_lone_carriage_return_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"member_id,email\rM1,a@example.com\rM2,not-an-email\rM3,c@example.com\r")

    report = import_csv(path, "members")

    assert report.inserted == 2
    assert [problem.line for problem in report.problems] == [3]


def test_a_quote_left_open_at_the_end_rejects_the_file_naming_where_it_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "members.csv", HEADER + 'M1,张三,上海,\nM2,"李四,北京,\nM3,王五,苏州,\n')

    with pytest.raises(Invalid) as raised:
        import_csv(path, "members")

    assert raised.value.problems == [
        f"{path}:3: a quote opens a cell on line 3 and is not closed where the cell ends (unexpected end of data, "
        "line 4); close it or remove it: nothing was imported"
    ]
    assert member_ids() == set()


def test_a_quote_left_open_cannot_swallow_the_rows_after_it(tmp_path: Path) -> None:
    broken = HEADER + member_rows(1, 10) + 'M11,"李四,北京,\n' + member_rows(12, 5) + 'M17,"王五",苏州,\n'
    closed_late = HEADER + 'M1,"李四,北京,\nM2,王五",苏州,\nM3,赵六,杭州,\n'
    line_break = HEADER + 'M1,"张\n三",上海,\n'

    problems = []
    for name, text in (("a.csv", broken), ("b.csv", closed_late), ("c.csv", line_break)):
        with pytest.raises(Invalid) as raised:
            import_csv(write(tmp_path, name, text), "members")
        problems += raised.value.problems

    assert problems == [
        f"{tmp_path / 'a.csv'}:12: a quote opens a cell on line 12 and is not closed where the cell ends "
        """(',' expected after '"', line 18); close it or remove it: nothing was imported""",
        f"{tmp_path / 'b.csv'}:2: a quoted cell opens on line 2 and runs over the line end to line 3; cells of a "
        "members file are single lines, so a closing quote is probably missing: nothing was imported",
        f"{tmp_path / 'c.csv'}:2: a quoted cell opens on line 2 and runs over the line end to line 3; cells of a "
        "members file are single lines, so a closing quote is probably missing: nothing was imported",
    ]
    assert member_ids() == set()


def test_the_cli_takes_an_encoding_and_says_how_it_read_the_file(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes((HEADER + "M1,张三,,\n").encode("gb18030"))
    cli = [sys.executable, "-m", "cli", "import", "members", str(path)]

    named = subprocess.run([*cli, "--encoding", "gb18030"], capture_output=True, text=True, timeout=120)
    unknown = subprocess.run([*cli, "--encoding", "klingon"], capture_output=True, text=True, timeout=120)

    assert named.returncode == 0, named.stderr
    assert "members.csv: read as GB18030" in named.stderr
    assert "members: 1 inserted, 0 updated, 0 unchanged, 0 rejected" in named.stdout
    assert unknown.returncode != 0
    assert "'klingon' is not an encoding Python knows, such as utf-8 or gb18030" in unknown.stderr


def test_other_shop_files_are_opened_in_the_encoding_they_are_in(tmp_path: Path) -> None:
    gbk, bom, plain = tmp_path / "gbk.csv", tmp_path / "bom.csv", tmp_path / "plain.csv"
    gbk.write_bytes("member_id\n张三\n".encode("gbk"))
    bom.write_bytes("member_id\n张三\n".encode("utf-8-sig"))
    plain.write_bytes(b"member_id\nM1\n")

    found = [text_encoding(path) for path in (gbk, bom, plain)]

    assert found == ["gb18030", "utf-8-sig", "utf-8"]
    assert gbk.read_text(encoding=found[0]).split() == bom.read_text(encoding=found[1]).split() == ["member_id", "张三"]
