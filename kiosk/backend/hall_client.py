"""The hall server over HTTP, behind the same interfaces as the in-process service layer.

``HallClient`` implements ``QueueService`` and ``WindowService`` (and the appointment, progress, rating and
catalogue desks), so a kiosk or a window uses it exactly like ``LocalQueueService``. Every call is bounded by
a connect and a read timeout; a server that cannot be reached raises ``HallUnreachable``, and an error the
server sends comes back as the same typed ``KioskError`` the service layer raised there (code and messages).
Blocking: call it off the UI thread.

One ``requests.Session`` keeps a small pool of connections to the server. Only calls that are safe to repeat
are retried (with exponential backoff, and only while the retry can end within the call's time budget):
reads (GET) and the POSTs that carry an ``Idempotency-Key`` (ticket issue, hand-over of offline tickets),
for which the server answers a repeated key with the ticket it stored the first time. TLS is verified
against the system's CAs or a given CA file; a certificate that does not verify raises ``HallTlsFailed``.
"""

from __future__ import annotations

import logging
import ssl
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

import kiosk.hall.accounts  # noqa: F401  (registers the codes of the sign-in errors the server sends)
from kiosk.config import ConfigError, Problem, validate_services
from kiosk.errors import KioskError
from kiosk.identity import Identity
from kiosk.queue.appointments import Appointment, CheckIn
from kiosk.queue.catalog import CatalogVersion, content_sha256
from kiosk.queue.model import CallEvent, GroupStatus, Priority, Ticket, WindowState
from kiosk.queue.progress import ProgressRecord
from kiosk.queue.ratings import Rating
from kiosk.queue.staff_calls import CallKind, StaffCall
from kiosk.queue.wire import CatalogOut, error_from_detail, parse


class HallUnreachable(KioskError):
    """No answer from the hall server in time (down, network fault, timeout)."""

    code = "hall_unreachable"


class HallTlsFailed(HallUnreachable):
    """The hall server's certificate was not verified (wrong or missing CA file, wrong host name, expired):
    a configuration fault for staff. Still ``HallUnreachable``, so a kiosk keeps working offline."""

    code = "hall_tls_failed"


class HallError(KioskError):
    """An error the server sent whose code this client does not know: its own code and messages."""

    def __init__(self, code: str, zh: str, en: str, status: int) -> None:
        super().__init__(f"{status} {code}")
        self.code = code
        self.texts = {"zh": zh, "en": en}
        self.status = status

    def message(self, lang: str = "zh") -> str:
        return self.texts[lang]  # the server's own texts: this kiosk's catalogues do not know the code


log = logging.getLogger(__name__)
# Answers of a proxy or a server that is (re)starting or overloaded: worth another try when the call may repeat.
_RETRY_STATUSES = frozenset({502, 503, 504})


