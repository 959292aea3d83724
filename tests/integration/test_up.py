"""`memberflow up` really starts the Temporal dev server, a worker and the web app, and Ctrl-C stops them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from engine import clock

pytestmark = pytest.mark.slow
SHOP = ZoneInfo("Asia/Shanghai")  # SHOP_TIMEZONE of the tests, which `up` inherits


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def ports() -> dict[str, int]:
    return {"WEB_PORT": free_port(), "TEMPORAL_DEV_PORT": free_port(), "TEMPORAL_UI_PORT": free_port()}


def shop_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a terminal of this shop: its VAR_DIR, the embedded defaults, no ports set."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "API_TOKEN", "TEMPORAL_ADDRESS"}}
    return env | {"VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"}


def start_up(tmp_path: Path, ports: dict[str, int], demo_members: int) -> subprocess.Popen[bytes]:
    """`memberflow up` in a session (and process group) of its own, its output in tmp_path/up.log."""
    env = shop_env(tmp_path) | {name: str(port) for name, port in ports.items()} | {"DEMO_MEMBERS": str(demo_members)}
    with (tmp_path / "up.log").open("wb") as log:  # a file, not a pipe nobody reads until the end
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "up"], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Kill `up` and whatever is left in its process group, whatever state the test left them in."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def memberflow_up(tmp_path: Path, ports: dict[str, int]) -> Iterator[subprocess.Popen[bytes]]:
    process = start_up(tmp_path, ports, demo_members=300)
    try:
        yield process
    finally:
        stop_group(process)


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"memberflow up exited early with code {process.returncode}"
        try:
            last = httpx.get(f"{base}/api/health", timeout=10)
            if last.status_code == 200:
                return last
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise AssertionError(f"not healthy after {timeout} s: {last.text if last else 'no answer'}")


def printed_token(process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> str:
    """The API token `up` shows once, on its terminal only (only its hash is kept): here, its output file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("API token: "):
                return line.split()[2]
        time.sleep(0.5)
    raise AssertionError(f"memberflow up ({process.poll()}) showed no API token in {timeout} s")


def printed_admin(log: Path) -> tuple[str, str]:
    """The demo admin's login and password `up` shows once, on its terminal only (only an argon2 hash is kept)."""
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if found := re.match(r"Web admin: (\S+)  password: (\S+)", line):
            return found.group(1), found.group(2)
    raise AssertionError("memberflow up showed no admin login")


