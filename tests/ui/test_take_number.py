"""The real app in a real window: a citizen taps through "take a number" (see take_number_scenario.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageStat

from tests.ui.conftest import run_ui_scenario

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
    assert "B001" in report["notice"], report["notice"]
    assert report["identity_after"] == "", "the citizen's identity outlived the session"
    assert report["after_done"] == {"lang": "zh", "large": False, "identity": ""}, "the next citizen inherits a mode"

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
