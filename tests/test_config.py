"""Configuration: the shipped files load; broken files are refused whole with every problem named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from kiosk.config import SCHEMA_VERSION, ConfigError, KioskConfig, Problem, load_config

SHIPPED = Path(__file__).resolve().parent.parent / "config"


def kioskctl() -> str:
    """The installed console script of the venv that runs these tests."""
    found = shutil.which("kioskctl", path=str(Path(sys.executable).parent))
    assert found, f"kioskctl is not installed next to {sys.executable}"
    return found


def run_kioskctl(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG_DIR"}
    env.update(env_extra or {})
    return subprocess.run([kioskctl(), *args], capture_output=True, text=True, timeout=60, env=env, check=False)


def problems_of(config_dir: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    assert info.value.problems, "ConfigError without problems"
    return info.value.problems


def find(problems: list[Problem], file: str, key: str, *words: str) -> Problem:
    """The one problem of ``file`` at ``key`` whose message contains every word (case-insensitive)."""
    hits = [p for p in problems if p.file == file and p.key == key
            and all(w.lower() in p.message.lower() for w in words)]
    assert len(hits) == 1, f"expected one problem {file}: {key}: {words}, got {hits} among:\n" + \
        "\n".join(map(str, problems))
    return hits[0]


# -- the shipped configuration -------------------------------------------------------------------

def test_shipped_config_loads(config: KioskConfig) -> None:
    groups = config.services.groups
    assert 6 <= len(groups) <= 10
    for group in groups:
        assert group.name_zh.strip() and group.name_en.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in group.name_zh), group.name_zh
        assert group.name_en.isascii()
        assert group.windows
    prefixes = [g.prefix for g in groups] + [g.priority_prefix for g in groups if g.priority_prefix]
    assert len(prefixes) == len(set(prefixes))
    hours = config.kiosk.hours
    assert hours.saturday == [] and hours.sunday == []
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        sessions = getattr(hours, day)
        assert len(sessions) >= 2, f"{day}: no lunch break"
        # A gap between consecutive periods is the lunch break.
        assert any(a.end < b.start for a, b in zip(sessions, sessions[1:], strict=False))
        assert any(a.end <= time(13, 0) and b.start >= time(12, 0) for a, b in zip(sessions, sessions[1:], strict=False))
    for matter in config.services.matters:
        config.group(matter.group)  # every matter belongs to a configured group
    assert str(config.timezone) == "Asia/Shanghai"


def test_shipped_config_is_the_default_bundle() -> None:
    cfg = load_config(SHIPPED)
    assert cfg.source_dir == SHIPPED


# -- broken files ---------------------------------------------------------------------------------

def break_both_files(config_dir: Path, edit) -> tuple[Path, Path]:
    """Six mistakes a maintainer might make, spread over both files."""
    kiosk = config_dir / "kiosk.toml"
    services = config_dir / "services.toml"
    edit(kiosk, 'timezone = "Asia/Shanghai"', 'timezone = "Asia/Shangai"')
    edit(kiosk, 'monday = ["09:00-12:00", "13:30-17:30"]', 'monday = ["9:00-12", "13:30-17:30"]')
    edit(kiosk, 'tuesday = ["09:00-12:00", "13:30-17:30"]', 'tuesday = ["09:00-12:00", "11:30-17:30"]')
    edit(kiosk, "elderly_age = 60", "elderly_agee = 60")
    edit(services, 'prefix = "B"', 'prefix = "b1"')
    edit(services, 'daily_quota = 200\nservice_minutes = 10\nwindows = ["14"',
         'daily_quota = 1000\nservice_minutes = 10\nwindows = ["14"')
    return kiosk, services


def test_every_schema_problem_of_both_files_is_listed(config_dir: Path, edit) -> None:
    kiosk, services = break_both_files(config_dir, edit)
    edit(services, 'service_minutes = 12\nwindows = ["17"', 'service_minutse = 12\nwindows = ["17"')

    problems = problems_of(config_dir)

    find(problems, "kiosk.toml", "hall.timezone", "Asia/Shangai", "time zone")
    find(problems, "kiosk.toml", "hours.monday", "9:00-12", "period")
    find(problems, "kiosk.toml", "hours.tuesday", "overlap", "09:00-12:00", "11:30-17:30")
    find(problems, "kiosk.toml", "queue.elderly_agee", "unknown key")
    find(problems, "services.toml", "groups[1](id=realestate).prefix")
    quota = [p for p in problems if p.file == "services.toml" and p.key.startswith("groups[3](id=social)")]
    assert len(quota) == 1 and "daily_quota" in str(quota[0]) and "1000" in quota[0].message
    find(problems, "services.toml", "groups[4](id=hukou).service_minutse", "unknown key")
    assert len(problems) == 7, "\n".join(map(str, problems))
    # The rendered line names file, key and problem.
    assert "kiosk.toml: hall.timezone: unknown time zone 'Asia/Shangai'" in str(find(
        problems, "kiosk.toml", "hall.timezone"))


def test_cross_file_checks_list_every_problem(config_dir: Path, edit) -> None:
    services = config_dir / "services.toml"
    kiosk = config_dir / "kiosk.toml"
    edit(services, 'prefix = "C"', 'prefix = "A"')  # medins takes general's prefix
    edit(services, 'prefix = "H"', 'prefix = "V"')  # tax takes general's green-channel prefix
    edit(services, 'id = "fund"\nprefix', 'id = "business"\nprefix')  # a second group "business"
    edit(services, 'group = "medins"\nname_zh = "异地就医备案"', 'group = "medicare"\nname_zh = "异地就医备案"')
    edit(kiosk, "paper_width_mm = 80", "paper_width_mm = 70")

    problems = problems_of(config_dir)

    find(problems, "services.toml", "groups[2](id=medins).prefix", "'A'", "general")
    find(problems, "services.toml", "groups[7](id=tax).prefix", "'V'", "general")
    find(problems, "services.toml", "groups[6](id=business).id", "business")
    find(problems, "services.toml", "matters[3](id=medins-remote).group", "medicare")
    # Renaming "fund" orphans its matter too.
    find(problems, "services.toml", "matters[7](id=fund-withdraw).group", "'fund'")
    find(problems, "kiosk.toml", "printer.paper_width_mm", "58", "80")
    assert len(problems) == 6, "\n".join(map(str, problems))


def test_schema_and_cross_file_problems_are_listed_together(config_dir: Path, edit) -> None:
    services = config_dir / "services.toml"
    edit(services, 'prefix = "B"', 'prefix = "b1"')
    edit(services, 'prefix = "C"', 'prefix = "A"')
    edit(services, 'group = "medins"\nname_zh = "异地就医备案"', 'group = "medicare"\nname_zh = "异地就医备案"')
    problems = problems_of(config_dir)
    find(problems, "services.toml", "groups[1](id=realestate).prefix")
    find(problems, "services.toml", "groups[2](id=medins).prefix", "'A'")
    find(problems, "services.toml", "matters[3](id=medins-remote).group", "medicare")


def test_unknown_placeholder_in_status_url_is_a_problem(config_dir: Path, edit) -> None:
    edit(config_dir / "kiosk.toml", "ticket?day={day}&number={number}", "ticket?n={num}")
    problems = problems_of(config_dir)
    find(problems, "kiosk.toml", "kiosk.ticket_status_url", "{number}")


@pytest.mark.parametrize(("letters", "words"), [("S1", ("pattern",)), ("sl", ("pattern",)), ("SLS", ("twice",))])
def test_receipt_letters_are_capital_letters_each_once(config_dir: Path, edit, letters: str,
                                                       words: tuple[str, ...]) -> None:
    edit(config_dir / "kiosk.toml", 'receipt_letters = "SL"', f'receipt_letters = "{letters}"')
    find(problems_of(config_dir), "kiosk.toml", "hall.receipt_letters", *words)


def test_receipt_letters_of_the_shipped_config(config: KioskConfig) -> None:
    assert config.kiosk.hall.receipt_letters == "SL"


@pytest.mark.parametrize("template", ["https://x.example/t?n={number.value}", "https://x.example/t?d={day[x]}"],
                         ids=["attribute", "index-by-name"])
def test_malformed_placeholder_in_status_url_is_a_problem_not_a_crash(config_dir: Path, edit, template: str) -> None:
    edit(config_dir / "kiosk.toml", "https://zwfw.example.gov.cn/queue/ticket?day={day}&number={number}", template)
    problems = problems_of(config_dir)
    find(problems, "kiosk.toml", "kiosk.ticket_status_url")


def test_syntax_error_and_missing_file_are_both_reported(config_dir: Path) -> None:
    (config_dir / "kiosk.toml").write_text('[hall]\nname_zh = "大厅\nname_en = "Hall"\n', encoding="utf-8")
    (config_dir / "services.toml").unlink()
    problems = problems_of(config_dir)
    syntax = find(problems, "kiosk.toml", "", "not valid TOML")
    assert "line 2" in syntax.message
    missing = find(problems, "services.toml", "", "not found")
    assert str(config_dir) in missing.message
    assert str(missing).startswith("services.toml: (file): ")
    assert len(problems) == 2


def test_syntax_error_in_one_file_does_not_hide_problems_of_the_other(config_dir: Path, edit) -> None:
    (config_dir / "services.toml").write_text("[[groups]\nid = 1\n", encoding="utf-8")
    edit(config_dir / "kiosk.toml", 'timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"')
    problems = problems_of(config_dir)
    find(problems, "services.toml", "", "not valid TOML")
    find(problems, "kiosk.toml", "hall.timezone", "Mars/Olympus")
    assert len(problems) == 2


def test_empty_folder_reports_both_files(tmp_path: Path) -> None:
    problems = problems_of(tmp_path)
    assert {(p.file, p.key) for p in problems} == {("kiosk.toml", ""), ("services.toml", "")}


def test_non_utf8_file_is_refused_with_a_message(config_dir: Path) -> None:
    (config_dir / "services.toml").write_bytes("[[groups]]\nname_zh = \"综合\"\n".encode("gb18030"))
    problems = problems_of(config_dir)
    assert [p.file for p in problems] == ["services.toml"]
    assert problems[0].key == ""


# -- kioskctl config check ------------------------------------------------------------------------

def test_kioskctl_config_check_accepts_the_shipped_config() -> None:
    done = run_kioskctl("config", "check", "--config", str(SHIPPED))
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout and "9 service groups" in done.stdout


def test_kioskctl_config_check_lists_each_problem_and_exits_2(config_dir: Path, edit) -> None:
    kiosk, services = break_both_files(config_dir, edit)

    done = run_kioskctl("config", "check", "--config", str(config_dir))

    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "OK" not in done.stdout
    lines = done.stderr.splitlines()
    assert "6 problem" in lines[0]
    for file, key, word in [
        ("kiosk.toml", "hall.timezone", "Asia/Shangai"),
        ("kiosk.toml", "hours.monday", "9:00-12"),
        ("kiosk.toml", "hours.tuesday", "overlap"),
        ("kiosk.toml", "queue.elderly_agee", "unknown key"),
        ("services.toml", "groups[1](id=realestate).prefix", ""),
        ("services.toml", "groups[3](id=social).daily_quota", "1000 numbers do not fit"),
    ]:
        assert any(line.strip().startswith(f"{file}: {key}: ") and word in line for line in lines), \
            f"{file}: {key}: {word} not in stderr:\n{done.stderr}"


def test_kioskctl_config_check_missing_folder_exits_2(tmp_path: Path) -> None:
    done = run_kioskctl("config", "check", "--config", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "kiosk.toml: (file): file not found" in done.stderr
    assert "services.toml: (file): file not found" in done.stderr


def test_kioskctl_config_option_before_the_command_is_honoured(config_dir: Path, edit) -> None:
    edit(config_dir / "kiosk.toml", 'timezone = "Asia/Shanghai"', 'timezone = "Asia/Shangai"')
    done = run_kioskctl("--config", str(config_dir), "config", "check")
    assert done.returncode == 2, done.stdout
    assert "hall.timezone" in done.stderr


# -- schema_version and migration -----------------------------------------------------------------

def test_shipped_files_are_at_the_current_version() -> None:
    for name in ("kiosk.toml", "services.toml"):
        assert f"\nschema_version = {SCHEMA_VERSION}\n" in (SHIPPED / name).read_text(encoding="utf-8")
    assert load_config(SHIPPED).migrations == ()


def test_version_1_files_load_as_the_shipped_config(version_1_dir: Path) -> None:
    on_disk = {name: (version_1_dir / name).read_bytes() for name in ("kiosk.toml", "services.toml")}

    old = load_config(version_1_dir)

    shipped = load_config(SHIPPED)
    assert old.kiosk == shipped.kiosk and old.services == shipped.services
    assert {name: (version_1_dir / name).read_bytes() for name in on_disk} == on_disk  # the files are left as they are
    kiosk, services = old.migrations
    assert (kiosk.file, kiosk.version, services.file, services.version) == ("kiosk.toml", 1, "services.toml", 1)
    assert kiosk.changes == ("[hours] workday_hours_from is now called workdays_use_hours_of (same value)",)
    assert services.changes == ()
    # What apply writes is the shipped file itself (the shipped files were made this way).
    assert kiosk.rewritten == (SHIPPED / "kiosk.toml").read_text(encoding="utf-8")
    assert services.rewritten == (SHIPPED / "services.toml").read_text(encoding="utf-8")


def test_a_renamed_key_keeps_its_value(version_1_dir: Path, edit) -> None:
    edit(version_1_dir / "kiosk.toml", 'workday_hours_from = "monday"', 'workday_hours_from = "friday"')
    assert load_config(version_1_dir).kiosk.hours.workdays_use_hours_of == "friday"


def test_an_explicit_version_1_is_migrated_like_a_file_without_the_key(version_1_dir: Path, edit) -> None:
    edit(version_1_dir / "kiosk.toml", "[hall]\n", "schema_version = 1\n\n[hall]\n")
    (kiosk, _) = load_config(version_1_dir).migrations
    assert kiosk.version == 1 and kiosk.rewritten is not None
    assert "\nschema_version = 2\n" in kiosk.rewritten and "schema_version = 1" not in kiosk.rewritten


@pytest.mark.parametrize(("value", "words"), [("3", ("is 3", "newer", "versions 1 to 2")),
                                              ("0", ("whole number",)), ('"2"', ("whole number",)),
                                              ("true", ("whole number",))])
def test_a_version_this_code_does_not_read_is_refused_with_file_and_key(config_dir: Path, edit, value: str,
                                                                        words: tuple[str, ...]) -> None:
    edit(config_dir / "services.toml", "schema_version = 2", f"schema_version = {value}")
    problems = problems_of(config_dir)
    refused = find(problems, "services.toml", "schema_version", *words)
    assert str(refused).startswith("services.toml: schema_version: ")
    assert [p.file for p in problems] == ["services.toml"]  # nothing else is guessed from a file it cannot read


def test_an_unknown_key_in_an_old_file_is_still_an_unknown_key(version_1_dir: Path, edit) -> None:
    edit(version_1_dir / "kiosk.toml", "elderly_age = 60", "elderly_agee = 60")
    problems = problems_of(version_1_dir)
    find(problems, "kiosk.toml", "queue.elderly_agee", "unknown key")
    # The note says that the keys are named as in version 2 (the file names one differently).
    find(problems, "kiosk.toml", "schema_version", "version 1 file", "workday_hours_from", "named as in version 2")
    assert len(problems) == 2, "\n".join(map(str, problems))


def test_an_old_name_in_a_current_file_is_an_unknown_key(config_dir: Path, edit) -> None:
    edit(config_dir / "kiosk.toml", "workdays_use_hours_of = ", "workday_hours_from = ")
    problems = problems_of(config_dir)
    find(problems, "kiosk.toml", "hours.workday_hours_from", "unknown key")
    assert len(problems) == 1, "\n".join(map(str, problems))


def test_old_and_new_name_in_an_old_file_is_a_problem(version_1_dir: Path, edit) -> None:
    edit(version_1_dir / "kiosk.toml", 'workday_hours_from = "monday"',
         'workday_hours_from = "monday"\nworkdays_use_hours_of = "friday"')
    find(problems_of(version_1_dir), "kiosk.toml", "hours.workday_hours_from", "old name", "keep only")


def test_a_key_the_line_edits_cannot_rename_still_loads_but_cannot_be_rewritten(version_1_dir: Path, edit) -> None:
    # A quoted key is the same key to TOML, but not one the line edits of the migration look for.
    edit(version_1_dir / "kiosk.toml", 'workday_hours_from = "monday"', '"workday_hours_from" = "tuesday"')
    config = load_config(version_1_dir)
    assert config.kiosk.hours.workdays_use_hours_of == "tuesday"
    assert config.migrations[0].rewritten is None
