"""Safe configuration updates: apply validates first, keeps versions, swaps atomically; rollback; diff."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.cli import main as kioskctl
from kiosk.config import ConfigError, load_config
from kiosk.config_store import ConfigStore, config_version
from tests.conftest import make_version_1

SHIPPED = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture()
def deployed(tmp_path: Path) -> Path:
    folder = tmp_path / "etc-kiosk"
    shutil.copytree(SHIPPED, folder)
    return folder


def _variant(tmp_path: Path, name: str, old: str, new: str, source: Path = SHIPPED) -> Path:
    out = tmp_path / "new" / name
    out.parent.mkdir(exist_ok=True)
    text = (source / name).read_text(encoding="utf-8")
    assert old in text
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


def test_apply_valid_file_keeps_previous_version_and_swaps(deployed: Path, tmp_path: Path) -> None:
    store = ConfigStore(deployed)
    before = store.version()
    applied = store.apply(_variant(tmp_path, "kiosk.toml", 'id = "K01"', 'id = "K07"'))
    assert applied.previous == before and applied.version == store.version() != before
    assert load_config(deployed).kiosk.kiosk.id == "K07"
    assert applied.saved_as is not None and config_version(applied.saved_as) == before
    # services.toml was not part of the change and is untouched
    assert (deployed / "services.toml").read_bytes() == (SHIPPED / "services.toml").read_bytes()
    assert not list(deployed.glob(".*.tmp*")) and not list(deployed.glob(".kiosk.toml.*"))


def test_invalid_change_is_refused_and_nothing_is_written(deployed: Path, tmp_path: Path) -> None:
    store = ConfigStore(deployed)
    before = store.version()
    bad = _variant(tmp_path, "services.toml", 'prefix = "B"', 'prefix = "A"')  # duplicate prefix
    with pytest.raises(ConfigError) as refused:
        store.apply(bad)
    assert any(p.file == "services.toml" and p.key.endswith(".prefix") for p in refused.value.problems)
    assert store.version() == before and store.history() == []


def test_a_change_is_validated_together_with_the_file_it_does_not_replace(deployed: Path, tmp_path: Path) -> None:
    # A matter pointing at a group that the current services.toml does not have is valid on its own
    # kiosk.toml side only; here the services file is changed so that a matter loses its group.
    services = _variant(tmp_path, "services.toml", 'id = "tax"', 'id = "taxes"')
    with pytest.raises(ConfigError) as refused:
        ConfigStore(deployed).apply(services)
    assert any("tax-invoice" in p.key and "no service group" in p.message for p in refused.value.problems)


def test_wrongly_named_file_or_empty_folder_is_refused(deployed: Path, tmp_path: Path) -> None:
    odd = tmp_path / "settings.toml"
    odd.write_text("x = 1\n")
    with pytest.raises(ConfigError):
        ConfigStore(deployed).apply(odd)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError):
        ConfigStore(deployed).apply(empty)


def test_rollback_after_apply_restores_the_previous_version(deployed: Path, tmp_path: Path) -> None:
    store = ConfigStore(deployed)
    original = store.version()
    store.apply(_variant(tmp_path, "kiosk.toml", 'id = "K01"', 'id = "K07"'))
    rolled = store.rollback()
    assert rolled.version == original == store.version()
    assert load_config(deployed).kiosk.kiosk.id == "K01"


def test_rollback_after_a_broken_hand_edit_restores_the_last_applied(deployed: Path, tmp_path: Path) -> None:
    store = ConfigStore(deployed)
    applied = store.apply(_variant(tmp_path, "kiosk.toml", 'id = "K01"', 'id = "K07"'))
    (deployed / "kiosk.toml").write_text("this is [not toml", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(deployed)
    assert store.rollback().version == applied.version
    assert load_config(deployed).kiosk.kiosk.id == "K07"


def test_rollback_without_history_is_refused(deployed: Path) -> None:
    with pytest.raises(ConfigError, match="no earlier configuration"):
        ConfigStore(deployed).rollback()


def test_diff_shows_the_change(deployed: Path, tmp_path: Path) -> None:
    candidate = _variant(tmp_path, "kiosk.toml", "elderly_age = 60", "elderly_age = 65")
    text = ConfigStore(deployed).diff(candidate)
    assert "-elderly_age = 60" in text and "+elderly_age = 65" in text
    assert ConfigStore(deployed).diff(deployed / "kiosk.toml") == ""


def test_kioskctl_config_apply_rollback_diff(deployed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path / "state"))
    good = _variant(tmp_path, "kiosk.toml", 'id = "K01"', 'id = "K09"')
    assert kioskctl(["config", "diff", str(good), "--config", str(deployed)]) == 0
    assert '+id = "K09"' in capsys.readouterr().out
    assert kioskctl(["config", "apply", str(good), "--config", str(deployed)]) == 0
    out = capsys.readouterr().out
    assert "applied" in out and "no kiosk app is running" in out

    bad = _variant(tmp_path, "kiosk.toml", 'timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"')
    assert kioskctl(["config", "apply", str(bad), "--config", str(deployed)]) == 2
    err = capsys.readouterr().err
    assert "kiosk.toml: hall.timezone: unknown time zone 'Mars/Olympus'" in err
    assert load_config(deployed).kiosk.kiosk.id == "K09"

    # apply and rollback work even when the deployed files are broken
    (deployed / "services.toml").write_text("groups = 3\n", encoding="utf-8")
    assert kioskctl(["config", "rollback", "--config", str(deployed), "--json"]) == 0
    assert load_config(deployed).kiosk.kiosk.id == "K09"


def test_apply_writes_an_older_file_at_the_current_version(deployed: Path, version_1_dir: Path) -> None:
    store = ConfigStore(deployed)
    make_version_1(deployed)
    old = {name: (deployed / name).read_bytes() for name in ("kiosk.toml", "services.toml")}
    # The deployed folder applied onto itself: the migrated files, comments kept, are the shipped ones.
    store.apply(deployed)
    for name in ("kiosk.toml", "services.toml"):
        assert (deployed / name).read_bytes() == (SHIPPED / name).read_bytes()
    assert load_config(deployed).migrations == ()
    saved = store.history()[-1]
    assert {name: (saved / name).read_bytes() for name in old} == old  # the old files are kept for rollback
    # A candidate folder of version 1 is written at version 2 too.
    store.apply(version_1_dir)
    assert (deployed / "kiosk.toml").read_bytes() == (SHIPPED / "kiosk.toml").read_bytes()


def test_diff_shows_the_migration(deployed: Path, version_1_dir: Path) -> None:
    text = ConfigStore(version_1_dir).diff(version_1_dir)
    assert '-workday_hours_from = "monday"' in text and '+workdays_use_hours_of = "monday"' in text
    assert "+schema_version = 2" in text and "+++ new/services.toml" in text
    assert ConfigStore(deployed).diff(version_1_dir) == ""  # the candidate migrated is what is deployed


def test_an_older_file_that_cannot_be_rewritten_is_refused_with_what_to_change(deployed: Path, tmp_path: Path) -> None:
    make_version_1(deployed)
    quoted = _variant(tmp_path, "kiosk.toml", 'workday_hours_from = "monday"', '"workday_hours_from" = "monday"',
                      source=deployed)
    before = ConfigStore(deployed).version()
    with pytest.raises(ConfigError) as refused:
        ConfigStore(deployed).apply(quoted)
    (problem,) = refused.value.problems
    assert (problem.file, problem.key) == ("kiosk.toml", "schema_version")
    assert "by hand" in problem.message and "workdays_use_hours_of" in problem.message
    assert ConfigStore(deployed).version() == before
