"""Appointment check-in and rating in the real app: seeded appointments, touches through every step, the
printed tickets and the rating rows in the kiosk's database afterwards."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from kiosk.assembly import LocalStore
from kiosk.config import load_config
from kiosk.queue.appointments import NewAppointment
from kiosk.queue.ratings import Reason
from kiosk.queue.schema import ratings
from kiosk.queue.suite import suite_on
from tests.ui.conftest import ROOT, run_ui_scenario
from tests.ui.service_scenario import BAD, CARD_GROUPS, CODES, PHONE, TOO_EARLY, TOO_LATE

pytestmark = pytest.mark.ui

LI_ID = "110105199003071239"  # demo card 李 (drivers.card.simulated.DEMO_CARDS[1])


def _seed(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's appointments in the kiosk's own database, before the app starts (Tuesday 10:00)."""
    monkeypatch.setenv("KIOSK_STATE_DIR", str(state))
    queue = LocalStore(load_config(ROOT / "config")).queue
    appointments = suite_on(queue).appointments

    def book(group: str, start: str, end: str, **kw: str) -> None:
        appointments.create(NewAppointment(group, datetime.fromisoformat(f"2026-11-24 {start}"),
                                           datetime.fromisoformat(f"2026-11-24 {end}"), **kw))

    for group in CARD_GROUPS:
        book(group, "10:00", "10:30", id_number=LI_ID, name="李晓梅")
    for code in CODES:
        book("general", "10:15", "10:45", code=code)
    book("tax", "14:00", "14:30", code=TOO_EARLY)
    book("tax", "08:00", "08:30", code=TOO_LATE)
    queue.engine.dispose()


def _rating_rows(state: Path) -> list[tuple]:
    queue = LocalStore(load_config(ROOT / "config")).queue
    with queue.engine.connect() as conn:
        rows = conn.execute(select(ratings.c.number, ratings.c.level, ratings.c.reasons, ratings.c.phone,
                                   ratings.c.kiosk_id).order_by(ratings.c.id)).all()
    queue.engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(("size", "variants"), [("1080x1920", ""), ("1920x1080", "zh,en-large")])
def test_checkin_and_rating_by_touch(xvfb_display: str, screenshot_dir: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, size: str, variants: str) -> None:
    state = tmp_path / "state"
    _seed(state, monkeypatch)
    report = run_ui_scenario(xvfb_display, "service_scenario", screenshot_dir, state, size=size,
                             env={"SERVICE_VARIANTS": variants} if variants else None, timeout=600)
    names = ["zh", "en", "zh-large", "en-large"]
    run = [i for i, n in enumerate(names) if not variants or n in variants.split(",")]

    # Check-in: by card 李's next appointment (all at 10:00: in booking order, so one group after the other), by
    # code the general one: green channel, printed.
    checkins = report["checkins"]
    assert report["code_shown"] == "3000 0001", "the 8-digit code is read back in fours"
    assert [(c["how"], c["number"]) for c in checkins] == [
        (how, number) for k in range(len(run))
        for how, number in (("card", f"{'CDGF'[k]}001"), ("code", f"V{k + 1:03d}"))]
    assert all(c["priority"] and c["printed"] and c["qr"] and not c["identity_after"] for c in checkins)
    tickets = {p.name for p in (state / "tickets").glob("*.png")}
    assert {f"2026-11-24-{c['number']}.png" for c in checkins} <= tickets

    # Each refusal says what to do, in the hall's time.
    refusals = {(r["variant"], r["what"]): r for r in report["refusals"]}
    early = refusals[(names[run[0]], "too-early")]
    zh, en = (early["text"], early["text2"]) if names[run[0]].startswith("zh") else (early["text2"], early["text"])
    assert "14:00" in zh and "13:30" in zh and "以后" in zh, zh
    assert "today at 14:00" in en and "from 13:30" in en, en
    late = refusals[(names[run[0]], "too-late")]
    assert "08:00" in late["text"] and ("取普通号" in late["text"] + late["text2"]), late
    assert all("现在取普通号" in r["offer"] and "Take an ordinary number now" in r["offer"] for r in (early, late)), late
    assert report["ordinary"] == {"screen": "identify", "group": "tax"}
    missing = refusals[(names[run[0]], "not-found")]
    assert "核对预约码" in missing["text"] + missing["text2"], missing
    if 0 in run:
        assert "11" in refusals[("zh", "bad-phone")]["text"]
    repeats = [r for r in report["refusals"] if r["what"] == "rating-repeat"]
    assert len(repeats) == len(run) and all("评价过" in r["text"] + r["text2"] for r in repeats)
    assert report["repeat_step"] == "identify"
    assert report["next_disabled_without_reason"] is True

    # The ratings as stored: the number rated, the card's ticket with reasons and the phone number.
    rows = _rating_rows(state)
    expected = []
    for k, i in enumerate(run):
        expected.append((f"A{k + 1:03d}", 5 - i % 3, None, None, "K01"))
        level, reasons = BAD[i]
        stored = ",".join(r.value for r in Reason if r.value in reasons)  # each once, in the list's order
        expected.append((f"{'CDGF'[k]}001", level, stored, PHONE, "K01"))
    assert rows == expected
    bad_thanks = [r for r in report["ratings"] if r.get("by") == "card"]
    assert all("138****5678" in r["detail"] for r in bad_thanks), bad_thanks
    assert report["identity_after"] == ""

    # No full ID number or name anywhere the kiosk keeps things (the appointments hold a key and masked
    # forms); the call-back number only in the ratings table, masked in the logs.
    kept = [p for p in state.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in kept)
    for path in kept:
        data = path.read_bytes()
        assert LI_ID.encode() not in data and "李晓梅".encode() not in data, path
        if path.suffix == ".log":
            assert PHONE.encode() not in data and b"138****5678" in data, path

    width = int(size.split("x")[0])
    for name in report["screenshots"]:
        assert Image.open(screenshot_dir / name).size[0] == width
