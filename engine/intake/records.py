"""The shapes members, orders and events arrive in (CSV rows, API bodies), validated without a database.

Every problem becomes a sentence that names the field and the value, e.g. "amount '-5' is negative".
Times without an offset are read in the shop's time zone; dates alone mean midnight there. The domains (years
1900 to 2100, lengths, sizes) are engine.limits'; a text field is one line, without NUL or control characters.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from engine.errors import BOUND_WORDS
from engine.limits import (
    MAX_AMOUNT_DIGITS,
    MAX_KEY,
    MAX_TAGS_PER_RECORD,
    check_day,
    check_line,
    check_moment,
    check_properties,
    check_tag,
)
from engine.settings import get_settings, is_time_zone

BUILT_IN_EVENT_TYPES = (
    "signup", "order_placed", "tag_added", "tag_removed", "segment_changed", "coupon_redeemed", "points_expiring",
)  # fmt: skip
CHANNELS = ("online", "store", "mini-program")

# What Excel makes of a long number in a cell it thinks numeric, e.g. 13800138000 -> 1.38001E+10.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_ONE_PHONE = re.compile(r"[\d\s+\-().]+")  # \d: full-width digits too, which phonenumbers reads
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+$")
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_GENDERS = {
    "female": "female", "f": "female", "woman": "female", "女": "female",
    "male": "male", "m": "male", "man": "male", "男": "male",
    "other": "other", "unknown": "other", "未知": "other",
}  # fmt: skip
_CHANNEL_ALIASES = {
    "online": "online", "线上": "online", "web": "online", "app": "online",
    "store": "store", "门店": "store", "offline": "store", "pos": "store",
    "mini-program": "mini-program", "mini_program": "mini-program", "miniprogram": "mini-program",
    "小程序": "mini-program",
}  # fmt: skip


def _zone(info: ValidationInfo) -> ZoneInfo:
    context = info.context or {}
    zone = context.get("zone")
    return zone if isinstance(zone, ZoneInfo) else get_settings().shop_zone


def _region(info: ValidationInfo) -> str:
    context = info.context or {}
    region = context.get("region")
    return region if isinstance(region, str) else get_settings().shop_region


def parse_moment(value: object, zone: ZoneInfo) -> datetime:
    """An ISO date or datetime as an aware datetime; naive values are in `zone`, a bare date is midnight. Raises
    ValueError naming the value when it is not ISO or falls outside the years 1900 to 2100 (engine.limits)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"'{value}' is not an ISO date or date-time such as 2024-05-01 or 2024-05-01T10:30"
            ) from None
    else:
        raise ValueError(f"'{value}' is not a date or date-time")
    check_moment(moment, value)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _text(value: object) -> object:
    """Strip strings; an empty string means "no value"; a NUL, a line break or another control character is refused."""
    if isinstance(value, str):
        value = check_line(value.strip())
        return value or None
    return value


def _given(value: object) -> object:
    """A date or time as given: an empty string is refused (leaving the field out, or null, means no value; the
    importer leaves empty cells out)."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("is empty: leave it out or give null")
    return _text(value)


Text = Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_text)]  # gender, timezone, channel
Name = Annotated[Annotated[str, Field(max_length=200)] | None, BeforeValidator(_text)]
Email = Annotated[Annotated[str, Field(max_length=254)] | None, BeforeValidator(_text)]
Phone = Annotated[Annotated[str, Field(max_length=32)] | None, BeforeValidator(_text)]
Label = Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_text)]  # city, category, coupon
ExternalId = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=MAX_KEY)]


# The words a spreadsheet or a person writes for yes and no, in the casings spreadsheets use.
_YES = ("true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "1", "是")
_NO = ("false", "False", "FALSE", "no", "No", "NO", "n", "N", "0", "否")


def _consent(value: object) -> object:
    """true / false, or a CSV cell's word for them; empty means not given."""
    value = _text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # JSON's 1 and 0, as the CSV's "1" and "0"
        return value == 1
    if value in _YES or value in _NO:
        return value in _YES
    raise ValueError(f"'{value}' is not true or false (yes/no, 1/0 and 是/否 are understood too)")


Consent = Annotated[
    bool | None,
    BeforeValidator(_consent),
    WithJsonSchema({"anyOf": [{"type": "boolean"}, {"enum": [*_YES, *_NO, 1, 0]}, {"type": "null"}]}),
]


