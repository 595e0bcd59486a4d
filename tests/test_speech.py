"""Spoken prompts: numbers read digit by digit, espeak-ng producing Mandarin audio without ever blocking its
caller, a new prompt cutting off the old one, and the app speaking screen prompts in large-font mode only."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.speech.espeak import VOICES, EspeakSpeaker
from kiosk.assembly import speaker_for
from kiosk.config import AccessibilityConfig, load_config
from kiosk.devices.speech import NullSpeaker, spell_number
from kiosk.texts import catalogue
from screens.registry import SCREENS
from tests.ui.conftest import ROOT, run_ui_scenario, screenshot_dir, xvfb_display  # noqa: F401  (fixtures of the app test)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: "
                                  "run scripts/bootstrap")
SENTENCE = "您的号码是 A 零零一。前面还有 3 人。"


def _eventually(cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_numbers_are_read_digit_by_digit() -> None:
    assert spell_number("A023", "zh") == "A 零二三"
    assert spell_number("V100", "zh") == "V 一零零"
    assert spell_number("A023", "en") == "A 0 2 3"


def test_speech_off_or_missing_engine_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(speaker_for(AccessibilityConfig(speech=False)), NullSpeaker)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert isinstance(speaker_for(AccessibilityConfig(speech=True)), NullSpeaker)


@needs_espeak
def test_the_mandarin_voice_reads_chinese_as_mandarin() -> None:
    # The plain "cmn" voice of Debian's espeak-ng switches to English for every character ("(en)nin two...").
    phonemes = subprocess.run(["espeak-ng", "-v", VOICES["zh"], "-x", "-q", SENTENCE], capture_output=True,
                              text=True, check=True).stdout
    assert phonemes.strip() and "(en)" not in phonemes, phonemes
    assert "l'i35N" in phonemes  # 零 líng, in Mandarin


@needs_espeak
def test_espeak_writes_audio_for_a_mandarin_sentence(tmp_path: Path) -> None:
    speaker = EspeakSpeaker(rate=140, output_dir=tmp_path)
    speaker.say(SENTENCE, "zh")
    wav = tmp_path / "0001-zh.wav"
    try:
        _eventually(lambda: wav.exists() and espeak_done(), "the WAV file")
    finally:
        speaker.close()
    with wave.open(str(wav)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        frames = audio.readframes(audio.getnframes())
    assert seconds > 2.0, f"{seconds:.2f} s of audio for a sentence of 16 syllables"
    samples = memoryview(frames).cast("h")
    assert max(abs(s) for s in samples) > 3000, "the audio is silent"
    assert (tmp_path / "0001-zh.txt").read_text(encoding="utf-8") == SENTENCE


def espeak_done() -> bool:
    """No espeak-ng child of this process is left: the speaker's one has finished and been reaped."""
    children = [pid for task in Path("/proc/self/task").iterdir() for pid in (task / "children").read_text().split()]
    return not any(_comm(pid).startswith("espeak") for pid in children)


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except FileNotFoundError:
        return ""


@pytest.fixture()
def endless_engine(tmp_path: Path) -> Path:
    """A stand-in for espeak-ng that notes its pid and arguments, then speaks for ever (until killed)."""
    script = tmp_path / "speak-forever"
    script.write_text(f'#!/bin/sh\necho "$$ $*" >> {tmp_path}/started\nexec sleep 600\n', encoding="utf-8")
    script.chmod(0o755)
    return script


def _started(tmp_path: Path) -> list[tuple[int, str]]:
    log = tmp_path / "started"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(int(line.split(" ", 1)[0]), line.split(" ", 1)[1]) for line in lines]


def test_say_returns_at_once_and_a_new_prompt_cuts_off_the_old(endless_engine: Path, tmp_path: Path) -> None:
    speaker = EspeakSpeaker(rate=120, command=str(endless_engine))
    try:
        # say() hands the text over and returns although this "speech" never ends.
        speaker.say("很长的一段话。" * 200, "zh")
        _eventually(lambda: len(_started(tmp_path)) == 1, "the first prompt started")
        first_pid, first_args = _started(tmp_path)[0]
        assert _alive(first_pid) and f"-v {VOICES['zh']} -s 120 -- 很长的一段话" in first_args
        speaker.say("Your number is A 0 0 1", "en")
        _eventually(lambda: len(_started(tmp_path)) == 2, "the second prompt started")
        second_pid, second_args = _started(tmp_path)[1]
        assert f"-v {VOICES['en']}" in second_args
        _eventually(lambda: not _alive(first_pid), "the first prompt cut off")
        assert _alive(second_pid)
        speaker.stop()
        _eventually(lambda: not _alive(second_pid), "stop() silences the prompt")
    finally:
        speaker.close()
    assert len(_started(tmp_path)) == 2


def test_every_screen_prompt_is_in_both_catalogues() -> None:
    import screens.groups  # noqa: F401  (the screens register themselves on import)
    import screens.home  # noqa: F401
    import screens.identify  # noqa: F401
    import screens.result  # noqa: F401

    keys = {name: getattr(cls, "prompt_key", "") for name, cls in SCREENS.items()}
    assert {"home", "groups", "identify", "result"} <= {name for name, key in keys.items() if key}
    for name, key in keys.items():
        if key:
            assert key in catalogue("zh") and key in catalogue("en"), f"{name}: prompt '{key}' missing"


@pytest.mark.ui
@needs_espeak
def test_the_app_speaks_in_large_font_mode_or_with_the_voice_switch(
        xvfb_display: str, screenshot_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config", config_dir)
    kiosk_toml = config_dir / "kiosk.toml"
    spoken_dir = tmp_path / "spoken"
    kiosk_toml.write_text(kiosk_toml.read_text(encoding="utf-8").replace(
        'speech_wav_dir = ""', f'speech_wav_dir = "{spoken_dir}"'), encoding="utf-8")
    assert load_config(config_dir).kiosk.accessibility.speech_wav_dir == str(spoken_dir)

    report = run_ui_scenario(xvfb_display, "speech_scenario", screenshot_dir, tmp_path / "state",
                             config=config_dir)
    assert report["standard"] == []
    assert report["spoken"] == ["请选择办理的业务", "请将身份证放在读卡区", "您的号码是 A 零零一。您前面没有人在等。",
                                "Your number is A 0 0 1. No one is ahead of you."]
    # The voice switch in standard mode: each prompt and the notice said once; the session's end turns it off.
    assert report["voice_title"] == "关闭语音"
    assert len(report["voice"]) == 3, report["voice"]
    home, queue, help_notice = report["voice"]
    assert home.startswith("您好") and queue.startswith("各项业务的等候人数"), report["voice"]
    assert help_notice.startswith("已通知工作人员"), report["voice"]
    assert report["wav_files"][:4] == ["0001-zh.wav", "0002-zh.wav", "0003-zh.wav", "0004-en.wav"]
    assert all((spoken_dir / name).stat().st_size > 44 for name in report["wav_files"])
