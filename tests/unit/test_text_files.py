"""Marketer-written files (journeys, tag rules, coupon and message templates) cannot carry a NUL character into
the database: the file is refused naming where the character is."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import Invalid
from engine.files.spec_files import read_specs
from engine.journey.language import read_journey_file
from engine.members.tag_rules import TagRuleSpec


def test_a_spec_file_with_a_nul_character_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('- tag: "VIP\\0"\n  condition: {kind: has_tag, tag: x}\n', encoding="utf-8")

    with pytest.raises(Invalid) as raised:
        read_specs(rules, TagRuleSpec, "rule")

    assert raised.value.problems == [f"{rules}: 0.tag contains a NUL character (\\u0000), which cannot be stored"]


def test_a_journey_file_with_a_nul_character_is_refused(tmp_path: Path) -> None:
    journey = tmp_path / "j.json"
    journey.write_text('{"id": "j", "steps": [{"type": "add_tag", "tag": "a\\u0000"}]}', encoding="utf-8")

    with pytest.raises(Invalid) as raised:
        read_journey_file(journey)

    assert raised.value.problems == [
        f"{journey}: steps.0.tag contains a NUL character (\\u0000), which cannot be stored"
    ]
