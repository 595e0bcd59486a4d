"""The ESC/POS encoder: byte for byte against golden files, and by meaning through the test decoder.

Regenerate the golden files (after a deliberate change of the encoder or of the fixed documents) with
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/printer/test_escpos.py``, then read the diff.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from PIL import Image

from drivers.printer.escpos import EscPosSettings, encode
from drivers.printer.simulated import SimulatedPrinter
from kiosk.config import KioskConfig
from kiosk.devices.document import Cut as DocCut
from kiosk.devices.document import Document, QrCode, Text
from kiosk.queue.model import Priority
from kiosk.ticket import checklist_document, ticket_document

from .decoder import ChineseMode, Cut, DecodeError, Feed, Init, Line, Qr, Raster, decode
from .documents import (
    CHECKLIST_MATTER,
    CHECKLIST_MATTER_NO_STEPS,
    PRINTED_AT,
    Case,
    golden_cases,
    joins_back,
    make_ticket,
    text_blocks,
)
from .helpers import assert_matches_document

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_NAMES = ["ticket-80mm", "ticket-58mm", "ticket-green-80mm", "checklist-80mm"]
TICKET_NAMES = [n for n in GOLDEN_NAMES if n.startswith("ticket")]
MAX_TICKET_BYTES = 600
ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"


@pytest.fixture
def cases(config: KioskConfig) -> dict[str, Case]:
    return golden_cases(config)


def golden_bytes(case: Case) -> bytes:
    """The golden file of ``case``; written from the encoder first when UPDATE_GOLDEN=1."""
    path = GOLDEN_DIR / case.golden
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_bytes(encode(case.document, case.settings))
    assert path.is_file(), f"{path} is missing: run the tests once with UPDATE_GOLDEN=1 and check it in"
    return path.read_bytes()


def first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return (f"lengths {len(a)} vs {len(b)}; first difference at byte {at}: "
            f"{a[max(0, at - 12):at + 12].hex(' ')} vs {b[max(0, at - 12):at + 12].hex(' ')}")


# -- the decoder itself ---------------------------------------------------------------------------------------

HAND_MADE = b"".join([
    ESC + b"@", FS + b"&",
    ESC + b"a\x01", GS + b"!\x11", ESC + b"E\x01", "综合受理".encode("gb18030"), b"\n",
    GS + b"!\x00", ESC + b"E\x00", b"General\n",
    ESC + b"a\x02", "号 A".encode("gb18030"), b"\n",
    ESC + b"a\x01",
    GS + b"(k\x04\x00\x31\x41\x32\x00", GS + b"(k\x03\x00\x31\x43\x04", GS + b"(k\x03\x00\x31\x45\x33",
    GS + b"(k\x08\x00\x31\x50\x30hello", GS + b"(k\x03\x00\x31\x51\x30", b"\n",
    ESC + b"d\x03", GS + b"V\x41\x00",
])


def test_decoder_reads_a_hand_made_document() -> None:
    decoded = decode(HAND_MADE)
    assert decoded.events == [
        Init(), ChineseMode(True),
        Line("综合受理", 2, "center", True, 16),
        Line("General", 1, "center", False, 7),
        Line("号 A", 1, "right", False, 4),
        Qr("hello", 2, 4, "H", "center"),
        Line("", 1, "center", False, 0),
        Feed(3), Cut(partial=False, feed=0),
    ]


def test_decoder_reads_split_gb18030_and_four_byte_characters() -> None:
    text = "𠀀中"  # a four-byte GB18030 character, then a two-byte one
    decoded = decode(ESC + b"@" + FS + b"&" + text.encode("gb18030") + b"\n")
    assert decoded.text_lines == [Line(text, 1, "left", False, 4)]


def test_decoder_parses_raster_images_so_they_can_be_refused() -> None:
    image = GS + b"v0\x00\x02\x00\x03\x00" + bytes(6)
    bit_image = ESC + b"*\x21\x02\x00" + bytes(6)
    graphics = GS + b"(L\x05\x00\x30\x70\x30\x01\x01"
    decoded = decode(ESC + b"@" + image + bit_image + graphics + GS + b"8L\x02\x00\x00\x00\x30\x32")
    assert [r.command for r in decoded.rasters] == ["GS v 0", "ESC *", "GS ( L", "GS 8 L"]


@pytest.mark.parametrize(("data", "why"), [
    (ESC + b"@" + ESC + b"!\x30", "ESC ! (print mode) is not used by the encoder"),
    (ESC + b"@" + ESC + b"-\x01", "underline"),
    (ESC + b"@" + GS + b"L\x00\x00", "left margin"),
    (ESC + b"@" + b"abc", "text not ended by LF"),
    (ESC + b"@" + "中".encode("gb18030") + b"\n", "Chinese without FS &"),
    (ESC + b"@" + FS + b"&" + b"\x80\x40\n", "0x80 is no GB18030 lead byte"),
    (ESC + b"@" + FS + b"&" + b"\xb0\n", "half a character"),
    (ESC + b"@" + b"a\x07b\n", "a stray control byte"),
    (ESC + b"@" + b"\x10\x04\x01", "a real-time status query inside a document"),
    (ESC + b"@" + b"ab" + ESC + b"E\x01" + b"c\n", "emphasis changed in the middle of a line"),
    (ESC + b"@" + b"ab" + GS + b"V\x42\x00", "cut with text still in the line buffer"),
    (ESC + b"@" + GS + b"!\x10x\n", "double width, single height"),
    (ESC + b"@" + GS + b"!\x88", "magnification 9"),
    (ESC + b"@" + ESC + b"a\x05", "alignment 5"),
    (ESC + b"@" + GS + b"(k\x03\x00\x31\x51\x30", "a QR code printed that was never stored"),
    (ESC + b"@" + GS + b"(k\x10\x00\x31\x50\x30abc", "a QR store whose length runs past the end"),
    (ESC + b"@" + GS + b"(k\x03\x00\x30\x43\x03", "PDF417 (cn 48), not QR"),
    (ESC + b"@" + GS + b"(k\x03\x00\x31\x45\x34", "error correction level 52"),
    (ESC + b"@" + GS + b"V\x07", "no such cut"),
    (ESC + b"@" + GS + b"V", "truncated cut"),
    (ESC + b"@" + ESC, "truncated ESC"),
])
def test_decoder_refuses_what_it_does_not_understand(data: bytes, why: str) -> None:
    with pytest.raises(DecodeError):
        decode(data)


@pytest.mark.parametrize("mutation", ["no-chinese-mode", "esc-bang", "drop-last-lf", "bell", "qr-length",
                                      "bad-gb18030", "truncate"])
def test_a_wrong_encoding_of_a_golden_ticket_does_not_decode(cases: dict[str, Case], mutation: str) -> None:
    good = encode(cases["ticket-80mm"].document, cases["ticket-80mm"].settings)
    decode(good)
    qr_store = good.index(GS + b"(k", good.index(b"\x31\x45"))
    bad = {
        "no-chinese-mode": good.replace(FS + b"&", b"", 1),
        "esc-bang": good.replace(GS + b"!", ESC + b"!", 1),
        "drop-last-lf": good[:good.rindex(b"\n")] + good[good.rindex(b"\n") + 1:],
        "bell": good.replace(b"\n", b"\x07\n", 1),
        "qr-length": good[:qr_store + 3] + bytes([good[qr_store + 3] + 1]) + good[qr_store + 4:],
        "bad-gb18030": good.replace("受".encode("gb18030"), b"\xff\xff", 1),
        "truncate": good[:-1],
    }[mutation]
    assert bad != good
    with pytest.raises(DecodeError):
        decode(bad)


# -- golden files, byte for byte ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_encoder_matches_golden_file(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    data = encode(case.document, case.settings)
    golden = golden_bytes(case)
    assert data == golden, f"{case.golden}: {first_difference(data, golden)}"


def test_golden_files_are_the_four_documents() -> None:
    assert sorted(p.name for p in GOLDEN_DIR.iterdir()) == sorted(f"{n}.bin" for n in GOLDEN_NAMES)


# -- the same files, by meaning ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden_file_says_what_the_document_says(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    decoded = decode(golden_bytes(case))
    assert decoded.events[:2] == [Init(), ChineseMode(True)]
    assert_matches_document(case.document, decoded, case.settings.columns)
    # Exactly one cut, and it is the last thing; the paper is fed to the cutter first.
    assert decoded.cuts == [Cut(partial=case.settings.cut == "partial", feed=0)]
    assert decoded.events[-1] == decoded.cuts[0]
    assert decoded.events[-2] == Feed(3)
    assert decoded.rasters == []


@pytest.mark.parametrize("name", TICKET_NAMES)
def test_golden_ticket_number_qr_and_chinese_text(cases: dict[str, Case], name: str, config: KioskConfig) -> None:
    case = cases[name]
    assert case.ticket is not None
    decoded = decode(golden_bytes(case))
    texts = [line.text for line in decoded.text_lines]
    # The exact Chinese text of the ticket comes back (whole lines, GB18030-decoded).
    group = config.group(case.ticket.group_id)
    hall = config.kiosk.hall
    for expected in (hall.name_zh, group.name_zh, "请留意叫号，妥善保管此票。", "2026-11-24 10:05"):
        assert expected in texts, f"{expected!r} not among {texts!r}"
    assert any(t.startswith(f"前面还有 {case.ticket.people_ahead} 人") for t in texts)
    assert any(t.startswith(f"预计等候约 {case.ticket.wait_minutes} 分钟") for t in texts)
    # The number: alone on its line, at least 4x, bold, and the largest thing on the ticket.
    [number] = [line for line in decoded.text_lines if line.text == case.ticket.number]
    assert number.size >= 4 and number.bold and number.align == "center"
    assert number.size == max(line.size for line in decoded.text_lines)
    # One QR code: the ticket's status URL, model 2, module size and error correction from the settings.
    assert decoded.qr_codes == [Qr(case.status_url, 2, case.settings.qr_module_size,
                                   case.settings.qr_error_correction, "center")]
    assert case.status_url == f"https://zwfw.example.gov.cn/queue/ticket?day=2026-11-24&number={case.ticket.number}"


def test_golden_green_channel_ticket_says_green_channel(cases: dict[str, Case]) -> None:
    decoded = decode(golden_bytes(cases["ticket-green-80mm"]))
    [line] = [line for line in decoded.text_lines if "绿色通道" in line.text]
    assert line.text == "绿色通道·长者优先 Green channel (senior)" and line.bold
    assert decoded.cuts == [Cut(partial=False, feed=0)]  # this one is printed with cut = "full"


def test_golden_checklist_wraps_long_mixed_text(cases: dict[str, Case]) -> None:
    case = cases["checklist-80mm"]
    decoded = decode(golden_bytes(case))
    texts = [line.text for line in decoded.text_lines]
    assert texts[1] == "一次性告知单" and decoded.text_lines[1].size == 2 and decoded.text_lines[1].bold
    assert decoded.qr_codes == []
    # Long paragraphs wrap onto several lines that join back to the exact text.
    note = next(b.text for b in text_blocks(case.document) if "授权委托书" in b.text)
    start = next(i for i, t in enumerate(texts) if note.startswith(t))
    taken = [texts[start]]
    while not joins_back(note, taken):
        taken.append(texts[start + len(taken)])
    assert len(taken) >= 2
    assert "婚姻状况证明（按需）" in "".join(texts)
    assert "本事项需提前预约 Appointment required" in texts
    assert len(golden_bytes(case)) > len(golden_bytes(cases["ticket-80mm"]))


# -- size ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", TICKET_NAMES)
def test_golden_ticket_is_at_most_600_bytes(cases: dict[str, Case], name: str) -> None:
    assert len(golden_bytes(cases[name])) <= MAX_TICKET_BYTES


def test_every_shipped_ticket_is_at_most_600_bytes(config: KioskConfig) -> None:
    """Every group, every kind of ticket, on both papers, with a busy morning's 99 people ahead."""
    too_big = []
    for group in config.services.groups:
        for priority in Priority:
            prefix = group.series_for(priority is not Priority.NONE)
            ticket = make_ticket(prefix + "9" * group.number_digits, group.id, priority, 99,
                                 math.ceil(99 * group.service_minutes / len(group.windows)))
            for columns in (32, 48):
                size = len(encode(ticket_document(ticket, config), EscPosSettings(columns=columns)))
                if size > MAX_TICKET_BYTES:
                    too_big.append(f"{group.id}/{priority.value}/{columns} cols: {size} bytes")
    assert not too_big, "tickets above 600 bytes: " + "; ".join(too_big)


