"""The OpenAPI document says what the API really takes and answers: each component that is one of our pydantic
models is pydantic's own JSON Schema of it, replacing the one Litestar derives.

Litestar's derivation loses what pydantic knows: a constraint inside an optional field (a name of at most 200
characters), `extra="forbid"` (additionalProperties: false), a decimal taken as a number or a string and answered
as a string ("120.50"). Pydantic's validation-mode schema states all of them, and it also describes the answers,
since every answer is a model that validates against its own schema.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar import Litestar
from pydantic import BaseModel

REF = "#/components/schemas/{model}"


def describe_models_exactly(app: Litestar) -> None:
    """Replace, in `app`'s OpenAPI document (built once, then served as is), every component schema named after
    exactly one pydantic model class with that model's JSON Schema; the models it refers to become components too.
    """
    components: dict[str, Any] = app.openapi_schema.components.schemas
    models = _models_by_name()
    for name in sorted(components):
        if (model := models.get(name)) is not None:
            components.update(_exact_schemas(model))
    _discriminators_are_required(components)


@cache
def _exact_schemas(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema and those of the models it refers to, by component name (computed once: every app
    of the process describes the same models)."""
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    return {**schema.pop("$defs", {}), model.__name__: schema}


def _discriminators_are_required(components: dict[str, Any]) -> None:
    """A union told apart by a field (a condition's `kind`) needs that field in the request even where the model
    gives it a default; JSON Schema validators do not read `discriminator`, so each member requires it."""
    for schema in list(components.values()):
        for union in _discriminated(schema):
            field = union["discriminator"]["propertyName"]
            for target in union["discriminator"].get("mapping", {}).values():
                member = components.get(target.removeprefix("#/components/schemas/"))
                if isinstance(member, dict) and field not in member.setdefault("required", []):
                    member["required"].append(field)


def _discriminated(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if isinstance(value.get("discriminator"), dict) else []
        return found + [union for item in value.values() for union in _discriminated(item)]
    if isinstance(value, list):
        return [union for item in value for union in _discriminated(item)]
    return []


@cache
def _models_by_name() -> dict[str, type[BaseModel]]:
    """Every pydantic model class loaded, by class name; a name two classes share is left out (ambiguous)."""
    found: dict[str, type[BaseModel]] = {}
    shared: set[str] = set()
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for model in pending.pop().__subclasses__():
            pending.append(model)
            if model.__pydantic_generic_metadata__["origin"] is not None:
                continue  # a parametrised generic, e.g. OneOrMany[MemberRecord]: documented by its plugin
            if model.__name__ in found and found[model.__name__] is not model:
                shared.add(model.__name__)
            found[model.__name__] = model
    return {name: model for name, model in found.items() if name not in shared}
