"""A slow hall server never freezes the kiosk: see slow_hall_scenario.py.

The hall server here is a real socket server on 127.0.0.1 in the test process: it reads each request and
answers only after ``HOLD_SECONDS``, far beyond the kiosk's read timeout (3 s, budget 4 s, so no retry can
start). The kiosk app runs in its own process under Xvfb, configured for it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import edit_file
from tests.loopback import SlowServer
from tests.ui.conftest import ROOT, run_ui_scenario

pytestmark = pytest.mark.ui

HOLD_SECONDS = 30.0


@pytest.fixture
def slow_hall() -> Iterator[SlowServer]:
    """A hall server that takes every request and answers 200 {} after ``HOLD_SECONDS``."""
    hall = SlowServer(HOLD_SECONDS)
    yield hall
    hall.close()


def kiosk_for(hall: SlowServer, tmp_path: Path, offline_series: str = "") -> tuple[Path, Path]:
    """A configuration folder for the slow hall server and a state folder holding the device token."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    kiosk = config / "kiosk.toml"
    edit_file(kiosk, 'queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{hall.url}"')
    edit_file(kiosk, "connect_timeout_seconds = 3.0\nread_timeout_seconds = 5.0",
              "connect_timeout_seconds = 1.0\nread_timeout_seconds = 3.0")
    edit_file(kiosk, "request_budget_seconds = 9.0", "request_budget_seconds = 4.0")
    edit_file(kiosk, 'offline_series = ""', f'offline_series = "{offline_series}"')
    state = tmp_path / "state"
    state.mkdir()
    (state / "hall-token").write_text("d_slow-hall-test-token\n", encoding="utf-8")
    return config, state


def _kept_running(attempt: dict[str, Any]) -> None:
    before, during = attempt["before"], attempt["during"]
    assert attempt["busy_during"], attempt
    assert during["frames"] > before["frames"] + 5, attempt
    assert during["ticks"] > before["ticks"] + 2, attempt
    assert during["touches"] == before["touches"] + 1, attempt
    assert during["idle_clock"] > before["idle_clock"], attempt


def test_a_slow_hall_server_ends_in_a_message_not_a_frozen_screen(xvfb_display: str, screenshot_dir: Path,
                                                                  tmp_path: Path, slow_hall: SlowServer) -> None:
    config, state = kiosk_for(slow_hall, tmp_path)
    report = run_ui_scenario(xvfb_display, "slow_hall_scenario", screenshot_dir, state, config=config,
                             env={"SLOW_HALL_OFFLINE": "0"})

    assert "the kiosk's own services.toml" in report["catalogue"] and "unreachable" in report["catalogue"]
    zh = ["本机暂时无法办理这项业务，请稍后再试，或请工作人员帮助。",
          "This kiosk cannot do this right now. Please try again in a moment or ask a member of staff."]
    assert [a["variant"] for a in report["attempts"]] == ["zh", "en", "zh-large", "en-large"]
    for attempt in report["attempts"]:
        _kept_running(attempt)
        assert attempt["message"] == (zh if attempt["variant"].startswith("zh") else zh[::-1]), attempt
        assert not attempt["busy_after"] and attempt["screen"] == "identify"
    # One request per citizen: a retry could not have ended within the budget, so none started; each
    # carried an idempotency key of its own.
    issued = slow_hall.requests_to("POST /api/v1/tickets ")
    assert len(issued) == 4 and len({h["idempotency-key"] for h in issued}) == 4
    assert len(report["screenshots"]) == 16


def test_with_an_offline_series_the_kiosk_issues_its_own_number(xvfb_display: str, screenshot_dir: Path,
                                                                 tmp_path: Path, slow_hall: SlowServer) -> None:
    config, state = kiosk_for(slow_hall, tmp_path, offline_series="XA")
    report = run_ui_scenario(xvfb_display, "slow_hall_scenario", screenshot_dir, state, config=config,
                             size="1920x1080", env={"SLOW_HALL_OFFLINE": "1"})

    first, second = report["attempts"]
    if "busy" in first:  # the first citizen met the slow server (the worker had not found it down yet)
        _kept_running(first)
        assert first["busy"] == ["正在取号，请稍候…", "Getting your number…"]
    assert (first["number"], first["printed"]) == ("XA001", True)
    assert first["offline_mark"] == "本机离线：发放临时号码  Offline: temporary numbers"
    assert second["number"] == "XA002" and second["offline_mark"] == "Offline: temporary numbers"  # large: one language
    # Seen from across the hall: the whole top bar turns orange (the theme's warning colour), not a mark in a corner.
    for name in report["screenshots"]:
        if "offline-ticket" in name:
            image = Image.open(screenshot_dir / name).convert("RGB")
            assert image.getpixel((image.width // 2, 4)) in ((0xA8, 0x4D, 0x08), (0x8A, 0x3C, 0x00)), name
    # The kiosk cannot know the hall's queue: the ticket says what is true instead of "0 ahead, no wait".
    assert (first["ahead"], first["wait"]) == ("本机临时号码", "按取号先后叫号，等候时间暂无法估计")
    assert second["wait"] == "Called in order of issue; waiting time unknown"
    assert len(report["screenshots"]) == (7 if "busy" in first else 6)
