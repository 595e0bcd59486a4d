"""``kioskctl card list`` and ``kioskctl card read`` through a real pcscd with a virtual card."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.card.pcsc import list_readers
from kiosk.cli import main
from kiosk.config import KioskConfig
from tests.card.cards import CITIZEN, CITIZEN_NAME, CITIZEN_NUMBER, SENIOR, SENIOR_NAME, SENIOR_NUMBER, masked, text_block
from tests.card.helpers import documented_example
from tests.card.stack import READER, Pcscd
from tests.card.vicc import UID, CardSlot, VirtualCard


@pytest.fixture
def example_dir(card_config: Callable[[str], KioskConfig], config_dir: Path) -> Path:
    card_config(documented_example().replace('"ID Card Reader"', '"PCD 00 00"'))
    return config_dir


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def wait_for_card_in_pcscd() -> None:
    """pcscd notices a card at its next poll of the reader."""
    deadline = time.monotonic() + 10
    while not any(r.card_present for r in list_readers() if r.name == READER):
        assert time.monotonic() < deadline, "pcscd never saw the card"
        time.sleep(0.02)


def test_card_read_json_gives_the_masked_identity(capsys: pytest.CaptureFixture[str], slot: CardSlot,
                                                  example_dir: Path) -> None:
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    code, out, err = run(capsys, "card", "read", "--json", "--timeout", "10", "--config", str(example_dir))
    assert code == 0, err
    data = json.loads(out)
    assert data == {"reader": READER, "profile": "idcard",
                    "identity": {"name": SENIOR_NAME[0] + "**", "id_number": masked(SENIOR_NUMBER), "sex": "男",
                                 "age": data["identity"]["age"], "green_channel": True}}
    assert data["identity"]["age"] >= 76
    assert SENIOR_NUMBER not in out + err and SENIOR_NAME not in out + err


def test_card_read_waits_for_a_card_placed_later(capsys: pytest.CaptureFixture[str], slot: CardSlot,
                                                 example_dir: Path) -> None:
    import threading

    threading.Timer(0.5, lambda: slot.insert(VirtualCard(text_block=text_block(CITIZEN)))).start()
    code, out, err = run(capsys, "card", "read", "--timeout", "10", "--config", str(example_dir))
    assert code == 0, err
    assert out.startswith(f"{CITIZEN_NAME[0]}***  {masked(CITIZEN_NUMBER)}  女  age ")
    assert "(profile idcard, Virtual PCD 00 00)" in out
    assert "place a card on Virtual PCD 00 00" in err and "reading" in err
    assert CITIZEN_NUMBER not in out + err and CITIZEN_NAME not in out + err


def test_card_read_uid_with_reader_pattern_override(capsys: pytest.CaptureFixture[str], slot: CardSlot,
                                                    card_config: Callable[[str], KioskConfig], config_dir: Path) -> None:
    # The kiosk still runs the simulated reader: kioskctl can test a PC/SC reader before switching to it.
    card_config('driver = "simulated"\nreader = "no such reader"\n'
                '[[card_reader.profiles]]\nid = "staff-badge"\ntype = "uid"\n')
    slot.insert(VirtualCard())
    code, out, err = run(capsys, "card", "read", "--reader", "virtual*00 00", "--json", "--config", str(config_dir))
    assert code == 0, err
    assert json.loads(out) == {"reader": READER, "profile": "staff-badge", "uid": UID.hex().upper()}


@pytest.mark.parametrize(("card", "code_name"), [
    (VirtualCard(text_block=text_block(SENIOR, id_number=SENIOR_NUMBER[:17] + "0")), "invalid_card"),
    (VirtualCard(text_block=text_block(CITIZEN, valid_from="20000101", valid_until="20200101")), "expired_card"),
])
def test_card_read_refuses_invalid_cards(capsys: pytest.CaptureFixture[str], slot: CardSlot, example_dir: Path,
                                         card: VirtualCard, code_name: str) -> None:
    slot.insert(card)
    code, out, err = run(capsys, "card", "read", "--json", "--timeout", "10", "--config", str(example_dir))
    assert code == 3
    data = json.loads(out)
    assert data["error"] == code_name and data["message_zh"] and data["message_en"] and data["detail"]
    assert err.startswith(f"{code_name}: ")


def test_card_read_without_a_card_times_out(capsys: pytest.CaptureFixture[str], slot: CardSlot,
                                            example_dir: Path) -> None:
    code, _out, err = run(capsys, "card", "read", "--timeout", "0.5", "--config", str(example_dir))
    assert code == 3
    assert "\nno_card: 读卡器上没有身份证。 / No card was placed on the reader.\n" in err
    assert "no card within 0.5 s" in err


def test_card_read_without_reader_or_pcscd(capsys: pytest.CaptureFixture[str], pcscd: Pcscd, example_dir: Path) -> None:
    pcscd.restart(with_reader=False)
    code, out, err = run(capsys, "card", "read", "--json", "--timeout", "5", "--config", str(example_dir))
    assert code == 3 and json.loads(out)["error"] == "reader_missing"
    assert "no reader matches 'PCD 00 00'" in err
    pcscd.stop()
    code, _out, err = run(capsys, "card", "read", "--timeout", "5", "--config", str(example_dir))
    assert code == 3 and err.startswith("reader_missing: 读卡器暂时无法使用")
    assert "pcscd is not reachable" in err
    code, _out, err = run(capsys, "card", "list", "--config", str(example_dir))
    assert code == 3 and "pcscd is not reachable" in err


def test_card_read_needs_a_profile(capsys: pytest.CaptureFixture[str], config_dir: Path) -> None:
    code, _out, err = run(capsys, "card", "read", "--config", str(config_dir))
    assert code == 2 and "card_reader.profiles: no card profile is configured" in err


def test_card_list(capsys: pytest.CaptureFixture[str], slot: CardSlot, example_dir: Path) -> None:
    code, out, err = run(capsys, "card", "list", "--json", "--config", str(example_dir))
    assert code == 0, err
    assert [(r["name"], r["state"], r["selected"]) for r in json.loads(out)] == [
        (READER, "empty", True), ("Virtual PCD 00 01", "empty", False)]
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    wait_for_card_in_pcscd()
    code, out, err = run(capsys, "card", "list", "--config", str(example_dir))
    assert code == 0, err
    first = out.splitlines()[1]
    assert first.startswith(f"* {READER}") and " card " in first
    assert "idcard,citizen-card,uid" in first and "3B 88 80 01 00 00 00 00 00 81 81 71 7B" in first
    assert "* the kiosk uses this reader ([card_reader].reader = 'PCD 00 00', driver pcsc)" in out
