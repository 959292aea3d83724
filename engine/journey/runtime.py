"""The payloads the JourneyRun interpreter and its blocks' activities carry (the context a block runs in, with the
methods it may call, is engine.journey.base.JourneyRunContext)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

PROVIDER_ATTEMPTS = 8  # tries of a provider call (email, SMS, webhook) before the message is marked failed


class EntryRef(BaseModel):
    """Who is in which journey version, as the enter activity recorded it."""

    entry_id: int
    journey_id: int
    journey_key: str
    version: int
    member_id: int
    member_key: str
    member_timezone: str
    workflow_id: str
    entry_key: str
    entered_at: datetime
    shop_timezone: str | None = Field(
        None,
        description="The zone day counts use in the workflow (goal within_days); None in runs entered before it "
        "travelled here, which keep counting 24-hour periods so their stored histories replay unchanged.",
    )

    @property
    def action_prefix(self) -> str:
        """Idempotency keys of this entry's actions start with this (one entry = one workflow run)."""
        return f"{self.journey_key}:{self.member_key}:{self.entry_key}"


class StepRecord(BaseModel):
    block_id: str
    branch: str | None = None
    entered_at: datetime
    left_at: datetime | None = None


class ActionInput(BaseModel):
    """What a block's activity receives: the entry, the block's configuration, and steps to record on the way."""

    entry: EntryRef
    block: dict[str, Any]
    idempotency_key: str
    now: datetime
    steps: list[StepRecord] = Field(default_factory=list)
    variables: dict[str, Any] = Field(
        default_factory=dict, description="What earlier blocks of this entry exported, e.g. `coupon` for messages."
    )


class ActionResult(BaseModel):
    performed: bool = Field(description="False when an earlier attempt with the same key already did it.")
    detail: dict[str, Any] = Field(default_factory=dict)
    exports: dict[str, Any] = Field(default_factory=dict, description="Variables later blocks of the entry can use.")
