"""The simulated printer renders real ticket documents to PNG; faults never lose a number (TicketDesk).

No QR decoder is installed, so ``read_qr_modules`` locates the QR symbol in the image by its three finder
patterns (the 1:1:3:1:1 dark/light runs a scanner looks for) and samples its module grid; the test then
checks that grid against the payload encoded by the ``qrcode`` library.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import qrcode
from PIL import Image

from drivers.printer.simulated import SimulatedPrinter
from kiosk.assembly import Kiosk
from kiosk.config import KioskConfig
from kiosk.desk import PrinterNotReady
from kiosk.devices.document import Cut, Document, QrCode, Text
from kiosk.devices.printer import CoverOpen, PaperOut, PrinterOffline, PrinterStatus
from kiosk.errors import OperationTimedOut
from kiosk.identity import Identity
from kiosk.queue import LocalQueueService, Priority, Ticket
from kiosk.ticket import ticket_document

EXPECTED_URL = "https://zwfw.example.gov.cn/queue/ticket?day=2026-11-24&number={number}"


# -- a small QR locator --------------------------------------------------------------------------------

def _runs(values: list[bool]) -> list[tuple[int, int, bool]]:
    runs: list[tuple[int, int, bool]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i - start, values[start]))
            start = i
    return runs


def _finder_hits(line: list[bool]) -> list[tuple[float, float]]:
    """Centres and module sizes of 1:1:3:1:1 dark-light-dark-light-dark runs along one line."""
    hits = []
    runs = _runs(line)
    for i in range(len(runs) - 4):
        five = runs[i:i + 5]
        if not five[0][2]:
            continue
        lengths = [r[1] for r in five]
        unit = sum(lengths) / 7
        if unit < 2:
            continue
        expected = (1, 1, 3, 1, 1)
        if all(abs(n - e * unit) <= unit * 0.5 * e for n, e in zip(lengths, expected, strict=True)):
            centre = five[2][0] + five[2][1] / 2
            hits.append((centre, unit))
    return hits


def read_qr_modules(image: Image.Image) -> list[list[bool]] | None:
    """The module grid of the one QR symbol in ``image`` (True = dark), or None if there is none."""
    gray = image.convert("L")
    w, h = gray.size
    px = gray.load()
    dark = [[px[x, y] < 128 for x in range(w)] for y in range(h)]
    row_hits = [(cx, y, unit) for y in range(h) for cx, unit in _finder_hits(dark[y])]
    # Keep hits confirmed by the column through them (a finder pattern is a square).
    centres: list[tuple[float, float, float]] = []
    for cx, y, unit in row_hits:
        column = [dark[yy][int(cx)] for yy in range(h)]
        for cy, vunit in _finder_hits(column):
            if abs(cy - y) <= unit and abs(vunit - unit) <= unit * 0.3:
                centres.append((cx, cy, unit))
    # Cluster confirmed hits into finder patterns.
    clusters: list[list[tuple[float, float, float]]] = []
    for c in centres:
        for cluster in clusters:
            if abs(cluster[0][0] - c[0]) <= 2 * c[2] and abs(cluster[0][1] - c[1]) <= 2 * c[2]:
                cluster.append(c)
                break
        else:
            clusters.append([c])
    # A real finder pattern is hit on many rows (about twice its module size); stray text hits are few.
    finders = [tuple(sum(v[k] for v in cl) / len(cl) for k in range(3)) for cl in clusters
               if len(cl) >= max(3, cl[0][2])]
    for triple in itertools.combinations(finders, 3):
        top_two, bottom = sorted(triple, key=lambda f: f[1])[:2], max(triple, key=lambda f: f[1])
        (tlx, tly, u1), (trx, try_, u2) = sorted(top_two, key=lambda f: f[0])
        blx, bly, u3 = bottom
        unit = (u1 + u2 + u3) / 3
        if max(u1, u2, u3) - min(u1, u2, u3) > unit * 0.3:
            continue
        if abs(tly - try_) <= unit and abs(tlx - blx) <= unit and abs((trx - tlx) - (bly - tly)) <= unit \
                and trx - tlx > 10 * unit:
            break
    else:
        return None
    size = round((trx - tlx) / unit) + 7
    x0, y0 = tlx - 3.5 * unit, tly - 3.5 * unit
    return [[dark[int(y0 + (r + 0.5) * unit)][int(x0 + (c + 0.5) * unit)] for c in range(size)]
            for r in range(size)]


def qr_matrices(payload: str) -> list[list[list[bool]]]:
    """The payload's QR module grid at each error-correction level (as the qrcode library encodes it)."""
    out = []
    for level in (qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
                  qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H):
        qr = qrcode.QRCode(error_correction=level, border=0)
        qr.add_data(payload)
        qr.make(fit=True)
        out.append(qr.get_matrix())
    return out


