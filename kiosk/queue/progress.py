"""Application progress (办件进度查询): records imported by staff from CSV or pushed by the platform.

A record is keyed by its receipt number; a newer ``updated_at`` replaces an older one, an older one sent
late is ignored (platform pushes may arrive out of order). Every update also records when its stage was
reached (the earliest report of a stage wins, late ones included), so a citizen sees the date of each step
受理 → 审查 → 决定 → 办结 → 可领取. Citizens look records up by receipt number (typed as printed, with or
without its dashes and spaces) or by ID card; the ID number is stored only as the queue's salted hash and masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol

from pydantic import ConfigDict, with_config
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from kiosk.errors import KioskError
from kiosk.identity import Identity, InvalidIdNumber, mask_name
from kiosk.queue.appointments import read_csv
from kiosk.queue.errors import InvalidRecord, ProgressNotFound
from kiosk.queue.limits import Moment, text
from kiosk.queue.schema import progress, progress_stages
from kiosk.queue.service import LocalQueueService, _as_utc
from kiosk.texts import tr


class Stage(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    READY = "ready"
    COMPLETED = "completed"

    def text(self, lang: str) -> str:
        """The stage's name (审查中, ...) in ``lang``."""
        return tr(f"progress.stage.{self.value}", lang)


class Step(StrEnum):
    """The steps a citizen is shown, in order: 受理 → 审查 → 决定 → 办结 → 可领取."""

    RECEIVED = "received"
    REVIEW = "review"
    DECISION = "decision"
    COMPLETED = "completed"
    READY = "ready"


STEPS = tuple(Step)
STEP_OF_STAGE: dict[Stage, Step] = {
    Stage.RECEIVED: Step.RECEIVED, Stage.IN_REVIEW: Step.REVIEW, Stage.APPROVED: Step.DECISION,
    Stage.REJECTED: Step.DECISION, Stage.COMPLETED: Step.COMPLETED, Stage.READY: Step.READY,
}


@dataclass(frozen=True)
class StepState:
    """One step of an application as shown: reached or not, when (if known), and which stage reached it
    (the decision step is reached by an approval or a refusal)."""

    step: Step
    reached: bool
    at: datetime | None
    stage: Stage | None
    current: bool


@dataclass(frozen=True)
class ProgressRecord:
    receipt_no: str
    matter_id: str
    matter_name_zh: str
    id_masked: str
    name_masked: str
    stage: Stage
    note_zh: str
    updated_at: datetime
    # When each stage was reached, oldest first; stages nobody reported (a record imported late) are missing.
    stage_dates: tuple[tuple[Stage, datetime], ...] = ()

    def steps(self) -> list[StepState]:
        """The five steps with their dates. The current stage and every step before it count as reached
        (a record may jump stages); a later step counts only if it was reported. After a refusal the
        steps after the decision are not reached unless reported."""
        dates: dict[Step, tuple[Stage, datetime]] = {}
        for stage, at in self.stage_dates:
            step = STEP_OF_STAGE[stage]
            if step not in dates or stage is self.stage:
                dates[step] = (stage, at)
        current = STEP_OF_STAGE[self.stage]
        if dates.get(current, (None,))[0] is not self.stage:  # a record from before stage dates were kept
            dates[current] = (self.stage, self.updated_at)
        upto = STEPS.index(current)
        reached = [i <= upto or step in dates for i, step in enumerate(STEPS)]
        last = max(i for i, r in enumerate(reached) if r)
        return [StepState(step, reached[i], dates[step][1] if step in dates else None,
                          dates[step][0] if step in dates else None, i == last)
                for i, step in enumerate(STEPS)]


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class ProgressUpdate:
    """One record as sent by staff or the platform; ``updated_at`` naive means the hall's local time. Also an
    item of the hall API's request body, with the limits of its fields."""

    receipt_no: Annotated[str, text(40, 1)]
    stage: Stage
    updated_at: Moment
    matter_id: Annotated[str, text(32)] = ""
    matter_name_zh: Annotated[str, text(200)] = ""
    id_number: Annotated[str, text(40)] = ""
    name: Annotated[str, text(32)] = ""
    note_zh: Annotated[str, text(400)] = ""


@dataclass(frozen=True)
class UpsertResult:
    stored: int
    ignored_older: int
    problems: tuple[str, ...] = ()


class ProgressLookup(Protocol):
    """What a kiosk needs: look an application up."""

    def by_receipt(self, receipt_no: str) -> ProgressRecord:
        """The record of a receipt number; raises ``ProgressNotFound``."""
        ...

    def by_identity(self, identity: Identity) -> list[ProgressRecord]:
        """Every record of the person, newest first (maybe none)."""
        ...


