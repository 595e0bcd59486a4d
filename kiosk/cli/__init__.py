"""``kioskctl``: the kiosk's maintenance commands, one module per command group (``main`` builds the parser)."""

from kiosk.cli.main import main

__all__ = ["main"]
