"""The JourneyRun's own activities: enter the journey, choose a branch, record steps, finish the entry.

They run as local activities (a marker in the history rather than three events each) and are idempotent: an
entry is keyed by (journey, member, entry key), steps by (entry, block), the finish is a plain overwrite.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import col
from temporalio import activity

from engine import clock
from engine.ab.assign import in_global_holdout
from engine.db import insert_new, session_scope
from engine.journey.facts import MemberFacts
from engine.journey.plan import Plan
from engine.journey.registry import Condition
from engine.journey.run_records import entry_row, record_steps
from engine.journey.runtime import EntryRef, StepRecord
from engine.messages.sending import give_up
from engine.models import Conversion, Journey, JourneyEntry, Member, table_of
from engine.ranges import MAX_MONEY
from engine.settings import get_settings

RunStatus = Literal["not_entered", "completed", "converted", "exited", "failed"]
REASON_LENGTH = 200  # what journey_entries.exit_reason holds


class JourneyRunInput(BaseModel):
    """What starts a JourneyRun. The workflow's own payloads live here, outside its module: the sandbox imports
    a workflow's module afresh for every run, and building pydantic models each time would dominate a short run."""

    model_config = ConfigDict(defer_build=True)  # payloads holding plans or conditions: see engine.journey.registry

    plan: Plan
    member_key: str
    entry_key: str
    trigger_event_id: int | None = None


class JourneyRunResult(BaseModel):
    status: RunStatus
    reason: str = ""
    blocks: list[str] = []


class MemberEventSignal(BaseModel):
    """A member event as running journeys receive it."""

    event_id: int
    type: str
    properties: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime


class EnterInput(BaseModel):
    model_config = ConfigDict(defer_build=True)

    plan: Plan
    member_key: str
    entry_key: str
    workflow_id: str
    run_id: str
    now: datetime
    started_at: datetime | None = None  # when Temporal started this run; None: treat as now


class EnterOutcome(BaseModel):
    entry: EntryRef | None = None
    reason: str = ""
    paused: bool = False  # the journey was paused after this run was started: enter, then hold


class ChooseInput(BaseModel):
    model_config = ConfigDict(defer_build=True)

    entry: EntryRef
    conditions: list[Condition]
    now: datetime
    steps: list[StepRecord] = Field(default_factory=list)


class StepsInput(BaseModel):
    entry: EntryRef
    steps: list[StepRecord]


class GiveUpInput(BaseModel):
    idempotency_key: str
    reason: str


class FinishInput(BaseModel):
    entry: EntryRef
    status: str
    reason: str
    now: datetime
    steps: list[StepRecord] = Field(default_factory=list)
    goal_event: MemberEventSignal | None = None


@activity.defn
def enter_journey(request: EnterInput) -> EnterOutcome:
    """Record the entry, or say why this member does not enter (not live, not in the audience, already in, …).

    The journey row is read under a share lock, so a status change either happens before this entry (and is read
    here) or after it (and then finds this entry among the running ones to tell)."""
    plan = request.plan
    with session_scope() as session:
        journey = session.scalar(select(Journey).where(col(Journey.key) == plan.journey_key).with_for_update(read=True))
        member = session.scalar(select(Member).where(col(Member.external_id) == request.member_key))
        if journey is None or journey.id is None or member is None or member.id is None:
            return EnterOutcome(reason="journey or member does not exist")
        existing = session.scalar(
            select(JourneyEntry).where(
                col(JourneyEntry.journey_id) == journey.id,
                col(JourneyEntry.member_id) == member.id,
                col(JourneyEntry.entry_key) == request.entry_key,
            )
        )
        if existing is not None:
            if existing.run_id == request.run_id:  # this very run, retried after a crash
                return EnterOutcome(entry=_ref(existing, plan, member), paused=journey.status == "paused")
            return EnterOutcome(reason=f"already entered ({request.entry_key})")
        if in_global_holdout(member.external_id, get_settings().global_holdout_percent):
            return EnterOutcome(reason="in the global holdout (no journey enters these members)")
        if journey.status != "live" and not _paused_after(journey, request.started_at or request.now):
            return EnterOutcome(reason=f"journey is {journey.status}")
        if plan.audience is not None and not plan.audience.holds(
            MemberFacts(session, member, now=request.now, entered_at=request.now)
        ):
            return EnterOutcome(reason="not in the journey's audience")
        if reason := _too_soon(session, plan, journey.id, member.id, request.now):
            return EnterOutcome(reason=reason)
        row = {"journey_id": journey.id, "version": plan.version, "member_id": member.id,
               "entry_key": request.entry_key, "workflow_id": request.workflow_id, "run_id": request.run_id,
               "status": "running", "entered_at": request.now}  # fmt: skip
        if not insert_new(
            session, table_of(JourneyEntry), [row], "id", conflict_on=["journey_id", "member_id", "entry_key"]
        ):
            return EnterOutcome(reason=f"already entered ({request.entry_key})")
        created = session.scalar(
            select(JourneyEntry).where(
                col(JourneyEntry.journey_id) == journey.id,
                col(JourneyEntry.member_id) == member.id,
                col(JourneyEntry.entry_key) == request.entry_key,
            )
        )
        assert created is not None
        return EnterOutcome(entry=_ref(created, plan, member), paused=journey.status == "paused")


