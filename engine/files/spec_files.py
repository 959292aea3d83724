"""Lists of marketer-written definitions (tag rules, coupon templates) read from YAML or JSON files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from engine.errors import Invalid
from engine.files.yaml_budget import load_yaml
from engine.intake.csv_import import read_shop_text
from engine.limits import nul_problem

S = TypeVar("S", bound=BaseModel)


def read_specs(file: Path, model: type[S], noun: str) -> list[S]:
    """Every definition in the file, or Invalid naming each problem as `file: noun N.field: reason`."""
    try:
        raw = load_yaml(read_shop_text(file))
    except (OSError, yaml.YAMLError) as exc:
        raise Invalid([f"{file}: cannot read it: {exc}"]) from None
    if problem := nul_problem(raw):
        raise Invalid([f"{file}: {problem}"])
    try:
        return TypeAdapter(list[model]).validate_python(raw)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise Invalid([_sentence(file, noun, e) for e in exc.errors()]) from None


def _sentence(file: Path, noun: str, error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{file}: {noun} {where}: {error['msg']}"
