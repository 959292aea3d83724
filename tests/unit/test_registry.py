"""The registry of block and condition kinds: filled by importing nodes/, one permanent slug per class, and the
unions the journey language builds from it."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import ValidationError

from engine.journey import registry
from engine.journey.base import BlockBase, ConditionBase
from engine.journey.language import JourneyDefinition, journey_schema
from nodes.add_tag import AddTag, add_tag_to_member
from nodes.conditions.not_ import Not
from nodes.wait import Wait


def test_each_kind_is_registered_by_its_slug_from_its_own_module() -> None:
    for slug, cls in [*registry.blocks().items(), *registry.conditions().items()]:
        assert cls.__module__.rsplit(".", 1)[-1].rstrip("_") == slug, cls

    assert registry.block_class("wait") is Wait
    assert registry.condition_class("not") is Not


def test_a_second_class_with_a_taken_slug_is_refused() -> None:
    with pytest.raises(TypeError, match=r"type 'wait' is taken by nodes\.wait\.Wait"):

        class AnotherWait(BlockBase):
            type: Literal["wait"] = "wait"

    with pytest.raises(TypeError, match=r"kind 'has_tag' is taken by nodes\.conditions\.has_tag\.HasTag"):

        class AnotherHasTag(ConditionBase):
            kind: Literal["has_tag"] = "has_tag"

    assert registry.block_class("wait") is Wait


def test_an_unknown_slug_names_the_known_ones() -> None:
    with pytest.raises(LookupError, match="unknown block type 'send_fax'; known are add_tag, branch, "):
        registry.block_class("send_fax")


def test_before_nodes_is_imported_a_lookup_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "BLOCK_KINDS", {})  # the registry as the engine finds it without nodes/

    with pytest.raises(LookupError, match="no block kind is registered: import nodes first"):
        registry.blocks()


def test_the_worker_gets_every_blocks_activities_once() -> None:
    found = registry.activities()

    assert add_tag_to_member in found
    assert len(found) == len(set(found)) == sum(len(cls.activities()) for cls in registry.blocks().values())
    assert AddTag.activities() == (add_tag_to_member,)


def test_the_schema_is_a_discriminated_union_of_every_registered_kind() -> None:
    steps = journey_schema()["properties"]["steps"]["items"]

    assert steps["discriminator"]["propertyName"] == "type"
    assert set(steps["discriminator"]["mapping"]) == set(registry.blocks())
    assert len(steps["oneOf"]) == len(registry.blocks())


def test_errors_inside_nested_blocks_keep_the_tag_in_their_location() -> None:
    raw = {"id": "j", "name": "J", "trigger": {"type": "manual"}, "steps": [
        {"id": "if", "type": "if_else", "condition": {"kind": "has_tag", "tag": "VIP"},
         "then": [{"id": "w", "type": "wait", "days": -1}]},
    ]}  # fmt: skip

    with pytest.raises(ValidationError) as raised:
        JourneyDefinition.model_validate(raw)

    assert [error["loc"] for error in raised.value.errors()] == [("steps", 0, "if_else", "then", 0, "wait", "days")]
