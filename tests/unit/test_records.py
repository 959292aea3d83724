"""Record validation without a database: what is accepted, how times are read, and the sentences for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from engine.intake.records import EventRecord, MemberRecord, OrderRecord, problems_of

SHANGHAI = {"zone": ZoneInfo("Asia/Shanghai")}


def problems(model: type[MemberRecord | OrderRecord | EventRecord], data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data, context=SHANGHAI)
    return problems_of(raised.value)


def test_a_bare_date_is_midnight_in_the_shop_time_zone() -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": "10"}, context=SHANGHAI
    )

    assert order.placed_at.astimezone(UTC) == datetime(2024, 4, 30, 16, 0, tzinfo=UTC)


def test_an_offset_in_the_value_wins_over_the_shop_time_zone() -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01T10:00:00+09:00", "amount": 10}, context=SHANGHAI
    )

    assert order.placed_at.astimezone(UTC) == datetime(2024, 5, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("小程序", "mini-program"), ("mini_program", "mini-program"), ("门店", "store"), ("Online", "online")],
)
def test_channels_are_normalised(given: str, stored: str) -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": 1, "channel": given},
        context=SHANGHAI,
    )

    assert order.channel == stored


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("-0.01", "amount '-0.01' is negative"),
        ("12.345", "amount '12.345' has more than two decimal places"),
        *[
            (text, f"amount '{text}' is not a number: write ASCII digits with a '.' for cents, e.g. 1234.50")
            for text in ("12,50", "NaN", "١٢", "1_000", "１２", "Infinity")
        ],
        ("1e13", "amount '1e13' is too large for one order (the limit is 10^12)"),
        ("1e30", "amount '1e30' is too large for one order (the limit is 10^12)"),
        ("1" * 50, "amount '11111111111111111111…' is too long for an amount"),
    ],
)
def test_bad_amounts_are_named(amount: str, problem: str) -> None:
    data = {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": amount}

    assert problems(OrderRecord, data) == [problem]


def test_amounts_keep_cents_exactly() -> None:
    order = OrderRecord.model_validate(
        {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": "0.10"}, context=SHANGHAI
    )

    assert order.amount == Decimal("0.10")


def test_every_member_problem_is_reported_at_once() -> None:
    data = {"member_id": " ", "email": "x@", "gender": "robot", "timezone": "Mars/Base", "birthday": "1990-02-30"}

    assert problems(MemberRecord, data) == [
        "member_id is required",
        "email 'x@' is not an email address: there must be something after the @-sign",
        "birthday '1990-02-30' is not an ISO date such as 1990-02-28",
        "gender 'robot' is not one of female, male, other",
        "timezone 'Mars/Base' is not an IANA time zone name such as Asia/Shanghai",
    ]


def test_explicit_nulls_are_accepted_and_count_as_given() -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "name": None, "city": None, "email": None})

    assert member.name is None
    assert {"name", "city", "email"} <= member.model_fields_set


def test_tags_from_a_csv_cell_are_split_trimmed_and_deduplicated() -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "tags": "VIP| 新客 |VIP||"})

    assert member.tags == ["VIP", "新客"]


def test_an_event_without_a_key_gets_a_stable_one_from_its_content() -> None:
    data = {"member_id": "M1", "type": "store_visit", "properties": {"store": "徐汇"}, "occurred_at": "2024-05-01"}

    first = EventRecord.model_validate(data, context=SHANGHAI).key()
    again = EventRecord.model_validate(dict(reversed(list(data.items()))), context=SHANGHAI).key()
    other = EventRecord.model_validate({**data, "occurred_at": "2024-05-02"}, context=SHANGHAI).key()

    assert first == again
    assert first != other
    assert first.startswith("store_visit:M1:")


def test_an_amount_given_as_a_json_number_too_large_is_named() -> None:
    data = {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": 1e30}

    assert problems(OrderRecord, data) == ["amount '1e+30' is too large for one order (the limit is 10^12)"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registered_at", "0001-01-01T00:00+08:00"),
        ("registered_at", "9999-12-31T23:59-10:00"),
        ("birthday", "1899-12-31"),
    ],
)
def test_dates_outside_the_years_1900_to_2100_are_refused(field: str, value: str) -> None:
    assert problems(MemberRecord, {"member_id": "M1", field: value}) == [
        f"{field} '{value}' is outside the years 1900 to 2100"
    ]


def test_order_and_event_times_that_would_overflow_in_utc_are_refused() -> None:
    order = {"order_id": "O1", "member_id": "M1", "placed_at": "0001-01-01T00:00+08:00", "amount": 1}
    event = {"member_id": "M1", "type": "visit", "occurred_at": "9999-12-31T23:59-10:00"}

    assert problems(OrderRecord, order) == ["placed_at '0001-01-01T00:00+08:00' is outside the years 1900 to 2100"]
    assert problems(EventRecord, event) == ["occurred_at '9999-12-31T23:59-10:00' is outside the years 1900 to 2100"]


def test_the_edges_of_the_date_domain_are_accepted_and_convert_to_utc() -> None:
    early = MemberRecord.model_validate({"member_id": "M1", "registered_at": "1900-01-01T00:00+08:00"})
    late = MemberRecord.model_validate({"member_id": "M1", "registered_at": "2100-12-31T23:59-10:00"})

    assert early.registered_at is not None and early.registered_at.astimezone(UTC).year == 1899
    assert late.registered_at is not None and late.registered_at.astimezone(UTC).year == 2101


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_phone_numbers_are_stored_in_e164_read_in_the_shop_region(phone: str, stored: str) -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "phone": phone}, context={"region": "CN"})

    assert member.phone == stored


@pytest.mark.parametrize(
    ("phone", "problem"),
    [
        (
            "1.38001E+10",
            "phone '1.38001E+10' is a number in scientific notation, as spreadsheets write long numbers; "
            "format the column as text and export again",
        ),
        ("call me", "phone 'call me' is not a phone number"),
        ("12345", "phone '12345' is not a valid phone number for CN or with its +country code"),
        *[
            (
                junk,
                f"phone '{junk}' is not one phone number: write one number, digits with spaces, +, -, ( ) or . "
                "only (no second number, no extension)",
            )
            for junk in ("13800138006;13800138007", "13800138000 ext. 5", "+86 138 0013 8000 x12", "13800138000/7")
        ],
    ],
)
def test_scientific_notation_and_junk_phones_are_refused(phone: str, problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        MemberRecord.model_validate({"member_id": "M1", "phone": phone}, context={"region": "CN"})

    assert problems_of(raised.value) == [problem]


def test_the_region_decides_how_a_number_without_country_code_is_read() -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "phone": "(415) 555-2671"}, context={"region": "US"})

    assert member.phone == "+14155552671"


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("<script>@x.com", "there can't be anything after the email address"),
        ("a..b@x.com", "an email address cannot have two periods in a row"),
        ("a@b@c.com", "the part after the @-sign contains invalid characters: '@'"),
    ],
)
def test_emails_are_checked_by_a_real_validator(email: str, problem: str) -> None:
    assert problems(MemberRecord, {"member_id": "M1", "email": email}) == [
        f"email '{email}' is not an email address: {problem}"
    ]


def test_internationalised_emails_are_kept_and_lower_cased() -> None:
    member = MemberRecord.model_validate({"member_id": "M1", "email": "ZhangSan@例子.中国"})

    assert member.email == "zhangsan@例子.中国"


NUL = "contains a NUL character (\\u0000), which cannot be stored"
ORDER = {"order_id": "O1", "member_id": "M1", "placed_at": "2024-05-01", "amount": 1}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (MemberRecord, {"member_id": "M\x001"}, "member_id"),
        (MemberRecord, {"member_id": "M1", "name": "张\x00三"}, "name"),
        (MemberRecord, {"member_id": "M1", "tags": ["VIP\x00"]}, "tags"),
        (OrderRecord, {**ORDER, "category": "\x00"}, "category"),
        (
            EventRecord,
            {"member_id": "M1", "type": "visit", "properties": {"store": {"name": "a\x00"}}},
            "properties store.name",
        ),
        (EventRecord, {"member_id": "M1", "type": "visit", "idempotency_key": "k\x00"}, "idempotency_key"),
    ],
)
def test_nul_characters_are_refused_in_every_text_field(
    model: type[MemberRecord | OrderRecord | EventRecord], data: dict[str, object], field: str
) -> None:
    assert problems(model, data) == [f"{field} {NUL}"]


def test_big_event_properties_are_refused_naming_size_and_limit() -> None:
    data = {"member_id": "M1", "type": "visit", "properties": {"note": "x" * 3_000_000}}

    assert problems(EventRecord, data) == ["properties are 3,000,011 bytes of JSON; the limit is 32,768 bytes (32 KB)"]


def test_event_properties_have_bounded_nesting_and_keys() -> None:
    deep = {"member_id": "M1", "type": "visit", "properties": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}
    long_key = {"member_id": "M1", "type": "visit", "properties": {"k" * 65: 1}}
    fits = {"member_id": "M1", "type": "visit", "properties": {"a": {"b": {"c": {"d": {"e": 1}}}}, "n": "x" * 32_000}}

    assert problems(EventRecord, deep) == ["properties nest deeper than 5 levels"]
    assert problems(EventRecord, long_key) == [f"properties key '{'k' * 20}…' is longer than 64 characters"]
    assert EventRecord.model_validate(fits).properties["n"] == "x" * 32_000


def test_a_record_gives_at_most_fifty_tags_and_each_at_most_64_characters() -> None:
    assert problems(MemberRecord, {"member_id": "M1", "tags": [f"t{i}" for i in range(51)]}) == [
        "tags lists 51 tags; a record may give at most 50"
    ]
    assert problems(MemberRecord, {"member_id": "M1", "tags": ["长" * 65]}) == [
        f"tags '{'长' * 64}…' is longer than 64 characters"
    ]


@pytest.mark.parametrize(
    ("name", "code"), [("张\n三", "000A"), ("张\r三", "000D"), ("张\t三", "0009"), ("张\x1b三", "001B")]
)
def test_single_line_fields_refuse_line_breaks_and_control_characters(name: str, code: str) -> None:
    assert problems(MemberRecord, {"member_id": "M1", "name": name}) == [
        f"name contains a line break or another control character (U+{code})"
    ]


def test_event_properties_may_hold_line_breaks() -> None:
    event = EventRecord.model_validate({"member_id": "M1", "type": "review", "properties": {"text": "好\n很好"}})

    assert event.properties == {"text": "好\n很好"}


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        (["VIP", "a\ufffdb"], "tags 'a\ufffdb' contains U+FFFD, what bytes that were not UTF-8 text became"),
        ("VIP|老\n客", "tags contains a line break or another control character (U+000A)"),
    ],
)
def test_member_tags_are_checked_as_tags(tags: object, problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        MemberRecord.model_validate({"member_id": "M1", "tags": tags}, context={"region": "CN"})

    assert problems_of(raised.value) == [problem]


@pytest.mark.parametrize(("given", "consent"), [(1, True), (0, False), ("1", True), ("否", False), (True, True)])
def test_consent_takes_json_and_csv_words_for_yes_and_no(given: object, consent: bool) -> None:
    record = MemberRecord.model_validate({"member_id": "M1", "email_consent": given}, context={"region": "CN"})

    assert record.email_consent is consent


def test_consent_refuses_other_numbers_naming_the_words() -> None:
    with pytest.raises(ValidationError) as raised:
        MemberRecord.model_validate({"member_id": "M1", "email_consent": 2}, context={"region": "CN"})

    assert problems_of(raised.value) == [
        "email_consent '2' is not true or false (yes/no, 1/0 and 是/否 are understood too)"
    ]