def test_qr_locator_reads_a_plain_qr_image() -> None:
    """The locator itself, on a bare QR image, so that a failure below is not the locator's fault."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=5, border=4)
    qr.add_data("hello kiosk")
    img = qr.make_image().get_image().convert("L")
    canvas = Image.new("L", (img.width + 100, img.height + 300), 255)
    canvas.paste(img, (37, 151))
    assert read_qr_modules(canvas) in qr_matrices("hello kiosk")
    assert read_qr_modules(Image.new("L", (200, 200), 255)) is None


# -- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture
def ticket(queue: LocalQueueService) -> Ticket:
    return queue.issue("general")


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "tickets"


def dark_fraction(image: Image.Image) -> float:
    hist = image.convert("L").histogram()
    return sum(hist[:128]) / (image.width * image.height)


# -- the ticket document -----------------------------------------------------------------------------------

def test_ticket_document_content(ticket: Ticket, config: KioskConfig) -> None:
    doc = ticket_document(ticket, config)
    texts = [b for b in doc.blocks if isinstance(b, Text)]
    big = [t for t in texts if t.text == "A001"]
    assert len(big) == 1 and big[0].size >= 4
    assert big[0].size == max(t.size for t in texts)  # the number is the largest thing on the ticket
    group = config.group("general")
    assert any(group.name_zh in t.text for t in texts)
    assert any(group.name_en in t.text for t in texts)
    assert any(config.kiosk.hall.name_zh in t.text for t in texts)
    qr = [b for b in doc.blocks if isinstance(b, QrCode)]
    assert len(qr) == 1
    assert qr[0].payload == EXPECTED_URL.format(number="A001")
    assert isinstance(doc.blocks[-1], Cut)
    assert doc.name == "2026-11-24-A001"
    assert any("10:00" in t.text and "2026-11-24" in t.text for t in texts)  # issued, in local time


def test_priority_ticket_says_green_channel(queue: LocalQueueService, config: KioskConfig) -> None:
    elder = Identity.from_id_number("11010519491231002X", name="张三丰")
    doc = ticket_document(queue.issue("general", elder), config)
    joined = "\n".join(b.text for b in doc.blocks if isinstance(b, Text))
    assert "V001" in joined and "绿色通道" in joined and "Green channel" in joined
    assert "张三丰" not in joined and "11010519491231002X" not in joined


# -- rendering ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("paper", "width"), [(80, 576), (58, 384)])
def test_simulated_printer_renders_the_ticket(ticket: Ticket, config: KioskConfig, out_dir: Path,
                                              paper: int, width: int) -> None:
    printer = SimulatedPrinter(out_dir, paper)
    assert printer.status() is PrinterStatus.OK
    printer.print(ticket_document(ticket, config))
    path = out_dir / "2026-11-24-A001.png"
    assert path.is_file() and printer.last_image == path
    with Image.open(path) as image:
        assert image.width == width
        assert image.height > 600
        assert dark_fraction(image) > 0.03  # text and a QR code, not a blank strip
        modules = read_qr_modules(image)
    assert modules is not None, "no QR symbol found on the ticket"
    assert modules in qr_matrices(EXPECTED_URL.format(number="A001")), "the QR code does not encode the URL"
    assert modules not in qr_matrices(EXPECTED_URL.format(number="A002"))


def test_large_number_is_drawn_large(ticket: Ticket, config: KioskConfig, out_dir: Path) -> None:
    """The row band of the number is the tallest stretch of ink on the ticket, outside the QR code."""
    printer = SimulatedPrinter(out_dir, 80)
    small = Document("small", (Text("A001", 1),))
    large = Document("large", (Text("A001", 5),))
    printer.print(small)
    printer.print(large)
    with Image.open(out_dir / "small.png") as s, Image.open(out_dir / "large.png") as big:
        assert big.height >= 4 * s.height
        assert dark_fraction(big) * big.height * big.width > 10 * dark_fraction(s) * s.height * s.width


@pytest.mark.parametrize("size", [1, 2])
def test_descenders_are_not_cut_off(out_dir: Path, size: int) -> None:
    """Each line's band holds the whole glyphs: the descenders of g/j/p/q/y do not touch its bottom edge."""
    printer = SimulatedPrinter(out_dir, 80)
    printer.print(Document("descenders", (Text("ypgjq", size),)))
    with Image.open(out_dir / "descenders.png") as image:
        gray = image.convert("L")
        bottom_row = [gray.getpixel((x, gray.height - 1)) for x in range(gray.width)]
    assert min(bottom_row) >= 128, "ink runs into the bottom edge of the line: the glyphs are clipped"


