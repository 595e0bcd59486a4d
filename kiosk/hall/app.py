"""The hall server: one queue for many kiosks and windows, over the same service layer a kiosk runs alone.

``create_app`` builds the FastAPI application (OpenAPI at ``/openapi.json``, docs at ``/docs``) around a
``ServiceSuite``. Kiosks and the platform call the JSON API with a device token; clerks and managers sign
in (a session token, also set as a cookie for the pages). Handlers are plain ``def``: FastAPI runs them
in its thread pool, where the blocking database calls belong.

No ``from __future__ import annotations`` here: FastAPI reads the handlers' annotations, and the role
dependencies they name are local to ``api_router``.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from kiosk.clock import Clock, utc_now
from kiosk.config import KioskConfig
from kiosk.hall.accounts import AccountStore, Forbidden, Principal, Role, WrongWindow
from kiosk.hall.errors import install_error_handlers
from kiosk.identity import Identity
from kiosk.queue.appointments import Appointment, CheckIn, ImportResult, NewAppointment
from kiosk.queue.errors import InvalidRecord
from kiosk.queue.figures import HallFigures, figures_csv
from kiosk.queue.limits import NUMBER, SLUG, WINDOW, Day
from kiosk.queue.model import GroupStatus, Ticket, WindowState
from kiosk.queue.progress import UpsertResult
from kiosk.queue.suite import ServiceSuite
from kiosk.queue.wire import (
    CallOut,
    CatalogOut,
    CheckInImportIn,
    CheckInIn,
    DeviceIn,
    DeviceOut,
    ErrorOut,
    EventOut,
    FollowUpIn,
    IssueIn,
    LoginIn,
    LoginOut,
    ProgressLookupIn,
    ProgressOut,
    ProgressPushIn,
    RatingIn,
    RatingOut,
    RatingTicketIn,
    StaffCallIn,
    StaffCallOut,
    TicketImportIn,
    TransferIn,
    UserIn,
    WindowGroupsIn,
    WindowOut,
    adapter,
    extend,
)

COOKIE = "hall_session"
API = "/api/v1"
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}
_CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}
_MAX_CSV = 2_000_000


@dataclass
class HallContext:
    """What the server runs on: configuration, service layer, accounts and the stream's poll interval."""

    config: KioskConfig
    suite: ServiceSuite
    accounts: AccountStore
    poll_seconds: float = 0.25
    stream_seconds: float = 600.0  # a board's stream ends after this; EventSource reconnects by itself


_bearer = HTTPBearer(auto_error=False, description="A device token (kiosk, platform) or a sign-in token")


def _principal_dependency(ctx: HallContext) -> Callable[..., Principal]:
    def principal(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None) -> Principal:
        token = credentials.credentials if credentials else request.cookies.get(COOKIE, "")
        return ctx.accounts.authenticate(token)
    return principal


