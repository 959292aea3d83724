"""`memberflow up` really starts the Temporal dev server, a worker and the web app, and Ctrl-C stops them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.slow


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


@pytest.fixture
def memberflow_up(tmp_path: Path, ports: dict[str, int]) -> Iterator[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "API_TOKEN", "TEMPORAL_ADDRESS"}}
    env.update({name: str(port) for name, port in ports.items()})
    env.update({"VAR_DIR": str(tmp_path / "var"), "DEMO_MEMBERS": "300", "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_until_healthy(base: str, process: subprocess.Popen[str], timeout: float = 120) -> httpx.Response:
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


def printed_token(process: subprocess.Popen[str]) -> str:
    """The API token `up` shows once, on its terminal only (only its hash is kept)."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("API token: "):
            return line.split()[2]
    raise AssertionError(f"memberflow up ended ({process.poll()}) without showing an API token")


def wait_for_tags(base: str, auth: dict[str, str], member: str, wanted: set[str], timeout: float = 30) -> set[str]:
    deadline = time.monotonic() + timeout
    tags: set[str] = set()
    while time.monotonic() < deadline:
        tags = set(httpx.get(f"{base}/api/members/{member}", headers=auth, timeout=10).json()["tags"])
        if wanted <= tags:
            return tags
        time.sleep(0.5)
    raise AssertionError(f"{member} has tags {sorted(tags)} after {timeout} s, not {sorted(wanted)}")


def wait_for_text(url: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        page = httpx.get(url, timeout=10).text
        if text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{url} does not show {text!r} after {timeout} s")


def test_up_serves_the_app_with_demo_members_then_stops_cleanly(
    memberflow_up: subprocess.Popen[str], ports: dict[str, int], tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{ports['WEB_PORT']}"

    health = wait_until_healthy(base, memberflow_up)
    token = printed_token(memberflow_up)
    assert not any(token.encode() in path.read_bytes() for path in (tmp_path / "var").rglob("*") if path.is_file())
    members = httpx.get(f"{base}/api/members", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    home = httpx.get(base, timeout=10)
    temporal_ui = httpx.get(f"http://127.0.0.1:{ports['TEMPORAL_UI_PORT']}", timeout=10)

    assert health.json() == {"database": "ok", "temporal": "ok", "worker": "ok"}
    assert members.status_code == 200
    assert members.json()["total"] == 300
    assert "memberflow" in home.text and 'id="members-count">300<' in home.text
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
    outbox = wait_for_text(f"{base}/outbox", "欢迎加入，新贵宾！")  # welcome's email, caught by the local catcher
    assert "vip@example.com" in outbox

    # The win-back and birthday journeys, swept now rather than at 10:00 and 09:00: a member silent for exactly
    # 30 days gets a coupon and the win-back email, one whose birthday is in 3 days the birthday email.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    birthday = (today + timedelta(days=3)).replace(year=1992)
    people = [
        {"member_id": "SILENT", "name": "沉睡者", "email": "silent@example.com"},
        {"member_id": "BDAY", "name": "寿星", "email": "bday@example.com", "birthday": birthday.isoformat()},
    ]
    order = {"order_id": "SILENT-1", "member_id": "SILENT", "amount": "120",
             "placed_at": f"{today - timedelta(days=30)}T12:00:00+08:00"}  # fmt: skip
    assert httpx.post(f"{base}/api/members", json=people, headers=auth, timeout=10).status_code == 200
    assert httpx.post(f"{base}/api/orders", json=order, headers=auth, timeout=10).status_code == 201
    for key in ("winback", "birthday"):
        assert httpx.post(f"{base}/api/journeys/{key}/sweep", headers=auth, timeout=30).status_code == 202
    outbox = wait_for_text(f"{base}/outbox", "沉睡者，好久不见", timeout=90)
    outbox = wait_for_text(f"{base}/outbox", "生日快乐，寿星", timeout=90)
    assert "silent@example.com" in outbox and "bday@example.com" in outbox
    report = httpx.get(f"{base}/api/coupons/report", headers=auth, timeout=10).json()
    assert sum(r["issued"] for r in report if r["template"].startswith("winback")) >= 1
    # The A/B example: a member silent for 45 days enters the coupon-vs-points split when it sweeps.
    quiet = {"order_id": "QUIET-1", "member_id": "QUIET", "amount": "60",
             "placed_at": f"{today - timedelta(days=45)}T12:00:00+08:00"}  # fmt: skip
    assert httpx.post(f"{base}/api/members", json={"member_id": "QUIET"}, headers=auth, timeout=10).status_code == 201
    assert httpx.post(f"{base}/api/orders", json=quiet, headers=auth, timeout=10).status_code == 201
    sweep = httpx.post(f"{base}/api/journeys/ab_coupon_vs_points/sweep", headers=auth, timeout=30)
    assert sweep.status_code == 202
    members_csv = f"{base}/api/journeys/ab_coupon_vs_points/splits/offer/members.csv"
    deadline = time.monotonic() + 60
    while "QUIET," not in (assigned := httpx.get(members_csv, headers=auth, timeout=10).text):
        assert time.monotonic() < deadline, f"QUIET was not assigned an arm: {assigned}"
        time.sleep(0.5)
    ab = httpx.get(f"{base}/api/journeys/ab_coupon_vs_points/splits/offer", headers=auth, timeout=10).json()
    assert [arm["name"] for arm in ab["analysis"]["arms"]] == ["coupon20", "points300"]
    assert "ab_coupon_vs_points" in httpx.get(f"{base}/experiments", timeout=10).text
    manual = httpx.post(f"{base}/api/journeys/welcome/sweep", headers=auth, timeout=10)
    assert manual.status_code == 400 and "only schedule and birthday journeys sweep" in manual.text

    memberflow_up.send_signal(signal.SIGINT)
    output, _ = memberflow_up.communicate(timeout=60)

    assert memberflow_up.returncode == 0, output
    assert "memberflow stopped" in output
    for port in ports.values():
        assert not listening(port), f"port {port} still open after Ctrl-C"
