"""Calls for staff from a kiosk: a citizen's help call (呼叫工作人员) and the kiosk's own alarm (a ticket that
did not print), each open until a member of staff answers it.

A call carries no personal data: the kiosk, what it asks for (``kind``), the screen or the printer's fault
(``detail``) and the time. A kiosk asks once: while its call of a kind is open, asking again returns that call.
The kiosk keeps its calls in its own store (``kioskctl status``, the maintenance screen); the hall server keeps
its kiosks' calls (the clerks' and the manager's pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, Row, insert, select, update

from kiosk.clock import Clock, utc_now
from kiosk.queue.errors import StaffCallNotFound
from kiosk.queue.schema import staff_calls
from kiosk.queue.service import _as_utc
from kiosk.texts import catalogue, tr


class CallKind(StrEnum):
    HELP = "help"  # a citizen tapped 呼叫工作人员 (detail: the screen they were on)
    PRINTER = "printer"  # a ticket did not print (detail: the printer's fault)

    def text(self, lang: str) -> str:
        """What the kiosk asks for, as staff read it (求助, 打印机故障)."""
        return tr(f"staff_call.{self.value}", lang)


@dataclass(frozen=True)
class StaffCall:
    id: int
    kiosk_id: str
    kind: CallKind
    detail: str
    raised_at: datetime
    answered_at: datetime | None = None
    answered_by: str = ""

    def detail_text(self, lang: str) -> str:
        """The screen the citizen was on, or the printer's fault, in words (as sent when the catalogues do not
        know it: a newer kiosk's screen)."""
        key = f"screen.{self.detail}" if self.kind is CallKind.HELP else f"error.{self.detail}"
        return tr(key, lang) if key in catalogue(lang) else self.detail


def _call(row: Row[tuple[object, ...]]) -> StaffCall:
    m = row._mapping
    return StaffCall(int(m["id"]), m["kiosk_id"], CallKind(m["kind"]), m["detail"], _as_utc(m["raised_at"]),  # type: ignore[arg-type]
                     _as_utc(m["answered_at"]), m["answered_by"])


class StaffCallLog:
    """Staff calls in a queue store (the kiosk's SQLite file, or the hall server's database)."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def raise_call(self, kiosk_id: str, kind: CallKind, detail: str = "") -> StaffCall:
        """Ask for staff; the kiosk's open call of ``kind``, if it has one, is returned instead of a second."""
        with self._engine.begin() as conn:
            found = conn.execute(select(staff_calls).where(
                staff_calls.c.kiosk_id == kiosk_id, staff_calls.c.kind == kind.value,
                staff_calls.c.answered_at.is_(None))
                .order_by(staff_calls.c.id).limit(1)).first()
            if found is not None:
                return _call(found)
            row = conn.execute(insert(staff_calls).values(
                kiosk_id=kiosk_id[:16], kind=kind.value, detail=detail[:32], raised_at=self._clock().astimezone(UTC),
                answered_by="").returning(*staff_calls.c)).one()
        return _call(row)

    def open_calls(self) -> list[StaffCall]:
        """Every call not answered yet, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(staff_calls).where(staff_calls.c.answered_at.is_(None)).order_by(staff_calls.c.id)).all()
        return [_call(r) for r in rows]

    def answer(self, call_id: int, by: str) -> StaffCall:
        """A member of staff (``by``) has seen to the call; ``StaffCallNotFound`` if there is no open call ``call_id``."""
        with self._engine.begin() as conn:
            row = conn.execute(update(staff_calls).where(
                staff_calls.c.id == call_id, staff_calls.c.answered_at.is_(None))
                .values(answered_at=self._clock().astimezone(UTC), answered_by=by[:32]).returning(*staff_calls.c)).first()
        if row is None:
            raise StaffCallNotFound(str(call_id))
        return _call(row)

    def answer_all(self, by: str) -> list[StaffCall]:
        """Answer every open call (staff at the kiosk itself); the calls answered."""
        return [self.answer(call.id, by) for call in self.open_calls()]
