"""What every block and condition kind shares, and the context a block runs in; the kinds themselves live in
nodes/, one module each, and join the registry (engine.journey.registry) by their permanent slug when defined.

A block is one step of a journey as the editor shows it. Its pydantic fields are its configuration (their titles
and descriptions, in English and, through engine.journey.metadata.zh, in Chinese, double as the editor form:
engine.journey.forms); its class variables are its editor metadata in both languages and its `examples`; `run` is
its step in the JourneyRun interpreter and `activities` the Temporal activities that step calls. Branching blocks
hold one sequence of blocks per branch. A condition carries the same metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.journey.events import EventMatch
from engine.journey.facts import MemberFacts
from engine.journey.metadata import NO_WORDS, BlockCategory, ConditionCategory, Words, zh
from engine.journey.runtime import ActionInput, ActionResult, EntryRef
from engine.messages.templates import TemplateSpec, template_problems

BLOCK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
Category = BlockCategory  # the name node modules use for a block's palette group


class Problem(BaseModel):
    """One thing wrong with a journey, said so a marketer can fix it."""

    block: str | None = Field(None, description="The id of the block at fault, or None for the journey settings.")
    message: str

    def __str__(self) -> str:
        return f"{self.block}: {self.message}" if self.block else self.message


@dataclass(frozen=True)
class ShopData:
    """What the shop holds that a journey may name, read once per check (engine.journey.store.shop_data): coupon
    template keys, message templates by key, and tag names (tags members carry or carried, and tag rules' tags).
    A catalogue left None is unknown (an offline check) and is not checked against."""

    coupon_templates: frozenset[str] | None = None
    message_templates: Mapping[str, TemplateSpec] | None = None
    tags: frozenset[str] | None = None

    def coupon_problems(self, template: str) -> list[str]:
        """A sentence if the coupon template `template` is known not to exist."""
        if self.coupon_templates is None or template in self.coupon_templates:
            return []
        return [f"coupon template '{template}' does not exist; define it first (memberflow coupons load)"]

    def message_problems(self, template: str, channel: Literal["email", "sms"]) -> list[str]:
        """Sentences if the message template `template` is known to be missing, for another channel, or not to
        render with sample data."""
        return [] if self.message_templates is None else template_problems(self.message_templates, template, channel)


# Every concrete kind by its slug, filled as node modules define their classes; read through engine.journey.registry.
BLOCK_KINDS: dict[str, type[BlockBase]] = {}
CONDITION_KINDS: dict[str, type[ConditionBase]] = {}
Kind = TypeVar("Kind", bound=BaseModel)


def _join(kinds: dict[str, type[Kind]], cls: type[Kind], tag: str) -> None:
    """Register `cls` under its slug, the default of its `tag` field (`type` of a block, `kind` of a condition); a
    class without one (an abstract kind) is not registered. Raises TypeError when another class has the slug: slugs
    are permanent (stored journeys name them), so a new kind needs a new one."""
    slug = cls.model_fields[tag].default
    if not isinstance(slug, str):
        return
    taken = kinds.get(slug)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if taken is not None and f"{taken.__module__}.{taken.__qualname__}" != name:  # not the same class re-imported
        raise TypeError(f"{name}: {tag} '{slug}' is taken by {taken.__module__}.{taken.__qualname__}")
    kinds[slug] = cls


class JourneyRunContext(Protocol):
    """What a block may do while it runs inside the workflow (implemented by workflows.journey_run)."""

    @property
    def entry(self) -> EntryRef: ...

    def now(self) -> datetime: ...

    async def act(self, block: BlockBase, activity: Callable[[ActionInput], ActionResult]) -> ActionResult: ...

    async def act_with_retries(self, block: BlockBase, activity: Callable[..., Any]) -> ActionResult:
        """Run an activity that talks to the outside world (a provider) as a regular activity: retried with backoff
        for minutes, on any worker, under the block's idempotency key."""
        ...

    async def choose(self, block: BlockBase, conditions: Sequence[ConditionBase]) -> int | None: ...

    async def sleep(self, duration: timedelta) -> None:
        """A durable timer: return after `duration`, or as soon as the run ends (goal reached, archived)."""
        ...

    @property
    def ended(self) -> bool:
        """True once the run has ended (goal reached, exited, journey archived) while a block was waiting."""
        ...

    async def wait_for_event(self, match: EventMatch, at_most: timedelta) -> bool: ...

    def finish(self, reason: str) -> None: ...

    def patched(self, change: str) -> bool:
        """Whether this run takes the new path of `change`, a change to the commands a step issues (Temporal's
        `workflow.patched`): True on a run that reaches this point under the new code (the choice is then recorded in
        its history), False when replaying a run that passed here before the change. Keep the old path in the else
        branch. The rule, and how to retire a patch: README, "Changing journeys safely"."""
        ...

    def deprecate_patch(self, change: str) -> None:
        """Say that no run that took the old path of `change` is still open (Temporal's `workflow.deprecate_patch`):
        the old branch goes, and runs recorded with the patch still replay."""
        ...


class BlockBase(BaseModel):
    # Built on first use, not at class creation: blocks hold blocks and conditions (engine.journey.registry's
    # unions), which are complete only once every node module has been imported.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: Annotated[str, zh("节点 ID", "节点在本旅程中的唯一标识，编辑时请保持不变。")] = Field(
        title="Block id", description="Stable id, unique in the journey; keep it when editing."
    )
    type: str
    label: Annotated[str | None, zh("显示名称", "画布上节点显示的名称。")] = Field(
        None, max_length=200, title="Label", description="What the editor shows on the block."
    )

    # Editor metadata, per kind, each stated by the kind itself (the conformance test checks it): the palette
    # group, an icon name, a title and a help text in both languages, and sample configurations.
    title: ClassVar[Words] = NO_WORDS
    help: ClassVar[Words] = NO_WORDS
    icon: ClassVar[str] = ""
    category: ClassVar[Category] = "action"  # the interpreter holds a paused journey's members before an action
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ()  # configurations as a journey file writes them
    ends_journey: ClassVar[bool] = False  # nothing after this block in its sequence can run

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _join(BLOCK_KINDS, cls, "type")

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        """The Temporal activities `run` calls (the worker hosts every registered block's)."""
        return ()

    @field_validator("id")
    @classmethod
    def _stable_id(cls, value: str) -> str:
        if not BLOCK_ID.match(value):
            raise ValueError(f"'{value}' is not a block id: use letters, digits, - and _ (at most 64)")
        return value

    def branches(self) -> list[tuple[str, list[BlockBase]]]:
        """(branch name, its blocks) for branching blocks, in the order the editor shows them."""
        return []

    def check(self) -> list[str]:
        """Problems with this block's own configuration (its sequences are checked by the validator)."""
        return []

    def publish_problems(self, shop: ShopData) -> list[str]:
        """Problems only the shop's data can show (a coupon template that does not exist): validating, publishing
        and the API all check them (engine.journey.validate)."""
        return []

    def tags_given(self) -> set[str]:
        """Tags this block gives members (so conditions of the same journey may ask for them)."""
        return set()

    def without_steps(self) -> BlockBase:
        """This block with its nested sequences emptied: what a plan step stores (branches become step ids)."""
        return self

    async def run(self, journey: JourneyRunContext) -> str | None:
        """Do this step inside the JourneyRun workflow; return the branch to follow, or None to go on."""
        raise NotImplementedError


