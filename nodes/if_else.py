"""Block: if / else if / else on member conditions; the flow continues after the block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.registry import Block, Condition


class ElseIf(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True
    )  # holds blocks: see engine.journey.registry

    condition: Annotated[Condition, zh("否则如果", "前面的条件都不成立时，再判断这个条件。")] = Field(
        title="Else if", description="Checked when no condition before it holds."
    )
    then: Annotated[list[Block], zh("则执行", "满足这个条件的会员经过的节点。")] = Field(
        default_factory=list, title="Then", description="The blocks for members this condition holds for."
    )


class IfElse(BlockBase):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["if_else"] = "if_else"
    condition: Annotated[Condition, zh("如果", "首先判断的条件。")] = Field(
        title="If", description="The first condition checked."
    )
    then: Annotated[list[Block], zh("则执行", "满足条件的会员经过的节点。")] = Field(
        default_factory=list, title="Then", description="The blocks for members the condition holds for."
    )
    else_if: Annotated[list[ElseIf], zh("否则如果", "更多条件，按顺序依次判断。")] = Field(
        default_factory=list, title="Else if", description="More conditions, checked in order."
    )
    otherwise: Annotated[list[Block], zh("否则", "所有条件都不成立的会员经过的节点。")] = Field(
        default_factory=list, alias="else", title="Else", description="The blocks for members no condition holds for."
    )

    title: ClassVar[Words] = Words("If / else", "条件判断")
    help: ClassVar[Words] = Words(
        "Send members down the first branch whose condition holds, else down 'else'.",
        "会员进入第一个条件成立的分支，都不成立时进入“否则”分支；之后继续执行后面的节点。",
    )
    icon: ClassVar[str] = "split"
    category: ClassVar[Category] = "condition"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {
            "id": "by-value", "type": "if_else",
            "condition": {"kind": "spend_in_last_days", "days": 365, "op": "ge", "amount": 2000},
            "then": [{"id": "tag-high", "type": "add_tag", "tag": "WINBACK_HIGH"}],
            "else_if": [{"condition": {"kind": "points_balance", "op": "ge", "points": 500},
                         "then": [{"id": "tag-points", "type": "add_tag", "tag": "WINBACK_POINTS"}]}],
            "else": [{"id": "tag-low", "type": "add_tag", "tag": "WINBACK_LOW"}],
        },
    )  # fmt: skip

    def branches(self) -> list[tuple[str, list[BlockBase]]]:
        paths: list[tuple[str, list[BlockBase]]] = [("then", list(self.then))]
        paths += [(f"else_if_{n}", list(path.then)) for n, path in enumerate(self.else_if, start=1)]
        return [*paths, ("else", list(self.otherwise))]

    def without_steps(self) -> BlockBase:
        return self.model_copy(
            update={"then": [], "otherwise": [], "else_if": [p.model_copy(update={"then": []}) for p in self.else_if]}
        )

    def check(self) -> list[str]:
        if not any(steps for _, steps in self.branches()):
            return ["every branch is empty: add a block to at least one of them, or remove the if/else"]
        return []

    async def run(self, journey: JourneyRunContext) -> str | None:
        chosen = await journey.choose(self, [self.condition, *(path.condition for path in self.else_if)])
        return "else" if chosen is None else self.branches()[chosen][0]
