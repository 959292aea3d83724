"""Block: multi-branch, named paths each with a condition, the first that holds wins, else "otherwise"."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.registry import Block, Condition

PATH_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][\w\u4e00-\u9fff\-]{0,63}$")


class Path(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True
    )  # holds blocks: see engine.journey.registry

    name: str = Field(title="Path name", description="e.g. vip, 上海")
    condition: Condition = Field(title="When")
    steps: list[Block] = Field(default_factory=list, title="Then")


class Branch(BlockBase):
    type: Literal["branch"] = "branch"
    paths: list[Path] = Field(min_length=1, title="Paths")
    otherwise: list[Block] = Field(default_factory=list, title="Otherwise")

    title: ClassVar[str] = "Branch"
    icon: ClassVar[str] = "git-fork"
    category: ClassVar[Category] = "condition"
    help: ClassVar[str] = "Several named paths: each member takes the first whose condition holds."

    def branches(self) -> list[tuple[str, list[BlockBase]]]:
        named: list[tuple[str, list[BlockBase]]] = [(path.name, list(path.steps)) for path in self.paths]
        return [*named, ("otherwise", list(self.otherwise))]

    def without_steps(self) -> BlockBase:
        return self.model_copy(
            update={"otherwise": [], "paths": [p.model_copy(update={"steps": []}) for p in self.paths]}
        )

    def check(self) -> list[str]:
        problems = []
        names = [path.name for path in self.paths]
        if repeated := sorted({name for name in names if names.count(name) > 1}):
            problems.append(f"path name(s) {', '.join(repeated)} used more than once")
        if "otherwise" in names:
            problems.append("'otherwise' is reserved for the path taken when no condition holds")
        if bad := [name for name in names if not PATH_NAME.match(name)]:
            problems.append(f"path name(s) {', '.join(bad)} must be a word (letters, digits, - or _)")
        return problems

    async def run(self, journey: JourneyRunContext) -> str | None:
        chosen = await journey.choose(self, [path.condition for path in self.paths])
        return "otherwise" if chosen is None else self.paths[chosen].name
