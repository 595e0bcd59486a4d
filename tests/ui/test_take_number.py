"""The real app in a real window: a citizen taps through "take a number" (see drive_app.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from tests.ui.conftest import ROOT

pytestmark = pytest.mark.ui

DEMO_TIME = "2026-11-24 10:00"  # a Tuesday morning, the hall is open


def _run_driver(display: str, out: Path, state: Path, size: str) -> dict:
    env = {**os.environ, "DISPLAY": display, "KIOSK_STATE_DIR": str(state)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ui" / "drive_app.py"), str(out), str(ROOT / "config"), DEMO_TIME, size],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    report_file = out / "report.json"
    assert report_file.exists(), f"driver wrote no report:\n{proc.stderr[-4000:]}"
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert not report["errors"], report["errors"][0]
    assert proc.returncode == 0, proc.stderr[-4000:]
    return report


def _looks_drawn(path: Path) -> None:
    """A screenshot that is not blank: several colours and real contrast."""
    image = Image.open(path).convert("L")
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 20, f"{path.name} looks blank"


@pytest.mark.parametrize("size", ["1080x1920", "1920x1080"])
def test_take_a_number_through_the_screens(xvfb_display: str, screenshot_dir: Path, tmp_path: Path,
                                           size: str) -> None:
    state = tmp_path / "state"
    report = _run_driver(xvfb_display, screenshot_dir, state, size)

    plain, green, paper_out = report["steps"]
    assert plain["number"] == "A001" and plain["printed"] and plain["qr"]
    assert green["number"] == "V001" and green["priority"] and green["printed"]
    # A group that needs the ID card offers no "skip"; with the printer out of paper the number is
    # still issued, shown with its QR code, and the citizen is told why there is no ticket.
    assert report["skip_offered"] is False
    assert paper_out["number"] == "B001" and not paper_out["printed"] and paper_out["qr"]
    assert "缺纸" in paper_out["print_text"]
    assert "缺纸" in report["printer_warning"] and "仍可取号" in report["printer_warning"]
    assert "B001" in report["notice"], report["notice"]
    assert report["identity_after"] == "", "the citizen's identity outlived the session"

    tickets = sorted(p.name for p in (state / "tickets").glob("*.png"))
    assert tickets == ["2026-11-24-A001.png", "2026-11-24-V001.png"]
    width = {"1080x1920": 1080, "1920x1080": 1920}[size]
    for name in report["screenshots"]:
        shot = screenshot_dir / name
        assert shot.exists(), name
        assert Image.open(shot).size[0] == width
        _looks_drawn(shot)
    assert [n.split("-", 1)[1] for n in report["screenshots"]] == [
        "home-zh.png", "home-en.png", "groups.png", "identify.png", "ticket.png", "home-large.png",
        "groups-large-card.png", "ticket-large-green.png", "printer-warning.png", "ticket-paper-out.png",
        "notice-limit.png"]
