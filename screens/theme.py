"""Sizes and colours in one place, for the standard and the large-font (长辈模式) modes.

Sizes are pixels on a 1080-pixel-wide portrait screen and scale with the shorter side of the window,
so 1080x1920 portrait and 1920x1080 landscape look alike.
"""

from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[float, float, float, float]


def _hex(value: str) -> Colour:
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, 1.0)


_FONT_PX = {"small": 26, "body": 34, "button": 42, "title": 52, "number": 230, "secondary": 26}
_COLOURS = {
    # role: (standard, large-font high contrast)
    "background": ("#eef2f7", "#ffffff"),
    "bar": ("#1d4e89", "#000000"),
    "bar_text": ("#ffffff", "#ffff00"),
    "text": ("#1a1a1a", "#000000"),
    "muted": ("#4a5563", "#1a1a1a"),
    "primary": ("#1d4e89", "#002a5c"),
    "primary_text": ("#ffffff", "#ffffff"),
    "accent": ("#c8102e", "#b00020"),
    "card": ("#ffffff", "#ffffff"),
    # A disabled button is pale with dark text, unlike any button that can be pressed (grey "back" included).
    "disabled": ("#cfd5dc", "#c4c4c4"),
    "disabled_text": ("#2f3945", "#000000"),
    # A chosen option (a rating reason): neither red (非常不满意, 取号) nor a level's green.
    "selected": ("#0f5f73", "#003d4d"),
    "ok": ("#1b7f3b", "#0b5d1e"),
    "warning": ("#a84d08", "#8a3c00"),  # 5:1 on the background (#b45309 was 4.47:1)
    "green_channel": ("#1b7f3b", "#0b5d1e"),
}


@dataclass
class Theme:
    """Font sizes, spacing and colours; ``scale`` is the large-font factor from the configuration."""

    large_scale: float = 1.5
    window_short_side: float = 1080.0

    @property
    def unit(self) -> float:
        return self.window_short_side / 1080.0

    def font(self, role: str, large: bool) -> float:
        # The ticket number is already as large as the screen allows; large-font mode keeps it.
        scale = self.large_scale if large and role != "number" else 1.0
        return _FONT_PX[role] * self.unit * scale

    # Spacing and the top bar are the same in both modes, keypad keys and tiles never smaller in large-font mode:
    # large-font mode must never leave a target smaller than the standard mode does (the room for its larger text
    # comes from elsewhere), and 24 px is 6 mm between neighbouring targets on the shipped 21.5" screen (at least
    # 5 mm).
    def space(self) -> float:
        return 24 * self.unit

    def bar_height(self) -> float:
        return 110 * self.unit

    def key_height(self, large: bool) -> float:
        """A keypad key's height (30 mm on the shipped screen, 33 mm in large-font mode)."""
        return 120 * self.unit * (1.1 if large else 1.0)

    def tile_height(self) -> float:
        """A home-screen service tile's height on a portrait screen (64 mm on the shipped screen)."""
        return 260 * self.unit

    def button_height(self, large: bool) -> float:
        return 150 * self.unit * (self.large_scale if large else 1.0)

    def colour(self, role: str, large: bool) -> Colour:
        standard, contrast = _COLOURS[role]
        return _hex(contrast if large else standard)

    def fit_font(self, text: str, width: float, size: float, lines: int = 2) -> float:
        """``size``, or smaller so that ``text`` fits ``width`` in ``lines`` lines (a wide character takes about
        a font size, a Latin one about half of it; 10% spare for the breaks)."""
        ems = sum(1.0 if ord(char) > 0x2E80 else 0.55 for char in text)
        return min(size, lines * width * 0.9 / ems) if ems and width > 0 else size
