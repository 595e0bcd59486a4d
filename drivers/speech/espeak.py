"""Spoken prompts through espeak-ng, one subprocess per prompt, started and reaped on the speaker's own thread.

``say`` only hands the text over and returns: the caller (the Kivy main thread) never waits for a process
to start or to finish. A new prompt kills the one still being spoken, so a citizen who taps on quickly hears
the screen they are on, not a queue of old prompts.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# Debian 12's espeak-ng 1.51: its plain "cmn" voice reads Chinese characters as pinyin spelled in English
# ("nin two de five ..."); "cmn-latn-pinyin" is the same Mandarin voice reading that pinyin as Mandarin.
VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}
# How often the speaker's thread looks for a new prompt while one is being spoken.
POLL_SECONDS = 0.05


def espeak_available(command: str = "espeak-ng") -> bool:
    return shutil.which(command) is not None


class EspeakSpeaker:
    """Speaks with ``espeak-ng`` at ``rate`` words per minute. With ``output_dir`` each prompt is written there
    as ``NNNN-<lang>.wav`` (with its text in ``NNNN-<lang>.txt``) instead of being played: for kiosks and
    test machines without a sound card, and to check what the kiosk says."""

    def __init__(self, rate: int = 140, output_dir: Path | None = None, command: str = "espeak-ng") -> None:
        self.rate = rate
        self.output_dir = output_dir
        self.command = command
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._next: tuple[str, str] | None = None
        self._closed = False
        self._count = 0
        self._failed_once = False
        if output_dir is not None:
            output_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    def say(self, text: str, lang: str) -> None:
        if not text.strip():
            return
        with self._lock:
            self._next = (text, lang)
        self._wake.set()

    def stop(self) -> None:
        with self._lock:
            self._next = None
        self._wake.set()

    def close(self) -> None:
        with self._lock:
            self._next, self._closed = None, True
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        proc: subprocess.Popen[bytes] | None = None
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                job, self._next = self._next, None
                closed = self._closed
            if proc is not None:
                self._end(proc, kill=True)
                proc = None
            if closed:
                return
            if job is None:
                continue
            proc = self._start(*job)
            if proc is None:
                continue
            # Speak until done, or until a newer prompt (or stop) arrives and cuts this one off.
            while proc.poll() is None and not self._wake.wait(POLL_SECONDS):
                pass
            if proc.poll() is not None:
                self._end(proc, kill=False)
                proc = None

    def _start(self, text: str, lang: str) -> subprocess.Popen[bytes] | None:
        args = [self.command, "-v", VOICES.get(lang, VOICES["zh"]), "-s", str(self.rate)]
        if self.output_dir is not None:
            self._count += 1
            stem = self.output_dir / f"{self._count:04d}-{lang}"
            stem.with_suffix(".txt").write_text(text, encoding="utf-8")
            args += ["-w", str(stem.with_suffix(".wav"))]
        try:
            # "--" ends the options: a prompt starting with "-" is still text.
            return subprocess.Popen([*args, "--", text], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
        except OSError as exc:
            self._failed(f"cannot start {self.command}: {exc}")
            return None

    def _end(self, proc: subprocess.Popen[bytes], kill: bool) -> None:
        if kill and proc.poll() is None:
            proc.kill()
        _out, err = proc.communicate()
        if proc.returncode not in (0, -9):
            lines = err.decode(errors="replace").strip().splitlines()
            self._failed(f"{self.command} exited with {proc.returncode}: {lines[-1] if lines else ''}")

    def _failed(self, message: str) -> None:
        # A kiosk without a working sound card would log this for every prompt: warn once, then quietly.
        log.log(logging.DEBUG if self._failed_once else logging.WARNING, "spoken prompt failed: %s", message)
        self._failed_once = True
