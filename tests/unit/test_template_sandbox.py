"""Marketers' templates render in a sandbox: member data and coupons come out, attacks and runaway loops fail
with a clear error naming the template and the part, and HTML is escaped."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from engine.messages.templates import SAMPLE, RenderError, TemplateSpec, render, trial_render


def sms(text: str) -> TemplateSpec:
    return TemplateSpec(key="t", name="t", channel="sms", text=text)


def test_member_and_coupon_fields_render() -> None:
    assert render(sms("{{ member.name }}: {{ coupon.code }}"), SAMPLE).text == "张三: WB7KX3M9QA"


def test_html_is_escaped_and_text_is_not() -> None:
    name = "{{ member.name }}"
    spec = TemplateSpec(key="t", name="t", channel="email", subject=name, html=f"<p>{name}</p>", text=name)
    rendered = render(spec, {**SAMPLE, "member": {"name": "<b>张&三</b>"}})
    assert rendered.html == "<p>&lt;b&gt;张&amp;三&lt;/b&gt;</p>"
    assert rendered.text == "<b>张&三</b>"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ member.__class__ }}", "access to attribute '__class__' of 'dict' object is unsafe"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ cycler.__init__.__globals__ }}", "unsafe"),
        ("{{ config }}", "'config' is undefined"),
        ("{{ self.__init__ }}", "unsafe"),
        ("{{ member.nmae }}", "has no attribute 'nmae'"),
        ("{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}", "more than 200000 steps"),
        ("{% for a in 'x' * 5000 %}{% for b in 'x' * 5000 %}x{% endfor %}{% endfor %}", "more than 200000 steps"),
        ("{{ 'x' * 10000000 }}", "longer than 100000"),
        ("{{ 9 ** 99999 }}", "powers above 64"),
        ("{% set n = namespace(v=7) %}{% for i in range(99) %}{% set n.v = n.v * n.v %}{% endfor %}", "256 bits"),
        ("{{ member.name", "TemplateSyntaxError"),
    ],
)
def test_attacks_and_runaway_templates_fail_quickly_with_a_reason(source: str, says: str) -> None:
    started = time.monotonic()
    with pytest.raises(RenderError) as caught:
        render(sms(source), SAMPLE)
    assert says in str(caught.value)
    assert str(caught.value).startswith("template t, text: ")
    assert time.monotonic() - started < 5


def test_a_broken_template_is_reported_by_the_test_render() -> None:
    assert trial_render(sms("{{ coupon.cod }}")) == [
        "template t, text: UndefinedError: 'dict object' has no attribute 'cod'"
    ]


def test_an_email_template_needs_every_part() -> None:
    with pytest.raises(ValidationError, match="an email template needs subject, html and text"):
        TemplateSpec(key="t", name="t", channel="email", text="hi")
