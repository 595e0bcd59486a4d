"""Every error of the hall server as a JSON body ``{code, message, message_en, detail}``.

``KioskError`` subclasses keep their codes and bilingual messages; the HTTP status follows from the kind
of fault. ``detail`` holds the arguments the error was built with (``{"next_open": ...}``), so that a client
builds the same typed error again from its code.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.config import ConfigError
from kiosk.errors import KioskError
from kiosk.hall.accounts import AccountExists, Forbidden, InvalidAccount, NotSignedIn, SignInFailed, WrongWindow
from kiosk.identity import InvalidIdNumber
from kiosk.queue.errors import (
    AppointmentNotFound,
    InvalidPhone,
    InvalidRecord,
    NoTicketToday,
    ProgressNotFound,
    RatingNotFound,
    StaffCallNotFound,
    TicketNotFound,
    UnknownGroup,
    UnknownWindow,
)
from kiosk.queue.wire import error_detail
from kiosk.texts import tr

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[KioskError], int]] = [
    (NotSignedIn, 401), (SignInFailed, 401), (Forbidden, 403), (WrongWindow, 403),
    (UnknownGroup, 404), (TicketNotFound, 404), (UnknownWindow, 404), (AppointmentNotFound, 404),
    (ProgressNotFound, 404), (RatingNotFound, 404), (NoTicketToday, 404), (StaffCallNotFound, 404),
    (InvalidIdNumber, 422), (InvalidRecord, 422), (InvalidPhone, 422), (ConfigError, 422), (InvalidAccount, 422),
    (AccountExists, 409),
]
# Everything else that is a KioskError is a refusal of a valid request in the current state: 409.


def status_for(exc: KioskError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 409


def error_json(code: str, zh: str, en: str, status: int, detail: Any = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": zh, "message_en": en, "detail": detail}, status_code=status,
                        headers=headers)


def _catalogued(code: str, status: int, detail: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error that is not a ``KioskError``, with its message ``error.<code>`` from the catalogues."""
    return error_json(code, tr(f"error.{code}", "zh"), tr(f"error.{code}", "en"), status, detail, headers)


def kiosk_error_response(exc: KioskError) -> JSONResponse:
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_json(exc.code, exc.message("zh"), exc.message("en"), status, error_detail(exc), headers)


# HTTP errors with a message of their own in errors.po (error.<code>); others say the framework's detail.
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KioskError)
    async def _kiosk(_request: Request, exc: KioskError) -> JSONResponse:
        return kiosk_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only locations and messages: the raw input may hold an ID number, and ctx objects are not JSON.
        problems = [{"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", ""))}
                    for err in exc.errors()]
        return _catalogued("invalid_request", 422, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code in _HTTP_CODES:
            return _catalogued(_HTTP_CODES[exc.status_code], exc.status_code, headers=headers)
        return error_json(f"http_{exc.status_code}", str(exc.detail), str(exc.detail), exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the hall server")
        return _catalogued("internal_error", 500)
