"""The packages stand on each other in one direction: screens -> drivers -> kiosk.devices (ARCHITECTURE.md).

Read from the source (AST), so an import hidden inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The one core module that may import drivers/: it builds a whole kiosk from a configuration.
COMPOSITION_ROOT = ROOT / "kiosk" / "assembly.py"
# What a driver may use of the core: the device interfaces and the configuration and identity types.
DRIVERS_MAY_USE = ("kiosk.devices", "kiosk.config", "kiosk.identity")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import stands (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def violations(folder: str, forbidden: tuple[str, ...], allowed_core: tuple[str, ...] | None = None,
               exempt: Path | None = None) -> list[str]:
    """``file: module`` for every import under ``folder`` of a ``forbidden`` package, or (``allowed_core``) of
    a part of ``kiosk`` outside those allowed."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path == exempt:
            continue
        for module in sorted(imported_modules(path)):
            core_outside = (allowed_core is not None and _within(module, ("kiosk",))
                            and not _within(module, allowed_core))
            if _within(module, forbidden) or core_outside:
                found.append(f"{path.relative_to(ROOT)}: {module}")
    return found


def test_the_core_imports_no_driver_screen_or_kivy_outside_the_assembly() -> None:
    assert violations("kiosk", ("drivers", "screens", "kivy"), exempt=COMPOSITION_ROOT) == []


def test_the_assembly_imports_no_screen_or_kivy() -> None:
    assert not [m for m in imported_modules(COMPOSITION_ROOT) if _within(m, ("screens", "kivy"))]


def test_drivers_import_no_screen_or_kivy_and_only_the_device_interfaces_of_the_core() -> None:
    assert violations("drivers", ("screens", "kivy"), allowed_core=DRIVERS_MAY_USE) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("def f():\n    from drivers.card.pcsc import list_readers\n", {"drivers.card.pcsc", "drivers.card.pcsc.list_readers"}),
    ("import kivy.app\n", {"kivy.app"}),
    ("from . import printer\n", {"kiosk.devices", "kiosk.devices.printer"}),
    ("from ..queue import model\n", {"kiosk.queue", "kiosk.queue.model"}),
])
def test_imports_are_found_wherever_they_stand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str,
                                               expected: set[str]) -> None:
    """The check itself: an import inside a function and relative imports are seen."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / "kiosk" / "devices" / "probe.py"
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    assert imported_modules(path) == expected
    assert violations("kiosk", ("drivers", "kivy")) == (
        [f"kiosk/devices/probe.py: {m}" for m in sorted(expected)] if source.startswith(("def", "import")) else [])
