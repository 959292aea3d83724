"""The editor's form of a block or condition kind, in one locale, read from the kind's pydantic JSON Schema and its
editor metadata (engine.journey.metadata): what the editor draws to configure a block, without knowing the kind.

Pure: `form(AddTag, "zh-CN")` computes a `KindForm` from the class alone; `block_form` / `condition_form` look a
slug up in the registry first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.journey.base import BlockBase, ConditionBase
from engine.journey.metadata import BLOCK_CATEGORIES, CHOICES, CONDITION_CATEGORIES, Locale, chinese
from engine.journey.registry import block_class, condition_class

FieldType = Literal[
    "string", "integer", "number", "boolean", "time", "url", "value", "list", "object", "blocks", "condition",
    "conditions",
]  # fmt: skip
CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
               "pattern", "minItems", "maxItems")  # fmt: skip
SCALARS: dict[str, FieldType] = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
FORMATS: dict[str, FieldType] = {"time": "time", "uri": "url"}
TAGS: dict[str, Literal["block", "condition"]] = {"type": "block", "kind": "condition"}  # a union's discriminator
ONE: dict[str, FieldType] = {"block": "blocks", "condition": "condition"}  # a field holding the union
MANY: dict[str, FieldType] = {"block": "blocks", "condition": "conditions"}  # a field holding a list of it


class Choice(BaseModel):
    """One value a field may take, with its label in the form's locale (the value itself when it has none)."""

    model_config = ConfigDict(frozen=True)

    value: Any
    label: str


class FieldForm(BaseModel):
    """One input of a form.

    `type` is what the editor draws: a scalar input (string, integer, number, boolean, time of day, url), `value`
    (anything a condition compares with: a number, text, true/false or a list of them), `object` (the sub-form
    `fields`), `list` (of the sub-form `fields` when items are objects, else of `item_type` values), `blocks` (a
    branch: a sequence of blocks drawn on the canvas), `condition` or `conditions` (the condition picker)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="The key in the journey's JSON/YAML (an alias such as `else` where there is one).")
    title: str
    description: str
    type: FieldType
    item_type: FieldType | None = Field(None, description="For a list of plain values: the type of each.")
    required: bool
    nullable: bool = Field(description="Empty (null) is allowed.")
    default: Any = Field(None, description="The default value when the field is left out (None when it has none).")
    constraints: dict[str, Any] = Field(
        default_factory=dict, description="JSON Schema bounds: minimum, maxLength, maxItems, … (a list's items' too)."
    )
    choices: list[Choice] = Field(default_factory=list, description="The values allowed, when they are few.")
    fields: list[FieldForm] = Field(default_factory=list, description="An object's fields, or each list item's.")


class KindForm(BaseModel):
    """The form of one block or condition kind in one locale."""

    model_config = ConfigDict(frozen=True)

    family: Literal["block", "condition"]
    slug: str = Field(description="The permanent `type` of a block or `kind` of a condition.")
    title: str
    help: str
    category: str
    category_title: str
    icon: str
    fields: list[FieldForm] = Field(description="Every config field but the slug, in the order of the model.")


def form(kind: type[BlockBase] | type[ConditionBase], locale: Locale) -> KindForm:
    """The editor form of `kind` in `locale` ("zh-CN" or "en"). A field without Chinese text shows its English."""
    family: Literal["block", "condition"] = "block" if issubclass(kind, BlockBase) else "condition"
    tag = "type" if family == "block" else "kind"
    category = kind.category if issubclass(kind, BlockBase) else kind.about
    categories = BLOCK_CATEGORIES if family == "block" else CONDITION_CATEGORIES
    schema = kind.model_json_schema()
    defs: Mapping[str, Any] = schema.get("$defs", {})
    own = _resolved(schema, defs)
    return KindForm(
        family=family, slug=str(kind.model_fields[tag].default), title=kind.title.in_locale(locale),
        help=kind.help.in_locale(locale), category=category,
        category_title=categories[category].in_locale(locale), icon=kind.icon,
        fields=_fields(own, defs, locale, skip=tag, seen=(kind.__name__,)),
    )  # fmt: skip


def block_form(slug: str, locale: Locale) -> KindForm:
    """The form of the block kind `slug`; LookupError naming the known ones if there is none."""
    return form(block_class(slug), locale)


def condition_form(slug: str, locale: Locale) -> KindForm:
    """The form of the condition kind `slug`; LookupError naming the known ones if there is none."""
    return form(condition_class(slug), locale)


def _resolved(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    """`schema` with a `$ref` replaced by the definition it names (its own keys win, as JSON Schema reads them)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    rest = {key: value for key, value in schema.items() if key != "$ref"}
    return {**_resolved(defs[ref.rsplit("/", 1)[-1]], defs), **rest}