def create_app(ctx: HallContext) -> FastAPI:
    app = FastAPI(
        title="Hall server",
        version="1",
        description="Shared queue, windows, appointments, progress, ratings and catalogue of a service hall. "
                    "Every error is a JSON body with `code`, `message` (Chinese) and `message_en`.",
        openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(api_router(ctx))
    from kiosk.hall.pages import pages_router  # pages import the API's helpers, not the other way round

    app.include_router(pages_router(ctx))
    return app


def api_router(ctx: HallContext) -> APIRouter:
    suite = ctx.suite
    queue = suite.queue
    principal = _principal_dependency(ctx)

    def allow(*roles: Role) -> Any:
        def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
            if who.role not in roles:
                raise Forbidden(who.role.value)
            return who
        return Depends(check)

    anyone = allow(*Role)
    staff = allow(Role.CLERK, Role.MANAGER)
    manager = allow(Role.MANAGER)

    def at_window(who: Principal, window: str) -> None:
        # A clerk acts only at the window they signed in at; a manager may act at any.
        if who.role is Role.CLERK and who.window != window:
            raise WrongWindow(window)

    r = APIRouter(prefix=API, responses=_ERRORS)
    WindowPath = Annotated[str, Path(pattern=WINDOW)]

    # -- accounts --------------------------------------------------------------------------------

    @r.post("/auth/login", response_model=LoginOut, tags=["accounts"])
    def login(body: LoginIn, response: Response) -> LoginOut:
        signed = ctx.accounts.sign_in(body.username, body.password, body.window)
        if signed.principal.role is Role.CLERK and not body.window:
            ctx.accounts.sign_out(signed.principal)
            raise WrongWindow("")
        if body.window:
            queue.window(body.window)  # UnknownWindow for a typo, before the clerk starts calling
        response.set_cookie(COOKIE, signed.token, httponly=True, samesite="strict", path="/",
                            max_age=int((signed.expires_at - ctx.suite.queue.clock()).total_seconds()))
        return LoginOut(token=signed.token, username=signed.principal.name, role=signed.principal.role.value,
                        window=signed.principal.window, expires_at=signed.expires_at)

    @r.post("/auth/logout", status_code=204, tags=["accounts"])
    def logout(who: Annotated[Principal, anyone]) -> Response:
        if not who.device:
            ctx.accounts.sign_out(who)
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/")
        return response

    @r.get("/auth/me", tags=["accounts"])
    def me(who: Annotated[Principal, anyone]) -> dict[str, Any]:
        return {"name": who.name, "role": who.role.value, "window": who.window, "device": who.device}

    @r.post("/devices", response_model=DeviceOut, status_code=201, tags=["accounts"])
    def add_device(body: DeviceIn, _who: Annotated[Principal, manager]) -> DeviceOut:
        token = ctx.accounts.add_device(body.device_id, Role(body.role))
        return DeviceOut(device_id=body.device_id, role=body.role, token=token)

    @r.post("/users", status_code=201, tags=["accounts"])
    def add_user(body: UserIn, _who: Annotated[Principal, manager]) -> dict[str, str]:
        ctx.accounts.add_user(body.username, Role(body.role), body.password, body.display_name)
        return {"username": body.username, "role": body.role}

    # -- queue -----------------------------------------------------------------------------------

    @r.get("/groups", response_model=list[GroupStatus], tags=["queue"])
    def groups(_who: Annotated[Principal, anyone]) -> list[GroupStatus]:
        return queue.statuses()

    @r.get("/groups/{group_id}", response_model=GroupStatus, tags=["queue"])
    def group(group_id: Annotated[str, Path(pattern=SLUG)], _who: Annotated[Principal, anyone]) -> GroupStatus:
        return queue.status(group_id)

    @r.post("/tickets", response_model=Ticket, status_code=201, tags=["queue"])
    def issue(body: IssueIn, who: Annotated[Principal, allow(Role.KIOSK, Role.MANAGER)],
              idempotency_key: Annotated[str | None, Header(min_length=8, max_length=64,
                                                            pattern=r"^[A-Za-z0-9_-]+$")] = None) -> Ticket:
        """Issue a number. With an ``Idempotency-Key`` header, the same key again (a retry after a lost answer)
        returns the ticket issued for it the first time, never a second one."""
        identity = Identity.from_id_number(body.id_number, source="hall") if body.id_number else None
        return queue.issue(body.group_id, identity, body.priority, kiosk_id=who.name[:16] if who.device else "",
                           request_key=idempotency_key or "")

    @r.post("/tickets/import", response_model=Ticket, tags=["queue"])
    def import_ticket(body: TicketImportIn, who: Annotated[Principal, allow(Role.KIOSK)]) -> Ticket:
        """A kiosk hands over a ticket it issued offline; the same key again returns the same ticket."""
        return queue.import_ticket(
            body.key, who.name[:16], number=body.number, group_id=body.group_id, series=body.series, seq=body.seq,
            priority=body.priority, issued_at=body.issued_at, id_masked=body.id_masked)

    @r.get("/tickets/{number}", response_model=Ticket, tags=["queue"])
    def ticket(number: Annotated[str, Path(pattern=NUMBER)], _who: Annotated[Principal, anyone],
               day: Day | None = None) -> Ticket:
        return queue.ticket(number, day)

    @r.post("/tickets/{number}/rejoin", response_model=Ticket, tags=["queue"])
    def rejoin(number: Annotated[str, Path(pattern=NUMBER)],
               _who: Annotated[Principal, allow(Role.KIOSK, Role.CLERK, Role.MANAGER)]) -> Ticket:
        """Today's missed number waits again, by the hall's rule (``[calling] rejoin``)."""
        return queue.rejoin(number)

    @r.get("/serving", response_model=list[Ticket], tags=["queue"])
    def serving(_who: Annotated[Principal, anyone]) -> list[Ticket]:
        """Tickets at a window now (called, not finished), one per window, latest call first."""
        return queue.serving()

    # -- windows ---------------------------------------------------------------------------------

    def window_out(state: WindowState) -> WindowOut:
        return extend(WindowOut, state, recalls=queue.recalls(state.current.number) if state.current else 0)

    @r.get("/windows", response_model=list[WindowOut], tags=["windows"])
    def windows(_who: Annotated[Principal, staff]) -> list[WindowOut]:
        return [window_out(w) for w in queue.windows()]

    @r.get("/windows/{window}", response_model=WindowOut, tags=["windows"])
    def window(window: WindowPath, _who: Annotated[Principal, staff]) -> WindowOut:
        return window_out(queue.window(window))

    @r.put("/windows/{window}/groups", response_model=WindowOut, tags=["windows"])
    def set_groups(window: WindowPath, body: WindowGroupsIn, who: Annotated[Principal, manager]) -> WindowOut:
        return window_out(queue.set_window_groups(window, body.groups, by=who.name))

    @r.post("/windows/{window}/call", response_model=CallOut, tags=["windows"])
    def call(window: WindowPath, who: Annotated[Principal, staff]) -> CallOut:
        at_window(who, window)
        return CallOut(ticket=queue.call_window(window))

    @r.post("/windows/{window}/recall", response_model=Ticket, tags=["windows"])
    def recall(window: WindowPath, who: Annotated[Principal, staff]) -> Ticket:
        at_window(who, window)
        return queue.recall(window)

    @r.post("/windows/{window}/no-show", response_model=Ticket, tags=["windows"])
    def no_show(window: WindowPath, who: Annotated[Principal, staff]) -> Ticket:
        at_window(who, window)
        return queue.no_show(window)

    @r.post("/windows/{window}/serve", response_model=Ticket, tags=["windows"])
    def serve(window: WindowPath, who: Annotated[Principal, staff]) -> Ticket:
        at_window(who, window)
        return queue.serve(window)

    @r.post("/windows/{window}/transfer", response_model=Ticket, tags=["windows"])
    def transfer(window: WindowPath, body: TransferIn, who: Annotated[Principal, staff]) -> Ticket:
        at_window(who, window)
        return queue.transfer(window, body.group_id)

    # -- board -----------------------------------------------------------------------------------

    @r.get("/calls/recent", response_model=list[EventOut], tags=["board"])
    def recent_calls(limit: Annotated[int, Query(ge=1, le=50)] = 8) -> list[EventOut]:
        return [EventOut.of(e) for e in queue.recent_calls(limit)]

    @r.get("/events", response_model=list[EventOut], tags=["board"])
    def events_after(after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[EventOut]:
        return [EventOut.of(e) for e in queue.events_since(after, limit)]

    @r.get("/events/stream", tags=["board"], response_class=StreamingResponse,
           responses={200: {"content": {"text/event-stream": {}}}})
    async def stream(request: Request, after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None) -> StreamingResponse:
        """Server-sent events: ``call``/``recall``/``served``/``no_show``/``transfer`` as they happen (data: an
        ``EventOut``), and ``status`` (waiting counts) after each batch and every few seconds."""
        resume = request.headers.get("last-event-id", "")
        start = int(resume) if resume.isdigit() else after
        return StreamingResponse(_event_stream(ctx, request, start), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- appointments ----------------------------------------------------------------------------

    @r.post("/appointments", response_model=Appointment, status_code=201, tags=["appointments"])
    def create_appointment(body: NewAppointment,
                           who: Annotated[Principal, allow(Role.MANAGER, Role.PLATFORM)]) -> Appointment:
        return suite.appointments.create(body, source=who.role.value)

    @r.get("/appointments", response_model=list[Appointment], tags=["appointments"])
    def list_appointments(_who: Annotated[Principal, allow(Role.MANAGER, Role.KIOSK)],
                          day: Day | None = None) -> list[Appointment]:
        """A day's appointments; kiosks keep a copy of today's to check in by code while the hall is down."""
        return suite.appointments.on_day(day or queue.business_day())

    @r.post("/appointments/import", response_model=ImportResult, tags=["appointments"], openapi_extra=_CSV_BODY)
    async def import_appointments(request: Request, _who: Annotated[Principal, manager]) -> ImportResult:
        text = await _csv_text(request)
        return await run_in_threadpool(suite.appointments.import_csv, text)

    @r.post("/appointments/check-in", response_model=CheckIn, tags=["appointments"])
    def check_in(body: CheckInIn, _who: Annotated[Principal, allow(Role.KIOSK, Role.MANAGER)]) -> CheckIn:
        identity = Identity.from_id_number(body.id_number, source="hall") if body.id_number else None
        return suite.appointments.check_in(body.code, identity)

    @r.post("/appointments/check-in/import", response_model=CheckIn, tags=["appointments"])
    def import_check_in(body: CheckInImportIn, who: Annotated[Principal, allow(Role.KIOSK)]) -> CheckIn:
        """A kiosk hands over a check-in it made offline, after the ticket it issued for it: the appointment is
        linked to that ticket. The same key again returns the same check-in; a refusal (unknown code, checked
        in already, outside the check-in window at the time) leaves the ticket an ordinary one."""
        return suite.appointments.import_check_in(body.key, who.name[:16], code=body.code, number=body.number,
                                                  checked_in_at=body.checked_in_at)

    @r.post("/appointments/{code}/cancel", response_model=Appointment, tags=["appointments"])
    def cancel_appointment(code: Annotated[str, Path(max_length=32, pattern=r"^[^\x00/]+$")],
                           _who: Annotated[Principal, allow(Role.MANAGER, Role.PLATFORM)]) -> Appointment:
        return suite.appointments.cancel(code)

    # -- progress --------------------------------------------------------------------------------

    @r.put("/progress", response_model=UpsertResult, tags=["progress"])
    def push_progress(body: ProgressPushIn,
                      _who: Annotated[Principal, allow(Role.PLATFORM, Role.MANAGER)]) -> UpsertResult:
        return suite.progress.upsert(body.records)

    @r.post("/progress/import", response_model=UpsertResult, tags=["progress"], openapi_extra=_CSV_BODY)
    async def import_progress(request: Request, _who: Annotated[Principal, manager]) -> UpsertResult:
        text = await _csv_text(request)
        return await run_in_threadpool(suite.progress.import_csv, text)

    @r.get("/progress/{receipt_no}", response_model=ProgressOut, tags=["progress"])
    def progress(receipt_no: Annotated[str, Path(max_length=40, pattern=r"^[^\x00/]+$")],
                 _who: Annotated[Principal, anyone]) -> ProgressOut:
        return ProgressOut.of(suite.progress.by_receipt(receipt_no))

    @r.post("/progress/lookup", response_model=list[ProgressOut], tags=["progress"])
    def progress_lookup(body: ProgressLookupIn,
                        _who: Annotated[Principal, allow(Role.KIOSK, Role.MANAGER)]) -> list[ProgressOut]:
        identity = Identity.from_id_number(body.id_number, source="hall")
        return [ProgressOut.of(p) for p in suite.progress.by_identity(identity)]

    # -- ratings ---------------------------------------------------------------------------------

    @r.post("/ratings", response_model=RatingOut, status_code=201, tags=["ratings"])
    def rate(body: RatingIn, who: Annotated[Principal, allow(Role.KIOSK, Role.MANAGER)]) -> RatingOut:
        """Store a rating. A kiosk's outbox sends ``key`` (the same key again returns the rating stored the first
        time) and ``at``, when the citizen rated."""
        return RatingOut.of(suite.ratings.submit(body.level, body.number, body.comment, body.window,
                                               kiosk_id=who.name if who.device else "", reasons=body.reasons,
                                               phone=body.phone, key=body.key, at=body.at))

    @r.post("/ratings/ticket", response_model=Ticket, tags=["ratings"])
    def rateable_ticket(body: RatingTicketIn, _who: Annotated[Principal, allow(Role.KIOSK, Role.MANAGER)]) -> Ticket:
        """Today's ticket about to be rated, by number or by ID card (the person's most recent); 409
        ``already_rated`` when it has been rated."""
        identity = Identity.from_id_number(body.id_number, source="hall") if body.id_number else None
        return suite.ratings.rateable_ticket(body.number, identity)

    @r.get("/ratings/bad", response_model=list[RatingOut], tags=["ratings"])
    def bad_ratings(_who: Annotated[Principal, manager], include_done: bool = False) -> list[RatingOut]:
        return [RatingOut.of(x) for x in suite.ratings.bad(open_only=not include_done)]

    @r.post("/ratings/{rating_id}/follow-up", response_model=RatingOut, tags=["ratings"])
    def follow_up(rating_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: FollowUpIn,
                  who: Annotated[Principal, manager]) -> RatingOut:
        return RatingOut.of(suite.ratings.follow_up(rating_id, body.note, who.name))

    # -- staff calls -----------------------------------------------------------------------------

    @r.post("/staff-calls", response_model=StaffCallOut, status_code=201, tags=["staff calls"])
    def raise_staff_call(body: StaffCallIn, who: Annotated[Principal, allow(Role.KIOSK)]) -> StaffCallOut:
        """A kiosk asks for staff (a citizen's help call, a ticket that did not print); while its call of the kind
        is open, that call is returned."""
        return StaffCallOut.of(suite.staff_calls.raise_call(who.name, body.kind, body.detail))

    @r.get("/staff-calls", response_model=list[StaffCallOut], tags=["staff calls"])
    def staff_calls(_who: Annotated[Principal, staff]) -> list[StaffCallOut]:
        """The calls no one has answered yet, oldest first."""
        return [StaffCallOut.of(c) for c in suite.staff_calls.open_calls()]

    @r.post("/staff-calls/{call_id}/answer", response_model=StaffCallOut, tags=["staff calls"])
    def answer_staff_call(call_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                          who: Annotated[Principal, staff]) -> StaffCallOut:
        return StaffCallOut.of(suite.staff_calls.answer(call_id, who.name))

    # -- catalogue and figures -------------------------------------------------------------------

    @r.get("/catalog", response_model=CatalogOut, tags=["catalogue"])
    def catalog(_who: Annotated[Principal, anyone],
                known_version: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> CatalogOut:
        return CatalogOut.of(suite.catalog.catalog(known_version), known_version)

    @r.put("/catalog", response_model=CatalogOut, tags=["catalogue"])
    def update_catalog(body: Annotated[dict[str, Any], Body()], who: Annotated[Principal, manager]) -> CatalogOut:
        return CatalogOut.of(suite.catalog.update(body, by=who.name), 0)

    @r.get("/figures", response_model=HallFigures, tags=["figures"])
    def figures(_who: Annotated[Principal, manager], day: Day | None = None) -> HallFigures:
        return suite.figures(day)

    @r.get("/figures.csv", tags=["figures"], response_class=Response,
           responses={200: {"content": {"text/csv": {}}}})
    def figures_export(_who: Annotated[Principal, manager], day: Day | None = None) -> Response:
        figs = suite.figures(day)
        return Response(figures_csv(figs), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="hall-figures-{figs.day}.csv"'})

    @r.get("/health", tags=["board"])
    def health() -> dict[str, Any]:
        return {"ok": True, "database": queue.engine.dialect.name, "day": queue.business_day().isoformat()}

    return r


async def _csv_text(request: Request) -> str:
    raw = await request.body()
    if len(raw) > _MAX_CSV:
        raise InvalidRecord("the file is larger than 2 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRecord("the file is not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidRecord("the file holds NUL characters")
    return text


def status_payload(ctx: HallContext) -> dict[str, Any]:
    """Waiting counts and numbers being served per group, for the board."""
    return {"groups": [{"group_id": s.group_id, "name_zh": s.name_zh, "name_en": s.name_en, "waiting": s.waiting,
                        "serving": list(s.serving)} for s in ctx.suite.queue.statuses()]}


async def _event_stream(ctx: HallContext, request: Request, after: int | None) -> AsyncIterator[str]:
    """Poll the events table (shared by every server process) and forward what is new."""
    queue = ctx.suite.queue
    loop = asyncio.get_running_loop()
    last = after if after is not None else await run_in_threadpool(queue.last_event_id)
    yield "retry: 1000\n\n"
    yield f"event: status\ndata: {json.dumps(await run_in_threadpool(status_payload, ctx), ensure_ascii=False)}\n\n"
    deadline = loop.time() + ctx.stream_seconds
    quiet_rounds = 0
    while loop.time() < deadline:
        if await request.is_disconnected():
            return
        batch = await run_in_threadpool(queue.events_since, last)
        for event in batch:
            last = event.id
            data = adapter(EventOut).dump_json(EventOut.of(event)).decode()
            yield f"id: {event.id}\nevent: {event.kind.value}\ndata: {data}\n\n"
        quiet_rounds = 0 if batch else quiet_rounds + 1
        if batch or quiet_rounds % max(1, int(5 / ctx.poll_seconds)) == 0:
            # After calls, and every ~5 s for numbers issued by kiosks (issuing writes no event).
            payload = await run_in_threadpool(status_payload, ctx)
            yield f"event: status\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        await asyncio.sleep(ctx.poll_seconds)


def build_context(config: KioskConfig, database_url: str = "", clock: Clock = utc_now,
                  pool_size: int = 10) -> HallContext:
    """The hall server's context from a configuration: its database (``database_url`` or the configured one,
    else ``hall.sqlite3`` in the state folder), the catalogue published, accounts ready."""
    from kiosk.queue.store import sqlite_url
    from kiosk.queue.suite import open_suite
    from kiosk.state import StateDir

    url = database_url or config.kiosk.hall_server.database_url
    if not url:
        url = sqlite_url(StateDir.for_config(config).root / "hall.sqlite3")
    suite = open_suite(config, url, clock=clock, kiosk_id="hall", pool_size=pool_size)
    suite.catalog.publish(config.services, by="services.toml")
    accounts = AccountStore(suite.engine, clock, config.kiosk.hall_server.session_hours)
    return HallContext(config, suite, accounts, config.kiosk.hall_server.event_poll_seconds)