# -- line width ----------------------------------------------------------------------------------------------

def assert_lines_fit(document: Document, columns: int) -> None:
    decoded = decode(encode(document, EscPosSettings(columns=columns)))
    too_wide = [(line.text, line.size, line.columns) for line in decoded.lines if line.columns > columns]
    assert not too_wide, f"lines wider than {columns} columns (text, size, printed columns): {too_wide}"


TICKET_KINDS = {
    "plain": make_ticket(),
    "declared": make_ticket("V004", priority=Priority.DECLARED),
    "appointment": make_ticket("V005", priority=Priority.APPOINTMENT),
    "elderly": make_ticket("V003", priority=Priority.ELDERLY),
    "long-queue": make_ticket("A299", people_ahead=298, wait_minutes=398),
}


@pytest.mark.parametrize("columns", [32, 42, 48])
@pytest.mark.parametrize("kind", ["plain", "long-queue"])
def test_ticket_lines_fit_the_paper(config: KioskConfig, kind: str, columns: int) -> None:
    assert_lines_fit(ticket_document(TICKET_KINDS[kind], config), columns)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_ticket_lines_fit_the_paper_every_group(config: KioskConfig, columns: int) -> None:
    for group in config.services.groups:
        ticket = make_ticket(group.prefix + "1" * group.number_digits, group.id)
        assert_lines_fit(ticket_document(ticket, config), columns)


