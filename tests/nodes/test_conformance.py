"""Every registered block and condition kind, as the editor and stored journeys need it: editor metadata in both
languages (zh-CN and en), every config field described in both, sample configurations that survive JSON and
Temporal's pydantic data converter unchanged, its module named after its slug, its slug in the README, and a config
form in each locale. A new kind that misses any of this fails here, naming what is missing."""

from __future__ import annotations

import keyword
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from temporalio.contrib.pydantic import pydantic_data_converter

from engine.journey import registry
from engine.journey.base import BlockBase, ConditionBase
from engine.journey.forms import FieldForm, form
from engine.journey.metadata import BLOCK_CATEGORIES, CONDITION_CATEGORIES, LOCALES, Locale, Words, of_field, zh

Kind = type[BlockBase] | type[ConditionBase]
KINDS: list[Kind] = [*registry.blocks().values(), *registry.conditions().values()]
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
KIND_LIST = README.split("\n- Blocks: ", 1)[1].split("\n- ", 1)[0]  # the README's list of blocks and conditions
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ICON = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def tag_of(kind: Kind) -> str:
    """The discriminator field: a block's `type`, a condition's `kind`."""
    return "type" if issubclass(kind, BlockBase) else "kind"


def slug_of(kind: Kind) -> str:
    return str(kind.model_fields[tag_of(kind)].default)


def config_fields(model: type[BaseModel], seen: frozenset[type] = frozenset()) -> Iterator[tuple[str, FieldInfo]]:
    """('Model.field', its FieldInfo) of every config field of `model` and of the models it holds (paths, arms,
    event filters, …), but not of the kinds it holds (each is checked on its own) nor its own slug."""
    for name, info in model.model_fields.items():
        if name in ("type", "kind") and issubclass(model, BlockBase | ConditionBase):
            continue
        yield f"{model.__name__}.{name}", info
        for held in models_in(info.annotation):
            if held not in seen and not issubclass(held, BlockBase | ConditionBase):
                yield from config_fields(held, seen | {model})


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from models_in(argument)


def form_fields(fields: list[FieldForm]) -> Iterator[FieldForm]:
    for field in fields:
        yield field
        yield from form_fields(field.fields)


@pytest.mark.parametrize("kind", KINDS, ids=slug_of)
def test_title_and_help_are_stated_in_both_languages(kind: Kind) -> None:
    own = vars(kind)
    palette = "category" if issubclass(kind, BlockBase) else "about"

    assert {"title", "help", "icon", palette, "examples"} <= own.keys(), "state each on the kind itself"
    for words in (kind.title, kind.help):
        assert isinstance(words, Words) and words.complete, words
        assert CHINESE.search(words.zh_CN), f"not Chinese: {words.zh_CN!r}"
        assert words.en != words.zh_CN


@pytest.mark.parametrize("locale", LOCALES)
def test_each_kind_has_its_own_title_and_help(locale: Locale) -> None:
    titles = [kind.title.in_locale(locale) for kind in KINDS]
    helps = [kind.help.in_locale(locale) for kind in KINDS]

    assert sorted({t for t in titles if titles.count(t) > 1}) == []
    assert sorted({h for h in helps if helps.count(h) > 1}) == []


@pytest.mark.parametrize("kind", KINDS, ids=slug_of)
def test_category_and_icon(kind: Kind) -> None:
    if issubclass(kind, BlockBase):
        assert kind.category in BLOCK_CATEGORIES
    else:
        assert kind.about in CONDITION_CATEGORIES
    assert ICON.match(kind.icon), f"icon {kind.icon!r}: a name such as 'tag' or 'user-edit'"


@pytest.mark.parametrize("kind", KINDS, ids=slug_of)
def test_every_config_field_has_a_title_and_description_in_both_languages(kind: Kind) -> None:
    missing = []
    for where, info in config_fields(kind):
        chinese = of_field(info.metadata) or zh("", "")  # `Annotated[type, zh(title, description)]`
        texts = {"title": info.title, "description": info.description, "zh-CN title": chinese.title,
                 "zh-CN description": chinese.description}  # fmt: skip
        for what, text in texts.items():
            if not isinstance(text, str) or not text.strip():
                missing.append(f"{where}: {what}")
            elif what.startswith("zh-CN") and not CHINESE.search(text):
                missing.append(f"{where}: {what} is not Chinese ({text!r})")

    assert missing == []


@pytest.mark.parametrize("kind", KINDS, ids=slug_of)
def test_the_examples_are_sound_and_round_trip_through_json_and_the_temporal_converter(kind: Kind) -> None:
    assert kind.examples, "give at least one sample configuration (examples)"
    union = TypeAdapter(registry.Block if issubclass(kind, BlockBase) else registry.Condition)
    converter = pydantic_data_converter.payload_converter
    for example in kind.examples:
        sample = kind.model_validate(example)

        assert type(union.validate_python(example)) is kind  # a journey file's step or condition reads as this kind
        assert sample.check() == []
        assert kind.model_validate_json(sample.model_dump_json()) == sample
        assert converter.from_payloads(converter.to_payloads([sample]), [kind]) == [sample]


@pytest.mark.parametrize("kind", KINDS, ids=slug_of)
def test_the_slug_is_the_module_name_and_the_readme_lists_it(kind: Kind) -> None:
    slug = slug_of(kind)
    package = "nodes" if issubclass(kind, BlockBase) else "nodes.conditions"
    module = f"{slug}_" if keyword.iskeyword(slug) else slug  # nodes/conditions/not_.py is `not`

    assert kind.__module__ == f"{package}.{module}"
    assert f"`{slug}`" in KIND_LIST


@pytest.mark.parametrize("kind", KINDS, ids=slug_of)
def test_a_config_form_is_generated_in_each_locale_and_names_every_field(kind: Kind) -> None:
    tag = tag_of(kind)
    names = [info.alias or name for name, info in kind.model_fields.items() if name != tag]
    for locale in LOCALES:
        generated = form(kind, locale)

        said = (generated.slug, generated.title, generated.help)
        assert said == (slug_of(kind), kind.title.in_locale(locale), kind.help.in_locale(locale))
        assert generated.category_title and generated.icon == kind.icon
        assert [field.name for field in generated.fields] == names
        for field in form_fields(generated.fields):
            assert field.title and field.description, field.name
            if locale == "zh-CN":
                assert CHINESE.search(field.title) and CHINESE.search(field.description), field
                assert all(CHINESE.search(choice.label) for choice in field.choices), field.choices
            else:
                assert all(choice.label != str(choice.value) for choice in field.choices), field.choices