def _paused_after(journey: Journey, started_at: datetime) -> bool:
    """A run started while the journey was live still enters when the pause came later; it then holds."""
    return journey.status == "paused" and journey.updated_at > started_at


def _too_soon(session: Any, plan: Plan, journey_id: int, member_id: int, now: datetime) -> str | None:
    """Why an `always` journey refuses a member now: the last entry was fewer than `min_gap_days` calendar days ago
    (shop's zone; with 30, an entry on 1 March lets the member in again from 31 March, whatever the hours)."""
    if plan.reentry.policy != "always" or plan.reentry.min_gap_days <= 0:
        return None
    last = session.scalar(
        select(col(JourneyEntry.entered_at))
        .where(col(JourneyEntry.journey_id) == journey_id, col(JourneyEntry.member_id) == member_id)
        .order_by(col(JourneyEntry.entered_at).desc())
        .limit(1)
    )
    if last is not None and clock.calendar_days(last, now, clock.shop_zone()) < plan.reentry.min_gap_days:
        return f"entered less than {plan.reentry.min_gap_days} days ago"
    return None


def _ref(entry: JourneyEntry, plan: Plan, member: Member) -> EntryRef:
    assert entry.id is not None and member.id is not None
    return EntryRef(
        entry_id=entry.id, journey_id=entry.journey_id, journey_key=plan.journey_key, version=entry.version,
        member_id=member.id, member_key=member.external_id,
        member_timezone=member.timezone or get_settings().shop_timezone, shop_timezone=get_settings().shop_timezone,
        workflow_id=entry.workflow_id, entry_key=entry.entry_key, entered_at=entry.entered_at,
    )  # fmt: skip


@activity.defn
def choose_branch(request: ChooseInput) -> int | None:
    """The index of the first condition that holds for the member now, or None."""
    with session_scope() as session:
        record_steps(session, request.entry, request.steps)
        member = session.get(Member, request.entry.member_id)
        assert member is not None
        facts = MemberFacts(session, member, now=request.now, entered_at=request.entry.entered_at)
        return next((index for index, condition in enumerate(request.conditions) if condition.holds(facts)), None)


@activity.defn
def record_journey_steps(request: StepsInput) -> None:
    with session_scope() as session:
        record_steps(session, request.entry, request.steps)


@activity.defn
def give_up_message(request: GiveUpInput) -> None:
    """The provider activity of a message block failed for good: the message is failed with the reason (unless it
    was sent or settled meanwhile), and the run goes on."""
    give_up(request.idempotency_key, request.reason)


@activity.defn
def finish_entry(request: FinishInput) -> None:
    """Close the entry with its outcome; a goal reached records the conversion and its revenue once."""
    with session_scope() as session:
        record_steps(session, request.entry, request.steps)
        entry = entry_row(session, request.entry.entry_id)
        entry.status, entry.exit_reason, entry.ended_at = request.status, request.reason[:REASON_LENGTH], request.now
        if request.goal_event is not None:
            event = request.goal_event
            row = {"entry_id": entry.id, "journey_id": entry.journey_id, "member_id": entry.member_id,
                   "event_id": event.event_id, "revenue": _revenue(event.properties),
                   "converted_at": event.occurred_at}  # fmt: skip
            insert_new(session, table_of(Conversion), [row], "entry_id")


def _revenue(properties: dict[str, Any]) -> Decimal:
    """The goal event's `amount` as revenue; nothing when it is not an amount an order could have (negative, not a
    number, or beyond what the money columns hold: a custom event's property is whatever its sender wrote)."""
    try:
        amount = Decimal(str(properties.get("amount", 0))).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0.00")
    return amount if amount.is_finite() and Decimal(0) <= amount <= MAX_MONEY else Decimal("0.00")
