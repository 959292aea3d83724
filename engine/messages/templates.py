"""Message templates written by marketers, rendered in jinja2's sandbox.

A template sees only plain data (member, coupon, points, journey, shop, unsubscribe_url): no objects, so no
attribute chain leads out of the sandbox. Unknown names fail (StrictUndefined) rather than render empty, and every
render has a budget of steps, CPU time, output and values built (engine/messages/sandbox.py), so a template cannot
hang or flood a worker, even on a branch the test render did not take. Every template is rendered once with sample
data when it is saved and when a journey using it is published: mistakes surface there; what only a real member's
data sets off fails that member's message, with the reason, at send time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from jinja2 import Template
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlmodel import Session, col

from engine import clock
from engine.errors import Rejected
from engine.messages.sandbox import MAX_OUTPUT, Sandbox, budgeted
from engine.messages.sandbox import RenderError as RenderError  # where callers have always found it
from engine.models import MessageTemplate

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


TEXT_ENV, HTML_ENV = Sandbox(html=False), Sandbox(html=True)


def render(spec: TemplateSpec, variables: dict[str, Any]) -> Rendered:
    """Render every part under one budget (engine/messages/sandbox.py); RenderError says which part failed and why.

    Whatever a template does, this returns or raises RenderError within about TIME_BUDGET of CPU, having built at
    most MEMORY_BUDGET characters or items: a template cannot hang or flood a worker."""
    sources = {"subject": (spec.subject, TEXT_ENV), "html": (spec.html, HTML_ENV), "text": (spec.text, TEXT_ENV)}
    compiled: dict[str, Template] = {}
    for part, (source, env) in sources.items():
        if source is not None:
            try:
                compiled[part] = env.from_string(source)
            except Exception as exc:  # a syntax error, or nesting too deep to compile
                raise RenderError(f"template {spec.key}, {part}: {type(exc).__name__}: {exc}") from None
    out: dict[str, str] = {}
    with budgeted() as spent:
        for part, template in compiled.items():
            spent.new_part()
            out[part] = _render_part(template, variables, f"template {spec.key}, {part}")
    subject = out.get("subject")
    return Rendered(subject=single_line(subject) if subject is not None else None, html=out.get("html"),
                    text=out["text"])  # fmt: skip


def _render_part(template: Template, variables: dict[str, Any], where: str) -> str:
    try:
        return _output(template, variables)
    except RenderError as exc:
        raise RenderError(f"{where}: {exc}") from None
    except RecursionError:
        raise RenderError(f"{where}: it nests too deeply (a macro calling itself?)") from None
    except MemoryError:
        raise RenderError(f"{where}: it needs more memory than a worker has") from None
    except Exception as exc:  # the template's own mistake: an unknown name, a type error, an unsafe access
        raise RenderError(f"{where}: {type(exc).__name__}: {exc}") from None


def _output(template: Template, variables: dict[str, Any]) -> str:
    """The rendered text, stopped as soon as it passes MAX_OUTPUT characters."""
    pieces, total = [], 0
    for piece in template.generate(variables):
        total += len(piece)
        if total > MAX_OUTPUT:
            raise RenderError(f"renders to more than {MAX_OUTPUT} characters")
        pieces.append(piece)
    return "".join(pieces)


def single_line(value: str) -> str:
    """Text fit for one header line (an email subject): line breaks and other whitespace runs become one space and
    control characters go, so a member name imported with a line break neither breaks the header nor adds one."""
    return "".join(c for c in " ".join(value.split()) if c >= " " and c != "\x7f")


SAMPLE: dict[str, Any] = {
    "member": {"id": "M0001", "name": "张三", "email": "zhangsan@example.com", "phone": "+8613800000000",
               "city": "上海", "birthday": "1990-05-20", "gender": "female", "tags": ["VIP"]},
    "coupon": {"code": "WB7KX3M9QA", "template": "winback-20", "name": "满100减20",
               "expires_at": "2026-12-31T16:00:00+00:00", "valid_from": None, "valid_through": "2026-12-31"},
    "points": {"granted": 300, "balance": 1200, "expires_at": "2027-12-31T16:00:00+00:00", "multiplier": "2",
               "until": "2026-12-07T16:00:00+00:00", "valid_through": "2026-12-07"},
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
    if problems := trial_render(spec):
        raise Rejected(problems)
    row = session.scalar(select(MessageTemplate).where(col(MessageTemplate.key) == spec.key))
    stored = spec.model_dump(mode="json")
    if row is not None and row.spec == stored:
        return False
    row = row or MessageTemplate(key=spec.key, channel=spec.channel, name=spec.name, spec=stored)
    row.channel, row.name, row.spec, row.updated_at = spec.channel, spec.name, stored, clock.now()
    session.add(row)
    session.flush()
    return True


def find_template(session: Session, key: str) -> TemplateSpec | None:
    row = session.scalar(select(MessageTemplate).where(col(MessageTemplate.key) == key))
    return TemplateSpec.model_validate(row.spec) if row else None


def templates(session: Session) -> list[TemplateSpec]:
    rows = session.scalars(select(MessageTemplate).order_by(col(MessageTemplate.key)))
    return [TemplateSpec.model_validate(row.spec) for row in rows]


def template_problems(known: Mapping[str, TemplateSpec], key: str, channel: Channel) -> list[str]:
    """What a block that sends `key` on `channel` needs of the shop's templates (`known`, by key): that it exists,
    is for that channel and renders with sample data. Pure: the caller reads the templates once."""
    spec = known.get(key)
    if spec is None:
        return [f"message template '{key}' does not exist; define it first (memberflow messages load)"]
    if spec.channel != channel:
        return [f"message template '{key}' is an {spec.channel} template, not {channel}"]
    return trial_render(spec)
