"""``kioskctl`` run in-process (``kiosk.cli.main``) with the time set by time-machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kiosk.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def open_hall() -> Iterator[None]:
    with time_machine.travel(TUESDAY_10, tick=False):
        yield


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def issue_json(capsys, config_dir: Path, *extra: str) -> dict:
    code, out, err = run(capsys, "ticket", "issue", *extra, "--json", "--config", str(config_dir))
    assert code == 0, err
    return json.loads(out)


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_ticket_issue_json(capsys, config_dir: Path) -> None:
    first = issue_json(capsys, config_dir, "general")
    assert {"number", "people_ahead", "wait_minutes", "priority"} <= set(first)
    assert (first["number"], first["people_ahead"], first["wait_minutes"], first["priority"]) == ("A001", 0, 0, "none")
    assert first["day"] == "2026-11-24" and first["group_id"] == "general" and first["status"] == "waiting"
    assert datetime.fromisoformat(first["issued_at"]) == TUESDAY_10
    second = issue_json(capsys, config_dir, "general")
    assert (second["number"], second["people_ahead"], second["wait_minutes"]) == ("A002", 1, 2)  # ceil(8/6)


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_ticket_issue_with_id_number_is_masked_and_elderly(capsys, config_dir: Path) -> None:
    code, out, err = run(capsys, "ticket", "issue", "general", "--id-number", "11010519491231002x",
                         "--json", "--config", str(config_dir))
    assert code == 0, err
    assert "11010519491231002" not in out + err
    data = json.loads(out)
    assert (data["number"], data["priority"], data["id_masked"]) == ("V001", "elderly", "1101**********002X")


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_ticket_issue_text_output(capsys, config_dir: Path) -> None:
    code, out, _ = run(capsys, "ticket", "issue", "medins", "--priority", "declared", "--config", str(config_dir))
    assert code == 0
    assert out.startswith("C001") and "医疗保障 / Medical Insurance" in out and "priority: declared" in out


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_invalid_id_number_exits_3_with_bilingual_message(capsys, config_dir: Path) -> None:
    code, out, err = run(capsys, "ticket", "issue", "general", "--id-number", "110105199003071230",
                         "--config", str(config_dir))
    assert code == 3
    assert out == ""
    assert "invalid_id_number" in err
    assert "身份证号码无效" in err and "The ID number is not valid" in err
    # Nothing was issued.
    assert issue_json(capsys, config_dir, "general")["number"] == "A001"


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_unknown_group_exits_3(capsys, config_dir: Path) -> None:
    code, _, err = run(capsys, "ticket", "issue", "passports", "--config", str(config_dir))
    assert code == 3
    assert "unknown_group" in err and "没有这个业务类别" in err and "not offered" in err


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_identity_required_exits_3(capsys, config_dir: Path) -> None:
    code, _, err = run(capsys, "ticket", "issue", "realestate", "--config", str(config_dir))
    assert code == 3 and "identity_required" in err


@pytest.mark.usefixtures("state_dir")
def test_closed_hall_exits_3_with_next_opening(capsys, config_dir: Path) -> None:
    with time_machine.travel(SATURDAY_10, tick=False):
        code, out, err = run(capsys, "ticket", "issue", "general", "--config", str(config_dir))
    assert code == 3 and out == ""
    assert "queue_closed" in err
    assert "11月30日" in err and "Mon 30 Nov 09:00" in err


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_queue_status_json_lists_every_group(capsys, config_dir: Path, config) -> None:
    issue_json(capsys, config_dir, "general")
    issue_json(capsys, config_dir, "general")
    issue_json(capsys, config_dir, "tax")
    code, out, err = run(capsys, "queue", "status", "--json", "--config", str(config_dir))
    assert code == 0, err
    data = json.loads(out)
    assert [g["id"] for g in data] == [g.id for g in config.services.groups]
    for entry in data:
        assert {"id", "name_zh", "name_en", "waiting", "next_number"} <= set(entry)
        group = config.group(entry["id"])
        assert (entry["name_zh"], entry["name_en"]) == (group.name_zh, group.name_en)
    by_id = {g["id"]: g for g in data}
    assert (by_id["general"]["waiting"], by_id["general"]["next_number"]) == (2, "A003")
    assert (by_id["tax"]["waiting"], by_id["tax"]["next_number"]) == (1, "H002")
    assert (by_id["hukou"]["waiting"], by_id["hukou"]["next_number"]) == (0, "E001")
    assert by_id["general"]["available"] is True


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_queue_status_text(capsys, config_dir: Path) -> None:
    code, out, _ = run(capsys, "queue", "status", "--config", str(config_dir))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1 + 9
    assert any(line.startswith("general") and "A001" in line and "open" in line for line in lines)


@pytest.mark.usefixtures("open_hall", "state_dir")
def test_call_and_finish(capsys, config_dir: Path) -> None:
    issue_json(capsys, config_dir, "general")
    code, out, _ = run(capsys, "queue", "call", "general", "--window", "4", "--json", "--config", str(config_dir))
    assert code == 0
    called = json.loads(out)
    assert (called["number"], called["status"], called["window"]) == ("A001", "called", "4")
    code, out, _ = run(capsys, "queue", "finish", "a001", "--json", "--config", str(config_dir))
    assert code == 0 and json.loads(out)["status"] == "served"
    code, out, _ = run(capsys, "queue", "call", "general", "--window", "4", "--config", str(config_dir))
    assert code == 0 and "nobody is waiting" in out
    code, _, err = run(capsys, "queue", "finish", "A001", "--config", str(config_dir))
    assert code == 3 and "ticket_not_found" in err


@pytest.mark.usefixtures("open_hall")
def test_ticket_issue_print_writes_a_ticket_image(capsys, config_dir: Path, state_dir: Path) -> None:
    code, out, err = run(capsys, "ticket", "issue", "general", "--print", "--config", str(config_dir))
    assert code == 0, err
    assert "A001" in out and "printed" in out and "NOT printed" not in out
    assert (state_dir / "tickets" / "2026-11-24-A001.png").is_file()


def test_bad_configuration_exits_2(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "queue", "status", "--config", str(tmp_path))
    assert code == 2
    assert "configuration refused: 2 problem(s)" in err
    assert "kiosk.toml: (file): file not found" in err


def test_usage_error_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ticket", "issue"])
    assert info.value.code == 2


def test_config_check_says_which_file_is_old_and_what_apply_would_write(capsys, version_1_dir: Path) -> None:
    on_disk = (version_1_dir / "kiosk.toml").read_bytes()
    code, out, err = run(capsys, "config", "check", "--config", str(version_1_dir))
    assert code == 0, err
    assert out.startswith(f"OK: {version_1_dir}")
    assert "kiosk.toml: schema_version 1 (current: 2), read as version 2 after these changes:" in out
    assert "[hours] workday_hours_from is now called workdays_use_hours_of" in out
    assert "services.toml: schema_version 1 (current: 2), read as version 2 with no key changed" in out
    assert f"`kioskctl config apply {version_1_dir} --config {version_1_dir}` would write it at version 2" in out
    assert '+workdays_use_hours_of = "monday"' in out and "+schema_version = 2" in out
    assert (version_1_dir / "kiosk.toml").read_bytes() == on_disk


def test_config_check_json_lists_the_older_files(capsys, version_1_dir: Path) -> None:
    code, out, _ = run(capsys, "config", "check", "--json", "--config", str(version_1_dir))
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["schema_version"] == 2
    kiosk, services = data["older_files"]
    assert (kiosk["file"], kiosk["schema_version"], kiosk["current_version"]) == ("kiosk.toml", 1, 2)
    assert kiosk["changes"] == ["[hours] workday_hours_from is now called workdays_use_hours_of (same value)"]
    assert '-workday_hours_from = "monday"' in kiosk["apply_diff"] and kiosk["apply_refused"] == ""
    assert services["file"] == "services.toml" and services["changes"] == []


def test_config_check_of_current_files_names_no_older_file(capsys, config_dir: Path) -> None:
    code, out, _ = run(capsys, "config", "check", "--json", "--config", str(config_dir))
    assert code == 0 and json.loads(out)["older_files"] == []
    code, out, _ = run(capsys, "config", "check", "--config", str(config_dir))
    assert out.strip() == f"OK: {config_dir} (9 service groups, 17 matters)"


def test_config_check_says_when_apply_would_refuse_an_old_file(capsys, version_1_dir: Path, edit) -> None:
    edit(version_1_dir / "kiosk.toml", 'workday_hours_from = "monday"', '"workday_hours_from" = "monday"')
    code, out, _ = run(capsys, "config", "check", "--config", str(version_1_dir))
    assert code == 0
    assert "refuses it: this version 1 file cannot be rewritten at version 2 automatically" in out


def test_config_check_refuses_a_too_new_file(capsys, config_dir: Path, edit) -> None:
    edit(config_dir / "kiosk.toml", "schema_version = 2", "schema_version = 7")
    code, out, err = run(capsys, "config", "check", "--config", str(config_dir))
    assert code == 2 and "OK" not in out
    assert "kiosk.toml: schema_version: is 7, newer than this kiosk software knows" in err
