"""Fixtures that start a real X server (Xvfb, Mesa GL) for the Kivy app."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A private Xvfb display (portrait 1080x1920) for the whole session. Apps started on it draw without
    multisampling: Mesa's software renderer spends half its time per frame on it, and the screens' layout, text and
    colours, which the tests look at, are the same without it."""
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
    multisamples = os.environ.get("KCFG_GRAPHICS_MULTISAMPLES")
    os.environ["KCFG_GRAPHICS_MULTISAMPLES"] = "0"
    yield f":{number}"
    if multisamples is None:
        os.environ.pop("KCFG_GRAPHICS_MULTISAMPLES")
    else:
        os.environ["KCFG_GRAPHICS_MULTISAMPLES"] = multisamples
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture()
def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    """Where a UI test saves its screenshots: test-artifacts/ui/<test name>/ (kept for people to look at)."""
    path = ROOT / "test-artifacts" / "ui" / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


DEMO_TIME = "2026-11-24 10:00"  # a Tuesday morning, the hall is open


def run_ui_scenario(display: str, module: str, out: Path, state: Path, size: str = "1080x1920",
                    start: str = DEMO_TIME, config: Path | None = None, env: dict[str, str] | None = None,
                    timeout: float = 300) -> dict:
    """Run ``tests/ui/<module>.py``'s (or the dotted ``module``'s) scenario in the real app (see ``scenario.py``);
    returns its report, failing the test with the scenario's error and the app's stderr when a step did not happen."""
    print(f"screenshots: {out}")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ui" / "scenario.py"), module, str(out), str(config or ROOT / "config"),
         start, size],
        env={**os.environ, "DISPLAY": display, "KIOSK_STATE_DIR": str(state), **(env or {})},
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    report_file = out / "report.json"
    assert report_file.exists(), f"scenario wrote no report:\n{proc.stderr[-4000:]}"
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert not report["errors"], report["errors"][0] + "\n" + proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-4000:]
    problems = layout_problems(out)
    assert not problems, f"the layout check found {len(problems)} problem(s) in {out}:\n" + "\n".join(problems)
    wrong = variant_mismatches(out)
    assert not wrong, "screenshots not in the language and mode their names say:\n" + "\n".join(wrong)
    shrunk = smaller_in_large_mode(out)
    assert not shrunk, "touch targets smaller in large-font mode than in standard mode:\n" + "\n".join(shrunk)
    return report


def smaller_in_large_mode(out: Path) -> list[str]:
    """Touch targets of a large-font screenshot ("NN-what-zh-large") smaller than the same targets (same kind and
    text) in the standard one of the same screen ("NN-what-zh"), by more than half a millimetre either way."""
    shots = {path.name.removesuffix(".layout.json").split("-", 1)[1]: path for path in out.glob("*.layout.json")}
    found = []
    for name, path in sorted(shots.items()):
        standard = shots.get(name.removesuffix("-large")) if name.endswith("-large") else None
        if standard is None:
            continue
        normal_sizes, large_sizes = (_target_sizes(p) for p in (standard, path))
        for widget, (w, h) in large_sizes.items():
            if widget in normal_sizes and (w < normal_sizes[widget][0] - 0.5 or h < normal_sizes[widget][1] - 0.5):
                found.append(f"{path.name}: {widget}: {w:.1f} x {h:.1f} mm, in {standard.name} "
                             f"{normal_sizes[widget][0]:.1f} x {normal_sizes[widget][1]:.1f} mm")
    return found


def _target_sizes(path: Path) -> dict[str, tuple[float, float]]:
    """The smallest size (mm) of each touch target a layout check recorded, by its description."""
    sizes: dict[str, tuple[float, float]] = {}
    for target in json.loads(path.read_text(encoding="utf-8"))["targets"]:
        w, h = target["mm"]
        old = sizes.get(target["widget"], (w, h))
        sizes[target["widget"]] = (min(w, old[0]), min(h, old[1]))
    return sizes


def variant_mismatches(out: Path) -> list[str]:
    """Screenshots named for a variant ("NN-what-en-large") that show another language or mode: a scenario that
    lost its variant (every session ends in the configured defaults) would check the default screens twice."""
    wrong = []
    for path in sorted(out.glob("*.layout.json")):
        words = path.name.removesuffix(".layout.json").split("-")[1:]
        lang = next((w for w in words if w in ("zh", "en")), None)
        if lang is None:
            continue
        shown = json.loads(path.read_text(encoding="utf-8"))
        if (shown["lang"], shown["large"]) != (lang, "large" in words):
            wrong.append(f"{path.name}: shows {shown['lang']}{' large' if shown['large'] else ''}")
    return wrong


def layout_problems(out: Path) -> list[str]:
    """What the layout check (``layout_check.py``, run at every ``shot``) found in the screenshots in ``out``,
    one line each: "NN-name.png: screen: kind: widget: numbers"."""
    return [f"{path.name.removesuffix('.layout.json')}.png: {problem['message']}"
            for path in sorted(out.glob("*.layout.json"))
            for problem in json.loads(path.read_text(encoding="utf-8"))["problems"]]