def parse_email(value: str) -> str:
    """An email address by the RFC rules (email-validator; no DNS lookup), lower-cased; ValueError saying why not."""
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".").replace("The email address ", "it ")
        raise ValueError(f"'{value}' is not an email address: {reason[0].lower()}{reason[1:]}") from None
    return checked.normalized.lower()


def parse_phone(value: str, region: str) -> str:
    """A phone number in E.164 (+8613800138000); numbers without +country are read in `region` (SHOP_REGION).
    ValueError naming the value for scientific notation (a spreadsheet's rewrite of a long number) and for
    anything phonenumbers does not take for a valid number."""
    if _SCIENTIFIC.match(value):
        raise ValueError(
            f"'{value}' is a number in scientific notation, as spreadsheets write long numbers; "
            "format the column as text and export again"
        )
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{value}' is not a phone number") from None
    if number.extension or not _ONE_PHONE.fullmatch(value):
        # phonenumbers reads the first number of "13800138006;13800138007" and keeps "ext. 5" apart: storing either
        # would silently drop what the shop wrote.
        raise ValueError(
            f"'{value}' is not one phone number: write one number, digits with spaces, +, -, ( ) or . only "
            "(no second number, no extension)"
        )
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{value}' is not a valid phone number for {region} or with its +country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _hashable(value: object) -> object:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    def content_hash(self) -> int:
        """Cheap in-process hash of exactly what was given, to tell a harmless repeat from a conflicting one."""
        return hash(tuple((name, _hashable(getattr(self, name))) for name in sorted(self.model_fields_set)))

    def fingerprint(self) -> str:
        """Stable digest of exactly what was given, to tell a harmless repeat from a conflicting one."""
        given = self.model_dump(mode="json", include=self.model_fields_set)
        return hashlib.blake2b(json.dumps(given, sort_keys=True).encode(), digest_size=12).hexdigest()


