"""What the hall-server benchmarks (``bench_hall.py``, ``bench_outbox.py``) share: the percentile they print and
a configuration roomy enough for any run."""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk.config import BUNDLED_CONFIG_DIR, KioskConfig, load_config


def pct(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``; NaN for none."""
    ordered = sorted(values)
    return ordered[max(0, int(round(share * len(ordered) + 0.5)) - 1)] if ordered else float("nan")


def roomy_config(tmp: Path) -> KioskConfig:
    """The shipped configuration, copied under ``tmp``, with quotas large enough for any run (and four-digit
    numbers)."""
    target = tmp / "config"
    shutil.copytree(BUNDLED_CONFIG_DIR, target)
    services = target / "services.toml"
    text = services.read_text(encoding="utf-8")
    for quota in ("300", "200", "150", "120", "60"):
        text = text.replace(f"daily_quota = {quota}\n", "daily_quota = 9999\nnumber_digits = 4\n")
    services.write_text(text, encoding="utf-8")
    return load_config(target)
