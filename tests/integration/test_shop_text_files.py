"""Files marketers write (journeys, rules, coupon templates, A/B counts) in the encodings their editors save:
UTF-8 with or without BOM, and GB18030, the default of Chinese Windows; anything else is refused naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from engine.errors import Invalid
from engine.files.spec_files import read_specs
from engine.journey.language import read_journey_file
from tests.integration.test_cli_refusals import memberflow

RULES = "- tag: 高价值会员\n  note: 近30天消费满500元\n"


class Rule(BaseModel):
    tag: str
    note: str


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_rules_and_journeys_read_in_the_encodings_editors_save(tmp_path: Path, encoding: str) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(RULES.encode(encoding))
    journey = tmp_path / "journey.yaml"
    journey.write_bytes("id: 唤醒\nname: 30天未购唤醒\n".encode(encoding))

    assert read_specs(rules, Rule, "rule") == [Rule(tag="高价值会员", note="近30天消费满500元")]
    assert read_journey_file(journey) == {"id": "唤醒", "name": "30天未购唤醒"}


def test_a_file_in_neither_encoding_is_refused_naming_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(RULES.encode("utf-8") + b"- tag: \xff\xfe\xfd\n")

    with pytest.raises(Invalid) as refused:
        read_specs(rules, Rule, "rule")

    assert refused.value.problems == [
        f"{rules}:3: this line is not UTF-8 text (bytes ff fe fd 0a at column 8) while the lines before it are: "
        "the file mixes encodings; save it again as one (CSV UTF-8, or GB18030) and import it again: "
        "nothing was imported"
    ]


def test_ab_counts_too_large_for_the_statistics_are_refused_naming_the_field(tmp_path: Path) -> None:
    counts = tmp_path / "counts.json"
    counts.write_text(
        '{"metric": "revenue", "arms": [{"name": "A", "users": 100, "sum": 1e308, "sum_squares": 1e308},'
        ' {"name": "B", "users": 100, "sum": 10, "sum_squares": 20}]}',
        encoding="utf-8",
    )

    result = memberflow("ab", "analyze", str(counts))

    assert result.returncode == 2, result.stderr
    assert f"error: {counts}: arms.0.sum must be at most 1e+18 (it is '1e+308')" in result.stderr
    assert "Traceback" not in result.stderr
