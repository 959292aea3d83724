"""Every page in both languages: chosen by the switcher's cookie over Accept-Language over DEFAULT_LOCALE, with the
numbers, money and times of the chosen language, times in the shop's zone; and the rules that choose it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.testing import AsyncTestClient, RequestFactory

import web
from engine import clock
from engine.access.users import list_users
from engine.db import session_scope
from engine.errors import SettingsError
from engine.intake.csv_import import import_csv
from engine.messages.message_log import sign
from engine.models import CaughtMail
from engine.rfm.recompute import recompute
from engine.settings import get_settings, load_settings
from tests.login import sign_in
from tests.web.error_pages import page_problems
from tests.web.test_experiment_pages import assigned_shop
from web.app import create_app
from web.i18n import accepted_languages, current_locale, install, negotiate, parse_locale, safe_next

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
MOMENT = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
CAUGHT_AT = datetime(2024, 5, 1, 18, 5, tzinfo=UTC)  # 02:05 on 2 May in Shanghai


@pytest.fixture
def shop(db: None, tmp_path: Path) -> None:
    """A member born on 1 May 1990 with one order of ¥1,234.50, an RFM run, a caught email, and an A/B split (whose
    buyers spend 14 × ¥88 more)."""
    with clock.pinned(MOMENT):
        (tmp_path / "members.csv").write_text("member_id,name,birthday,tags\nM1,张三,1990-05-01,VIP\n")
        (tmp_path / "orders.csv").write_text("order_id,member_id,placed_at,amount\nO1,M1,2024-04-20 10:00,1234.50\n")
        assert import_csv(tmp_path / "members.csv", "members").rejected == 0
        assert import_csv(tmp_path / "orders.csv", "orders").rejected == 0
        with session_scope() as session:
            recompute(session, as_of=clock.today(), zone=clock.shop_zone(), run_key="i18n")
        with clock.pinned(CAUGHT_AT), session_scope() as session:
            session.add(CaughtMail(message_id="<1@test>", sender="shop@example.com", recipients="a@example.com",
                                   subject="生日快乐", raw="Subject: hi\n\nhello\n"))  # fmt: skip
        assigned_shop(tmp_path, coupon=50, points=50, buyers={"coupon": 5, "points": 9})


UNSUBSCRIBE = "/u/" + sign(b"test-link-secret", "unsubscribe", 1)
# Each page, a word of its Chinese page and that word in English: each must be on its own page only.
PAGES = [
    ("/", "概览", "Overview"),
    ("/members", "搜索会员编号、姓名、邮箱、手机号、城市", "Search id, name, email, phone, city"),
    ("/members?q=张", "1 位会员匹配“张”", "1 member matching “张”"),
    ("/segments", "立即重算", "Recompute now"),
    ("/outbox", "本机收件", "Caught by the local SMTP catcher"),
    ("/experiments", "分流模块", "split block"),
    ("/experiments/offer-test/offer", "对照组", "control"),
    (UNSUBSCRIBE, "确认退订", "Stop these messages"),
]


@pytest.mark.database
@pytest.mark.usefixtures("shop")
@pytest.mark.parametrize(("path", "chinese", "english"), PAGES)
async def test_every_page_speaks_the_language_the_browser_asks_for(
    logged_in_client: AsyncTestClient,  # type: ignore[type-arg]
    path: str,
    chinese: str,
    english: str,
) -> None:
    client = logged_in_client
    with clock.pinned(MOMENT):
        in_chinese = await client.get(path, headers=CHINESE)
        in_english = await client.get(path, headers=ENGLISH)

    assert in_chinese.status_code == in_english.status_code == 200
    assert '<html lang="zh-CN">' in in_chinese.text and '<html lang="en">' in in_english.text
    assert chinese in in_chinese.text and english not in in_chinese.text
    assert english in in_english.text and chinese not in in_english.text


@pytest.mark.database
@pytest.mark.usefixtures("shop")
async def test_a_fragment_speaks_the_pages_language(logged_in_client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    client = logged_in_client
    chinese = await client.get("/members", params={"q": "nobody"}, headers={**CHINESE, "HX-Request": "true"})
    english = await client.get("/members", params={"q": "nobody"}, headers={**ENGLISH, "HX-Request": "true"})

    assert "<html" not in chinese.text and "0 位会员匹配“nobody”" in chinese.text
    assert "0 members matching “nobody”" in english.text


@pytest.mark.database
@pytest.mark.usefixtures("shop")
async def test_money_numbers_percentages_and_dates_are_written_the_languages_way(
    logged_in_client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    client = logged_in_client
    with clock.pinned(MOMENT):
        pages = {
            language: [(await client.get(path, headers=headers)).text
                       for path in ("/", "/members?q=张", "/outbox", "/experiments/offer-test/offer", "/segments")]
            for language, headers in (("zh", CHINESE), ("en", ENGLISH))
        }  # fmt: skip
    home, members, outbox, experiment, segments = pages["zh"]
    assert 'id="revenue">¥2,466.50<' in home
    assert "1990年5月1日" in members
    assert ">2024年5月2日 02:05</time>" in outbox  # the shop's zone, not UTC (18:05 on 1 May)
    assert "2024年4月28日 → 2024年5月1日" in experiment  # conversion over time, in local days
    assert "+80.00%" in experiment and "18.00%" in experiment  # points' lift over the coupon; points' rate
    assert "截至 2024年5月1日：已为 1 位会员评分" in segments
    home, members, outbox, experiment, segments = pages["en"]
    assert 'id="revenue">CN¥2,466.50<' in home
    assert "May 1, 1990" in members
    assert ">May 2, 2024, 2:05\u202fAM</time>" in outbox
    assert "Apr 28, 2024 → May 1, 2024" in experiment
    assert "As of May 1, 2024: 1 member scored" in segments


@pytest.mark.database
async def test_the_switcher_sets_a_cookie_that_wins_over_the_browser(
    logged_in_client: AsyncTestClient, db: None
) -> None:  # type: ignore[type-arg]
    client = logged_in_client
    switched = await client.get("/locale", params={"to": "zh-CN", "next": "/members?q=张"}, follow_redirects=False)
    chinese = await client.get("/members", headers=ENGLISH)
    back = await client.get("/locale", params={"to": "en", "next": "/outbox"}, follow_redirects=False)
    english = await client.get("/outbox", headers=CHINESE)

    assert switched.status_code == 303 and switched.headers["location"] == "/members?q=%E5%BC%A0"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("locale=zh-CN;") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "搜索会员" in chinese.text and '<a href="/locale?to=en&amp;next=%2Fmembers"' in chinese.text
    assert back.headers["location"] == "/outbox" and back.headers["set-cookie"].startswith("locale=en;")
    assert "Caught by the local SMTP catcher" in english.text and "本机收件" not in english.text


@pytest.mark.database
@pytest.mark.usefixtures("db")
@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "members"])
async def test_the_switcher_goes_back_only_to_this_site(client: AsyncTestClient, target: str) -> None:  # type: ignore[type-arg]
    response = await client.get("/locale", params={"to": "en", "next": target}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_the_switcher_names_a_language_it_does_not_speak(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/locale", params={"to": "fr"}, headers=CHINESE)

    assert response.status_code == 400 and '<html lang="zh-CN">' in response.text and "请求无效" in response.text
    assert page_problems(response.text) == (400, ["to 'fr' is not a language of memberflow; use zh-CN or en"])


@pytest.mark.database
async def test_the_switcher_answers_on_the_login_page_and_keeps_a_users_choice(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    login = await client.get("/login", headers=ENGLISH)
    visitor = await client.get("/locale", params={"to": "zh-CN", "next": "/login"}, follow_redirects=False)
    user = await sign_in(client, "marketer")
    switched = await client.get("/locale", params={"to": "en", "next": "/members"}, follow_redirects=False)
    async with AsyncTestClient(app=create_app()) as other_device:  # no cookie, no session of the first
        await sign_in(other_device, "marketer")
        elsewhere = await other_device.get("/members", headers=CHINESE)

    assert '<a href="/locale?to=zh-CN&amp;next=%2Flogin"' in login.text and "Sign in" in login.text
    assert (visitor.status_code, visitor.headers["location"]) == (303, "/login")  # no sign-in needed
    assert visitor.headers["set-cookie"].startswith("locale=zh-CN;")
    assert switched.status_code == 303 and switched.headers["location"] == "/members"
    with session_scope() as session:
        assert [u.locale for u in list_users(session) if u.id == user.id] == ["en"]  # saved on the user
    assert '<html lang="en">' in elsewhere.text and "Search id, name, email, phone, city" in elsewhere.text


@pytest.mark.database
@pytest.mark.usefixtures("db")
async def test_concurrent_requests_in_two_languages_never_mix(logged_in_client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    client = logged_in_client
    asks = [CHINESE if n % 2 else ENGLISH for n in range(24)]

    answers = await asyncio.gather(*(client.get("/outbox", headers=headers) for headers in asks))

    for headers, answer in zip(asks, answers, strict=True):
        assert ("发件箱" in answer.text) == (headers is CHINESE)
        assert ("Caught by the local SMTP catcher" in answer.text) == (headers is ENGLISH)


@pytest.mark.database
@pytest.mark.usefixtures("db")
async def test_without_any_choice_the_shops_default_language_is_used(
    logged_in_client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = logged_in_client
    monkeypatch.setenv("DEFAULT_LOCALE", "zh-CN")
    get_settings.cache_clear()
    try:
        unasked = await client.get("/outbox")
        french = await client.get("/outbox", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert '<html lang="zh-CN">' in unasked.text and "发件箱" in unasked.text
    assert "发件箱" in french.text


# --- how the language is chosen (no pages) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("zh-CN", "zh_CN"), ("zh_cn", "zh_CN"), ("zh", "zh_CN"), ("zh-Hans", "zh_CN"), ("zh-TW", "zh_CN"),
     ("en", "en"), ("en-GB", "en"), ("EN-us", "en"), ("fr", None), ("*", None), ("", None), (None, None),
     ("x" * 40, None), ("zh-CN;q=1", None)],
)  # fmt: skip
def test_a_tag_names_one_of_the_two_languages_or_none(tag: str | None, locale: str | None) -> None:
    assert parse_locale(tag) == locale


def test_accept_language_is_read_by_weight_then_order() -> None:
    assert accepted_languages("fr;q=0.5, en-GB;q=0.8, zh-CN, de;q=0") == ["zh-CN", "en-GB", "fr"]
    assert accepted_languages("en;q=abc, zh") == ["zh"]  # a malformed weight counts as "not this one"
    assert accepted_languages("") == []


def test_the_most_binding_choice_wins() -> None:
    assert negotiate(["en", "zh-CN", None], "zh-CN", "zh-CN") == "en"  # this session's choice
    assert negotiate([None, "zh-CN", "en"], "en", "en") == "zh_CN"  # then the user's setting
    assert negotiate([None, None, "en"], "zh-CN", "zh-CN") == "en"  # then the switcher's cookie
    assert negotiate([None, None, "klingon"], "fr, zh-TW;q=0.8, en;q=0.5", "en") == "zh_CN"  # then the browser
    assert negotiate([None, None, None], "fr", "zh-CN") == "zh_CN"  # then the shop's default


def test_a_request_reads_its_session_and_user_before_its_cookie() -> None:
    factory = RequestFactory()
    by_cookie = factory.get("/", headers={"Cookie": "locale=zh-CN", "Accept-Language": "en"})
    by_user = factory.get("/", headers={"Cookie": "locale=zh-CN"})
    by_user.scope["user"] = SimpleNamespace(locale="en")  # type: ignore[typeddict-unknown-key]
    by_session = factory.get("/", headers={"Cookie": "locale=en"})
    by_session.scope["session"] = {"locale": "zh-CN"}  # type: ignore[typeddict-unknown-key]
    by_session.scope["user"] = SimpleNamespace(locale="en")  # type: ignore[typeddict-unknown-key]

    assert (current_locale(by_cookie), current_locale(by_user), current_locale(by_session)) == ("zh_CN", "en", "zh_CN")
    assert current_locale(None) == "en"  # outside a request: DEFAULT_LOCALE (en in the tests)


@pytest.mark.parametrize(
    ("target", "safe"),
    [("/members?q=张", "/members?q=张"), ("/", "/"), (None, "/"), ("", "/"), ("//evil.example", "/"),
     ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("javascript:alert(1)", "/"),
     ("/a\r\nSet-Cookie:x", "/")],
)  # fmt: skip
def test_only_paths_of_this_site_are_safe_to_go_back_to(target: str | None, safe: str) -> None:
    assert safe_next(target) == safe


# --- the filters (no pages) ---------------------------------------------------------------------------------------


def render(source: str, language: str, **values: object) -> str:
    """`source` rendered as a page is, for a request whose browser asks for `language`."""
    engine = JinjaTemplateEngine(directory=Path(web.__file__).parent / "templates")
    install(engine)
    request = RequestFactory().get("/", headers={"Accept-Language": language})
    return engine.engine.from_string(source).render(request=request, **values)


@pytest.mark.parametrize(
    ("source", "values", "chinese", "english"),
    [
        ("{{ v | money }}", {"v": Decimal("1234.5")}, "¥1,234.50", "CN¥1,234.50"),
        ("{{ v | money('USD') }}", {"v": 5}, "US$5.00", "$5.00"),
        ("{{ v | number }} {{ w | number(4) }}", {"v": 12345, "w": 0.01234}, "12,345 0.0123", "12,345 0.0123"),
        ("{{ v | percent }} {{ w | percent(signed=true) }}", {"v": 0.1782, "w": -0.05}, "17.82% -5.00%",
         "17.82% -5.00%"),
        ("{{ none | percent }} {{ none | money }} {{ none | datetime }}", {}, "— — —", "— — —"),
        # 16:30 UTC on New Year's Day is half past midnight on 2 January in Shanghai; a naive moment means UTC
        ("{{ v | datetime }}", {"v": datetime(2024, 1, 1, 16, 30, tzinfo=UTC)}, "2024年1月2日 00:30",
         "Jan 2, 2024, 12:30\u202fAM"),
        ("{{ v | datetime }}", {"v": datetime(2024, 1, 1, 16, 30)}, "2024年1月2日 00:30", "Jan 2, 2024, 12:30\u202fAM"),
        ("{{ v | date }}", {"v": datetime(2024, 1, 1, 16, 30, tzinfo=UTC)}, "2024年1月2日", "Jan 2, 2024"),
        ("{{ v | date }}", {"v": "2024-02-29"}, "2024年2月29日", "Feb 29, 2024"),
        ("{{ 'sent' | word }} {{ 'VIP' | word }} {{ '重要价值客户' | word }}", {}, "已发送 VIP 重要价值客户",
         "sent VIP High value"),
        ("{{ _('lift vs %(arm)s', arm=v) }}", {"v": "<b>"}, "相对 &lt;b&gt; 的提升", "lift vs &lt;b&gt;"),
    ],
)  # fmt: skip
def test_filters_write_values_the_languages_way(
    source: str, values: dict[str, object], chinese: str, english: str
) -> None:
    assert render(source, "zh-CN", **values) == chinese
    assert render(source, "en", **values) == english


def test_a_default_language_memberflow_does_not_speak_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LOCALE", "fr")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert raised.value.problems == ["DEFAULT_LOCALE is 'fr', but input should be 'zh-CN' or 'en'."]


def test_words_given_in_both_languages_are_picked_by_the_page() -> None:
    words = SimpleNamespace(en="Wait", zh_CN="等待")
    source = "{{ w | in_language }} {{ m | in_language }} {{ s | in_language }} {{ e | in_language }}"
    values = {"w": words, "m": {"en": "Split", "zh_CN": "分流"}, "s": "plain", "e": SimpleNamespace(en="Only English")}

    assert render(source, "zh-CN", **values) == "等待 分流 plain Only English"
    assert render(source, "en", **values) == "Wait Split plain Only English"


def test_a_decided_test_says_when_in_the_shops_zone() -> None:
    arms = [SimpleNamespace(name="coupon", users=1200, mean=0.1), SimpleNamespace(name="points", users=1180, mean=0.2)]
    lift = SimpleNamespace(arm="points", relative_lift=1.0, relative_ci=(0.5, 1.5), p_value=0.0012,
                           chance_to_win=0.999, decision="win")  # fmt: skip
    analysis = SimpleNamespace(srm_mismatch=False, metric="conversion", control="coupon", alpha=0.05, arms=arms,
                               comparisons=[lift], warnings=[], method="Welch's t-test")  # fmt: skip
    decision = {"winner": "points", "reason": "points won", "decided_at": "2024-05-01T16:30:00+00:00"}
    report = SimpleNamespace(journey="offer-test", block="offer", mode="test_then_winner", decision=decision,
                             conversion=SimpleNamespace(event="order_placed", within_days=1), secondary=[])  # fmt: skip
    engine = JinjaTemplateEngine(directory=Path(web.__file__).parent / "templates")
    install(engine)

    def page(language: str) -> str:
        return engine.engine.get_template("experiment.html").render(
            request=RequestFactory().get("/", headers={"Accept-Language": language}), report=report,
            analysis=analysis, bars=[], lines=[], days=[], top=0, sequential=False,
        )  # fmt: skip

    chinese, english = page("zh-CN"), page("en")
    assert "2024年5月2日 00:30 判定胜出：points" in chinese and "分组后 1 天内发生 <code>order_placed</code>" in chinese
    assert "<td>1,200</td>" in chinese and "+100.00%" in chinese and "<td>0.0012</td>" in chinese
    assert '<td class="decision-win">胜出</td>' in chinese and "95% 置信区间" in chinese
    assert "Decided May 2, 2024, 12:30\u202fAM: points" in english
    assert "within 1 day of assignment" in english and '<td class="decision-win">win</td>' in english
