"""Output and exit codes shared by the ``kioskctl`` command modules."""

from __future__ import annotations

import argparse
import json
from typing import Any

EXIT_CONFIG = 2
EXIT_REFUSED = 3


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else the human-readable ``text``."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str) if args.json else text)
