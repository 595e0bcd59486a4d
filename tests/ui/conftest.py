"""Fixtures that start a real X server (Xvfb, Mesa GL) for the Kivy app."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A private Xvfb display (portrait 1080x1920) for the whole session."""
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is not installed: run scripts/bootstrap --test")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1920x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture()
def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    """Where a UI test saves its screenshots: test-artifacts/ui/<test name>/ (kept for people to look at)."""
    path = ROOT / "test-artifacts" / "ui" / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
