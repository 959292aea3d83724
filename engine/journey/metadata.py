"""Editor text in the two languages the UI speaks (zh-CN and en): one `Words` per title or help text of a kind, and
`zh()` for a config field, whose English stays pydantic's own `title` / `description` while the Chinese travels in
the field's JSON Schema (as `x-zh-CN`, with labelled choices as `x-choices`).

    days: Annotated[int, zh("天", "等待的整天数。")] = Field(0, ge=0, title="Days", description="Whole days to wait.")

The Chinese rides on the field's type (pydantic metadata that adds it to the JSON Schema) rather than in
`json_schema_extra`: Litestar copies a field's `json_schema_extra` into its own OpenAPI schema objects, which know
no `x-` keys, and refuses to build the app. The editor form of a kind (engine.journey.forms) reads both languages
back; the conformance test (tests/nodes) checks that every kind and every field says everything in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

Locale = Literal["zh-CN", "en"]
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")
ZH_CN = "x-zh-CN"  # JSON Schema extension keyword: {"title": ..., "description": ...} of a field in Chinese
CHOICES = "x-choices"  # JSON Schema extension keyword: {value: {"en": ..., "zh-CN": ...}} labels of a field's choices


@dataclass(frozen=True)
class Words:
    """The same text in English and in simplified Chinese (zh-CN), e.g. Words("Add tag", "打标签")."""

    en: str
    zh_CN: str

    def in_locale(self, locale: Locale) -> str:
        """The text for `locale` ("zh-CN" or "en")."""
        return self.zh_CN if locale == "zh-CN" else self.en

    @property
    def complete(self) -> bool:
        """True when both languages say something."""
        return bool(self.en.strip() and self.zh_CN.strip())


NO_WORDS = Words("", "")


@dataclass(frozen=True)
class Chinese:
    """A config field's title and description in Chinese, and the labels of its choices (an enum's values) in both
    languages; made by `zh()`, read back by `chinese()` from the JSON Schema or by `of_field()` from the field."""

    title: str
    description: str
    choices: tuple[tuple[str, Words], ...] = ()

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema[ZH_CN] = {"title": self.title, "description": self.description}
        if self.choices:
            schema[CHOICES] = {value: {"en": words.en, "zh-CN": words.zh_CN} for value, words in self.choices}
        return schema


def zh(title: str, description: str, choices: Mapping[str, Words] | None = None) -> Chinese:
    """The Chinese of a config field, for its type: `Annotated[int, zh("天", "等待的整天数。")]`; `choices` labels
    the values of an enum (a Literal) in both languages. The English title and description are the field's own."""
    return Chinese(title, description, tuple((choices or {}).items()))


def of_field(metadata: list[Any]) -> Chinese | None:
    """The Chinese among a pydantic field's metadata (FieldInfo.metadata), if it has one."""
    return next((item for item in metadata if isinstance(item, Chinese)), None)


def chinese(schema: Mapping[str, Any]) -> Mapping[str, str]:
    """The Chinese {"title", "description"} a property's JSON Schema carries ({} when it has none)."""
    found = schema.get(ZH_CN)
    return found if isinstance(found, Mapping) else {}


# The palette groups of the editor: blocks by what they do, conditions by what they ask about.
BlockCategory = Literal["action", "condition", "wait", "flow"]
ConditionCategory = Literal["profile", "tags", "orders", "rewards", "rfm", "events", "logic"]
BLOCK_CATEGORIES: dict[str, Words] = {
    "action": Words("Actions", "营销动作"),
    "condition": Words("Branches", "条件分支"),
    "wait": Words("Waits", "等待"),
    "flow": Words("Flow", "流程控制"),
}
CONDITION_CATEGORIES: dict[str, Words] = {
    "profile": Words("Member profile", "会员属性"),
    "tags": Words("Tags", "标签"),
    "orders": Words("Purchases", "消费行为"),
    "rewards": Words("Points and coupons", "积分与优惠券"),
    "rfm": Words("RFM", "RFM 分群"),
    "events": Words("Events in the journey", "旅程中的行为"),
    "logic": Words("Combine conditions", "条件组合"),
}
