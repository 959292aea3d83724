"""Reading YAML that people hand us (journeys, tag rules, coupon and message templates, points rules) within a
budget: an alias bomb (a kilobyte whose anchors expand to billions of values) is refused after composing the
document's nodes and before any value is built, and so are documents nested too deeply or too long to be real.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_TEXT = 2_000_000  # characters of one file
MAX_NODES = 100_000  # values of the document once every alias is expanded (the examples have a few hundred)


class YamlBudgetError(yaml.YAMLError):  # type: ignore[misc]  # (PyYAML has no type hints here)
    """A document beyond the budget; callers that report YAMLError report this too."""


def load_yaml(text: str) -> Any:
    """The document in `text` (safe types only), or YamlBudgetError / YAMLError saying why not."""
    if len(text) > MAX_TEXT:
        raise YamlBudgetError(f"the file has more than {MAX_TEXT} characters")
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlBudgetError("the document is nested too deeply") from None
        if node is None:
            return None
        expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node) -> int:
    """How many values the document holds with every alias expanded, counted without expanding anything (each
    node's size once, then reused); raises YamlBudgetError past MAX_NODES or on an alias that contains itself."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_NODES:
                raise YamlBudgetError(f"its aliases expand to more than {MAX_NODES} values")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlBudgetError("an alias refers to the value that contains it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
