"""Spoken prompts for large-font mode: the ``Speaker`` interface, espeak-ng, and the configured one."""

from __future__ import annotations

import logging
from pathlib import Path

from drivers.speech.base import NullSpeaker, Speaker, spell_number
from drivers.speech.espeak import EspeakSpeaker, espeak_available
from kiosk.config import AccessibilityConfig

log = logging.getLogger(__name__)

__all__ = ["EspeakSpeaker", "NullSpeaker", "Speaker", "speaker_from_config", "spell_number"]


def speaker_from_config(config: AccessibilityConfig) -> Speaker:
    """espeak-ng when ``[accessibility] speech`` is on and it is installed; otherwise silence."""
    if not config.speech:
        return NullSpeaker()
    if not espeak_available():
        log.warning("[accessibility] speech is on but espeak-ng is not installed: no spoken prompts")
        return NullSpeaker()
    return EspeakSpeaker(config.speech_rate, Path(config.speech_wav_dir) if config.speech_wav_dir else None)