def test_reprint_keeps_the_earlier_image(ticket: Ticket, config: KioskConfig, out_dir: Path) -> None:
    printer = SimulatedPrinter(out_dir, 80)
    doc = ticket_document(ticket, config)
    printer.print(doc)
    printer.print(doc)
    assert sorted(p.name for p in out_dir.iterdir()) == ["2026-11-24-A001-2.png", "2026-11-24-A001.png"]


# -- faults -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "error", "zh", "en"), [
    (PrinterStatus.PAPER_OUT, PaperOut, "缺纸", "out of paper"),
    (PrinterStatus.COVER_OPEN, CoverOpen, "盖", "cover is open"),
    (PrinterStatus.OFFLINE, PrinterOffline, "暂时无法使用", "not available"),
])
def test_fault_raises_with_bilingual_message(ticket: Ticket, config: KioskConfig, out_dir: Path,
                                             status, error, zh: str, en: str) -> None:
    printer = SimulatedPrinter(out_dir, 80)
    printer.set_status(status)
    assert printer.status() is status and not status.can_print
    with pytest.raises(error) as info:
        printer.print(ticket_document(ticket, config))
    assert zh in info.value.message("zh") and "号码仍然有效" in info.value.message("zh")
    assert en in info.value.message("en") and "still valid" in info.value.message("en")
    assert list(out_dir.iterdir()) == []


def test_paper_near_end_still_prints(ticket: Ticket, config: KioskConfig, out_dir: Path) -> None:
    printer = SimulatedPrinter(out_dir, 80)
    printer.set_status(PrinterStatus.PAPER_NEAR_END)
    printer.print(ticket_document(ticket, config))
    assert (out_dir / "2026-11-24-A001.png").is_file()


def test_desk_issues_the_number_on_screen_only_when_the_printer_is_out_of_paper(
        make_kiosk: Callable[..., Kiosk], config: KioskConfig, out_dir: Path) -> None:
    printer = SimulatedPrinter(out_dir, 80)
    kiosk = make_kiosk(config, printer=printer)
    desk, queue = kiosk.desk, kiosk.queue
    printer.set_status(PrinterStatus.PAPER_OUT)

    # Asked before anything is issued: the citizen decides whether to take the number on screen only.
    with pytest.raises(PrinterNotReady) as not_ready:
        desk.issue("general")
    assert isinstance(not_ready.value.fault, PaperOut) and queue.status("general").issued == 0

    first = desk.take_number("general", screen_only=True)
    assert first.ticket.number == "A001"
    assert first.printed is False
    assert isinstance(first.print_error, PaperOut)
    assert first.status_url == EXPECTED_URL.format(number="A001")
    assert any(isinstance(b, Text) and b.text == "A001" for b in first.document.blocks)
    assert queue.ticket("A001").status.value == "waiting"  # the number stands
    assert not out_dir.exists() or list(out_dir.iterdir()) == []

    second = desk.take_number("general", screen_only=True)
    assert (second.ticket.number, second.printed) == ("A002", False)
    assert [p.number for p in kiosk.reprints.pending()] == ["A001", "A002"]
    assert second.ticket.people_ahead == 1

    printer.set_status(PrinterStatus.OK)
    third = desk.take_number("general", priority=Priority.DECLARED)
    assert (third.ticket.number, third.printed, third.print_error) == ("V001", True, None)
    assert printer.last_image == out_dir / "2026-11-24-V001.png" and printer.last_image.is_file()
    assert math.isclose(queue.status("general").issued, 3)


def test_a_flow_past_its_deadline_issues_nothing(make_kiosk: Callable[..., Kiosk], config: KioskConfig,
                                                 out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The printer's status came after the screen stopped waiting (a hung printer, or a call that waited for a
    free worker): no number is issued that nobody waits for."""
    printer = SimulatedPrinter(out_dir, 80)
    kiosk = make_kiosk(config, printer=printer)
    answer = printer.status
    monkeypatch.setattr(printer, "status", lambda: (time.sleep(0.2), answer())[1])
    with pytest.raises(OperationTimedOut):
        kiosk.desk.issue("general", deadline=time.monotonic() + 0.05)
    assert kiosk.queue.status("general").issued == 0
    # In time it is issued; taken on screen only, the printer is not asked again and a reprint is recorded.
    assert kiosk.desk.issue("general", deadline=time.monotonic() + 5).ticket.number == "A001"
    monkeypatch.setattr(printer, "status", lambda: pytest.fail("the printer was asked again"))
    issued = kiosk.desk.issue("general", accepted_fault=PaperOut("paper_out"), deadline=time.monotonic() + 5)
    outcome = kiosk.desk.print_issued(issued)
    assert (outcome.ticket.number, outcome.printed, type(outcome.print_error)) == ("A002", False, PaperOut)
    assert [p.number for p in kiosk.reprints.pending()] == ["A002"]
