"""The maintenance PIN: salted slow hash, config validation, five wrong tries lock it (across restarts), and
``kioskctl admin hash-pin`` / ``unlock``."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from kiosk.admin_pin import (
    EXIT_MARKER,
    EXIT_TO_SHELL,
    GUARD_FILE,
    MAX_TRIES,
    BadPinFormat,
    PinGuard,
    PinLocked,
    WrongPin,
    hash_pin,
    mark_exit_to_shell,
    verify_pin,
)
from kiosk.cli import main as kioskctl
from kiosk.config import ConfigError, KioskConfig, load_config
from tests.conftest import FakeClock, edit_file

SHIPPED_PIN = "200820"  # README: the demo PIN of config/kiosk.toml


def test_hash_is_salted_slow_and_verifies() -> None:
    first, second = hash_pin("4321"), hash_pin("4321")
    assert first != second, "two hashes of one PIN must differ (random salt)"
    scheme, iterations, salt, digest = first.split("$")
    assert scheme == "pbkdf2_sha256" and int(iterations) >= 100_000 and len(bytes.fromhex(salt)) >= 16
    assert len(digest) == 64
    assert verify_pin("4321", first) and verify_pin("4321", second)
    assert not verify_pin("4322", first) and not verify_pin("", first)
    assert not verify_pin("4321", "garbage") and not verify_pin("4321", "md5$1$aa$bb")


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "１２３４", ""])
def test_hash_refuses_a_pin_that_is_not_4_to_12_digits(pin: str) -> None:
    with pytest.raises(BadPinFormat):
        hash_pin(pin)


def test_shipped_configuration_has_the_documented_demo_pin(config: KioskConfig) -> None:
    admin = config.kiosk.admin
    assert verify_pin(SHIPPED_PIN, admin.pin_hash)
    assert admin.lockout_minutes == 15 and admin.allow_exit is False
    assert SHIPPED_PIN in (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _problems(config_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    return [str(p) for p in caught.value.problems]


def test_an_unsalted_or_malformed_pin_hash_is_refused_with_file_and_key(config_dir: Path,
                                                                       config: KioskConfig) -> None:
    kiosk = config_dir / "kiosk.toml"
    good = config.kiosk.admin.pin_hash
    edit_file(kiosk, f'pin_hash = "{good}"', 'pin_sha256 = "' + "0" * 64 + '"')
    (problem,) = _problems(config_dir)
    assert problem.startswith("kiosk.toml: admin:") and "kioskctl admin hash-pin" in problem, problem

    edit_file(kiosk, 'pin_sha256 = "' + "0" * 64 + '"', 'pin_hash = "' + good.replace("$120000$", "$12$") + '"')
    (problem,) = _problems(config_dir)
    assert problem.startswith("kiosk.toml: admin.pin_hash:") and "kioskctl admin hash-pin" in problem, problem

    edit_file(kiosk, "$12$", "$120000$")
    edit_file(kiosk, "lockout_minutes = 15", "lockout_minutes = 0")
    (problem,) = _problems(config_dir)
    assert problem.startswith("kiosk.toml: admin.lockout_minutes:"), problem


@pytest.fixture
def guard(tmp_path: Path, clock: FakeClock, config: KioskConfig) -> PinGuard:
    from datetime import timedelta

    return PinGuard(config.kiosk.admin.pin_hash, tmp_path / "state" / GUARD_FILE, timedelta(minutes=15), clock,
                    config.timezone)


def test_five_wrong_pins_lock_even_the_right_one_until_the_time_runs_out(guard: PinGuard,
                                                                         clock: FakeClock) -> None:
    for left in range(MAX_TRIES - 1, 0, -1):
        with pytest.raises(WrongPin) as wrong:
            guard.attempt("1111")
        assert wrong.value.tries_left == left
        assert f"还可再试 {left} 次" in wrong.value.message("zh")
    with pytest.raises(PinLocked) as locked:
        guard.attempt("1111")
    # 10:00 + 15 minutes, in the hall's time.
    assert locked.value.until.strftime("%H:%M") == "10:15"
    assert "10:15" in locked.value.message("zh") and "locked until" in locked.value.message("en")

    clock.advance(minutes=14)
    with pytest.raises(PinLocked):
        guard.attempt(SHIPPED_PIN)  # refused while locked: the PIN is not even checked
    clock.advance(minutes=1)
    guard.attempt(SHIPPED_PIN)
    assert guard.state().failures == 0 and guard.state().locked_until is None


def test_the_count_survives_a_restart_and_a_right_pin_resets_it(guard: PinGuard, clock: FakeClock,
                                                                config: KioskConfig) -> None:
    for _ in range(3):
        with pytest.raises(WrongPin):
            guard.attempt("9999")
    restarted = PinGuard(guard.pin_hash, guard.path, guard.lockout, clock, config.timezone)
    with pytest.raises(WrongPin) as wrong:
        restarted.attempt("9999")
    assert wrong.value.tries_left == 1
    restarted.attempt(SHIPPED_PIN)
    with pytest.raises(WrongPin) as wrong:
        restarted.attempt("9999")
    assert wrong.value.tries_left == MAX_TRIES - 1


def test_a_lock_survives_a_restart_and_check_open_reports_it(guard: PinGuard, clock: FakeClock,
                                                             config: KioskConfig) -> None:
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(WrongPin):
            guard.attempt("0000")
    with pytest.raises(PinLocked):
        guard.attempt("0000")
    restarted = PinGuard(guard.pin_hash, guard.path, guard.lockout, clock, config.timezone)
    with pytest.raises(PinLocked):
        restarted.check_open()
    with pytest.raises(PinLocked):
        restarted.attempt(SHIPPED_PIN)
    # After the lock, a fresh set of tries.
    clock.advance(minutes=15)
    assert restarted.check_open().tries_left == MAX_TRIES
    with pytest.raises(WrongPin) as wrong:
        restarted.attempt("0000")
    assert wrong.value.tries_left == MAX_TRIES - 1


def test_a_damaged_record_counts_from_zero(guard: PinGuard) -> None:
    guard.path.parent.mkdir(parents=True)
    guard.path.write_text("{not json", encoding="utf-8")
    assert guard.state().failures == 0
    with pytest.raises(WrongPin):
        guard.attempt("1212")
    assert json.loads(guard.path.read_text(encoding="utf-8"))["failures"] == 1


def test_kioskctl_hash_pin_reads_stdin_and_prints_the_line(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str],
                                                           config_dir: Path) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("73519\n"))
    assert kioskctl(["admin", "hash-pin"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith('pin_hash = "pbkdf2_sha256$') and verify_pin("73519", line.split('"')[1])
    # The printed line, pasted into kiosk.toml, is a valid configuration with the new PIN.
    kiosk = config_dir / "kiosk.toml"
    text = kiosk.read_text(encoding="utf-8")
    old = next(row for row in text.splitlines() if row.startswith("pin_hash = "))
    kiosk.write_text(text.replace(old, line), encoding="utf-8")
    assert verify_pin("73519", load_config(config_dir).kiosk.admin.pin_hash)

    monkeypatch.setattr("sys.stdin", io.StringIO("12ab\n"))
    assert kioskctl(["admin", "hash-pin"]) == 3
    assert "4 to 12 digits" in capsys.readouterr().err


@pytest.mark.usefixtures("state_dir")
def test_kioskctl_admin_unlock_ends_a_lock(config: KioskConfig, config_dir: Path, clock: FakeClock,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    guard = PinGuard.for_config(config, clock)
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(WrongPin):
            guard.attempt("5555")
    with pytest.raises(PinLocked):
        guard.attempt("5555")
    assert kioskctl(["admin", "unlock", "--config", str(config_dir)]) == 0
    assert "unlocked" in capsys.readouterr().out
    guard.attempt(SHIPPED_PIN)
    assert kioskctl(["admin", "unlock", "--config", str(config_dir)]) == 0
    assert "was not locked" in capsys.readouterr().out


def _unit_command(key: str) -> str:
    """The shell command of ``kiosk.service.in``'s ``key=/bin/sh -c '...'`` line, as systemd runs it."""
    unit = (Path(__file__).resolve().parents[1] / "systemd" / "kiosk.service.in").read_text(encoding="utf-8")
    line = next(row for row in unit.splitlines() if row.startswith(f"{key}=/bin/sh -c '"))
    return line.removeprefix(f"{key}=/bin/sh -c '").removesuffix("'").replace("$$", "$")


@pytest.mark.parametrize(("xinit", "marker", "status"), [("true", True, EXIT_TO_SHELL), ("true", False, 0),
                                                         ("false", False, 1), ("false", True, EXIT_TO_SHELL)])
def test_the_unit_turns_the_exit_marker_into_the_status_systemd_does_not_restart(
        tmp_path: Path, xinit: str, marker: bool, status: int) -> None:
    unit = (Path(__file__).resolve().parents[1] / "systemd" / "kiosk.service.in").read_text(encoding="utf-8")
    assert f"RestartPreventExitStatus={EXIT_TO_SHELL}" in unit and f"/var/lib/kiosk/{EXIT_MARKER}" in unit
    script = _unit_command("ExecStart")
    # xinit (the app's X session) replaced by a command that ends as the session would, the state folder by ours.
    session, _, rest = script.partition(";")
    assert session.startswith("/usr/bin/xinit ") and "/.venv/bin/kiosk --fullscreen" in session
    script = f"{xinit};{rest}".replace("/var/lib/kiosk", str(tmp_path))
    if marker:
        mark_exit_to_shell(tmp_path)
    assert subprocess.run(["sh", "-c", script], check=False).returncode == status