def error_from_response(response: requests.Response) -> KioskError:
    """The typed error a hall-server error response stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "code" not in body:
        return HallError(f"http_{response.status_code}", "大厅服务器返回了错误。", "The hall server answered with an error.",
                         response.status_code)
    code = str(body["code"])
    try:
        return error_from_detail(code, body.get("detail"))
    except (KeyError, TypeError, ValueError):
        # Not a class this client has (a newer server's, or invalid_request), or arguments that do not fit it.
        return HallError(code, str(body.get("message", "")), str(body.get("message_en", "")), response.status_code)


def _tls_reason(exc: BaseException) -> str:
    """The certificate check's own words (e.g. "unable to get local issuer certificate") from the wrapped error."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        err = todo.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, ssl.SSLCertVerificationError):
            return str(err.verify_message or err.reason)
        if isinstance(err, ssl.SSLError):
            return str(err.reason or err)
        todo += [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
    return str(exc)


class HallClient:
    """The hall server's API for one kiosk (device token) or one window clerk (``sign_in``).

    ``ca_file``: PEM bundle the server's certificate must chain to (default: the system's CAs). ``retries``
    more attempts for idempotent calls, after ``backoff`` seconds, then twice that, ...; ``budget`` (seconds,
    0: none) bounds one call with its retries. ``pool_size``: connections kept open (one per thread that
    calls at the same time)."""

    def __init__(self, base_url: str, token: str = "", *, connect_timeout: float = 3.0, read_timeout: float = 5.0,
                 ca_file: str = "", retries: int = 2, backoff: float = 0.25, budget: float = 0.0,
                 pool_size: int = 4) -> None:
        self._base = base_url.rstrip("/") + "/api/v1"
        self._token = token
        self._timeout = (connect_timeout, read_timeout)
        self._ca_file = ca_file
        # Passed with every request: a session-level ``verify`` loses to REQUESTS_CA_BUNDLE from the environment.
        self._verify: str | bool = ca_file or True
        self._retries, self._backoff, self._budget = retries, backoff, budget
        self._session = requests.Session()
        # No retries inside urllib3: this client decides which calls may be repeated.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def close(self) -> None:
        self._session.close()

    def _may_retry(self, attempt: int, started: float) -> bool:
        """Another attempt is allowed, and (with a budget) it can end in time after its backoff."""
        if attempt >= self._retries:
            return False
        worst_end = time.monotonic() - started + self._backoff * 2 ** attempt + sum(self._timeout)
        return self._budget <= 0 or worst_end <= self._budget

    def _tls_failed(self, exc: BaseException) -> HallTlsFailed:
        detail = (f"{self._base}: certificate not verified against "
                  f"{self._ca_file or 'the system CA certificates (backend.ca_file is empty)'}: {_tls_reason(exc)}")
        log.error("hall server TLS: %s", detail)
        return HallTlsFailed(detail)

    def _send(self, method: str, path: str, idempotency_key: str, **kwargs: Any) -> requests.Response:
        """One call with its retries: connection failures, timeouts and 502/503/504 are retried only for
        GET and keyed requests (the server answers a repeated key as the first time)."""
        retry = method == "GET" or bool(idempotency_key)
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                response = self._session.request(method, self._base + path, timeout=self._timeout,
                                                 verify=self._verify, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise self._tls_failed(exc) from exc  # a retry would fail the same way
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not (retry and self._may_retry(attempt, started)):
                    raise HallUnreachable(f"{type(exc).__name__} after {attempt + 1} attempt(s)") from exc
                log.info("hall server %s %s: %s, trying again", method, path, type(exc).__name__)
            except requests.RequestException:
                raise
            except OSError as exc:  # requests opens the CA file on every call: it went missing after start
                raise self._tls_failed(exc) from exc
            else:
                if response.status_code not in _RETRY_STATUSES:
                    return response
                if not (retry and self._may_retry(attempt, started)):
                    raise HallUnreachable(f"HTTP {response.status_code} after {attempt + 1} attempt(s)")
                log.info("hall server %s %s: HTTP %s, trying again", method, path, response.status_code)
            time.sleep(self._backoff * 2 ** attempt)
            attempt += 1

    def _request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                 data: bytes | None = None, content_type: str = "", idempotency_key: str = "") -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        if content_type:
            headers["Content-Type"] = content_type
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = self._send(method, path, idempotency_key, json=json, params=params, data=data, headers=headers)
        if response.status_code >= 400:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise HallError("bad_response", "大厅服务器的回答无法识别。", "The hall server's answer was not understood.",
                            response.status_code) from exc

    # -- sign-in (window clerks, managers) -------------------------------------------------------

    def sign_in(self, username: str, password: str, window: str | None = None) -> str:
        """Sign in and use the session from now on; returns the role."""
        body: dict[str, Any] = {"username": username, "password": password}
        if window:
            body["window"] = window
        data = self._request("POST", "/auth/login", json=body)
        self._token = data["token"]
        return str(data["role"])

    # -- QueueService ----------------------------------------------------------------------------

    def issue(self, group_id: str, identity: Identity | None = None, priority: Priority = Priority.NONE) -> Ticket:
        body: dict[str, Any] = {"group_id": group_id, "priority": priority.value}
        if identity is not None:
            body["id_number"] = identity.id_number  # the server keeps only its hash and masked form
        # One key for this ticket, sent with every retry: the server never issues a second ticket for it.
        return parse(Ticket, self._request("POST", "/tickets", json=body, idempotency_key=uuid.uuid4().hex))

    def import_ticket(self, payload: dict[str, Any]) -> Ticket:
        """Hand over a ticket issued offline (``TicketImportIn`` fields); idempotent by ``payload["key"]``."""
        return parse(Ticket, self._request("POST", "/tickets/import", json=payload, idempotency_key=str(payload["key"])))

    def status(self, group_id: str) -> GroupStatus:
        return parse(GroupStatus, self._request("GET", f"/groups/{group_id}"))

    def statuses(self) -> list[GroupStatus]:
        return [parse(GroupStatus, s) for s in self._request("GET", "/groups")]

    def ticket(self, number: str, day: date | None = None) -> Ticket:
        params = {"day": day.isoformat()} if day else None
        return parse(Ticket, self._request("GET", f"/tickets/{number}", params=params))

    def rejoin(self, number: str) -> Ticket:
        return parse(Ticket, self._request("POST", f"/tickets/{number}/rejoin"))

    # -- WindowService ---------------------------------------------------------------------------

    def windows(self) -> list[WindowState]:
        return [parse(WindowState, w) for w in self._request("GET", "/windows")]

    def window(self, window: str) -> WindowState:
        return parse(WindowState, self._request("GET", f"/windows/{window}"))

    def set_window_groups(self, window: str, group_ids: Sequence[str], by: str = "") -> WindowState:
        return parse(WindowState, self._request("PUT", f"/windows/{window}/groups", json={"groups": list(group_ids)}))

    def call_window(self, window: str) -> Ticket | None:
        called = self._request("POST", f"/windows/{window}/call")["ticket"]
        return parse(Ticket, called) if called else None

    def _window_action(self, window: str, action: str, body: Any = None) -> Ticket:
        return parse(Ticket, self._request("POST", f"/windows/{window}/{action}", json=body))

    def recall(self, window: str) -> Ticket:
        return self._window_action(window, "recall")

    def no_show(self, window: str) -> Ticket:
        return self._window_action(window, "no-show")

    def serve(self, window: str) -> Ticket:
        return self._window_action(window, "serve")

    def transfer(self, window: str, group_id: str) -> Ticket:
        return self._window_action(window, "transfer", {"group_id": group_id})

    def events_since(self, after_id: int, limit: int = 100) -> list[CallEvent]:
        return [parse(CallEvent, e) for e in self._request("GET", "/events", params={"after": after_id, "limit": limit})]

    def recent_calls(self, limit: int) -> list[CallEvent]:
        return [parse(CallEvent, e) for e in self._request("GET", "/calls/recent", params={"limit": limit})]

    # -- appointments, progress, ratings, catalogue ----------------------------------------------

    def check_in(self, code: str = "", identity: Identity | None = None) -> CheckIn:
        body = {"code": code, "id_number": identity.id_number if identity else ""}
        return parse(CheckIn, self._request("POST", "/appointments/check-in", json=body))

    def by_receipt(self, receipt_no: str) -> ProgressRecord:
        return parse(ProgressRecord, self._request("GET", f"/progress/{receipt_no}"))

    def by_identity(self, identity: Identity) -> list[ProgressRecord]:
        data = self._request("POST", "/progress/lookup", json={"id_number": identity.id_number})
        return [parse(ProgressRecord, p) for p in data]

    def submit(self, level: int, number: str = "", comment: str = "", window: str = "", kiosk_id: str = "",
               reasons: Iterable[str] = (), phone: str = "") -> Rating:
        """``kiosk_id`` is the server's name for this kiosk's token; the argument only keeps the interface."""
        body = {"level": level, "number": number, "comment": comment, "window": window, "reasons": list(reasons),
                "phone": phone}
        return parse(Rating, self._request("POST", "/ratings", json=body))

    def raise_staff_call(self, kind: CallKind, detail: str = "") -> StaffCall:
        """Ask the hall's staff to come to this kiosk (the server knows it by its token)."""
        return parse(StaffCall, self._request("POST", "/staff-calls", json={"kind": kind.value, "detail": detail}))

    def catalog(self, known_version: int = 0) -> CatalogVersion | None:
        out = parse(CatalogOut, self._request("GET", "/catalog", params={"known_version": known_version}))
        if not out.changed or out.services is None or out.published_at is None:
            return None
        # Checked as sent (before any model may reorder or fill in fields), then validated as services.toml is.
        where = f"hall server catalogue v{out.version}"
        if content_sha256(out.services) != out.sha256:
            raise ConfigError([Problem(where, "sha256", "the content does not match its checksum (damaged in transit)")])
        return CatalogVersion(out.version, out.sha256, out.published_at, "", validate_services(out.services, where))

    def rateable_ticket(self, number: str = "", identity: Identity | None = None) -> Ticket:
        body = {"number": number, "id_number": identity.id_number if identity else ""}
        return parse(Ticket, self._request("POST", "/ratings/ticket", json=body))

    def serving(self) -> list[Ticket]:
        return [parse(Ticket, t) for t in self._request("GET", "/serving")]

    # -- a hall kiosk's outbox ---------------------------------------------------------

    def health(self) -> None:
        """Returns when the hall server answers; ``HallUnreachable`` otherwise."""
        self._request("GET", "/health")

    def import_rating(self, payload: dict[str, Any]) -> Rating:
        """Store a rating (``RatingIn`` fields with ``key`` and ``at``); idempotent by ``payload["key"]``."""
        return parse(Rating, self._request("POST", "/ratings", json=payload, idempotency_key=str(payload["key"])))

    def import_check_in(self, payload: dict[str, Any]) -> CheckIn:
        """Hand over a check-in made offline (``CheckInImportIn`` fields); idempotent by ``payload["key"]``."""
        return parse(CheckIn, self._request("POST", "/appointments/check-in/import", json=payload,
                                            idempotency_key=str(payload["key"])))

    def appointments_on(self, day: date) -> list[Appointment]:
        """A day's appointments (a kiosk keeps today's for checking in by code while the hall is down)."""
        return [parse(Appointment, a) for a in self._request("GET", "/appointments", params={"day": day.isoformat()})]


if TYPE_CHECKING:  # mypy checks that the client keeps the service layer's interfaces
    from kiosk.queue.appointments import AppointmentDesk
    from kiosk.queue.catalog import CatalogSource
    from kiosk.queue.progress import ProgressLookup
    from kiosk.queue.ratings import RatingDesk
    from kiosk.queue.service import QueueService, WindowService

    _client = HallClient("")
    _as_queue: QueueService = _client
    _as_windows: WindowService = _client
    _as_appointments: AppointmentDesk = _client
    _as_progress: ProgressLookup = _client
    _as_ratings: RatingDesk = _client
    _as_catalog: CatalogSource = _client
