"""``[card_reader]`` in kiosk.toml: the pcsc driver, reader pattern, card profiles and their checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.card.profiles import atr_matches, profiles_for
from kiosk.config import ConfigError, KioskConfig, load_config
from tests.card.helpers import documented_example, write_card_section


def problems(config_dir: Path, section: str) -> list[str]:
    write_card_section(config_dir, section)
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_configuration_keeps_the_simulated_reader() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "config").kiosk.card_reader
    assert cfg.driver == "simulated" and cfg.profiles == []


def test_the_documented_pcsc_example_is_valid_and_normalised(card_config: Callable[[str], KioskConfig]) -> None:
    cfg = card_config(documented_example()).kiosk.card_reader
    assert (cfg.driver, cfg.reader) == ("pcsc", "ID Card Reader")
    assert [(p.id, p.type) for p in cfg.profiles] == [
        ("idcard", "cn-id-text"), ("citizen-card", "iso7816-file"), ("uid", "uid")]
    idcard = cfg.profiles[0]
    assert idcard.select == ["FF 20 01 00 00", "FF 20 02 00 00", "FF 30 01 00 00"]
    assert idcard.atr == ["3B 88 80 01 *"] and idcard.text_offset == 4
    assert cfg.profiles[1].aid == "F0 00 00 0A 01 01" and cfg.profiles[1].chunk == 128


def test_apdus_may_be_written_without_spaces_or_in_lower_case(card_config: Callable[[str], KioskConfig]) -> None:
    cfg = card_config('driver = "pcsc"\n[[card_reader.profiles]]\nid = "x"\ntype = "cn-id-text"\n'
                      'select = ["00a4040007a0000000031010"]\nread = ["ffb0:00:00:00"]\n').kiosk.card_reader
    assert cfg.profiles[0].select == ["00 A4 04 00 07 A0 00 00 00 03 10 10"]
    assert cfg.profiles[0].read == ["FF B0 00 00 00"]


PROFILE = '[[card_reader.profiles]]\nid = "idcard"\ntype = "cn-id-text"\nread = ["FF 32 00 00 00"]\n'


@pytest.mark.parametrize(("section", "key", "message"), [
    ('driver = "pcsc"\n', "card_reader", "driver 'pcsc' needs at least one [[card_reader.profiles]] entry"),
    ('driver = "usb"\n', "card_reader.driver", "'simulated' or 'pcsc'"),
    (PROFILE.replace('["FF 32 00 00 00"]', '["FF 32 0G 00"]'), "card_reader.profiles[0](id=idcard).read",
     "[0]: 'FF 32 0G 00' is not hex: 'G' is not a hex digit"),
    (PROFILE.replace('["FF 32 00 00 00"]', '["FF 32 00 00 0"]'), "card_reader.profiles[0](id=idcard).read",
     "odd number of hex digits (9)"),
    (PROFILE.replace('["FF 32 00 00 00"]', '["FF 32 00"]'), "card_reader.profiles[0](id=idcard).read",
     "too short for an APDU: it needs at least CLA INS P1 P2"),
    (PROFILE + 'select = ["00 A4 04 00 07 A0 00 00"]\n', "card_reader.profiles[0](id=idcard).select",
     "Lc = 07 announces 7 data bytes, but 3 bytes follow it"),
    (PROFILE + 'select = ["00 A4 04 00 00 A0"]\n', "card_reader.profiles[0](id=idcard).select",
     "extended-length APDUs are not supported"),
    (PROFILE.replace('read = ["FF 32 00 00 00"]\n', ''), "card_reader.profiles[0](id=idcard)",
     "needs at least one APDU in 'read'"),
    (PROFILE + 'atr = ["3B 8G"]\n', "card_reader.profiles[0](id=idcard).atr", "'8G' is neither a hex byte nor '??'"),
    (PROFILE + 'atr = ["3B * 80"]\n', "card_reader.profiles[0](id=idcard).atr", "'*' (any further bytes) may only end"),
    (PROFILE + 'aid = "A0 00 00 00 03"\n', "card_reader.profiles[0](id=idcard)",
     "'aid' does not apply to a profile of type 'cn-id-text'"),
    ('[[card_reader.profiles]]\nid = "f"\ntype = "iso7816-file"\n', "card_reader.profiles[0](id=f)",
     "needs 'aid'"),
    ('[[card_reader.profiles]]\nid = "f"\ntype = "iso7816-file"\naid = "A0 00"\n', "card_reader.profiles[0](id=f).aid",
     "an application ID (AID) has 5 to 16"),
    ('[[card_reader.profiles]]\nid = "f"\ntype = "iso7816-file"\naid = "A0 00 00 00 03"\nlength = 100\n',
     "card_reader.profiles[0](id=f)", "length 100 is too short for content 'cn-id-text'"),
    ('[[card_reader.profiles]]\nid = "f"\ntype = "iso7816-file"\naid = "A0 00 00 00 03"\nchunk = 300\n',
     "card_reader.profiles[0](id=f).chunk", "less than or equal to 256"),
    ('[[card_reader.profiles]]\nid = "u"\ntype = "uid"\nselect = ["00 A4 04 00"]\n', "card_reader.profiles[0](id=u)",
     "'select' does not apply to a profile of type 'uid'"),
    (PROFILE + PROFILE, "card_reader", "profile id 'idcard' is used twice"),
    (PROFILE + 'sector = 1\n', "card_reader.profiles[0](id=idcard).sector", "unknown key"),
])
def test_mistakes_are_refused_with_file_key_and_reason(config_dir: Path, section: str, key: str, message: str) -> None:
    found = problems(config_dir, section)
    assert any(p.startswith(f"kiosk.toml: {key}: ") and message in p for p in found), found


@pytest.mark.parametrize(("pattern", "atr", "matches"), [
    ("3B 88 80 01 *", "3B 88 80 01 00 00 00 00 00 81 81 71 7B", True),
    ("3B 88 80 01 *", "3B 88 80 01", True),
    ("3B 88 80 01 *", "3B 88 80", False),
    ("3B ?? 80 01", "3B 8F 80 01", True),
    ("3B ?? 80 01", "3B 8F 80 01 00", False),
    ("3B ?? 80 01", "3B 8F 81 01", False),
])
def test_atr_patterns(pattern: str, atr: str, matches: bool) -> None:
    assert atr_matches(pattern, bytes.fromhex(atr)) is matches


def test_profiles_are_tried_in_order_among_those_whose_atr_fits(card_config: Callable[[str], KioskConfig]) -> None:
    profiles = card_config(documented_example()).kiosk.card_reader.profiles
    assert [p.id for p in profiles_for(bytes.fromhex("3B88800100"), profiles)] == ["idcard", "citizen-card", "uid"]
    assert [p.id for p in profiles_for(bytes.fromhex("3B6800000073C84013009000"), profiles)] == ["citizen-card", "uid"]
