"""A journey as the marketer writes it (editor, API, YAML): settings, a trigger and a tree of blocks."""

from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.errors import Invalid
from engine.files.yaml_budget import load_yaml
from engine.intake.csv_import import read_shop_text
from engine.journey.events import EventMatch, Goal, PropertyFilter
from engine.journey.registry import Block, Condition
from engine.journey.timing import TimeOfDay
from engine.limits import nul_problem
from engine.ranges import MAX_DAYS

JOURNEY_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
Status = Literal["draft", "live", "paused", "archived"]


class _Setting(BaseModel):
    # Built on first use: settings hold conditions and blocks, whose unions the registry completes (see there).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ScheduleTrigger(_Setting):
    """Every time the cron fires (in the shop's time zone), enroll the members the audience selects."""

    type: Literal["schedule"] = "schedule"
    cron: str = Field(
        max_length=100, title="When", description="Cron in the shop's time zone, e.g. '0 10 * * *' for 10:00 daily."
    )
    audience: Condition | None = Field(None, title="Who", description="e.g. exactly 30 days since the last order.")


class EventTrigger(_Setting):
    """Enroll a member when one of their events matches, e.g. order_placed with amount ≥ 500."""

    type: Literal["event"] = "event"
    event: str = Field(min_length=1, max_length=64, title="Event")
    where: list[PropertyFilter] = Field(default_factory=list, title="Only when")

    @property
    def match(self) -> EventMatch:
        return EventMatch(event=self.event, where=self.where)


class BirthdayTrigger(_Setting):
    """Every year, enroll each member `offset_days` around their birthday (negative: before)."""

    type: Literal["birthday"] = "birthday"
    offset_days: int = Field(0, ge=-60, le=60, title="Days from the birthday", description="-7 = a week before.")
    at: TimeOfDay = Field(time(9), title="At", description="Time of day the daily check runs, shop time zone.")


class ManualTrigger(_Setting):
    """Enroll a list of members (CSV) or a filter, from the web or the API."""

    type: Literal["manual"] = "manual"


Trigger = Annotated[ScheduleTrigger | EventTrigger | BirthdayTrigger | ManualTrigger, Field(discriminator="type")]


class Reentry(_Setting):
    policy: Literal["never", "after_exit", "always"] = Field(
        "never", title="Can a member enter again?", description="never; after_exit (once they left); always."
    )
    min_gap_days: int = Field(0, ge=0, le=MAX_DAYS, title="Minimum days between entries", description="For 'always'.")


class JourneyDefinition(_Setting):
    """The whole journey: `steps` is a sequence of blocks; branching blocks hold one sequence per branch."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    key: str = Field(alias="id", title="Journey id", description="Permanent, e.g. winback-30d.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    status: Status = "draft"
    trigger: Trigger
    reentry: Reentry = Field(default_factory=Reentry)
    goal: Goal | None = None
    audience: Condition | None = Field(None, title="Only members who", description="Checked when a member enters.")
    steps: list[Block] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def birthdays_come_every_year(cls, data: Any) -> Any:
        """A birthday journey left without a re-entry policy lets members in again each year."""
        trigger = data.get("trigger") if isinstance(data, dict) else None
        if isinstance(trigger, dict) and trigger.get("type") == "birthday" and "reentry" not in data:
            return {**data, "reentry": {"policy": "always"}}
        return data

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=False, exclude_none=True)


def read_journey_file(path: Path) -> Any:
    """Raw data of a .yaml/.yml/.json journey file."""
    text = read_shop_text(path)  # UTF-8 or GB18030; Invalid naming the file otherwise
    try:
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise Invalid([f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"]) from None
    except RecursionError:  # JSON nested thousands deep
        raise Invalid([f"{path}: not valid JSON: it is nested too deeply"]) from None
    if problem := nul_problem(data):
        raise Invalid([f"{path}: {problem}"])
    return data


def to_yaml(journey: JourneyDefinition) -> str:
    text: str = yaml.safe_dump(journey.dump(), allow_unicode=True, sort_keys=False)
    return text


def journey_schema() -> dict[str, Any]:
    return JourneyDefinition.model_json_schema(by_alias=True)
