"""Block: if / else if / else on member conditions; the flow continues after the block."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.registry import Block, Condition


class ElseIf(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True
    )  # holds blocks: see engine.journey.registry

    condition: Condition = Field(title="Else if")
    then: list[Block] = Field(default_factory=list, title="Then")


class IfElse(BlockBase):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["if_else"] = "if_else"
    condition: Condition = Field(title="If")
    then: list[Block] = Field(default_factory=list, title="Then")
    else_if: list[ElseIf] = Field(default_factory=list, title="Else if")
    otherwise: list[Block] = Field(default_factory=list, alias="else", title="Else")

    title: ClassVar[str] = "If / else"
    icon: ClassVar[str] = "split"
    category: ClassVar[Category] = "condition"
    help: ClassVar[str] = "Send members down the first branch whose condition holds, else down 'else'."

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
