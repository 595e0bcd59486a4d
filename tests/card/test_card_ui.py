"""The real app, a real window (Xvfb) and the PC/SC reader: "reading…", the result, faults on screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from kiosk.config import KioskConfig
from tests.card.helpers import REPO, documented_example
from tests.card.stack import Pcscd
from tests.ui.conftest import screenshot_dir, xvfb_display  # noqa: F401  (fixtures)

pytestmark = pytest.mark.ui

DEMO_TIME = "2026-11-24 10:00"  # a Tuesday morning, the hall is open


def test_identify_screen_with_the_pcsc_reader(xvfb_display: str, screenshot_dir: Path,  # noqa: F811
                                              card_config: Callable[[str], KioskConfig], config_dir: Path,
                                              pcscd: Pcscd, tmp_path: Path) -> None:
    card_config(documented_example().replace('reader = "ID Card Reader"\n',
                                             'reader = "PCD 00 00"\nread_timeout_seconds = 3\n'))
    assert pcscd.proc is not None
    env = {**os.environ, "DISPLAY": xvfb_display, "KIOSK_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.run(
        [sys.executable, str(REPO / "tests" / "card" / "drive_card_ui.py"), str(screenshot_dir), str(config_dir),
         DEMO_TIME, str(pcscd.port), str(pcscd.proc.pid)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    report_file = screenshot_dir / "report.json"
    assert report_file.exists(), f"driver wrote no report:\n{proc.stderr[-4000:]}"
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert not report["errors"], report["errors"][0]
    assert proc.returncode == 0, proc.stderr[-4000:]

    assert report["prompt_before"] == "请将身份证放在读卡区"
    assert (report["prompt_reading"], report["hint_reading"]) == ("正在读卡…", "请保持身份证不动，直到读卡完成")
    # The senior's card sends them to the green channel of the group that needs the card.
    assert report["ticket"]["priority"] is True and report["ticket"]["number"].startswith("B")
    assert report["identity_after"] == "", "the citizen's identity outlived the session"
    assert report["expired_notice"][0].startswith("身份证已过有效期")
    assert "expired" in report["expired_notice"][1]
    assert report["screen_after_expired"] == "identify"
    assert report["timeout_notice"].startswith("读卡时间过长") and report["card_state_after_timeout"] == ""
    assert report["notice_after_late_result"] == report["timeout_notice"]  # the late failure is not shown
    assert report["identity_after_slow"] == ""
    assert (report["prompt_no_reader"], report["hint_no_reader"]) == (
        "读卡器暂时无法使用", "请联系工作人员")  # the group needs the card: no "continue without"
    assert [n.split("-", 1)[1] for n in report["screenshots"]] == [
        "reading.png", "ticket.png", "expired.png", "slow-card.png", "slow-card-removed.png", "no-reader.png"]
    for name in report["screenshots"]:
        image = Image.open(screenshot_dir / name).convert("L")
        assert ImageStat.Stat(image).stddev[0] > 20, f"{name} looks blank"
    pcscd.proc.wait(timeout=10)  # killed by the driver: the fixture finds it gone
