"""The maintenance screen in the real app: hidden corner, PIN and lock, every function, all variants."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.admin_pin import EXIT_MARKER, EXIT_TO_SHELL
from tests.ui.conftest import DEMO_TIME, ROOT, run_ui_scenario

pytestmark = pytest.mark.ui


def layout_problems(out: Path) -> list[str]:
    return [f"{check.name}: {problem}" for check in sorted(out.glob("*.layout.json"))
            for problem in json.loads(check.read_text(encoding="utf-8"))["problems"]]


def test_maintenance_by_touch(xvfb_display: str, screenshot_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    state = tmp_path / "state"
    report = run_ui_scenario(xvfb_display, "maintenance_scenario", screenshot_dir, state, config=config, timeout=600)

    # The corner opens nothing on a tap or a short press; held 3 s it asks for the PIN (masked).
    assert report["after_short_presses"] == "home"
    assert report["pin_display_while_typing_masked"] == "••••"
    wrong = report["wrong_messages"]
    assert [w.split("还可再试 ")[1][0] for w in wrong[:4]] == ["4", "3", "2", "1"], wrong
    assert "已锁定" in wrong[4] and "11月24日" in wrong[4], wrong[4]
    assert report["right_pin_while_locked"]["screen"] == "admin_pin"
    assert "已锁定" in report["right_pin_while_locked"]["message"]
    assert "已锁定" in report["locked_on_entry"]
    assert "unlocked" in report["unlock"]

    status = report["status"]
    assert status["printer"] == "正常" and status["reader"] == "就绪"
    assert status["backend"].startswith("单机") and status["unprinted"] == "1 张"
    assert status["version"] == "0.1.0" and "小时" in status["uptime"]
    assert report["exit_shown"] == {"opacity": 0, "disabled": True}

    # Four test prints (one a variant), each reported; the PNGs are in the state's tickets folder.
    assert all("测试小票已打印" in t or "test ticket was printed" in t for t in report["test_print"])
    tickets = sorted(p.name for p in (state / "tickets").glob("*A000*.png"))
    assert len(tickets) == 4, tickets

    card = report["card"]
    assert card["text"] == "读卡成功：张**  1101**********002X", card
    assert "simulated" in card["details"] and "76" in card["details"], card
    assert card["app_identity"] == "None" and report["card_after_back"] == ""

    number = report["unprinted_number"]
    assert report["unprinted_listed"] == [number]
    assert report["reprint_notice"] == f"{number} 已补打。"
    assert (state / "tickets" / f"2026-11-24-{number}.png").exists()

    assert any(f"ticket {number} not printed: paper_out" in p for p in report["problems"]), report["problems"]
    # The newest first: the lock after five wrong PINs, its time in the hall's time.
    assert "kiosk.admin_pin" in report["problem_notice"], report["problem_notice"]
    assert "locked until 2026-11-24 10:15" in report["problem_notice"]

    assert all("kiosk.toml: admin.lockout_minutes" in r for r in report["reload_refused"]), report["reload_refused"]
    assert report["reloaded"]["allow_exit"] is True and report["reloaded"]["reloaded_at"]
    assert report["exit_after_reload"] == {"opacity": 1, "disabled": False}

    assert len(report["screenshots"]) >= 50
    assert not layout_problems(screenshot_dir), "\n".join(layout_problems(screenshot_dir)[:20])


def test_landscape_idle_timeout_and_exit_to_the_shell(xvfb_display: str, screenshot_dir: Path,
                                                      tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    kiosk = config / "kiosk.toml"
    text = kiosk.read_text(encoding="utf-8")
    for old, new in (("allow_exit = false", "allow_exit = true"), ("idle_seconds = 60", "idle_seconds = 20"),
                     ("large_font_idle_seconds = 120", "large_font_idle_seconds = 20")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    kiosk.write_text(text, encoding="utf-8")
    state = tmp_path / "state"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ui" / "scenario.py"), "maintenance_exit_scenario", str(screenshot_dir),
         str(config), DEMO_TIME, "1920x1080"],
        env={**os.environ, "DISPLAY": xvfb_display, "KIOSK_STATE_DIR": str(state)},
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads((screenshot_dir / "report.json").read_text(encoding="utf-8"))
    assert not report["errors"], report["errors"][0]
    # The app stopped by itself with the status systemd does not restart, and left the marker for the unit.
    assert proc.returncode == EXIT_TO_SHELL, proc.stderr[-3000:]
    assert (state / EXIT_MARKER).exists()
    assert report["session_after_idle"] is False and report["direct_entry"] == "home"
    assert report["exit_button"] == {"opacity": 1, "disabled": False}
    assert "Stop the kiosk app" in report["exit_question"]
    assert len(report["screenshots"]) == 7
    assert not layout_problems(screenshot_dir), "\n".join(layout_problems(screenshot_dir)[:20])
