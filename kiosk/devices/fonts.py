"""Finding a Chinese (CJK) font installed from Debian's packages at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import KioskError

# (path, face index). A face index > 0 can only be used by Pillow; Kivy always opens face 0, so the
# screen prefers fonts whose first face is Simplified Chinese.
_SCREEN_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
)
_PRINT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


class FontNotFound(KioskError):
    code = "font_missing"


@dataclass(frozen=True)
class FontFace:
    """A font file and the face inside it (TrueType collections hold several)."""

    path: Path
    index: int = 0

    def bold(self) -> FontFace | None:
        """The bold face of the same family, when it is installed (Noto CJK ships one)."""
        candidate = self.path.with_name(self.path.name.replace("-Regular", "-Bold"))
        return FontFace(candidate, self.index) if candidate != self.path and candidate.is_file() else None


def _fc_match() -> FontFace | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\t%{index}\t%{lang}", "sans-serif:lang=zh-cn"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, rest = out.partition("\t")
    index, _, langs = rest.partition("\t")
    if path and "zh-cn" in langs.split("|") and Path(path).is_file():
        return FontFace(Path(path), int(index or 0))
    return None


def find_cjk_font(for_screen: bool = False) -> FontFace:
    """A font with Chinese glyphs: ``KIOSK_FONT`` if set, else a known Debian font, else fontconfig.

    Raises ``FontNotFound`` (with the package to install) when there is none.
    """
    if env := os.environ.get("KIOSK_FONT"):
        if Path(env).is_file():
            return FontFace(Path(env))
        raise FontNotFound(f"KIOSK_FONT={env} does not exist")
    for path, index in _SCREEN_CANDIDATES if for_screen else _PRINT_CANDIDATES:
        if Path(path).is_file():
            return FontFace(Path(path), index)
    found = _fc_match()
    if found is not None and (found.index == 0 or not for_screen):
        return found
    raise FontNotFound("no CJK font found")
