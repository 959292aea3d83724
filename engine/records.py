"""The shapes members, orders and events arrive in (CSV rows, API bodies), validated without a database.

Every problem becomes a sentence that names the field and the value, e.g. "amount '-5' is negative".
Times without an offset are read in the shop's time zone; dates alone mean midnight there.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from engine.settings import get_settings, is_time_zone

BUILT_IN_EVENT_TYPES = (
    "signup", "order_placed", "tag_added", "tag_removed", "segment_changed", "coupon_redeemed", "points_expiring",
)  # fmt: skip
CHANNELS = ("online", "store", "mini-program")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


def parse_moment(value: object, zone: ZoneInfo) -> datetime:
    """An ISO date or datetime as an aware datetime; naive values are in `zone`, a bare date is midnight."""
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
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _text(value: object) -> object:
    """Strip strings; an empty string means "no value"."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


Text = Annotated[str | None, BeforeValidator(_text)]
Name = Annotated[Annotated[str, Field(max_length=200)] | None, BeforeValidator(_text)]
Email = Annotated[Annotated[str, Field(max_length=254)] | None, BeforeValidator(_text)]
Phone = Annotated[Annotated[str, Field(max_length=32)] | None, BeforeValidator(_text)]
Label = Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_text)]  # city, category, coupon
ExternalId = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=64)]


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
    tags: list[str] = Field(default_factory=list, description="Tags to add; a CSV cell separates them with |.")
    email_consent: bool | None = Field(None, description="false records an email opt-out now, true clears it.")
    sms_consent: bool | None = Field(None, description="false records an SMS opt-out now, true clears it.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"'{value}' is not an email address")
        return value.lower() if value else value

    @field_validator("birthday", mode="before")
    @classmethod
    def _birthday(cls, value: object) -> object:
        value = _text(value)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not an ISO date such as 1990-02-28") from None
        return value

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
        value = _text(value)
        return None if value is None else parse_moment(value, _zone(info))

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            value = value.split("|")
        if isinstance(value, list):
            names = [name.strip() for name in value if isinstance(name, str) and name.strip()]
            if too_long := [name for name in names if len(name) > 64]:
                raise ValueError(f"'{too_long[0]}' is longer than 64 characters")
            return list(dict.fromkeys(names))
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
    if isinstance(value, bool) or value is None:
        raise ValueError(f"'{value}' is not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"'{value}' is not a number")
    if amount < 0:
        raise ValueError(f"'{value}' is negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"'{value}' has more than two decimal places")
    if amount >= Decimal("1e12"):
        raise ValueError(f"'{value}' is too large for one order")
    return amount.quantize(Decimal("0.01"))


class EventRecord(_Record):
    """Something a member did or that happened to a member. A repeat with the same key is recorded once."""

    member_id: ExternalId
    type: str = Field(description="signup, order_placed, tag_added, tag_removed, segment_changed or a custom name.")
    properties: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = Field(None, description="Defaults to the time the event is received.")
    idempotency_key: Annotated[str | None, BeforeValidator(_text), Field(max_length=200)] = Field(
        None, description="Defaults to a digest of member, type, properties and time."
    )

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if not _EVENT_TYPE.match(value):
            raise ValueError(f"'{value}' is not an event name: use lower-case letters, digits and _")
        return value

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _occurred_at(cls, value: object, info: ValidationInfo) -> object:
        value = _text(value)
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
            sentences.append(f"{field} '{shown}': {str(item['msg'])[0].lower()}{str(item['msg'])[1:]}")
    return sentences
