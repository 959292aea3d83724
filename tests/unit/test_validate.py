"""Journey validation: each corpus file reports exactly its mistake; a sound journey reports none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.cron import cron_problem
from engine.errors import Invalid
from engine.journey.events import known_event_types
from engine.journey.registry import blocks, conditions
from engine.journey.validate import check_journey, parse_journey

CORPUS = Path(__file__).resolve().parent.parent / "journeys" / "invalid"
CORPUS_FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = "# expect: "


def known(kinds: dict[str, Any]) -> str:
    """The list an unknown-kind problem names: every registered slug, sorted (no slug list kept by hand)."""
    return ", ".join(sorted(kinds))


def expected_problems(path: Path) -> list[str]:
    """The file's `# expect:` lines; {block types} and {condition kinds} stand for the registered slugs."""
    lines = path.read_text(encoding="utf-8").splitlines()
    slugs = {"{block types}": known(blocks()), "{condition kinds}": known(conditions())}
    found = [line.removeprefix(EXPECT) for line in lines if line.startswith(EXPECT)]
    for placeholder, names in slugs.items():
        found = [line.replace(placeholder, names) for line in found]
    return found


def problems_of(raw: Any) -> list[str]:
    _, problems = check_journey(raw, known_event_types())
    return [str(problem) for problem in problems]


def test_the_corpus_covers_many_mistakes() -> None:
    assert len(CORPUS_FILES) >= 30


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.stem)
def test_each_invalid_journey_reports_exactly_its_mistakes(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path.name} needs a '{EXPECT}<problem>' line"

    assert problems_of(yaml.safe_load(path.read_text(encoding="utf-8"))) == expected


SOUND_JOURNEY = """
id: winback-30d
name: 30 天未购挽回
trigger:
  type: schedule
  cron: "0 10 * * 1-5"
  audience:
    kind: all
    of:
      - kind: days_since_last_order
        days: 30
      - kind: attribute
        attribute: email_consent
        value: true
reentry:
  policy: always
  min_gap_days: 60
goal:
  event: order_placed
  where:
    - property: amount
      op: ge
      value: 100
  within_days: 14
steps:
  - id: tag-winback
    type: add_tag
    tag: WINBACK
  - id: wait-2d
    type: wait
    days: 2
  - id: morning
    type: wait_until
    at: "10:00"
    weekdays: [mon, tue, wed, thu, fri]
  - id: by-value
    type: if_else
    condition:
      kind: spend_in_last_days
      days: 365
      amount: 2000
    then:
      - id: tag-high
        type: add_tag
        tag: WINBACK_HIGH
    else_if:
      - condition:
          kind: points_balance
          op: ge
          points: 500
        then:
          - id: tag-points
            type: add_tag
            tag: WINBACK_POINTS
    else:
      - id: tag-low
        type: add_tag
        tag: WINBACK_LOW
  - id: by-city
    type: branch
    paths:
      - name: 上海
        condition:
          kind: attribute
          attribute: city
          op: in
          value: [上海, 杭州]
        steps:
          - id: tag-east
            type: add_tag
            tag: EAST
    otherwise:
      - id: wait-1h
        type: wait
        hours: 1
  - id: wait-order
    type: wait_for_event
    until:
      event: order_placed
    timeout_days: 7
    happened:
      - id: remove-winback
        type: remove_tag
        tag: WINBACK
      - id: won-back
        type: exit
        reason: ordered again
    timed_out:
      - id: tag-lost
        type: add_tag
        tag: LOST
"""


def test_a_sound_journey_has_no_problems() -> None:
    journey, problems = check_journey(yaml.safe_load(SOUND_JOURNEY), known_event_types())

    assert problems == []
    assert journey is not None
    assert [block.id for block in journey.steps][-1] == "wait-order"


def test_every_problem_is_reported_at_once() -> None:
    raw = yaml.safe_load(SOUND_JOURNEY)
    raw["goal"]["within_days"] = 0
    raw["steps"][1]["days"] = 0
    raw["steps"][5]["until"]["event"] = "coupon_viewed"

    assert problems_of(raw) == [
        "goal: within_days must be more than 0 (it is 0)",
        "wait-2d: the wait must be longer than zero (it is 0:00:00)",
        "wait-order: until: event type 'coupon_viewed' is unknown; known types are coupon_redeemed, order_placed,"
        " points_expiring, segment_changed, signup, tag_added, tag_removed",
    ]


def test_every_parse_error_is_reported_at_once_on_its_block() -> None:
    raw = yaml.safe_load(SOUND_JOURNEY)
    del raw["steps"][0]["tag"]
    raw["steps"][3]["else"][0]["type"] = "send_fax"
    raw["steps"][4]["paths"][0]["condition"]["colour"] = "red"

    assert problems_of(raw) == [
        "tag-winback: tag is required",
        f"tag-low: unknown block type 'send_fax'; known types are {known(blocks())}",
        "by-city: paths[0].condition: unknown field 'colour'",
    ]


def test_custom_event_types_in_use_are_known() -> None:
    raw = yaml.safe_load(SOUND_JOURNEY)
    raw["steps"][5]["until"]["event"] = "coupon_viewed"

    _, problems = check_journey(raw, known_event_types({"coupon_viewed"}))

    assert problems == []


@pytest.mark.parametrize("raw", [None, [], "winback", 42, {}])
def test_check_journey_never_raises_for_bad_input(raw: Any) -> None:
    journey, problems = check_journey(raw, known_event_types())

    assert journey is None
    assert problems


def test_parse_journey_names_the_block_at_fault() -> None:
    raw = yaml.safe_load(SOUND_JOURNEY)
    raw["steps"][2]["at"] = "25:00"

    with pytest.raises(Invalid) as raised:
        parse_journey(raw)

    assert raised.value.problems == ["morning: at must be a time of day such as 09:30, not '25:00'"]


@pytest.mark.parametrize(
    "expr",
    ["* * * * *", "0 10 * * *", "*/15 9-18 * * 1-5", "0 0 1,15 * *", "30 8 * 1-12/3 0", "0 12 31 12 7", "0 */2 * * *"],
)
def test_valid_crons_have_no_problem(expr: str) -> None:
    assert cron_problem(expr) is None


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("", "a cron has 5 fields (minute hour day month weekday), this one has 0"),
        ("0 10 * * * *", "a cron has 5 fields (minute hour day month weekday), this one has 6"),
        ("60 * * * *", "minute 60 is outside 0-59"),
        ("0 24 * * *", "hour 24 is outside 0-23"),
        ("0 0 0 * *", "day 0 is outside 1-31"),
        ("0 0 1 13 *", "month 13 is outside 1-12"),
        ("0 0 * * 8", "weekday 8 is outside 0-7"),
        ("0 18-9 * * *", "hour range 18-9 runs backwards"),
        ("*/0 * * * *", "minute '*/0': the step after / must be a whole number above 0"),
        ("*/x * * * *", "minute '*/x': the step after / must be a whole number above 0"),
        ("5/15 * * * *", "minute '5/15': a step needs * or a range before the /"),
        ("0 10 * * MON", "weekday 'MON' is not a number, *, a range a-b, a list a,b or a step */n"),
        ("0 1,,2 * * *", "hour '' is not a number, *, a range a-b, a list a,b or a step */n"),
        ("0 -1 * * *", "hour '-1' is not a number, *, a range a-b, a list a,b or a step */n"),
    ],
)
def test_invalid_crons_say_what_is_wrong(expr: str, problem: str) -> None:
    assert cron_problem(expr) == problem
