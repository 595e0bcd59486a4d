"""Spoken prompts for large-font mode: espeak-ng (``drivers.speech.espeak``)."""
