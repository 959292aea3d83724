"""The editor form of a kind (engine.journey.forms): read from the kind's JSON Schema in the locale asked for, with
each field's type, bounds, default, choices and sub-forms; branches are `blocks`, conditions the condition picker."""

from __future__ import annotations

import pytest

from engine.journey.forms import FieldForm, block_form, condition_form


def by_name(fields: list[FieldForm]) -> dict[str, FieldForm]:
    return {field.name: field for field in fields}


def test_a_wait_in_chinese() -> None:
    form = block_form("wait", "zh-CN")
    days = by_name(form.fields)["days"]

    assert (form.family, form.slug, form.title, form.category, form.category_title, form.icon) == (
        "block", "wait", "等待", "wait", "等待", "hourglass"
    )  # fmt: skip
    assert [field.name for field in form.fields] == ["id", "label", "days", "hours", "minutes"]
    assert (days.title, days.type, days.required, days.default) == ("天", "integer", False, 0)
    assert days.constraints == {"minimum": 0, "maximum": 36500}
    assert (by_name(form.fields)["id"].required, by_name(form.fields)["label"].nullable) == (True, True)


def test_branches_conditions_and_nested_forms_in_english() -> None:
    fields = by_name(block_form("if_else", "en").fields)
    else_if = fields["else_if"]

    assert [(name, field.type) for name, field in fields.items()] == [
        ("id", "string"), ("label", "string"), ("condition", "condition"), ("then", "blocks"), ("else_if", "list"),
        ("else", "blocks"),
    ]  # fmt: skip
    assert (fields["else"].title, fields["else"].description) == (
        "Else", "The blocks for members no condition holds for."
    )  # fmt: skip
    assert (else_if.item_type, [(f.name, f.type, f.required) for f in else_if.fields]) == (
        "object", [("condition", "condition", True), ("then", "blocks", False)]
    )  # fmt: skip
    assert by_name(condition_form("all", "en").fields)["of"].type == "conditions"


def test_choices_are_labelled_in_the_locale() -> None:
    fields = by_name(condition_form("rfm_score", "zh-CN").fields)
    weekdays = by_name(block_form("wait_until", "en").fields)["weekdays"]

    assert [(c.value, c.label) for c in fields["op"].choices] == [
        ("eq", "等于"), ("ne", "不等于"), ("gt", "大于"), ("ge", "大于或等于"), ("lt", "小于"), ("le", "小于或等于"),
    ]  # fmt: skip
    assert [c.label for c in fields["dimension"].choices] == ["R：最近一次消费", "F：消费频率", "M：消费金额"]
    assert (weekdays.type, weekdays.item_type, weekdays.constraints) == ("list", "string", {"maxItems": 7})
    assert [c.label for c in weekdays.choices][:2] == ["Monday", "Tuesday"]


def test_special_inputs() -> None:
    changed = by_name(condition_form("segment_changed", "en").fields)

    assert by_name(block_form("webhook", "en").fields)["url"].type == "url"
    assert by_name(block_form("wait_until", "en").fields)["at"].type == "time"
    assert by_name(condition_form("attribute", "en").fields)["value"].type == "value"
    assert (changed["from"].type, changed["from"].item_type, changed["from"].nullable) == ("list", "string", True)
    goal = by_name(block_form("split", "zh-CN").fields)["conversion"]
    assert (goal.type, goal.nullable, [f.title for f in goal.fields]) == (
        "object", True, ["目标事件", "筛选条件", "转化周期（天）"]
    )  # fmt: skip


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(LookupError, match="unknown block type 'send_fax'; known are add_tag, "):
        block_form("send_fax", "en")