class ProgressService:
    def __init__(self, queue: LocalQueueService) -> None:
        self._queue = queue
        self._engine = queue.engine
        self._tz = queue.config.timezone

    def _records(self, conn: Any, rows: Sequence[Any]) -> list[ProgressRecord]:
        dates: dict[str, list[tuple[Stage, datetime]]] = {}
        if rows:
            for d in conn.execute(select(progress_stages).where(
                    progress_stages.c.receipt_no.in_([r.receipt_no for r in rows])).order_by(progress_stages.c.at)):
                dates.setdefault(d.receipt_no, []).append((Stage(d.stage), _as_utc(d.at)))  # type: ignore[arg-type]
        return [ProgressRecord(row.receipt_no, row.matter_id, row.matter_name_zh, row.id_masked, row.name_masked,
                               Stage(row.stage), row.note_zh, _as_utc(row.updated_at),  # type: ignore[arg-type]
                               tuple(dates.get(row.receipt_no, ()))) for row in rows]

    def upsert(self, items: Sequence[ProgressUpdate]) -> UpsertResult:
        """Store records in one transaction; a record older than the stored one is left out and counted."""
        now = self._queue.clock().astimezone(UTC)
        rows = []
        for item in items:
            receipt = item.receipt_no.strip()
            if not 1 <= len(receipt) <= 40:
                raise InvalidRecord("receipt_no must have 1-40 characters")
            updated = item.updated_at.replace(tzinfo=self._tz) if item.updated_at.tzinfo is None else item.updated_at
            identity = Identity.from_id_number(item.id_number) if item.id_number else None
            rows.append(dict(
                receipt_no=receipt, matter_id=item.matter_id, matter_name_zh=item.matter_name_zh[:200],
                identity_key=self._queue.identity_key(identity) if identity else None,
                id_masked=identity.masked_number if identity else "", name_masked=mask_name(item.name),
                stage=Stage(item.stage).value, note_zh=item.note_zh[:400], updated_at=updated.astimezone(UTC),
                received_at=now))
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        stored = 0
        with self._engine.begin() as conn:
            for row in rows:
                stmt = dialect.insert(progress).values(**row)
                changed = {k: getattr(stmt.excluded, k) for k in row if k != "receipt_no"}
                if not row["identity_key"]:
                    # A later update without the ID number keeps the one stored before.
                    changed.pop("identity_key")
                    changed.pop("id_masked")
                for kept in ("matter_id", "matter_name_zh", "name_masked"):
                    if not row[kept]:  # so does one without the matter or the name (a stage change only)
                        changed.pop(kept)
                # RETURNING, not rowcount: a row comes back only when it was inserted or updated.
                stored += len(conn.execute(stmt.on_conflict_do_update(
                    index_elements=[progress.c.receipt_no], set_=changed,
                    where=stmt.excluded.updated_at >= progress.c.updated_at).returning(progress.c.receipt_no)).all())
                # Recorded even for an update older than the stored record: it still tells when its stage came.
                stage = dialect.insert(progress_stages).values(receipt_no=row["receipt_no"], stage=row["stage"],
                                                               at=row["updated_at"])
                conn.execute(stage.on_conflict_do_update(
                    index_elements=[progress_stages.c.receipt_no, progress_stages.c.stage],
                    set_={"at": stage.excluded.at}, where=stage.excluded.at < progress_stages.c.at))
        return UpsertResult(stored, len(rows) - stored)

    def import_csv(self, text: str) -> UpsertResult:
        """Import ``receipt_no,stage,updated_at,matter_id,matter_name,id_number,name,note`` (header required;
        receipt_no, stage and updated_at must be filled). Valid lines are stored, invalid ones reported."""
        header, records = read_csv(text)
        if not {"receipt_no", "stage", "updated_at"} <= set(header):
            raise InvalidRecord("the header must name at least: receipt_no,stage,updated_at")
        good: list[ProgressUpdate] = []
        problems: list[str] = []
        for line, rec in enumerate(records, start=2):
            try:
                item = ProgressUpdate(
                    receipt_no=(rec.get("receipt_no") or "").strip(), stage=Stage((rec.get("stage") or "").strip()),
                    updated_at=datetime.fromisoformat((rec.get("updated_at") or "").strip()),
                    matter_id=(rec.get("matter_id") or "").strip(), matter_name_zh=(rec.get("matter_name") or "").strip(),
                    id_number=(rec.get("id_number") or "").strip(), name=(rec.get("name") or "").strip(),
                    note_zh=(rec.get("note") or "").strip())
                if item.id_number:
                    Identity.from_id_number(item.id_number)
                if not item.receipt_no:
                    raise InvalidRecord("receipt_no is empty")
                good.append(item)
            except InvalidIdNumber:
                problems.append(f"line {line}: invalid ID number")
            except KioskError as exc:
                problems.append(f"line {line}: {exc.code}: {exc.detail or exc.message('en')}")
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
        result = self.upsert(good)
        return UpsertResult(result.stored, result.ignored_older, tuple(problems))

    def by_receipt(self, receipt_no: str) -> ProgressRecord:
        """The record as typed; else the one whose number matches without dashes, spaces and case (a kiosk's
        keypad has no dash key, and citizens leave them out)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(progress).where(progress.c.receipt_no == receipt_no.strip())).first()
            loose = normalise_receipt(receipt_no)
            if row is None and loose:
                row = conn.execute(select(progress).where(
                    func.upper(func.replace(func.replace(progress.c.receipt_no, "-", ""), " ", "")) == loose)
                    .order_by(progress.c.updated_at.desc()).limit(1)).first()
            if row is None:
                raise ProgressNotFound(receipt_no)
            return self._records(conn, [row])[0]

    def by_identity(self, identity: Identity) -> list[ProgressRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(progress).where(progress.c.identity_key == self._queue.identity_key(identity))
                                .order_by(progress.c.updated_at.desc())).all()
            return self._records(conn, rows)


def normalise_receipt(receipt_no: str) -> str:
    """A receipt number as compared when not found as typed: no dashes or spaces, upper case."""
    return receipt_no.replace("-", "").replace(" ", "").strip().upper()


class ProgressUnavailable(KioskError):
    """A lookup that needs the network (the hall server or the platform) while it cannot be reached; tells
    the citizen the hall's phone number and that windows can look it up too."""

    code = "progress_unavailable"

    def __init__(self, phone: str) -> None:
        super().__init__(phone)
        self.phone = phone

    def values(self, lang: str) -> dict[str, object]:
        return {"phone": self.phone}

    def message(self, lang: str = "zh") -> str:
        return super().message(lang) if self.phone else tr(f"error.{self.code}.no_phone", lang)
