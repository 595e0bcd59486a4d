"""The real app in a real window: a citizen taps through "take a number" (see take_number_scenario.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from tests.conftest import edit_file
from tests.ui.conftest import ROOT, run_ui_scenario

pytestmark = pytest.mark.ui

def _looks_drawn(path: Path) -> None:
    """A screenshot that is not blank: several colours and real contrast."""
    image = Image.open(path).convert("L")
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 20, f"{path.name} looks blank"


@pytest.mark.parametrize("size", ["1080x1920", "1920x1080"])
def test_take_a_number_through_the_screens(xvfb_display: str, screenshot_dir: Path, tmp_path: Path,
                                           size: str) -> None:
    state = tmp_path / "state"
    report = run_ui_scenario(xvfb_display, "take_number_scenario", screenshot_dir, state, size=size)

    plain, green, paper_out = report["steps"]
    assert plain["number"] == "A001" and plain["printed"] and plain["qr"]
    assert green["number"] == "V001" and green["priority"] and green["printed"]
    # A group that needs the ID card offers no "skip"; with the printer out of paper the number is
    # still issued, shown with its QR code, and the citizen is told why there is no ticket.
    assert report["skip_offered"] is False
    assert paper_out["number"] == "B001" and not paper_out["printed"] and paper_out["qr"]
    assert "缺纸" in paper_out["print_text"]
    assert "缺纸" in report["printer_warning"] and "仍可取号" in report["printer_warning"]
    assert report["paper_out_kept"] == {"screen": "result", "counting_down": False,
                                        "button": "我已记下号码  I have noted it", "subtitle": ""}
    assert report["confirm_button"] == "仍然取号（屏幕显示）  Take a number on screen"
    assert report["held"] == {"number": "B001", "print_text": "这是您已取的号，需要时可以重新打印", "ahead": "前面还有 0 人",
                              "button": "重新打印  Print it again", "printed_files": 2}
    assert report["held_after"] == {"can_print_again": False, "counting_down": True}
    assert report["identity_after"] == "", "the citizen's identity outlived the session"
    assert report["after_done"] == {"lang": "zh", "large": False, "identity": ""}, "the next citizen inherits a mode"

    tickets = sorted(p.name for p in (state / "tickets").glob("*.png"))
    assert tickets == ["2026-11-24-A001.png", "2026-11-24-B001.png", "2026-11-24-V001.png"]
    width = {"1080x1920": 1080, "1920x1080": 1920}[size]
    for name in report["screenshots"]:
        shot = screenshot_dir / name
        assert shot.exists(), name
        assert Image.open(shot).size[0] == width
        _looks_drawn(shot)
    assert [n.split("-", 1)[1] for n in report["screenshots"]] == [
        "home-zh.png", "home-en.png", "groups.png", "identify.png", "ticket.png", "home-large.png",
        "groups-large-card.png", "ticket-large-green.png", "printer-warning.png", "ticket-paper-out.png",
        "ticket-held.png", "ticket-held-printed.png"]


def test_a_double_tap_issues_nothing_and_a_card_at_home_starts_a_session(xvfb_display: str, screenshot_dir: Path,
                                                                         tmp_path: Path) -> None:
    report = run_ui_scenario(xvfb_display, "double_tap_scenario", screenshot_dir, tmp_path / "state")

    # Each second tap landed on a service tile (else the test would prove nothing), which did nothing.
    assert report["no_card"]["tile"] and report["senior"]["tile"], report
    assert {k: report["no_card"][k] for k in ("screen", "waiting")} == {"screen": "groups", "waiting": 0}
    senior = report["senior"]
    assert (senior["screen"], senior["waiting"], senior["large"]) == ("groups", 0, True)
    assert senior["who"] == "张** 1101**********002X"
    assert senior["issued_for"] == senior["tile"], "a tap after the screen settled issues that tile's number"
    assert report["offer"] == ["需要大字和语音吗？", "Would you like large text and spoken help?",
                               "需要，大字和语音  Yes, large text and voice", "不需要  No, thank you"]
    assert report["citizen"] == {"large": False, "who": "李** 1101**********1239", "offer": False}


def test_a_card_read_is_asked_back_until_it_is_taken(xvfb_display: str, screenshot_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    edit_file(config / "kiosk.toml", 'speech_wav_dir = ""', f'speech_wav_dir = "{tmp_path / "spoken"}"')
    report = run_ui_scenario(xvfb_display, "take_card_scenario", screenshot_dir, tmp_path / "state", config=config)

    take = "请取回您的身份证  Please take your ID card"
    assert report["result_take_card"] == take
    assert "请取回您的身份证" in report["ticket_lines"] and "Please take your ID card" in report["ticket_lines"]
    assert report["after_done"] == {"lang": "zh", "large": False, "identity": ""}
    assert report["band"] == take and report["reminder_repeats"]
    # The whole top bar turns red (the theme's accent) while the card waits on the reader, and back after.
    bar = [Image.open(screenshot_dir / name).convert("RGB").getpixel((540, 4)) for name in report["screenshots"]]
    assert bar[1:3] == [(0xC8, 0x10, 0x2E), (0x1D, 0x4E, 0x89)], bar
    assert report["spoken_at_home"][0] == "请取回您的身份证。"
    assert report["band_after"] == "" and not report["reminder_after"]

    # Staff called once for two taps, from the card step, with nothing about the citizen.
    assert report["staff_calls"] == [["help", "identify"]]
    assert report["staff_notice"] == ["已通知工作人员，请在本机旁稍候，工作人员马上过来。",
                                      "Staff have been told: please wait by this kiosk, someone is on the way."]
    assert report["staff_spoken"] == ["已通知工作人员，请在本机旁稍候，工作人员马上过来。"]
    assert report["staff_band"] == "已呼叫工作人员，请在此稍候  Staff called: please wait here"
    assert report["staff_band_en_large"] == "Staff called: please wait here"
    assert report["staff_band_after"] == ""
    # The bar turns green (the theme's "ok" in large-font mode) while staff are on their way, and back after.
    assert bar[4:] == [(0x0B, 0x5D, 0x1E), (0x1D, 0x4E, 0x89)], bar
    # kioskctl status, where staff look, puts the call at the top.
    out = subprocess.run([sys.executable, "-m", "kiosk.cli", "status", "--config", str(config)], capture_output=True,
                         text=True, env={**os.environ, "KIOSK_STATE_DIR": str(tmp_path / "state")}, check=True).stdout
    assert any(line.startswith("ALERT:") and "'ID card'" in line for line in out.splitlines()[:3]), out
