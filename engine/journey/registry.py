"""The registry of block and condition kinds by permanent slug, and the unions of them the journey language uses.

A kind joins when its class is defined (engine.journey.base: BlockBase / ConditionBase register every concrete
subclass), that is when its module in nodes/ is imported; `import nodes` imports them all, and every entry point
(the worker, the web app, the CLI, the tests) does so first. Nothing in engine/ imports nodes/: `Block` and
`Condition` are built from whatever has joined, the first time a model holding them is validated or asked for its
schema, which is why those models defer their build (`defer_build=True`).

Slugs never change: stored journeys, plans and Temporal histories name them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union

from pydantic import BaseModel, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from engine.journey.base import BLOCK_KINDS, CONDITION_KINDS, BlockBase, ConditionBase

K = TypeVar("K", bound=BaseModel)
NOT_LOADED = "no {family} kind is registered: import nodes first (it registers every block and condition)"


def blocks() -> dict[str, type[BlockBase]]:
    """Every registered block class by its slug (`type`), in the order they joined; raises LookupError before any."""
    return dict(_loaded(BLOCK_KINDS, "block"))


def conditions() -> dict[str, type[ConditionBase]]:
    """Every registered condition class by its slug (`kind`); raises LookupError before any joined."""
    return dict(_loaded(CONDITION_KINDS, "condition"))


def block_class(slug: str) -> type[BlockBase]:
    """The block class of `slug`; raises LookupError naming the known ones when there is none."""
    return _lookup(_loaded(BLOCK_KINDS, "block"), slug, "block type")


def condition_class(slug: str) -> type[ConditionBase]:
    """The condition class of `slug`; raises LookupError naming the known ones when there is none."""
    return _lookup(_loaded(CONDITION_KINDS, "condition"), slug, "condition kind")


def activities() -> tuple[Callable[..., Any], ...]:
    """The Temporal activities of every registered block (BlockBase.activities), each once, for the worker."""
    found = [activity for cls in blocks().values() for activity in cls.activities()]
    return tuple(dict.fromkeys(found))


def _loaded(kinds: Mapping[str, type[K]], family: str) -> Mapping[str, type[K]]:
    if not kinds:
        raise LookupError(NOT_LOADED.format(family=family))
    return kinds


def _lookup(kinds: Mapping[str, type[K]], slug: str, noun: str) -> type[K]:
    if slug not in kinds:
        raise LookupError(f"unknown {noun} '{slug}'; known are {', '.join(sorted(kinds))}")
    return kinds[slug]


def _union(kinds: Mapping[str, type[BaseModel]], tag: str, handler: GetCoreSchemaHandler) -> CoreSchema:
    """The discriminated union of `kinds` on `tag`: validation tries only the class its tag names, errors carry the
    tag in their location (steps.0.if_else.then.0.wait.days) and the JSON Schema is a oneOf with a mapping."""
    classes = tuple(kinds.values())
    if len(classes) == 1:  # a union of one is that class, and a discriminator needs a union
        return handler.generate_schema(classes[0])
    return handler.generate_schema(Annotated[Union[classes], Field(discriminator=tag)])  # noqa: UP007


if TYPE_CHECKING:
    Block = BlockBase
    Condition = ConditionBase
else:

    class Block:
        """Any registered block, told apart by its `type`."""

        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
            return _union(_loaded(BLOCK_KINDS, "block"), "type", handler)

    class Condition:
        """Any registered condition, told apart by its `kind`."""

        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
            return _union(_loaded(CONDITION_KINDS, "condition"), "kind", handler)