class ConditionBase(BaseModel):
    """A question about a member, answered inside one activity against the database."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # see BlockBase

    kind: str

    # Editor metadata, as a block's (see BlockBase); the palette group is `about` (what the condition asks about),
    # since `category` is a config field of some conditions (bought_category, prefers_category).
    title: ClassVar[Words] = NO_WORDS
    help: ClassVar[Words] = NO_WORDS
    icon: ClassVar[str] = ""
    about: ClassVar[ConditionCategory] = "profile"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ()
    inside_journey_only: ClassVar[bool] = False  # asks about the time since entering: no answer at the entry

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _join(CONDITION_KINDS, cls, "kind")

    def holds(self, member: MemberFacts) -> bool:
        raise NotImplementedError

    def parts(self) -> Iterator[ConditionBase]:
        """Nested conditions (for all / any / not)."""
        return iter(())

    def check(self) -> list[str]:
        return []

    def event_types(self) -> set[str]:
        """Event types this condition refers to, for validation."""
        return set()

    def publish_problems(self, shop: ShopData) -> list[str]:
        """Problems only the shop's data can show (see BlockBase.publish_problems); not those of its parts."""
        return []

    def publish_warnings(self, shop: ShopData) -> list[str]:
        """Likely mistakes the shop's data shows that do not stop publishing (a tag nobody ever had)."""
        return []