def signed_in(base: str, login: str, password: str) -> httpx.Client:
    """A browser of the app signed in through its login form (with the form's CSRF token)."""
    browser = httpx.Client(base_url=base, timeout=10)
    form = browser.get("/login").text
    token = re.search(r'name="_csrf_token" value="([0-9a-f]+)"', form)
    assert token is not None, form
    answer = browser.post("/login", data={"login": login, "password": password, "_csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text
    return browser


def wait_for_tags(base: str, auth: dict[str, str], member: str, wanted: set[str], timeout: float = 30) -> set[str]:
    deadline = time.monotonic() + timeout
    tags: set[str] = set()
    while time.monotonic() < deadline:
        tags = set(httpx.get(f"{base}/api/members/{member}", headers=auth, timeout=10).json()["tags"])
        if wanted <= tags:
            return tags
        time.sleep(0.5)
    raise AssertionError(f"{member} has tags {sorted(tags)} after {timeout} s, not {sorted(wanted)}")


def wait_for_text(browser: httpx.Client, url: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        page = browser.get(url).text
        if text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{url} does not show {text!r} after {timeout} s")


def wait_for_any(
    browser: httpx.Client, url: str, texts: list[str], timeout: float = 30, headers: dict[str, str] | None = None
) -> str:
    """The first of `texts` that `url` shows, waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        page = browser.get(url, headers=headers).text
        if found := [text for text in texts if text in page]:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"{url} shows none of {texts} after {timeout} s")


def swept_on(day_before: date, found: str, candidates: list[str]) -> None:
    """A sweep takes the member right for the day it ran: today's (the first) unless the shop's midnight passed
    between setting the case up (`day_before`) and now, when tomorrow's may be the one."""
    if clock.today(SHOP) == day_before:
        assert found == candidates[0], f"swept on {day_before}: expected {candidates[0]}, found {found}"
    else:
        assert found in candidates


def born(today: date, days_ahead: int) -> str:
    """A birthday `days_ahead` days after today, in 1992 (a leap year: 29 February exists)."""
    return (today + timedelta(days=days_ahead)).replace(year=1992).isoformat()


def last_order(member: str, today: date, days_ago: int) -> dict[str, str]:
    placed = datetime.combine(today - timedelta(days=days_ago), dt_time(12), SHOP)
    return {"order_id": f"{member}-1", "member_id": member, "amount": "120", "placed_at": placed.isoformat()}


def test_up_serves_the_app_with_demo_members_then_stops_cleanly(
    memberflow_up: subprocess.Popen[bytes], ports: dict[str, int], tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{ports['WEB_PORT']}"

    health = wait_until_healthy(base, memberflow_up)
    token = printed_token(memberflow_up, tmp_path / "up.log")
    login, password = printed_admin(tmp_path / "up.log")
    kept = [path.read_bytes() for path in (tmp_path / "var").rglob("*") if path.is_file()]
    assert not any(token.encode() in content or password.encode() in content for content in kept)
    members = httpx.get(f"{base}/api/members", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert httpx.get(base, timeout=10).status_code == 302  # every page needs a signed-in user
    browser = signed_in(base, login, password)
    home = browser.get("/")
    temporal_ui = httpx.get(f"http://127.0.0.1:{ports['TEMPORAL_UI_PORT']}", timeout=10)

    assert health.json() == {"database": "ok", "temporal": "ok", "worker": "ok"}
    assert members.status_code == 200
    assert members.json()["total"] == 300
    assert "memberflow" in home.text and 'id="members-count">300<' in home.text
    assert login == "admin" and "Admin · admin" in home.text
    assert temporal_ui.status_code == 200
    assert (tmp_path / "var" / "temporal.db").exists()  # the dev server persists under VAR_DIR

    auth = {"Authorization": f"Bearer {token}"}
    segments = httpx.get(f"{base}/api/rfm/summary", headers=auth, timeout=10).json()
    assert 0 < segments["members_scored"] <= 300  # the demo shop was scored on first start
    assert sum(segments["segments8"].values()) == segments["members_scored"]
    rules = {r["tag"] for r in httpx.get(f"{base}/api/tag-rules", headers=auth, timeout=10).json()}
    assert {"消费满3次", "高价值"} <= rules
    journeys = httpx.get(f"{base}/api/journeys", headers=auth, timeout=10).json()
    assert {(j["key"], j["status"]) for j in journeys} >= {
        ("welcome", "live"),
        ("vip-thanks", "live"),
        ("birthday", "live"),
        ("ab_coupon_vs_points", "live"),
    }
    coupons = {t["key"] for t in httpx.get(f"{base}/api/coupons/templates", headers=auth, timeout=10).json()}
    assert {"birthday-gift", "winback-20"} <= coupons  # the example journeys' coupons came with them
    new_vip = {"member_id": "NEW-VIP", "name": "新贵宾", "email": "vip@example.com", "tags": ["VIP"]}
    assert httpx.post(f"{base}/api/members", json=new_vip, headers=auth, timeout=10).status_code == 201
    tags = wait_for_tags(base, auth, "NEW-VIP", {"新会员", "VIP_THANKED"})  # welcome and vip-thanks both ran
    assert "VIP" in tags
    outbox = wait_for_text(browser, "/outbox", "欢迎加入，新贵宾！")  # welcome's email, caught by the local catcher
    assert "vip@example.com" in outbox

    # The win-back and birthday journeys, swept now rather than at 10:00 and 09:00: a member silent for exactly
    # 30 days gets a coupon and the win-back email, one whose birthday is in 3 days the birthday email. Each case has
    # a member for a sweep today (甲) and one for a sweep tomorrow (乙), should the shop's midnight pass meanwhile.
    today = clock.today(SHOP)
    people = [
        {"member_id": "SILENT-A", "name": "沉睡者甲", "email": "silent-a@example.com"},
        {"member_id": "SILENT-B", "name": "沉睡者乙", "email": "silent-b@example.com"},
        {"member_id": "BDAY-A", "name": "寿星甲", "email": "bday-a@example.com", "birthday": born(today, 3)},
        {"member_id": "BDAY-B", "name": "寿星乙", "email": "bday-b@example.com", "birthday": born(today, 4)},
        {"member_id": "QUIET-A"},
        {"member_id": "QUIET-B"},
    ]
    orders = [last_order("SILENT-A", today, 30), last_order("SILENT-B", today, 29),
              last_order("QUIET-A", today, 45), last_order("QUIET-B", today, 44)]  # fmt: skip
    assert httpx.post(f"{base}/api/members", json=people, headers=auth, timeout=10).status_code == 200
    assert httpx.post(f"{base}/api/orders", json=orders, headers=auth, timeout=10).status_code == 200
    for key in ("winback", "birthday"):
        assert httpx.post(f"{base}/api/journeys/{key}/sweep", headers=auth, timeout=30).status_code == 202
    silent = wait_for_any(browser, "/outbox", ["沉睡者甲，好久不见", "沉睡者乙，好久不见"], timeout=90)
    swept_on(today, silent, ["沉睡者甲，好久不见", "沉睡者乙，好久不见"])
    greeted = wait_for_any(browser, "/outbox", ["生日快乐，寿星甲", "生日快乐，寿星乙"], timeout=90)
    swept_on(today, greeted, ["生日快乐，寿星甲", "生日快乐，寿星乙"])
    report = httpx.get(f"{base}/api/coupons/report", headers=auth, timeout=10).json()
    assert sum(r["issued"] for r in report if r["template"].startswith("winback")) >= 1
    # The A/B example: a member silent for 45 days enters the coupon-vs-points split when it sweeps.
    sweep = httpx.post(f"{base}/api/journeys/ab_coupon_vs_points/sweep", headers=auth, timeout=30)
    assert sweep.status_code == 202
    members_csv = f"{base}/api/journeys/ab_coupon_vs_points/splits/offer/members.csv"
    quiet = wait_for_any(browser, members_csv, ["QUIET-A,", "QUIET-B,"], timeout=60)  # the page's link, signed in
    swept_on(today, quiet, ["QUIET-A,", "QUIET-B,"])
    ab = httpx.get(f"{base}/api/journeys/ab_coupon_vs_points/splits/offer", headers=auth, timeout=10).json()
    assert [arm["name"] for arm in ab["analysis"]["arms"]] == ["coupon20", "points300"]
    assert "ab_coupon_vs_points" in browser.get("/experiments").text
    manual = httpx.post(f"{base}/api/journeys/welcome/sweep", headers=auth, timeout=10)
    assert manual.status_code == 400 and "only schedule and birthday journeys sweep" in manual.text

    # Another terminal on the same VAR_DIR, without the ports in its environment, finds this `up` (VAR_DIR/up.json).
    record = json.loads((tmp_path / "var" / "up.json").read_text())
    paused = subprocess.run([sys.executable, "-m", "cli", "journey", "pause", "winback-30d"],
                            env=shop_env(tmp_path), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (record["pid"], record["temporal_address"]) == (memberflow_up.pid, f"127.0.0.1:{ports['TEMPORAL_DEV_PORT']}")
    assert paused.returncode == 0, paused.stderr
    assert "journey winback-30d is paused" in paused.stdout

    browser.close()
    memberflow_up.send_signal(signal.SIGINT)
    memberflow_up.wait(timeout=60)
    output = (tmp_path / "up.log").read_text(encoding="utf-8", errors="replace")

    assert memberflow_up.returncode == 0, output
    assert "memberflow stopped" in output
    assert not (tmp_path / "var" / "up.json").exists()  # stopped: the record goes with it
    for port in ports.values():
        assert not listening(port), f"port {port} still open after Ctrl-C"


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid` (children, theirs, …) and its command line, from /proc."""
    children: dict[int, set[int]] = defaultdict(set)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            children[int(stat.read_text().rsplit(")", 1)[1].split()[1])].add(int(stat.parent.name))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child in children[todo.pop()] - found.keys():
            with contextlib.suppress(OSError):
                found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            todo.append(child)
    return found


def running(pid: int) -> bool:
    """Not exited (a zombie waiting for its reaper has exited and holds nothing)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killing_up_with_sigkill_takes_its_children_with_it(tmp_path: Path, ports: dict[str, int]) -> None:
    process = start_up(tmp_path, ports, demo_members=0)
    try:
        deadline = time.monotonic() + 90
        while not (listening(ports["WEB_PORT"]) and listening(ports["TEMPORAL_DEV_PORT"])):
            assert process.poll() is None, (tmp_path / "up.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "memberflow up did not start within 90 s"
            time.sleep(0.2)
        children = descendants(process.pid)
        commands = " | ".join(children.values())

        process.kill()  # SIGKILL: `up` runs no code of its own to stop anything
        process.wait()
        deadline = time.monotonic() + 30
        while any(map(running, children)) or any(map(listening, ports.values())):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)

        assert "start-dev" in commands and "-m cli worker" in commands and "-m cli web" in commands, commands
        assert [pid for pid in children if running(pid)] == [], commands
        assert [port for port in ports.values() if listening(port)] == []
    finally:
        stop_group(process)
