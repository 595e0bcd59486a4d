"""Application progress and queue status in the real app (see lookups_scenario.py): progress records and
tickets are seeded into the kiosk's own database before it starts; a second configuration points the kiosk
at a hall server that is down."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drivers.card.simulated import DEMO_CARDS
from kiosk.assembly import LocalStore
from kiosk.config import load_config
from kiosk.queue.progress import ProgressUpdate, Stage
from kiosk.queue.suite import suite_on
from tests.conftest import SHANGHAI
from tests.ui.conftest import ROOT, run_ui_scenario

pytestmark = pytest.mark.ui

ELDER, CITIZEN = DEMO_CARDS[0], DEMO_CARDS[1]


def _ticking_clock(start: datetime) -> Iterator[datetime]:
    now = start
    while True:
        yield now
        now += timedelta(seconds=10)


def seed(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three applications of the elderly demo citizen (all steps; refused; just received), one of the other
    one (under review); and this morning's tickets: A001 served, A002 missed, A003 at window 1, A004 at
    window 2, A005 and A006 waiting, C001 at window 11."""
    monkeypatch.setenv("KIOSK_STATE_DIR", str(state))
    ticks = _ticking_clock(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    queue = LocalStore(load_config(ROOT / "config"), clock=lambda: next(ticks)).queue
    suite = suite_on(queue)

    def day(d: int, h: int = 10) -> datetime:
        return datetime(2026, 11, d, h, 0)

    elder = dict(id_number=ELDER.id_number, name=ELDER.name)
    suite.progress.upsert([
        ProgressUpdate("SL2026-0001", Stage.RECEIVED, day(16), matter_id="realestate-transfer",
                       matter_name_zh="二手房转移登记", **elder),
        ProgressUpdate("SL2026-0001", Stage.IN_REVIEW, day(17)),
        ProgressUpdate("SL2026-0001", Stage.APPROVED, day(19)),
        ProgressUpdate("SL2026-0001", Stage.COMPLETED, day(20)),
        ProgressUpdate("SL2026-0001", Stage.READY, day(21), note_zh="请携带身份证和受理回执领取不动产权证书"),
        ProgressUpdate("SL2026-0002", Stage.RECEIVED, day(20), matter_id="medins-remote",
                       matter_name_zh="异地就医备案", id_number=CITIZEN.id_number, name=CITIZEN.name),
        ProgressUpdate("SL2026-0002", Stage.IN_REVIEW, day(23, 15)),
        ProgressUpdate("SL2026-0003", Stage.RECEIVED, day(10), matter_id="social-pension",
                       matter_name_zh="城乡居民养老保险待遇申领", **elder),
        ProgressUpdate("SL2026-0003", Stage.REJECTED, day(13), note_zh="缺少户口簿复印件，请补齐材料后重新申请"),
        ProgressUpdate("SL2026-0004", Stage.RECEIVED, day(24, 9), matter_name_zh="门诊慢特病待遇认定", **elder),
    ])
    for _ in range(6):
        queue.issue("general")
    queue.issue("medins")
    queue.call_window("1")   # A001
    queue.call_window("2")   # A002
    queue.call_window("11")  # C001
    queue.call_window("1")   # A001 served, A003 called
    for _ in range(2):
        queue.recall("2")
    queue.no_show("2")       # A002 missed
    queue.call_window("2")   # A004
    queue.engine.dispose()


def test_progress_and_queue_status_in_every_variant(xvfb_display: str, screenshot_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    seed(state, monkeypatch)
    report = run_ui_scenario(xvfb_display, "lookups_scenario", screenshot_dir, state, timeout=600)
    check_every_variant(report)


def check_every_variant(report: dict[str, Any]) -> None:
    """What the portrait run in the four variants must have seen (JSON: tuples come back as lists)."""
    assert set(report["progress"]) == {"zh", "en", "zh-large", "en-large"}
    zh, en = report["progress"]["zh"], report["progress"]["en"]
    # By receipt, typed without the dash: all five steps with their dates, and where to collect.
    (card,) = zh["receipt"]["cards"]
    assert card["matter"] == "二手房转移登记" and "SL2026-0001" in card["receipt"]
    assert card["applicant"] == "申请人：张** 1101**********002X", card["applicant"]
    assert [tuple(s[:3]) for s in card["steps"]] == [("受理", "11月16日", True), ("审查", "11月17日", True),
                                              ("决定", "11月19日", True), ("办结", "11月20日", True),
                                              ("可领取", "11月21日", True)]
    assert card["steps"][-1][3] and "待领取" in card["status"]
    assert "一楼 7-10 号窗口" in card["collect"] and "可以领取" in card["collect"]
    (card_en,) = en["receipt"]["cards"]
    assert card_en["matter"] != "二手房转移登记" and tuple(card_en["steps"][0][:2]) == ("Received", "16 Nov")
    assert "Ready for collection" in card_en["status"]
    # Not found: says so and what to do.
    assert zh["not_found"]["kind"] == "not_found" and "编号" in zh["not_found"]["text"]
    # By card: the person's three applications, newest first; the refused one stops at the decision.
    for v, found in report["progress"].items():
        receipts = [c["receipt"] for c in found["card"]["cards"]]
        assert [r[-11:] for r in receipts] == ["SL2026-0004", "SL2026-0001", "SL2026-0003"], (v, receipts)
        assert found["card"]["pages"] == (3 if "large" in v else 2)
        assert found["identity_on_screen"]
        assert found["after_leaving"] == {"identity": None, "identity_text": "", "cards": 0, "heading": "",
                                          "lang": "zh", "large": False}
    refused = zh["card"]["cards"][2]
    assert [s[2] for s in refused["steps"]] == [True, True, True, False, False]
    assert "不予批准" in refused["status"] and "户口簿" in refused["note"]
    assert "张** 1101**********002X" in zh["card"]["heading"] and "3" in zh["card"]["heading"]
    for v in report["progress"].values():
        text = str(v)
        assert ELDER.id_number not in text and CITIZEN.id_number not in text and ELDER.name not in text

    queue = report["queue"]
    overview = {r["group"]: r for r in queue["zh"]["overview"]}
    assert overview["general"]["waiting"] == "等候 2 人"
    assert overview["general"]["serving"] == "正在办理：A004 → 2 号窗口，A003 → 1 号窗口"
    assert overview["medins"]["serving"] == "正在办理：C001 → 11 号窗口" and overview["medins"]["waiting"] == "等候 0 人"
    assert overview["realestate"]["serving"] == "正在办理：暂无" and overview["realestate"]["wait"] == "无需等待"
    assert queue["zh-large"]["per_page"] < queue["zh"]["per_page"] <= 6
    assert queue["en"]["overview"][0]["serving"] == "Now serving: A004 → window 2, A003 → window 1"
    tickets = queue["zh"]["tickets"]
    assert tickets["A006"]["state"] == "waiting" and "1" in tickets["A006"]["main"] and tickets["A006"]["area"]
    assert tickets["A003"] == {**tickets["A003"], "state": "called", "main": "请到 1 号窗口办理"}
    assert tickets["A001"]["state"] == "served" and tickets["A002"]["state"] == "no_show"
    # The shipped rule: a missed number may rejoin, after the next 3 people; in the last variant it does.
    assert tickets["A002"]["rejoin"] and tickets["A002"]["detail"] == "叫号时您不在。您可以重新排队，排在接下来 3 位之后。"
    assert not tickets["A006"]["rejoin"] and not tickets["A001"]["rejoin"]
    assert queue["en-large"]["rejoined"] == {"main": "People ahead of you: 2", "rejoin": False}
    assert tickets["A099"]["state"] == "unknown" and "A099" in tickets["A099"]["main"]
    assert queue["en"]["tickets"]["A003"]["main"] == "Please go to window 1"
    assert queue["zh"]["refresh_after_leaving"] is False
    assert len(report["screenshots"]) >= 4 * 14


def test_lookups_in_landscape(xvfb_display: str, screenshot_dir: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    seed(state, monkeypatch)
    report = run_ui_scenario(xvfb_display, "lookups_scenario", screenshot_dir, state, size="1920x1080",
                             env={"LOOKUPS_VARIANTS": "zh,en-large"}, timeout=600)
    assert set(report["progress"]) == {"zh", "en-large"}
    assert report["queue"]["zh"]["tickets"]["A003"]["state"] == "called"
    assert report["progress"]["zh"]["receipt"]["cards"][0]["matter"] == "二手房转移登记"
    # Two cards side by side in standard mode, one at a time in large-font mode.
    assert report["progress"]["zh"]["card"]["pages"] == 2 and report["progress"]["en-large"]["card"]["pages"] == 3
    assert report["queue"]["en-large"]["overview"][0]["serving"].startswith("Now serving: A004")


@pytest.mark.parametrize("offline_series", ["", "XA"])
def test_progress_says_when_the_network_is_down(xvfb_display: str, screenshot_dir: Path, tmp_path: Path,
                                                offline_series: str) -> None:
    """A hall kiosk whose hall server does not answer: the lookup ends with the network message and the
    hall's phone number (not a frozen screen). The queue screen says it cannot show the queues; a kiosk with
    an offline series shows its own figures, marked as possibly out of date."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    (tmp_path / "hall-token").write_text("token-of-this-kiosk\n", encoding="utf-8")
    toml = config / "kiosk.toml"
    text = toml.read_text(encoding="utf-8")
    for key in ('queue = "embedded"', 'hall_url = ""', 'token_file = ""', 'offline_series = ""'):
        assert text.count(key) == 1, key
    toml.write_text(text.replace('queue = "embedded"', 'queue = "hall"')
                    .replace('hall_url = ""', f'hall_url = "{dead}"')
                    .replace('token_file = ""', f'token_file = "{tmp_path / "hall-token"}"')
                    .replace('offline_series = ""', f'offline_series = "{offline_series}"'), encoding="utf-8")
    report = run_ui_scenario(xvfb_display, "lookups_scenario", screenshot_dir, tmp_path / "state", config=config,
                             env={"LOOKUPS_MODE": "unreachable"})
    zh, en = report["progress"]["zh"], report["progress"]["en-large"]
    assert zh["kind"] == "unreachable" and zh["after_retry"] == "unreachable"
    assert "联网" in zh["text"] and "12345" in zh["text"] and zh["phone"] == "咨询电话：12345"
    assert "network" in en["text"] and en["phone"] == "Phone: 12345"
    queue, queue_en = report["queue"]["zh"], report["queue"]["en-large"]
    if offline_series:
        assert queue["updated"].startswith("暂时无法更新") and queue["rows"] == 9 and queue["message"] == ""
        assert "out of date" in queue_en["updated"]
    else:
        assert queue["updated"] == "" and queue["rows"] == 0 and "服务台" in queue["message"]
        assert "help desk" in queue_en["message"]
