"""The sandbox marketers' templates render in: jinja2's SandboxedEnvironment, and a budget on every render.

The budget holds for every construct, not per operator: each value a template builds (by an operator, a `~`
concatenation, a filter, a test, a function or method call, a captured block) is measured as it is made, against
MAX_VALUE for one value and MEMORY_BUDGET for all of them; the output stops at MAX_OUTPUT; a tracer counts the
template's steps and its CPU time. The few operations whose result can be far larger than what goes in (padding to a
width, repeating, formatting with a width or precision, replacing, joining, filling batches, indenting JSON) are
sized before they run, so no single call can allocate past the budget first. Methods of plain values are limited to
those with a known size (`upper`, `split`, `items`, …). Breaking the budget raises RenderError with the reason.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, _PassArg

STEP_BUDGET = 200_000  # lines of compiled template code per rendered part
TIME_BUDGET = 0.5  # seconds of this thread's CPU per render (every part)
MAX_VALUE = 200_000  # characters or items of any one value a template builds
MAX_OUTPUT = 200_000  # characters a rendered part may have
MEMORY_BUDGET = 5_000_000  # characters or items of every value one part builds, together
MAX_INT_BITS = 256  # numbers a template computes (a 77-digit number)
MAX_POWER = 64  # largest exponent of `**`

NUMBERS = (int, float)


class RenderError(Exception):
    """A template that cannot render: the sentence names the template, the part and the reason."""


class Budget:
    """One render's allowance: steps and values per part, CPU time for the whole render."""

    def __init__(self) -> None:
        self.deadline = time.thread_time() + TIME_BUDGET
        self.steps = STEP_BUDGET
        self.built = 0

    def new_part(self) -> None:
        self.steps, self.built = STEP_BUDGET, 0

    def check_time(self) -> None:
        if time.thread_time() > self.deadline:
            raise RenderError(f"it takes more than {TIME_BUDGET} s to render")

    def plan(self, size: int, what: str) -> None:
        """Refuse an operation before it runs when its result would be larger than one value may be."""
        if size > MAX_VALUE:
            raise RenderError(f"{what} would be longer than {MAX_VALUE} (characters or items)")

    def spend(self, value: Any) -> Any:
        """Count a value the template built; returns it."""
        self.check_time()
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            raise RenderError(f"a number grew beyond {MAX_INT_BITS} bits")
        size = size_of(value)
        self.plan(size, "a value")
        self.built += size
        if self.built > MEMORY_BUDGET:
            raise RenderError(f"it builds more than {MEMORY_BUDGET} characters or items in all")
        return value

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        """sys.settrace hook: only frames of template code are traced, line by line."""
        if event == "call" and frame.f_code.co_filename == "<template>":
            return self._line
        return None

    def _line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.steps -= 1
            if self.steps < 0:
                raise RenderError(f"it runs more than {STEP_BUDGET} steps (a loop too long?)")
            if self.steps % 64 == 0:
                self.check_time()
        return self._line


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def budget() -> Budget:
    """The budget of the render under way in this thread (a fresh one for a template rendered outside `budgeted`:
    none of ours is)."""
    return _budget.get() or Budget()


@contextmanager
def budgeted() -> Iterator[Budget]:
    """Render under a fresh budget in this thread (the tracer is restored afterwards)."""
    spent = Budget()
    token = _budget.set(spent)
    previous = sys.gettrace()
    sys.settrace(spent.trace)
    try:
        yield spent
    finally:
        sys.settrace(previous)
        _budget.reset(token)


def size_of(value: Any) -> int:
    """Characters of a text, items of a list, tuple, set or mapping; 0 for anything else (numbers, iterators)."""
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# --- sizing the operations that can outgrow their inputs ------------------------------------------------------------

PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def percent_size(template: str, args: Any) -> int:
    """Largest result of `template % args`: its text, every width and precision (`*` ones from the arguments), and
    the arguments themselves."""
    values = list(args) if isinstance(args, tuple) else [args]
    positional = iter(values)
    size = len(template) + sum(size_of(v) for v in (values[0].values() if isinstance(args, Mapping) else values))
    for width, precision in PERCENT_SPEC.findall(template):
        for part in (width, precision):
            size += _as_int(next(positional, 0)) if part == "*" else int(part) if part else 0
    return size


