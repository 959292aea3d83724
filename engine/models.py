"""The tables: members, orders, tags and member tags, member events.

External ids (`external_id`) are the shop's own ids as they appear in CSV files and the API
(`member_id`, `order_id`); the integer `id` columns are ours. Times are stored in UTC and come back
timezone-aware on every database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    inspect,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored as UTC (SQLite has no time zones of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat()} has no time zone; memberflow stores only aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` a table model is mapped to, for Core statements (`Model.__table__` is untyped)."""
    table = inspect(model).local_table
    assert isinstance(table, Table), f"{model.__name__} is not mapped to a table"
    return table


def _time() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Member(SQLModel, table=True):
    __tablename__ = "members"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    external_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    birthday: date | None = None
    gender: str | None = Field(default=None, max_length=16)
    city: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    registered_at: datetime | None = _time()
    email_opted_out_at: datetime | None = _time()
    sms_opted_out_at: datetime | None = _time()
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def accepts_email(self) -> bool:
        return bool(self.email) and self.email_opted_out_at is None

    @property
    def accepts_sms(self) -> bool:
        return bool(self.phone) and self.sms_opted_out_at is None


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="ck_orders_amount_not_negative"),
        Index("ix_orders_member_placed", "member_id", "placed_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    external_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    placed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    category: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=16)
    coupon_code: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))


class Tag(SQLModel, table=True):
    __tablename__ = "tags"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    name: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))


class MemberTag(SQLModel, table=True):
    __tablename__ = "member_tags"
    __table_args__ = (Index("ix_member_tags_tag", "tag_id"),)

    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True))
    tag_id: int = Field(sa_column=Column(Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True))
    source: str = Field(max_length=32, description="import, api, web, rule or journey")
    added_by: str | None = Field(default=None, max_length=200, description="file, token, rule or journey block")
    added_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_member_type_time", "member_id", "type", "occurred_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))