def _green(kind: str, columns: int, line: str = "") -> object:
    """``line``: the line that once overflowed at these columns (kept as the case's reason)."""
    return pytest.param(kind, columns, id=f"{kind}-{columns}")


@pytest.mark.parametrize(("kind", "columns"), [
    _green("declared", 32), _green("declared", 42), _green("declared", 48),
    _green("appointment", 32), _green("appointment", 42, "绿色通道·预约  Green channel (appointment)"),
    _green("appointment", 48),
    _green("elderly", 32, "绿色通道·长者优先  Green channel"), _green("elderly", 42), _green("elderly", 48),
])
def test_green_channel_ticket_lines_fit_the_paper(config: KioskConfig, kind: str, columns: int) -> None:
    assert_lines_fit(ticket_document(TICKET_KINDS[kind], config), columns)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_checklist_lines_fit_the_paper(config: KioskConfig, columns: int) -> None:
    """Long mixed Chinese/Latin text wraps within the paper (the matter without its '→' steps line)."""
    assert_lines_fit(checklist_document(CHECKLIST_MATTER_NO_STEPS, config, PRINTED_AT), columns)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_checklist_steps_line_fits_the_paper(config: KioskConfig, columns: int) -> None:
    assert_lines_fit(checklist_document(CHECKLIST_MATTER, config, PRINTED_AT), columns)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_every_shipped_checklist_decodes_with_one_cut(config: KioskConfig, columns: int) -> None:
    for matter in config.services.matters:
        doc = checklist_document(matter, config, PRINTED_AT)
        decoded = decode(encode(doc, EscPosSettings(columns=columns)))
        assert_matches_document(doc, decoded, columns)
        assert len(decoded.cuts) == 1 and decoded.events[-1] == decoded.cuts[0]
        assert decoded.rasters == []


