"""The real app, a real window (Xvfb) and the PC/SC reader: "reading…", the result, faults on screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from kiosk.config import KioskConfig
from tests.card.helpers import documented_example
from tests.card.stack import Pcscd
from tests.ui.conftest import run_ui_scenario, screenshot_dir, xvfb_display  # noqa: F401  (fixtures)

pytestmark = pytest.mark.ui

def test_identify_screen_with_the_pcsc_reader(xvfb_display: str, screenshot_dir: Path,  # noqa: F811
                                              card_config: Callable[[str], KioskConfig], config_dir: Path,
                                              pcscd: Pcscd, tmp_path: Path) -> None:
    config = card_config(documented_example().replace('reader = "ID Card Reader"\n',
                                                      'reader = "PCD 00 00"\nread_timeout_seconds = 3\n'))
    assert pcscd.proc is not None
    report = run_ui_scenario(xvfb_display, "tests.card.card_ui_scenario", screenshot_dir, tmp_path / "state",
                             config=config_dir, env={"CARD_VPCD_PORT": str(pcscd.port),
                                                     "CARD_PCSCD_PID": str(pcscd.proc.pid)}, timeout=120)

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
    # The group needs the card: no "continue without", but the help call and the services that need none.
    assert (report["prompt_no_reader"], report["hint_no_reader"]) == (
        "读卡器暂时无法使用", "此业务需要身份证。请选择不需刷卡的业务，或呼叫工作人员")
    assert report["buttons_no_reader"] == ["呼叫工作人员", "选择其他业务"]
    needs_card = {g.id for g in config.services.groups if g.identity == "required"}
    shown = report["groups_no_reader"]  # the page on show
    assert needs_card & set(shown) and {k for k, (disabled, _info) in shown.items() if disabled} == needs_card & set(shown)
    assert all(info == "需要身份证，读卡器暂不可用" for k, (_d, info) in shown.items() if k in needs_card)
    assert [n.split("-", 1)[1] for n in report["screenshots"]] == [
        "reading.png", "ticket.png", "expired.png", "slow-card.png", "slow-card-removed.png", "no-reader.png",
        "groups-no-reader.png"]
    for name in report["screenshots"]:
        image = Image.open(screenshot_dir / name).convert("L")
        assert ImageStat.Stat(image).stddev[0] > 20, f"{name} looks blank"
    pcscd.proc.wait(timeout=10)  # killed by the driver: the fixture finds it gone
