"""The home screen in the real app: every variant, both orientations, open and after hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import run_ui_scenario

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("size", ["1080x1920", "1920x1080"])
def test_home_in_every_variant(xvfb_display: str, screenshot_dir: Path, tmp_path: Path, size: str) -> None:
    report = run_ui_scenario(xvfb_display, "home_scenario", screenshot_dir, tmp_path / "state", size=size)
    assert [s["variant"] for s in report["steps"]] == ["zh", "en", "zh-large", "en-large"]
    zh, en = report["steps"][0], report["steps"][1]
    assert zh["state"] == "正在办公" and not zh["take_disabled"]
    assert en["state"] == "Open now"
    assert report["closed"]["state"] == "现在不取号"
    # Tuesday 19:00: the next numbers are on Wednesday morning, and the button says so.
    assert "11月25日" in report["closed"]["take"] and "09:00" in report["closed"]["take"], report["closed"]
    assert "09:00" in report["closed_en"]["take"], report["closed_en"]
    assert len(report["screenshots"]) == 6
    # The big buttons switch large-font mode and the language; on a portrait screen they are in its lowest fifth
    # (window y from the bottom), within reach from a wheelchair.
    assert [e["title"] for e in report["entries"]] == ["长辈模式", "English", "Standard text", "中文"]
    if size == "1080x1920":
        assert all(e["at"] < 0.2 for e in report["entries"]), report["entries"]