# -- the encoder's own rules -------------------------------------------------------------------------------------

def test_no_raster_image_commands(cases: dict[str, Case]) -> None:
    for case in cases.values():
        data = encode(case.document, case.settings)
        assert decode(data).rasters == []
        for command in (GS + b"v0", ESC + b"*", GS + b"(L", GS + b"8L", FS + b"p"):
            assert command not in data, f"{case.name}: {command!r}"


def test_encoder_is_pure(cases: dict[str, Case]) -> None:
    first = {name: encode(c.document, c.settings) for name, c in cases.items()}
    # Interleaved, in another order, many times: always the same bytes for the same input.
    for _ in range(3):
        for name in reversed(list(cases)):
            assert encode(cases[name].document, cases[name].settings) == first[name]
    again = golden_cases_from_scratch(cases)
    assert {name: encode(c.document, c.settings) for name, c in again.items()} == first


def golden_cases_from_scratch(cases: dict[str, Case]) -> dict[str, Case]:
    """Equal but not identical documents (rebuilt block by block): the bytes depend on values only."""
    return {name: Case(c.name, Document(c.document.name, tuple(list(c.document.blocks))),
                       EscPosSettings(**vars(c.settings)), c.ticket, c.status_url) for name, c in cases.items()}


def test_sizes_are_clamped_and_alignment_and_emphasis_sent_only_on_change() -> None:
    doc = Document("t", (Text("a", 9), Text("b", 0), Text("c"), Text("d", bold=True), Text("e", bold=True), DocCut()))
    data = encode(doc, EscPosSettings(columns=48))
    decoded = decode(data)
    assert [(line.text, line.size, line.bold) for line in decoded.lines] == [
        ("a", 8, False), ("b", 1, False), ("c", 1, False), ("d", 1, True), ("e", 1, True)]
    assert data.count(ESC + b"E\x01") == 1 and data.count(ESC + b"a") == 0


