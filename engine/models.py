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
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from engine import clock


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


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` a table model is mapped to, for Core statements (`Model.__table__` is untyped)."""
    table = inspect(model).local_table
    assert isinstance(table, Table), f"{model.__name__} is not mapped to a table"
    return table


def _entry_column(*, unique: bool = False) -> Column[int]:
    return Column(Integer, ForeignKey("journey_entries.id", ondelete="CASCADE"), nullable=False, unique=unique)


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
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))

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
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class Tag(SQLModel, table=True):
    __tablename__ = "tags"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    name: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class MemberTag(SQLModel, table=True):
    __tablename__ = "member_tags"
    __table_args__ = (Index("ix_member_tags_tag", "tag_id"),)

    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True))
    tag_id: int = Field(sa_column=Column(Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True))
    source: str = Field(max_length=32, description="import, api, web, rule or journey")
    added_by: str | None = Field(default=None, max_length=200, description="file, token, rule or journey block")
    added_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


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
    recorded_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))
    dispatched_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True), description="Sent to journeys."
    )


class PointsEntry(SQLModel, table=True):
    """The append-only points ledger; a member's balance is the sum of `points` (negative for redeem/expire),
    less grants past their `expires_at` that the expiry run has not written off yet (see engine.rewards.points)."""

    __tablename__ = "points_ledger"
    __table_args__ = (Index("ix_points_member", "member_id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    kind: str = Field(max_length=16, description="grant, redeem, expire or adjust")
    points: int
    reason: str = Field(max_length=200)
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    expires_at: datetime | None = _time()
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))
    journey_id: int | None = Field(default=None, description="The journey whose block granted them, if any.")
    block_id: str | None = Field(default=None, max_length=64)
    order_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class PointsBoost(SQLModel, table=True):
    """ "Double points on the next order within 7 days": used by the member's first order inside the window."""

    __tablename__ = "points_boosts"
    __table_args__ = (Index("ix_points_boosts_member", "member_id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    multiplier: Decimal = Field(sa_column=Column(Numeric(6, 2), nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    journey_id: int | None = None
    block_id: str | None = Field(default=None, max_length=64)
    used_order_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ShopSetting(SQLModel, table=True):
    """Settings the marketer edits in the app (not the environment), e.g. the points earning rules."""

    __tablename__ = "shop_settings"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class CouponTemplate(SQLModel, table=True):
    """A kind of coupon the marketer defined (the whole definition is `spec`, see engine.rewards.coupons.CouponSpec)."""

    __tablename__ = "coupon_templates"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(max_length=200)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class Coupon(SQLModel, table=True):
    """One issued coupon code; redeemed once by an order that carries it."""

    __tablename__ = "coupons"
    __table_args__ = (Index("ix_coupons_member", "member_id"), Index("ix_coupons_template", "template"))

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    code: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    template: str = Field(max_length=64)
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    issued_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))
    valid_from: datetime | None = _time()
    expires_at: datetime | None = _time()
    face_value: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(14, 2), nullable=False))
    journey_id: int | None = Field(default=None, description="The journey whose block issued it, if any.")
    block_id: str | None = Field(default=None, max_length=64)
    redeemed_at: datetime | None = _time()
    redeemed_order_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CouponRedemption(SQLModel, table=True):
    """Every order that carried a coupon code, and what became of the code: redeemed, or rejected with a reason."""

    __tablename__ = "coupon_redemptions"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    order_id: int = Field(
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("orders.id", ondelete="CASCADE"),
                         nullable=False, unique=True)
    )  # fmt: skip
    code: str = Field(max_length=64)
    coupon_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("coupons.id"), nullable=True))
    outcome: str = Field(max_length=16, description="redeemed, unknown, foreign, used, expired, early or minimum")
    reason: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class MessageTemplate(SQLModel, table=True):
    """A marketer's message: subject and bodies per channel (the whole definition is `spec`, see
    engine.messages.templates.TemplateSpec)."""

    __tablename__ = "message_templates"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    channel: str = Field(max_length=16, description="email or sms")
    name: str = Field(max_length=200)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class Message(SQLModel, table=True):
    """One message to one member: recorded (queued or skipped) before any provider is called, then sending, sent
    or failed. The idempotency key is the journey action's, so a retried activity finds the same row."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_member_channel", "member_id", "channel", "created_at"),
        Index("ix_messages_journey", "journey_id", "block_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    channel: str = Field(max_length=16)
    template: str = Field(max_length=64)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    journey_id: int | None = None
    block_id: str | None = Field(default=None, max_length=64)
    recipient: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=300)
    body_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(max_length=16, description="queued, sending, sent, delivered, failed or skipped")
    reason: str | None = Field(default=None, max_length=300)
    provider_id: str | None = Field(default=None, max_length=200)
    attempts: int = 0
    segments: int = 0
    cost: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(12, 4), nullable=False))
    opens: int = 0
    clicks: int = 0
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))
    send_at: datetime | None = _time()
    sent_at: datetime | None = _time()
    failed_at: datetime | None = _time()
    first_opened_at: datetime | None = _time()
    first_clicked_at: datetime | None = _time()


class CaughtMail(SQLModel, table=True):
    """What the embedded SMTP catcher received (`make up`): the outbox page shows it; a resent message with the same
    Message-ID is kept once, as a mailbox would."""

    __tablename__ = "caught_mail"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    message_id: str = Field(sa_column=Column(String(300), nullable=False, unique=True))
    sender: str = Field(max_length=300)
    recipients: str = Field(max_length=1000)
    subject: str = Field(max_length=300)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class Journey(SQLModel, table=True):
    """A journey as the marketer edits it (the draft) and its state; published versions are JourneyVersion rows."""

    __tablename__ = "journeys"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(max_length=200)
    status: str = Field(default="draft", max_length=16, description="draft, live, paused or archived")
    draft: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    live_version: int | None = None
    live_since: datetime | None = _time()
    updated_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class JourneyVersion(SQLModel, table=True):
    """An immutable compiled plan; members finish on the version they entered with."""

    __tablename__ = "journey_versions"
    __table_args__ = (UniqueConstraint("journey_id", "version", name="uq_journey_versions_version"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    journey_id: int = Field(sa_column=Column(Integer, ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False))
    version: int
    content_hash: str = Field(max_length=64)
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class JourneyEntry(SQLModel, table=True):
    """One member's pass through a journey: one JourneyRun workflow. The unique key enforces re-entry rules."""

    __tablename__ = "journey_entries"
    __table_args__ = (
        UniqueConstraint("journey_id", "member_id", "entry_key", name="uq_journey_entries_entry"),
        Index("ix_journey_entries_member_status", "member_id", "status"),
        Index("ix_journey_entries_journey_status", "journey_id", "status"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    journey_id: int = Field(sa_column=Column(Integer, ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False))
    version: int
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    entry_key: str = Field(max_length=200)
    workflow_id: str = Field(max_length=300)
    run_id: str = Field(max_length=64)
    status: str = Field(default="running", max_length=16, description="running, completed, converted, exited, failed")
    exit_reason: str | None = Field(default=None, max_length=200)
    entered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = _time()


class JourneyStep(SQLModel, table=True):
    """A block a member passed: when, and which branch they left by (live counts per block come from here)."""

    __tablename__ = "journey_steps"
    __table_args__ = (
        UniqueConstraint("entry_id", "block_id", name="uq_journey_steps_block"),
        Index("ix_journey_steps_journey_block", "journey_id", "block_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    entry_id: int = Field(
        sa_column=Column(Integer, ForeignKey("journey_entries.id", ondelete="CASCADE"), nullable=False)
    )
    journey_id: int
    version: int
    block_id: str = Field(max_length=64)
    branch: str | None = Field(default=None, max_length=64)
    entered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    left_at: datetime | None = _time()


class JourneyAction(SQLModel, table=True):
    """A side effect a journey block performed, once per idempotency key (workflow entry + block)."""

    __tablename__ = "journey_actions"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    idempotency_key: str = Field(sa_column=Column(String(300), nullable=False, unique=True))
    entry_id: int = Field(
        sa_column=Column(Integer, ForeignKey("journey_entries.id", ondelete="CASCADE"), nullable=False)
    )
    block_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    done_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class Conversion(SQLModel, table=True):
    """A journey goal reached: the entry, the event that reached it and the revenue it brought."""

    __tablename__ = "conversions"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    entry_id: int = Field(sa_column=_entry_column(unique=True))
    journey_id: int
    member_id: int
    event_id: int | None = None
    revenue: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    converted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RfmRun(SQLModel, table=True):
    """One RFM recompute: its analysis date, window and scheme, and the means the 8 segments were cut at."""

    __tablename__ = "rfm_runs"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    run_key: str = Field(
        sa_column=Column(String(200), nullable=False, unique=True), description="Names the request; reruns reuse it."
    )
    as_of: date
    window_days: int | None = None
    scheme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    members_scored: int = 0
    no_purchase: int = Field(0, description="Members without an order in the window (not scored).")
    mean_r: float = 0.0
    mean_f: float = 0.0
    mean_m: float = 0.0
    segments8: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    segments11: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    segment_changes: int = Field(0, description="segment_changed events this run emitted.")
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RfmScore(SQLModel, table=True):
    """One member's values, scores and segments in one run (kept for the last RFM_KEEP_RUNS runs).

    Written a million rows at a time, so without foreign keys (a check per row would double the write): the run is
    the one just stored and the members come from their orders; pruning removes the rows of old runs.
    """

    __tablename__ = "rfm_scores"
    __table_args__ = {"sqlite_with_rowid": False}  # one B-tree keyed by (run, member): a million rows insert fast

    run_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    member_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    recency: int
    frequency: int
    monetary: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    r: int
    f: int
    m: int
    segment8: str = Field(max_length=32)
    segment11: str = Field(max_length=32)


class TagRule(SQLModel, table=True):
    """A marketer's rule: members for whom the condition holds carry the tag; the rule removes it when it stops."""

    __tablename__ = "tag_rules"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    tag: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    condition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=200)
    active: bool = True
    updated_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


class SplitAssignment(SQLModel, table=True):
    """A member's arm in a journey's split block: decided once by a hash, so re-entries and retries keep it.

    `group` is `split` (plain split), `test` (in the test of a "test, then send the winner" split) or `rest` (waited
    for the decision; `arm` is then the winner, set when they were released)."""

    __tablename__ = "split_assignments"
    __table_args__ = (
        UniqueConstraint("journey_id", "block_id", "member_id", name="uq_split_assignments_member"),
        Index("ix_split_assignments_block", "journey_id", "block_id", "assigned_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    journey_id: int = Field(sa_column=Column(Integer, ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False))
    block_id: str = Field(max_length=64)
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    entry_id: int
    group: str = Field(max_length=8)
    arm: str | None = Field(default=None, max_length=64, description="None while a `rest` member waits")
    assigned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    released_at: datetime | None = _time()


class SplitDecision(SQLModel, table=True):
    """The winner of a "test, then send the winner" split: when, which arm, why, and the analysis it rested on."""

    __tablename__ = "split_decisions"
    __table_args__ = (UniqueConstraint("journey_id", "block_id", name="uq_split_decisions_block"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    journey_id: int = Field(sa_column=Column(Integer, ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False))
    block_id: str = Field(max_length=64)
    winner: str = Field(max_length=64)
    reason: str = Field(max_length=300)
    analysis: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    decided_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ApiToken(SQLModel, table=True):
    """A named API token, kept only as the SHA-256 of the token (engine.access.api_tokens): shown once when made."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    name: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = _time()


class EventDeliveryFailure(SQLModel, table=True):
    """An event journeys could not be given yet (Temporal refused a signal or a start for it): why, how many times,
    and when it is tried again. After the last attempt `retry_at` is empty and `set_aside_at` says when it was set
    aside; other events go on meanwhile (engine/journey/event_delivery.py)."""

    __tablename__ = "event_delivery_failures"

    event_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True,
            autoincrement=False,
        )
    )  # fmt: skip
    attempts: int
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    failed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retry_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True))
    set_aside_at: datetime | None = _time()


class TagRuleFailure(SQLModel, table=True):
    """A tag rule that raised for a member (or, with no member, a stored rule that no longer loads): skipped, with
    the reason, while the other rules and members go on. The row goes when the rule next works for that member."""

    __tablename__ = "tag_rule_failures"
    __table_args__ = (Index("ix_tag_rule_failures_tag_member", "tag", "member_id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    tag: str = Field(sa_column=Column(String(64), nullable=False))
    member_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=True)
    )
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    failures: int = Field(description="Applications in a row that failed for this rule and member")
    failed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    """A person who signs in to the web app (engine.access.users): admin, marketer or analyst. Only an argon2 hash
    of the password is kept; `login` is an email address or a login name, stored in lower case."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'marketer', 'analyst')", name="ck_users_role"),
        CheckConstraint("locale IS NULL OR locale IN ('zh-CN', 'en')", name="ck_users_locale"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    login: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    disabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    locale: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_login_at: datetime | None = _time()


class AuditEntry(SQLModel, table=True):
    """Who did what, when (engine.access.audit): sign-ins (also failed ones), sign-outs, user changes, publishes
    and settings changes. Never a password or a token."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    action: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    subject: str = Field(sa_column=Column(String(254), nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    client: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class WebSession(SQLModel, table=True):
    """A signed-in browser's server-side session (web.sessions, Litestar's session middleware): opaque bytes under
    a random id, shared by every web process; rows past `expires_at` are ignored and cleared."""

    __tablename__ = "web_sessions"

    key: str = Field(sa_column=Column(String(200), primary_key=True))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True))
