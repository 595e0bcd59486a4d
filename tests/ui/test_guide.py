"""The service guide in the real app (see guide_scenario.py): every variant in portrait, two in landscape.
``run_ui_scenario`` also fails on anything the layout check found in the screenshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.ui.conftest import run_ui_scenario

pytestmark = pytest.mark.ui


def _check_step(step: dict, portrait: bool) -> None:
    zh = step["variant"].startswith("zh")
    large = step["variant"].endswith("large")
    # Groups with a guide, at most 6 a page in large-font mode.
    assert step["groups"][:2] == ["general", "realestate"]
    assert step["per_page"] <= 6 if large else step["per_page"] >= 4
    assert step["group_heading"] == ("不动产登记" if zh else "Real Estate Registration")
    page = step["matter"]
    assert page["name"] == ("二手房转移登记" if zh else "Transfer registration of a resold home")
    # The appointment is visible under the name and has its own section that says how to book.
    assert ("需提前预约" if zh else "Appointment needed") in page["group_line"]
    expected = (["事项简介", "办理对象", "是否需要预约", "所需材料", "办理流程", "办理地点", "办理时限", "收费标准",
                 "咨询电话", "办理单位", "办理依据"] if zh else
                ["What it is", "Who may apply", "Appointment", "What to bring", "Steps", "Where to go", "Time limit",
                 "Fees", "Phone", "Responsible office (in Chinese only)", "Legal basis (in Chinese only)"])
    assert page["headings"] == expected
    assert page["scrollable"] and step["scrolled"]
    assert step["qr"]
    assert step["printed"] == ("一次性告知单已打印，请从出票口取走。" if zh else
                               "The checklist has been printed. Please take it from the slot.")
    assert step["back_view"] == "group"
    assert step["events"] == ["baby", "home", "retire", "abroad", "company", "move"]
    assert step["event_matters"] == ["hukou-birth", "medins-newborn"]
    assert step["birth"]["name"] == ("新生儿出生登记" if zh else "Birth registration of a newborn")
    assert ("无需预约" if zh else "No appointment needed") in step["birth"]["group_line"]
    assert step["typed"]["value"] == "bdc" and step["typed"]["count"] == 2
    assert step["results"] == ["realestate-transfer", "realestate-mortgage"]
    assert "bdc" in step["results_heading"]
    assert step["back_to_results"] == "results"
    assert step["word_results"] == ["general-passport"]
    assert step["passport"]["name"] == ("普通护照签发" if zh else "Applying for an ordinary passport")
    # Home ends the visit: the next citizen starts at the groups with an empty search.
    assert step["reset"] == {"view": "groups", "query": ""}


@pytest.mark.parametrize("size", ["1080x1920", "1920x1080"])
def test_guide_by_touch(xvfb_display: str, screenshot_dir: Path, tmp_path: Path, size: str) -> None:
    state = tmp_path / "state"
    report = run_ui_scenario(xvfb_display, "guide_scenario", screenshot_dir, state, size=size, timeout=600)
    portrait = size == "1080x1920"
    variants = [s["variant"] for s in report["steps"]]
    assert variants == (["zh", "en", "zh-large", "en-large"] if portrait else ["zh", "en-large"])
    for step in report["steps"]:
        _check_step(step, portrait)

    # One checklist per variant came out of the (simulated) printer; none while it was out of paper.
    checklists = sorted((state / "tickets").glob("checklist-realestate-transfer-*.png"))
    assert len(checklists) == len(variants)
    assert not list((state / "tickets").glob("checklist-hukou-move-*.png"))
    # 取号办理 on a matter page takes a number of its group (after the ID card the group needs).
    assert report["from_guide"]["group"] == "hukou" and report["from_guide"]["number"].endswith("001")
    with Image.open(checklists[0]) as image:
        assert image.height > 800  # the whole list of materials, not an empty slip
    shutil.copy(checklists[0], screenshot_dir / "printed-checklist.png")  # kept for a person to look at
    fault = report["fault"]
    assert "缺纸" in fault["primary"] and "扫码" in fault["primary"]
    assert "out of paper" in fault["secondary"] and "scan the code" in fault["secondary"]

    width = int(size.split("x")[0])
    for name in report["screenshots"]:
        with Image.open(screenshot_dir / name) as shot:
            assert shot.size[0] == width
