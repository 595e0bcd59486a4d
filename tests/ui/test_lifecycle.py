"""The running app and systemd/maintenance: READY and heartbeat, reloads between sessions, refusal of an
invalid configuration, rollback, and a blocked main loop that stops the heartbeat."""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.cli import main as kioskctl
from kiosk.config_store import config_version
from tests.ui.conftest import ROOT

pytestmark = pytest.mark.ui


class NotifySocket:
    """Plays systemd's side of sd_notify: collects every datagram the app sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096).decode()
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append(data)
            self._new.put(data)

    def wait_for(self, predicate: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self._new.get(timeout=0.2)
            except queue.Empty:
                continue
            if predicate(message):
                return message
        raise AssertionError(f"no notify message: {what}; got {self.messages[-10:]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class Lines:
    """The app driver's stdout, line by line, read on a thread."""

    def __init__(self, stream) -> None:
        self.seen: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._run, args=(stream,), daemon=True).start()

    def _run(self, stream) -> None:
        for line in stream:
            self.seen.append(line.strip())
            self._new.put(line.strip())

    def wait_for(self, wanted: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._new.get(timeout=0.2) == wanted:
                    return
            except queue.Empty:
                continue
        raise AssertionError(f"app never printed {wanted!r}; last lines {self.seen[-10:]}")


@pytest.fixture()
def running_app(xvfb_display: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], NotifySocket, Path, Path]]:
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config", config_dir)
    kiosk_toml = config_dir / "kiosk.toml"
    kiosk_toml.write_text(kiosk_toml.read_text(encoding="utf-8").replace("idle_seconds = 60", "idle_seconds = 20")
                          .replace("result_return_seconds = 20", "result_return_seconds = 5"), encoding="utf-8")
    state = tmp_path / "state"
    notify = NotifySocket(tmp_path / "notify.sock")
    env = {**os.environ, "DISPLAY": xvfb_display, "KIOSK_STATE_DIR": str(state),
           "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "600000"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "ui" / "run_app.py"), str(config_dir),
                             "2026-11-24 10:00"], env=env, cwd=ROOT, stdin=subprocess.PIPE, text=True,
                            stdout=subprocess.PIPE, stderr=open(tmp_path / "app.log", "w"))  # noqa: SIM115
    proc.lines = Lines(proc.stdout)  # type: ignore[attr-defined]
    try:
        notify.wait_for(lambda m: m == "READY=1", "READY=1 after start")
        yield proc, notify, config_dir, state
    finally:
        if proc.poll() is None:
            proc.stdin.write("quit\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        notify.close()


def _command(proc: subprocess.Popen[str], line: str) -> None:
    proc.stdin.write(line + "\n")  # type: ignore[union-attr]
    proc.stdin.flush()  # type: ignore[union-attr]


def _status(state: Path) -> dict:
    return json.loads((state / "app-status.json").read_text(encoding="utf-8"))


def test_heartbeat_stops_while_the_main_loop_is_blocked(running_app) -> None:
    proc, notify, _config, _state = running_app
    notify.wait_for(lambda m: m == "WATCHDOG=1", "a first heartbeat")
    _command(proc, "block 3")
    notify.wait_for(lambda m: m == "STATUS=unblocked", "the end of the block")
    notify.wait_for(lambda m: m == "WATCHDOG=1", "heartbeats again after the block")
    seq = notify.messages
    start, end = seq.index("STATUS=blocking"), seq.index("STATUS=unblocked")
    assert "WATCHDOG=1" not in seq[start:end], "a heartbeat went out while the main loop was blocked"
    assert seq[:start].count("WATCHDOG=1") >= 1


def test_config_changes_reach_the_running_app_between_sessions(running_app, tmp_path: Path, capsys,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    proc, notify, config_dir, state = running_app
    monkeypatch.setenv("KIOSK_STATE_DIR", str(state))  # kioskctl finds the running app through its state folder
    first = _status(state)
    assert first["config_version"] == config_version(config_dir)

    # A valid change, applied while a citizen is on the group screen: it waits for the session to end.
    _command(proc, "go groups")
    proc.lines.wait_for("screen groups")
    changed = tmp_path / "kiosk.toml"
    changed.write_text((config_dir / "kiosk.toml").read_text(encoding="utf-8")
                       .replace("示范市政务服务中心", "新城区政务服务中心"), encoding="utf-8")
    assert kioskctl(["config", "apply", str(changed), "--config", str(config_dir)]) == 0
    assert "reloads between sessions" in capsys.readouterr().out
    new_version = config_version(config_dir)
    notify.wait_for(lambda m: m.startswith("STATUS=configuration reload waits"), "reload held back")
    assert _status(state)["config_version"] == first["config_version"]
    _command(proc, "go home")
    notify.wait_for(lambda m: m == f"STATUS=configuration {new_version} in effect", "the new configuration")
    assert _status(state)["config_version"] == new_version and proc.poll() is None

    # An invalid file written by hand is refused with file and key; the app runs on the last good one.
    services = config_dir / "services.toml"
    services.write_text(services.read_text(encoding="utf-8").replace('prefix = "B"', 'prefix = "b1"'),
                        encoding="utf-8")
    notify.wait_for(lambda m: m.startswith("STATUS=configuration refused"), "the refusal")
    status = _status(state)
    assert status["config_version"] == new_version
    assert any("services.toml" in e and "groups[1](id=realestate).prefix" in e for e in status["config_error"])
    notify.wait_for(lambda m: m == "WATCHDOG=1", "still alive after the refusal")

    # Rollback puts back the version before the hand edit, and the app takes it.
    assert kioskctl(["config", "rollback", "--config", str(config_dir)]) == 0
    rolled = config_version(config_dir)
    notify.wait_for(lambda m: m == f"STATUS=configuration {rolled} in effect", "the rolled-back configuration")
    assert _status(state)["config_error"] == []
    assert "新城区政务服务中心" in (config_dir / "kiosk.toml").read_text(encoding="utf-8")
    assert proc.poll() is None


def test_an_untouched_screen_counts_down_and_returns_home(running_app) -> None:
    proc, notify, _config, _state = running_app
    _command(proc, "go groups")
    proc.lines.wait_for("screen groups")
    # idle_seconds = 20 in this configuration: the last 10 seconds are counted down on screen
    proc.lines.wait_for("countdown 10", timeout=40)
    proc.lines.wait_for("countdown 1", timeout=20)
    proc.lines.wait_for("screen home", timeout=10)
    seen = proc.lines.seen
    counted = [int(line.split()[1]) for line in seen[seen.index("screen groups"):] if line.startswith("countdown")]
    assert counted == sorted(counted, reverse=True) and counted[0] == 10


def test_the_ticket_result_counts_down_and_returns_home_by_itself(running_app) -> None:
    proc, _notify, _config, _state = running_app
    _command(proc, "take general")
    proc.lines.wait_for("screen result")
    # result_return_seconds = 5 in this configuration, counted down on the screen
    proc.lines.wait_for("screen home", timeout=20)
    seen = proc.lines.seen
    shown = seen[seen.index("screen result"):seen.index("screen home")]
    assert [line for line in shown if line.startswith("returning")] == [f"returning {n}" for n in (5, 4, 3, 2, 1, 0)]
    assert not any(line.startswith("countdown") for line in shown), "the idle countdown ran on the result"
