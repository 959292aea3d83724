"""Block: multi-branch, named paths each with a condition, the first that holds wins, else "otherwise"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.registry import Block, Condition

PATH_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][\w\u4e00-\u9fff\-]{0,63}$")


class Path(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True
    )  # holds blocks: see engine.journey.registry

    name: Annotated[str, zh("路径名称", "路径的名称，例如 vip 或 上海（otherwise 为保留名称）。")] = Field(
        title="Path name", description="A word naming the path, e.g. vip or 上海 ('otherwise' is taken)."
    )
    condition: Annotated[Condition, zh("条件", "满足此条件的会员进入这条路径。")] = Field(
        title="When", description="Members for whom this holds take this path."
    )
    steps: Annotated[list[Block], zh("执行", "进入这条路径的会员依次经过的节点。")] = Field(
        default_factory=list, title="Then", description="The blocks members on this path go through."
    )


class Branch(BlockBase):
    type: Literal["branch"] = "branch"
    paths: Annotated[list[Path], zh("路径", "按顺序判断，会员进入第一条条件成立的路径。")] = Field(
        min_length=1, title="Paths", description="Checked in order; a member takes the first whose condition holds."
    )
    otherwise: Annotated[list[Block], zh("其他", "所有路径的条件都不成立的会员经过的节点。")] = Field(
        default_factory=list, title="Otherwise", description="The blocks for members no path's condition holds for."
    )

    title: ClassVar[Words] = Words("Branch", "多路分支")
    help: ClassVar[Words] = Words(
        "Several named paths: each member takes the first whose condition holds.",
        "设置多条命名路径，会员进入第一条条件成立的路径；都不成立时走“其他”。",
    )
    icon: ClassVar[str] = "git-fork"
    category: ClassVar[Category] = "condition"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {
            "id": "by-city", "type": "branch",
            "paths": [
                {"name": "上海", "condition": {"kind": "attribute", "attribute": "city", "op": "in",
                                             "value": ["上海", "杭州"]},
                 "steps": [{"id": "tag-east", "type": "add_tag", "tag": "EAST"}]},
                {"name": "vip", "condition": {"kind": "has_tag", "tag": "VIP"}, "steps": []},
            ],
            "otherwise": [{"id": "wait-1h", "type": "wait", "hours": 1}],
        },
    )  # fmt: skip

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
