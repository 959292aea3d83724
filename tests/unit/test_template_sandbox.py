"""Marketers' templates render in a sandbox: member data and coupons come out, attacks and runaway loops fail
with a clear error naming the template and the part, and HTML is escaped. Every way of building a huge text or
number meets the budget (size, memory, steps, CPU time) within a second, with the worker's memory bounded."""

from __future__ import annotations

import time
import tracemalloc

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
        ("{{ 'x' * 10000000 }}", "a repeated text or list would be longer than 200000"),
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


HOSTILE = [
    ("{{ 'x'|center(10**9) }}", "the result of the center filter would be longer than 200000"),
    ("{{ 'x'.center(10**9) }}", "a text built by center would be longer than 200000"),
    ("{{ 'x'.ljust(10**9, 'y') }}", "a text built by ljust would be longer than 200000"),
    ("{{ '1'.zfill(10**9) }}", "a text built by zfill would be longer than 200000"),
    ("{{ '%0*d'|format(10**9, 1) }}", "the result of the format filter would be longer than 200000"),
    ("{{ '%.1000000000f'|format(1.5) }}", "the result of the format filter would be longer than 200000"),
    ("{{ '%1000000000d' % 1 }}", "a formatted text would be longer than 200000"),
    ("{{ '%s'|format('x' * 150000 ~ 'x' * 150000) }}", "a value would be longer than 200000"),
    ("{{ '{:>1000000000}'.format(1) }}", "a formatted text would be longer than 200000"),
    ("{{ '{:{w}}'.format(1, w=10**9) }}", "a format spec may not take its width or precision from a field"),
    ("{{ range(100000)|join(',') }}", "the result of the join filter would be longer than 200000"),
    ("{{ ','.join(['x' * 100000] * 100) }}", "a joined text would be longer than 200000"),
    ("{% set n = namespace(s='xx') %}{% for i in range(64) %}{% set n.s = n.s ~ n.s %}{% endfor %}",
     "a value would be longer than 200000"),
    ("{{ range(10**8)|list }}", "a range would be longer than 200000 items"),
    ("{{ ('x' * 100000)|wordwrap(1, wrapstring='y' * 1000) }}", "the result of the wordwrap filter would be longer"),
    ("{{ (('line' ~ '\\n') * 10000)|indent(100000) }}", "the result of the indent filter would be longer than 200000"),
    ("{{ ('x' * 100000)|replace('x', 'y' * 100000) }}", "the result of the replace filter would be longer than"),
    ("{{ ('x' * 1000).replace('', 'y' * 1000) }}", "a text built by replace would be longer than 200000"),
    ("{% set n = namespace(v=2) %}{% for i in range(30) %}{% set n.v = n.v * n.v %}{% endfor %}", "256 bits"),
    ("{{ (2 ** 64) ** 64 }}", "a number grew beyond 256 bits"),
    ("{{ ('9' * 4000)|int }}", "a number grew beyond 256 bits"),
    ("{% set s = 'x' * 200000 %}{% for i in range(100000) %}{{ s }}{% endfor %}", "renders to more than 200000"),
    ("{% set big %}{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}{% endset %}{{ big }}",
     "a captured block would be longer than 200000"),
    ("{% macro m() %}{% for i in range(300) %}{{ 'x' * 1000 }}{% endfor %}{% endmacro %}{{ m() }}",
     "a captured block would be longer than 200000"),
    ("{% for i in range(100) %}{% set s = 'x' * 199999 %}{% endfor %}",
     "it builds more than 5000000 characters or items in all"),
    ("{% set big = range(100000)|list %}{% for i in range(100000) %}{% if -1 in big %}{% endif %}{% endfor %}",
     "it takes more than 0.5 s to render"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "it nests too deeply"),
    ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
    ("{{ 'x'.translate({120: 'y' * 100000}) }}", "access to attribute 'translate' of 'str' object is unsafe"),
    ("{{ (1).to_bytes(10**9, 'big') }}", "access to attribute 'to_bytes' of 'int' object is unsafe"),
    ("{{ [1]|batch(10**9, 'x')|list }}", "the result of the batch filter would be longer than 200000"),
    ("{{ [1]|slice(10**9)|list }}", "the result of the slice filter would be longer than 200000"),
    ("{{ {'a': [1] * 1000}|tojson(10**6) }}", "the result of the tojson filter would be longer than 200000"),
    ("{{ ([[1]] * 100000)|sum(start=[]) }}", "sum adds numbers; join texts with join"),
    ("{% set l = [] %}{% for i in range(100000) %}{{ l.append('x' * 1000) }}{% endfor %}",
     "access to attribute 'append' of 'list' object is unsafe"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "says"), HOSTILE)
def test_every_way_to_build_a_huge_value_fails_within_a_second_in_bounded_memory(source: str, says: str) -> None:
    tracemalloc.start()
    started = time.thread_time()  # this thread's CPU: what the budget measures, whatever else the machine runs
    try:
        with pytest.raises(RenderError) as caught:
            render(sms(source), SAMPLE)
        took = time.thread_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert str(caught.value).startswith("template t, text: ")
    assert says in str(caught.value)
    assert took < 1
    assert peak < 40_000_000  # bytes: a few 200,000-character values at most, never the gigabytes asked for


def test_a_bomb_behind_a_branch_the_test_render_skips_fails_at_send_time() -> None:
    spec = sms("{% if member.name == '炸弹' %}{{ 'x'|center(10**9) }}{% endif %}你好 {{ member.name }}")

    assert trial_render(spec) == []  # saving and publishing pass: the sample member is 张三
    with pytest.raises(RenderError, match="the result of the center filter would be longer than 200000"):
        render(spec, {**SAMPLE, "member": {**SAMPLE["member"], "name": "炸弹"}})


def test_ordinary_templates_use_filters_methods_and_loops_freely() -> None:
    source = (
        "{% for tag in member.tags|sort %}{{ loop.cycle('odd', 'even') }}:{{ tag|lower|center(9) }}{% endfor %}|"
        "{{ '%.2f'|format(12.5) }}|{{ '{:>6}'.format(member.id) }}|{{ member.name.split()|join(',') }}|"
        "{{ (range(1, 4)|list)|sum }}|{{ 'a,b'.replace(',', ';') }}|{{ points.balance * 2 }}|"
        "{% set rows %}{% for i in range(3) %}<{{ i }}>{% endfor %}{% endset %}{{ rows }}|{{ 2 ** 10 }}"
    )

    assert render(sms(source), SAMPLE).text == "odd:   vip   |12.50| M0001|张三|6|a;b|2400|<0><1><2>|1024"


def test_a_subject_with_line_breaks_renders_on_one_line() -> None:
    spec = TemplateSpec(key="t", name="t", channel="email", subject="{{ member.name }}，\t好久不见\n",
                        html="<p>hi</p>", text="hi")  # fmt: skip

    assert render(spec, {**SAMPLE, "member": {"name": "张\r\n三\u2028"}}).subject == "张 三 ， 好久不见"
