"""A driver that hangs never freezes the screen: see hang_scenario.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import run_ui_scenario

pytestmark = pytest.mark.ui


def test_hanging_hardware_keeps_the_screen_responding(xvfb_display: str, screenshot_dir: Path,
                                                       tmp_path: Path) -> None:
    report = run_ui_scenario(xvfb_display, "hang_scenario", screenshot_dir, tmp_path / "state")

    assert report["group_info"] == "正在查询…"  # figures that never came: the button says so and still works
    assert report["card_timeout"] == ["读卡时间过长，请拿起身份证后重新放置。",
                                      "Reading the card took too long. Lift the card and place it again."]
    zh, en = report["hangs"]
    assert zh["busy"] == ["正在取号，请稍候…", "Getting your number…"]
    assert en["busy"] == list(reversed(zh["busy"]))
    for hang in (zh, en):
        # While the worker waited on the printer the main loop kept going: frames, clock events and a touch.
        assert hang["during"]["frames"] > hang["before"]["frames"] + 10, hang
        assert hang["during"]["ticks"] > hang["before"]["ticks"] + 3, hang
        assert hang["during"]["touches"] == hang["before"]["touches"] + 1, hang
        assert not hang["busy_after"] and hang["screen"] == "identify"
    assert zh["message"] == ["系统响应超时，请稍后再试，或联系工作人员。",
                             "The system did not answer in time. Please try again or ask a member of staff."]
    assert en["message"] == list(reversed(zh["message"]))
    assert report["ticket"] == {"number": "A001", "printed": True}
    assert len(report["screenshots"]) == 8