@pytest.mark.parametrize(("setting", "partial", "expected"), [
    ("partial", True, True), ("full", True, False), ("partial", False, False), ("full", False, False)])
def test_cut_follows_the_configuration(setting: str, partial: bool, expected: bool) -> None:
    decoded = decode(encode(Document("t", (DocCut(partial),)), EscPosSettings(cut=setting)))
    assert decoded.cuts == [Cut(partial=expected, feed=0)]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
@pytest.mark.parametrize("module", [1, 3, 16])
def test_qr_settings_come_from_the_configuration(level: str, module: int) -> None:
    url = "https://zwfw.example.gov.cn/queue/ticket?day=2026-11-24&number=A001"
    decoded = decode(encode(Document("t", (QrCode(url),)), EscPosSettings(qr_module_size=module,
                                                                            qr_error_correction=level)))
    assert decoded.qr_codes == [Qr(url, 2, module, level, "center")]


# -- the simulated printer and the ESC/POS bytes come from the same document ----------------------------------------

@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_png_and_escpos_carry_the_same_document(cases: dict[str, Case], name: str, tmp_path: Path) -> None:
    case = cases[name]
    printer = SimulatedPrinter(tmp_path / "png", 80 if case.settings.columns == 48 else 58)
    printer.print(case.document)
    assert printer.last_image is not None
    with Image.open(printer.last_image) as image:
        assert image.width == (576 if case.settings.columns == 48 else 384) and image.height > 400
    decoded = decode(encode(case.document, case.settings))
    # Every Text block of the one document comes back from the bytes, in order, as whole text.
    assert_matches_document(case.document, decoded, case.settings.columns)
    blocks = text_blocks(case.document)
    assert len(blocks) >= 8
    joined = "".join(line.text for line in decoded.text_lines)
    for block in blocks:
        assert "".join(block.text.split()) in "".join(joined.split())
    qr_blocks = [b.payload for b in case.document.blocks if isinstance(b, QrCode)]
    assert [q.payload for q in decoded.qr_codes] == qr_blocks
    assert printer.last_image.name == f"{case.document.name}.png"


def test_raster_check_sees_through_text_that_looks_like_a_command() -> None:
    """Text containing 'GS v 0'-like characters is still text: the decoder reads commands, not patterns."""
    data = encode(Document("t", (Text("v0 *8L (L"), DocCut())), EscPosSettings())
    assert decode(data).rasters == [] and decode(data).text_lines[0].text == "v0 *8L (L"


def test_decoded_line_types_are_what_the_tests_compare() -> None:
    decoded = decode(encode(Document("t", (Text("中文 Latin", 2, bold=True), DocCut())), EscPosSettings()))
    assert decoded.events == [Init(), ChineseMode(True), Line("中文 Latin", 2, "left", True, 20),
                              Cut(partial=True, feed=0)]
    assert isinstance(decoded.events[-1], Cut) and not any(isinstance(e, Raster) for e in decoded.events)