class MemberRecord(_Record):
    """A member as the shop knows it. Fields left out (or empty in a CSV cell) keep their stored value."""

    member_id: ExternalId
    name: Name = None
    email: Email = None
    phone: Phone = None
    birthday: date | None = None
    gender: Text = None
    city: Label = None
    timezone: Text = None
    registered_at: datetime | None = None
    tags: Annotated[
        list[str],
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "array", "items": {"type": "string", "maxLength": MAX_KEY}},
                    {"type": "string", "description": "tags separated by |, as in a CSV cell"},
                    {"type": "null", "description": "none given"},
                ]
            }
        ),
    ] = Field(default_factory=list, description=f"Tags to add (at most {MAX_TAGS_PER_RECORD}).")
    email_consent: Consent = Field(None, description="false records an email opt-out now, true clears it.")
    sms_consent: Consent = Field(None, description="false records an SMS opt-out now, true clears it.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else parse_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else parse_phone(value, _region(info))

    @field_validator("birthday", mode="before")
    @classmethod
    def _birthday(cls, value: object) -> object:
        value = _given(value)
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not an ISO date such as 1990-02-28") from None
            return check_day(day, value)
        return check_day(value) if isinstance(value, date) and not isinstance(value, datetime) else value

    @field_validator("gender")
    @classmethod
    def _gender(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if (known := _GENDERS.get(value.lower())) is None:
            raise ValueError(f"'{value}' is not one of female, male, other")
        return known

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None and not is_time_zone(value):
            raise ValueError(f"'{value}' is not an IANA time zone name such as Asia/Shanghai")
        return value

    @field_validator("registered_at", mode="before")
    @classmethod
    def _registered_at(cls, value: object, info: ValidationInfo) -> object:
        value = _given(value)
        return None if value is None else parse_moment(value, _zone(info))

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            value = value.split("|")
        if isinstance(value, list):
            if any(not isinstance(name, str) for name in value):
                raise ValueError("are not all text: give a list of tag names")
            names = [check_tag(name.strip()) for name in value if name.strip()]
            if too_long := [name for name in names if len(name) > MAX_KEY]:
                raise ValueError(f"'{too_long[0][:MAX_KEY]}…' is longer than {MAX_KEY} characters")
            names = list(dict.fromkeys(names))
            if len(names) > MAX_TAGS_PER_RECORD:
                raise ValueError(f"lists {len(names)} tags; a record may give at most {MAX_TAGS_PER_RECORD}")
            return names
        return value


class OrderRecord(_Record):
    """One order. `amount` is in the shop's currency with at most two decimals."""

    order_id: ExternalId
    member_id: ExternalId
    placed_at: datetime
    amount: Decimal
    category: Label = None
    channel: Text = None
    coupon_code: Label = None

    @field_validator("placed_at", mode="before")
    @classmethod
    def _placed_at(cls, value: object, info: ValidationInfo) -> object:
        value = _text(value)
        if value is None:
            raise ValueError("is empty")
        return parse_moment(value, _zone(info))

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> Decimal:
        return parse_amount(value)

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if (known := _CHANNEL_ALIASES.get(value.lower())) is None:
            raise ValueError(f"'{value}' is not one of {', '.join(CHANNELS)}")
        return known


def parse_amount(value: object) -> Decimal:
    """An order amount (a number or its text) as a Decimal with two places: 0 ≤ amount < 10^12, at most two
    decimals. ValueError naming the value otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"'{value}' is not an amount")
    text = str(value).strip()
    if len(text) > 40:
        raise ValueError(f"'{text[:20]}…' is too long for an amount")
    if not _DECIMAL.fullmatch(text):  # Decimal() also takes "١٢" (Arabic-Indic digits) and "1_000"
        raise ValueError(f"'{value}' is not a number: write ASCII digits with a '.' for cents, e.g. 1234.50")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"'{value}' is not a number")
    if amount < 0:
        raise ValueError(f"'{value}' is negative")
    # Before any rounding: 1e30 has too many digits to round to cents at all.
    if amount >= Decimal(10) ** MAX_AMOUNT_DIGITS:
        raise ValueError(f"'{value}' is too large for one order (the limit is 10^{MAX_AMOUNT_DIGITS})")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"'{value}' has more than two decimal places")
    return amount.quantize(Decimal("0.01"))


class EventRecord(_Record):
    """Something a member did or that happened to a member. A repeat with the same key is recorded once."""

    member_id: ExternalId
    type: str = Field(description="signup, order_placed, tag_added, tag_removed, segment_changed or a custom name.")
    properties: dict[str, Any] = Field(
        default_factory=dict, description="At most 32 KB as compact JSON, 5 levels deep, keys up to 64 characters."
    )
    occurred_at: datetime | None = Field(None, description="Defaults to the time the event is received.")
    idempotency_key: Annotated[Annotated[str, Field(max_length=200)] | None, BeforeValidator(_text)] = Field(
        None, description="Defaults to a digest of member, type, properties and time."
    )

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if not _EVENT_TYPE.match(value):
            raise ValueError(f"'{value}' is not an event name: use lower-case letters, digits and _")
        return value

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_properties(value)

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _occurred_at(cls, value: object, info: ValidationInfo) -> object:
        value = _given(value)
        return None if value is None else parse_moment(value, _zone(info))

    def key(self) -> str:
        if self.idempotency_key:
            return self.idempotency_key
        return f"{self.type}:{self.member_id}:{self.fingerprint()}"


def problems_of(error: ValidationError) -> list[str]:
    """One sentence per problem: the field, then what is wrong with it."""
    sentences = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "record"
        kind = item["type"]
        if kind == "missing" or (item.get("input") is None and kind.endswith("_type")):
            sentences.append(f"{field} is required")
        elif kind == "extra_forbidden":
            sentences.append(f"{field} is not a known field")
        elif kind == "value_error":
            sentences.append(f"{field} {str(item['msg']).removeprefix('Value error, ')}")
        else:
            shown = item.get("input")
            if isinstance(shown, str) and len(shown) > 80:  # never echo a megabyte back
                shown = f"{shown[:40]}…"
            if kind in BOUND_WORDS:
                limit = item.get("ctx", {}).get(BOUND_WORDS[kind][0])
                sentences.append(f"{field} must be {BOUND_WORDS[kind][1]} {limit} (it is '{shown}')")
            else:
                sentences.append(f"{field} '{shown}': {str(item['msg'])[0].lower()}{str(item['msg'])[1:]}")
    return sentences