def _ref_name(schema: Mapping[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _fields(
    model: Mapping[str, Any], defs: Mapping[str, Any], locale: Locale, *, skip: str | None, seen: tuple[str, ...]
) -> list[FieldForm]:
    required = set(model.get("required", ()))
    return [
        _field(name, schema, defs, locale, required=name in required, seen=seen)
        for name, schema in model.get("properties", {}).items()
        if name != skip
    ]


def _field(
    name: str, schema: Mapping[str, Any], defs: Mapping[str, Any], locale: Locale, *, required: bool,
    seen: tuple[str, ...],
) -> FieldForm:  # fmt: skip
    value, nullable = _without_null(schema)
    words = chinese(schema) if locale == "zh-CN" else {}
    english_title, english_description = schema.get("title", name), schema.get("description", "")
    kind, item_type, fields, item = _shape(value, defs, locale, seen)
    constraints = {key: value[key] for key in CONSTRAINTS if key in value}
    if item is not None and (item_constraints := {key: item[key] for key in CONSTRAINTS if key in item}):
        constraints["items"] = item_constraints
    enum = value.get("enum") or (item or {}).get("enum") or []
    labels = schema.get(CHOICES, {})
    return FieldForm(
        name=name, title=words.get("title") or english_title,
        description=words.get("description") or english_description, type=kind, item_type=item_type,
        required=required, nullable=nullable, default=schema.get("default"), constraints=constraints,
        choices=[Choice(value=v, label=labels.get(v, {}).get(locale, str(v))) for v in enum], fields=fields,
    )  # fmt: skip


def _without_null(schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """The schema a value must match when it is not null, and whether null is allowed."""
    variants = schema.get("anyOf")
    if not isinstance(variants, list):
        return schema, False
    given = [v for v in variants if v != {"type": "null"}]
    # More than one left: a Decimal (a number, or a string of one); the editor offers the first.
    return given[0], len(given) < len(variants)


def _shape(
    schema: Mapping[str, Any], defs: Mapping[str, Any], locale: Locale, seen: tuple[str, ...]
) -> tuple[FieldType, FieldType | None, list[FieldForm], Mapping[str, Any] | None]:
    """(type, item type, sub-form, the items' schema) of a non-null value."""
    if (union := _union_of(schema)) is not None:
        return ONE[union], None, [], None
    if schema.get("type") == "array":
        items = schema.get("items", {})
        if (union := _union_of(items)) is not None:
            return MANY[union], None, [], None
        resolved = _resolved(items, defs)
        if "properties" in resolved:
            return "list", "object", _nested(items, resolved, defs, locale, seen), None
        return "list", _scalar(resolved), [], resolved
    resolved = _resolved(schema, defs)
    if "properties" in resolved:
        return "object", None, _nested(schema, resolved, defs, locale, seen), None
    return _scalar(resolved), None, [], None


def _union_of(schema: Mapping[str, Any]) -> Literal["block", "condition"] | None:
    """ "block" or "condition" when `schema` is the registry's union of them (told by its discriminator)."""
    return TAGS.get(str(schema.get("discriminator", {}).get("propertyName")))


def _nested(
    schema: Mapping[str, Any], resolved: Mapping[str, Any], defs: Mapping[str, Any], locale: Locale,
    seen: tuple[str, ...],
) -> list[FieldForm]:  # fmt: skip
    name = _ref_name(schema)
    if name is not None and name in seen:  # a model holding itself: the editor opens it as it opened the outer one
        return []
    return _fields(resolved, defs, locale, skip=None, seen=(*seen, name) if name else seen)


def _scalar(schema: Mapping[str, Any]) -> FieldType:
    """A plain value's input: by its JSON type, a string by its format; anything else is a comparison `value`."""
    kind, shape = str(schema.get("type", "")), str(schema.get("format", ""))
    return (FORMATS.get(shape) if kind == "string" else None) or SCALARS.get(kind, "value")
