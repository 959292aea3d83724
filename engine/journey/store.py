"""Journeys in the database: save drafts, publish immutable versions, change status, read live plans."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.access import audit
from engine.errors import Conflict, NotFound, Rejected
from engine.journey.base import Problem, ShopData
from engine.journey.events import known_event_types
from engine.journey.language import JourneyDefinition, Status
from engine.journey.plan import Plan, compile_plan
from engine.journey.validate import check_journey, journey_warnings, validate
from engine.messages.templates import templates
from engine.models import Event, Journey, JourneyEntry, JourneyVersion, Tag, TagRule
from engine.rewards.coupons import template_keys

log = logging.getLogger(__name__)


class Published(BaseModel):
    journey_id: int
    key: str
    version: int
    content_hash: str
    new_version: bool
    status: str
    warnings: list[str] = Field(default_factory=list, description="Likely mistakes that did not stop publishing.")


def event_types_in_use(session: Session) -> set[str]:
    return known_event_types(set(session.execute(select(col(Event.type)).distinct()).scalars()))


def shop_data(session: Session) -> ShopData:
    """What a journey may name, read once: coupon and message templates, and tags (members' and tag rules')."""
    tags = set(session.scalars(select(col(Tag.name)))) | set(session.scalars(select(col(TagRule.tag))))
    return ShopData(
        coupon_templates=frozenset(template_keys(session)),
        message_templates={spec.key: spec for spec in templates(session)},
        tags=frozenset(tags),
    )


def check_against_shop(session: Session, raw: Any) -> tuple[JourneyDefinition | None, list[Problem], list[Problem]]:
    """The one validation of validate, publish and the API: (the journey or None, every problem, warnings).

    Parses `raw` (a journey as read from YAML or JSON), checks it, and checks what it names against this shop's
    event types, coupon templates, message templates and tags. Never raises for bad input.
    """
    shop = shop_data(session)
    journey, problems = check_journey(raw, event_types_in_use(session), shop)
    return journey, problems, [] if journey is None else journey_warnings(journey, shop)


def publish(session: Session, journey: JourneyDefinition, *, now: datetime, status: Status = "live") -> Published:
    """Validate (as `check_against_shop`), compile and store the plan as version N+1 (unless it equals the newest),
    then set `status`. Raises Rejected listing every problem, each with its block id.

    Members already inside keep the version they entered with: their workflows carry their plan.
    """
    shop = shop_data(session)
    if problems := validate(journey, event_types_in_use(session), shop):
        raise Rejected([str(p) for p in problems])
    plan = compile_plan(journey)
    row = session.scalar(select(Journey).where(col(Journey.key) == journey.key))
    if row is None:
        row = Journey(key=journey.key, name=journey.name, status="draft", draft=journey.dump(), updated_at=now)
        session.add(row)
        session.flush()
    assert row.id is not None
    newest = session.scalar(
        select(JourneyVersion)
        .where(col(JourneyVersion.journey_id) == row.id)
        .order_by(col(JourneyVersion.version).desc())
    )
    new_version = newest is None or newest.content_hash != plan.content_hash
    version = (newest.version + 1) if newest is not None and new_version else (newest.version if newest else 1)
    if new_version:
        plan = plan.model_copy(update={"version": version})
        session.add(
            JourneyVersion(
                journey_id=row.id, version=version, content_hash=plan.content_hash,
                plan=plan.model_dump(mode="json"), published_at=now,
            )
        )  # fmt: skip
    row.name, row.draft, row.updated_at = journey.name, journey.dump(), now
    row.live_version = version
    set_status(row, status, now)
    session.flush()
    audit.record(session, audit.JOURNEY_PUBLISHED, row.key, now, version=version, new_version=new_version,
                 status=row.status)  # fmt: skip
    return Published(
        journey_id=row.id, key=row.key, version=version, content_hash=plan.content_hash,
        new_version=new_version, status=row.status, warnings=[str(w) for w in journey_warnings(journey, shop)],
    )  # fmt: skip


def set_status(row: Journey, status: Status, now: datetime) -> None:
    if row.status == "archived" and status != "archived":
        raise Conflict([f"journey {row.key} is archived; publish it under a new id"])
    if status == "live" and row.live_since is None:
        row.live_since = now
    row.status = status
    row.updated_at = now


def live_plan(session: Session, key: str) -> tuple[Journey, Plan]:
    row = session.scalar(select(Journey).where(col(Journey.key) == key))
    if row is None:
        raise NotFound([f"journey {key} does not exist"])
    if row.live_version is None:
        raise Conflict([f"journey {key} has never been published"])
    version = session.scalar(
        select(JourneyVersion).where(
            col(JourneyVersion.journey_id) == row.id, col(JourneyVersion.version) == row.live_version
        )
    )
    assert version is not None
    return row, Plan.model_validate(version.plan)


def live_journeys(session: Session) -> list[tuple[Journey, Plan]]:
    """Every live journey and its plan. A plan that no longer loads (stored before a range of the journey language
    was enforced, e.g. a wait of 10^9 days) is left out with a warning, so one broken journey does not stop the
    others from receiving events or sweeps."""
    found = []
    for key in session.execute(select(col(Journey.key)).where(col(Journey.status) == "live")).scalars():
        try:
            found.append(live_plan(session, key))
        except ValidationError as exc:
            log.warning("journey %s is left out: its live plan no longer loads (%s)", key, _first_error(exc))
    return found


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"


class JourneySummary(BaseModel):
    key: str
    name: str
    status: str
    live_version: int | None
    running: int
    entered: int


def journey_summaries(session: Session) -> list[JourneySummary]:
    counts: dict[int, dict[str, int]] = {}
    for journey_id, status, count in session.execute(
        select(col(JourneyEntry.journey_id), col(JourneyEntry.status), func.count()).group_by(
            col(JourneyEntry.journey_id), col(JourneyEntry.status)
        )
    ):
        counts.setdefault(journey_id, {})[status] = count
    return [
        JourneySummary(
            key=row.key, name=row.name, status=row.status, live_version=row.live_version,
            running=counts.get(row.id or 0, {}).get("running", 0), entered=sum(counts.get(row.id or 0, {}).values()),
        )
        for row in session.scalars(select(Journey).order_by(col(Journey.key)))
    ]  # fmt: skip
