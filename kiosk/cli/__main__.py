"""``python -m kiosk.cli``: the same as ``kioskctl``."""

import sys

from kiosk.cli.main import main

sys.exit(main())
