"""Message templates written by marketers, rendered in jinja2's sandbox.

A template sees only plain data (member, coupon, points, journey, shop, unsubscribe_url): no objects, so no
attribute chain leads out of the sandbox. Unknown names fail (StrictUndefined) rather than render empty, loops
have a step budget, and string multiplication is capped, so a template cannot hang or flood a worker. Every template is
rendered once with sample data when it is saved and when a journey using it is published: mistakes surface
there, not at send time.
"""

from __future__ import annotations

import operator
import sys
from types import FrameType
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlmodel import Session, col

from engine.errors import InputError
from engine.models import MessageTemplate

STEP_BUDGET = 200_000  # lines of compiled template code per rendered part
MAX_OUTPUT = 200_000  # characters per rendered part
MAX_SEQUENCE = 100_000  # longest string or list `*` may build
MAX_SOURCE = 100_000  # characters of a template part as written

Channel = Literal["email", "sms"]


class TemplateSpec(BaseModel):
    """An email (subject, HTML and text bodies) or an SMS (body) as the marketer writes it."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Permanent id used by journey blocks.")
    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    subject: str | None = Field(None, max_length=300, description="email: the subject line")
    html: str | None = Field(None, max_length=MAX_SOURCE, description="email: the HTML body (autoescaped)")
    text: str | None = Field(None, max_length=MAX_SOURCE, description="email: the plain-text body; sms: the message")

    @model_validator(mode="after")
    def _parts(self) -> TemplateSpec:
        problems = []
        if self.channel == "email" and not (self.subject and self.html and self.text):
            problems.append("an email template needs subject, html and text")
        if self.channel == "sms" and not self.text:
            problems.append("an sms template needs text")
        if self.channel == "sms" and (self.subject or self.html):
            problems.append("an sms template has only text (no subject or html)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Rendered(BaseModel):
    subject: str | None = None
    html: str | None = None
    text: str


class RenderError(Exception):
    """A template that cannot render: the sentence names the template, the part and the reason."""


class _StepBudget:
    """Counts the lines a template's compiled code runs and stops it past STEP_BUDGET: a bound on any loop, nested
    or not, whatever it iterates over. Only frames of template code are traced."""

    def __init__(self) -> None:
        self.left = STEP_BUDGET

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code.co_filename == "<template>":
            return self._count
        return None

    def _count(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.left -= 1
            if self.left < 0:
                raise RenderError(f"it runs more than {STEP_BUDGET} steps (a loop too long?)")
        return self._count


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise RenderError("powers above 64 are not allowed")
            return operator.pow(left, right)
        size = _size(left) * right if isinstance(right, int) else _size(right) * left if isinstance(left, int) else 0
        if size > MAX_SEQUENCE:
            raise RenderError(f"a repeated text or list would be longer than {MAX_SEQUENCE}")
        result = operator.mul(left, right)
        if isinstance(result, int) and result.bit_length() > 256:
            raise RenderError("a number grew beyond 256 bits")
        return result


def single_line(value: str) -> str:
    """Text fit for one header line (an email subject): line breaks and other whitespace runs become one space and
    control characters go, so a member name imported with a line break neither breaks the header nor adds one."""
    return "".join(c for c in " ".join(value.split()) if c >= " " and c != "\x7f")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _environment(html: bool) -> _Sandbox:
    return _Sandbox(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=True)


TEXT_ENV, HTML_ENV = _environment(False), _environment(True)


def render(spec: TemplateSpec, variables: dict[str, Any]) -> Rendered:
    """Render every part; RenderError says which part failed and why."""
    parts = {"subject": (spec.subject, TEXT_ENV), "html": (spec.html, HTML_ENV), "text": (spec.text, TEXT_ENV)}
    out: dict[str, str | None] = {}
    for part, (source, env) in parts.items():
        if source is None:
            out[part] = None
            continue
        previous = sys.gettrace()
        sys.settrace(_StepBudget())
        try:
            result = env.from_string(source).render(variables)
        except RenderError as exc:
            raise RenderError(f"template {spec.key}, {part}: {exc}") from None
        except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
            raise RenderError(f"template {spec.key}, {part}: {type(exc).__name__}: {exc}") from None
        finally:
            sys.settrace(previous)
        if len(result) > MAX_OUTPUT:
            raise RenderError(f"template {spec.key}, {part}: renders to more than {MAX_OUTPUT} characters")
        out[part] = single_line(result) if part == "subject" else result
    assert out["text"] is not None
    return Rendered(subject=out["subject"], html=out["html"], text=out["text"])


SAMPLE: dict[str, Any] = {
    "member": {"id": "M0001", "name": "张三", "email": "zhangsan@example.com", "phone": "+8613800000000",
               "city": "上海", "birthday": "1990-05-20", "gender": "female", "tags": ["VIP"]},
    "coupon": {"code": "WB7KX3M9QA", "template": "winback-20", "name": "满100减20",
               "expires_at": "2026-12-31T16:00:00+00:00", "valid_from": None},
    "points": {"granted": 300, "balance": 1200, "expires_at": "2027-12-31T16:00:00+00:00", "multiplier": "2",
               "until": "2026-12-07T16:00:00+00:00"},
    "journey": {"key": "winback", "name": "沉睡唤醒"},
    "shop": {"currency": "CNY", "url": "https://shop.example.com"},
    "unsubscribe_url": "https://memberflow.example.com/u/sample",
}  # fmt: skip


def trial_render(spec: TemplateSpec) -> list[str]:
    """Problems found by rendering with sample data (what saving and publishing check)."""
    try:
        render(spec, SAMPLE)
    except RenderError as exc:
        return [str(exc)]
    return []


def save_template(session: Session, spec: TemplateSpec) -> bool:
    from engine.models import utc_now

    if problems := trial_render(spec):
        raise InputError(problems, status_code=422)
    row = session.scalar(select(MessageTemplate).where(col(MessageTemplate.key) == spec.key))
    stored = spec.model_dump(mode="json")
    if row is not None and row.spec == stored:
        return False
    row = row or MessageTemplate(key=spec.key, channel=spec.channel, name=spec.name, spec=stored)
    row.channel, row.name, row.spec, row.updated_at = spec.channel, spec.name, stored, utc_now()
    session.add(row)
    session.flush()
    return True


def find_template(session: Session, key: str) -> TemplateSpec | None:
    row = session.scalar(select(MessageTemplate).where(col(MessageTemplate.key) == key))
    return TemplateSpec.model_validate(row.spec) if row else None


def templates(session: Session) -> list[TemplateSpec]:
    rows = session.scalars(select(MessageTemplate).order_by(col(MessageTemplate.key)))
    return [TemplateSpec.model_validate(row.spec) for row in rows]


def template_problems(session: Session, key: str, channel: Channel) -> list[str]:
    """What publishing a block that sends `key` on `channel` must know: it exists, is for that channel, renders."""
    spec = find_template(session, key)
    if spec is None:
        return [f"message template '{key}' does not exist; define it first (memberflow messages load)"]
    if spec.channel != channel:
        return [f"message template '{key}' is an {spec.channel} template, not {channel}"]
    return trial_render(spec)
