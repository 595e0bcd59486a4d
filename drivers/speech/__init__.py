"""Spoken prompts for large-font mode: espeak-ng, and the speaker a configuration names."""

from __future__ import annotations

import logging
from pathlib import Path

from drivers.speech.espeak import EspeakSpeaker, espeak_available
from kiosk.config import AccessibilityConfig
from kiosk.devices.speech import NullSpeaker, Speaker

log = logging.getLogger(__name__)

__all__ = ["EspeakSpeaker", "speaker_from_config"]


def speaker_from_config(config: AccessibilityConfig) -> Speaker:
    """espeak-ng when ``[accessibility] speech`` is on and it is installed; otherwise silence."""
    if not config.speech:
        return NullSpeaker()
    if not espeak_available():
        log.warning("[accessibility] speech is on but espeak-ng is not installed: no spoken prompts")
        return NullSpeaker()
    return EspeakSpeaker(config.speech_rate, Path(config.speech_wav_dir) if config.speech_wav_dir else None)