def format_size(template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """Largest result of `template.format(*args, **kwargs)`; a replacement field inside a format spec is refused,
    so every width and precision is a literal number here."""
    size = len(template) + sum(size_of(v) for v in (*args, *kwargs.values()))
    for _, _, spec, _ in string.Formatter().parse(template):
        if spec and "{" in spec:
            raise RenderError("a format spec may not take its width or precision from a field")
        size += sum(int(number) for number in re.findall(r"\d+", spec or ""))
    return size


def _padded(value: Any, width: Any, *_: Any) -> int:
    return max(size_of(value), _as_int(width))


def _replaced(value: Any, old: Any, new: Any, count: Any = -1) -> int:
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(0, len(new) - len(old))


def _joined(separator: Any, parts: list[Any]) -> int:
    """Length of the joined text, counted until it passes MAX_VALUE."""
    size, gap = 0, len(str(separator))
    for part in parts:
        size += len(part) if isinstance(part, str) else len(str(part))
        size += gap
        if size > MAX_VALUE:
            break
    return size


def _deep_count(value: Any) -> int:
    if isinstance(value, Mapping):
        return 1 + sum(_deep_count(v) for v in value.values())
    if isinstance(value, list | tuple):
        return 1 + sum(_deep_count(v) for v in value)
    return 1


def _materialised(bound: inspect.BoundArguments, name: str) -> list[Any]:
    """An iterable argument made a list (so it can be sized and still be used), within MAX_VALUE items."""
    items = []
    for item in bound.arguments[name]:
        items.append(item)
        if len(items) > MAX_VALUE:
            raise RenderError(f"a list would be longer than {MAX_VALUE} items")
    bound.arguments[name] = items
    return items


def _size_filter(name: str, bound: inspect.BoundArguments) -> int:
    """The largest result a filter can give these arguments (0: not one that outgrows its input)."""
    a = bound.arguments
    if name == "center":
        return _padded(a["value"], a.get("width", 80))
    if name == "indent":
        width = a.get("width", 4)
        text = str(a["s"])
        return len(text) + (text.count("\n") + 1) * (_as_int(width) if not isinstance(width, str) else len(width))
    if name == "wordwrap":
        text, width = str(a["s"]), max(1, _as_int(a.get("width", 79)))
        return len(text) + (len(text) // width + text.count("\n") + 1) * len(str(a.get("wrapstring") or "\n"))
    if name == "replace":
        return _replaced(a["s"], a["old"], a["new"], a.get("count") if a.get("count") is not None else -1)
    if name == "join":
        return _joined(a.get("d", ""), _materialised(bound, "value"))
    if name == "format":
        return percent_size(str(a["value"]), a.get("kwargs") or tuple(a.get("args", ())))
    if name == "batch":
        return _as_int(a["linecount"]) if a.get("fill_with") is not None else 0
    if name == "slice":
        return _as_int(a["slices"])
    if name == "tojson":
        return _as_int(a.get("indent")) * _deep_count(a["value"])
    if name == "sum":
        items = _materialised(bound, "iterable")
        if a.get("attribute") is None and not all(isinstance(i, NUMBERS) for i in [*items, a.get("start", 0)]):
            raise RenderError("sum adds numbers; join texts with join")
    return 0


METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda s, *args: _padded(s, *args),
    "ljust": lambda s, *args: _padded(s, *args),
    "rjust": lambda s, *args: _padded(s, *args),
    "zfill": lambda s, *args: _padded(s, *args),
    "replace": lambda s, *args: _replaced(s, *args),
}
SAFE_METHODS = {
    str: frozenset({
        "capitalize", "casefold", "center", "count", "endswith", "find", "format", "index", "isalnum", "isalpha",
        "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust", "lower",
        "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
        "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
        "striptags", "unescape",
    }),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    LoopContext: frozenset({"cycle", "changed"}),
    Cycler: frozenset({"next", "reset"}),
}  # fmt: skip


# --- the environment ------------------------------------------------------------------------------------------------


class _CheckedConcat(CodeGenerator):
    """Compiles `a ~ b` so the joined text is counted like every other value."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.counted(")
        super().visit_Concat(node, frame)
        self.write(")")


class Sandbox(SandboxedEnvironment):
    """jinja2's sandbox with the budget enforced through its hooks (operators, calls, attributes, filters, tests,
    concatenation, captured blocks)."""

    code_generator_class = _CheckedConcat
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, *, html: bool) -> None:
        super().__init__(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=True)
        kept = {name: self.globals[name] for name in ("dict", "namespace", "cycler", "joiner")}
        self.globals = {**kept, "range": _range}  # not lipsum: it writes as many paragraphs as asked
        self.filters = {name: _guarded(name, f) for name, f in self.filters.items()}
        self.tests = {name: _guarded_test(test) for name, test in self.tests.items()}

    def counted(self, value: Any) -> Any:
        return budget().spend(value)

    def concat(self, pieces: Any) -> str:
        """Join what a block, macro or filter section rendered, stopping before it outgrows MAX_VALUE."""
        spent, total, parts = budget(), 0, []
        for piece in pieces:
            total += len(piece)
            spent.plan(total, "a captured block")
            parts.append(piece)
        joined = "".join(parts)
        spent.spend(joined)
        return joined

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if not callable(value) or isinstance(value, type):
            return True
        kind = next((k for k in SAFE_METHODS if isinstance(obj, k)), None)
        return kind is not None and attr in SAFE_METHODS[kind]

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        spent = budget()
        spent.check_time()
        if operator_name == "**" and isinstance(left, NUMBERS) and isinstance(right, NUMBERS):
            if abs(right) > MAX_POWER:
                raise RenderError(f"powers above {MAX_POWER} are not allowed")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_INT_BITS:
                raise RenderError(f"a number grew beyond {MAX_INT_BITS} bits")
        elif operator_name == "*":
            count, sized = (right, left) if isinstance(right, int) else (left, right)
            if isinstance(count, int) and size_of(sized):
                spent.plan(size_of(sized) * count, "a repeated text or list")
        elif operator_name == "+":
            spent.plan(size_of(left) + size_of(right), "a joined text or list")
        elif operator_name == "%" and isinstance(left, str):
            spent.plan(percent_size(left, right), "a formatted text")
        return spent.spend(self.binop_table[operator_name](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        spent = budget()
        spent.check_time()
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name in METHOD_SIZES:
            spent.plan(METHOD_SIZES[name](owner, *args), f"a text built by {name}")
        if isinstance(owner, str) and name == "join":
            parts = list(args[0]) if args else []
            spent.plan(len(parts), "a list")
            spent.plan(_joined(owner, parts), "a joined text")
            args = (parts, *args[1:])
        return spent.spend(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template: str = value.__self__

        def sized(*args: Any, **kwargs: Any) -> str:
            kwargs = dict(args[0]) if value.__name__ == "format_map" and args else kwargs
            budget().plan(format_size(template, args, kwargs), "a formatted text")
            return wrapped(*args, **kwargs) if value.__name__ == "format" else wrapped(kwargs)

        return sized


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_VALUE:
        raise RenderError(f"a range would be longer than {MAX_VALUE} items")
    return numbers


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, sized before it runs where it can outgrow its input, and its result counted."""
    signature = _call_signature(function)

    @functools.wraps(function)
    def filter_within_budget(*args: Any, **kwargs: Any) -> Any:
        spent = budget()
        spent.check_time()
        bound = signature.bind(*args, **kwargs)
        spent.plan(_size_filter(name, bound), f"the result of the {name} filter")
        return spent.spend(function(*bound.args, **bound.kwargs))

    return filter_within_budget


PASSED = frozenset({"environment", "env", "eval_ctx", "context"})


def _call_signature(function: Callable[..., Any]) -> inspect.Signature:
    """How jinja calls a filter: with the environment or context first when it asks for one (a filter with an async
    variant shows the signature of its plain version, without that first parameter)."""
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    if _PassArg.from_obj(function) is not None and (not parameters or parameters[0].name not in PASSED):
        parameters.insert(0, inspect.Parameter("passed", inspect.Parameter.POSITIONAL_ONLY))
    return signature.replace(parameters=parameters)


def _guarded_test(function: Any) -> Callable[..., Any]:
    @functools.wraps(function)
    def test_within_budget(*args: Any, **kwargs: Any) -> Any:
        budget().check_time()
        return function(*args, **kwargs)

    return test_within_budget
