"""The hall server over real HTTP (uvicorn on 127.0.0.1, SQLite): the HTTP client behind the same interfaces
as the in-process queue, roles, JSON errors, the window flow, lookups, the event stream and the pages."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import date, datetime

import pytest
import requests

from kiosk.backend.hall_client import HallClient, HallUnreachable
from kiosk.hall.accounts import Forbidden, NotSignedIn, Role, SignInFailed, WrongWindow
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.identity import Identity, InvalidIdNumber
from kiosk.queue import (
    IdentityRequired,
    NoShowTooEarly,
    Priority,
    QueueClosed,
    TicketLimitReached,
    TicketStatus,
    UnknownGroup,
    UnknownWindow,
)
from kiosk.queue.errors import AlreadyCheckedIn, CheckInTooEarly, ProgressNotFound
from kiosk.queue.service import QueueService

from .conftest import PASSWORD

TODAY = date(2026, 11, 24)
YOUNG_ID = "110105199003071239"
ELDER_ID = "11010519491231002X"
MakeClient = Callable[..., HallClient]


def person(number: str) -> Identity:
    return Identity.from_id_number(number, source="test", today=TODAY)


def api(server: ThreadedServer, method: str, path: str, token: str = "", headers: dict | None = None,
        **kwargs) -> requests.Response:
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    return requests.request(method, server.base_url + "/api/v1" + path, headers=headers, timeout=10, **kwargs)


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["message_en"]
    return body


def take_numbers(queue: QueueService, group: str, count: int) -> list[str]:
    """Works with any QueueService: the in-process one or the HTTP client."""
    return [queue.issue(group).number for _ in range(count)]


# -- the kiosk's queue over HTTP -----------------------------------------------------------------------

def test_http_client_is_a_queue_service(hall: HallContext, kiosk_token: str, client_for: MakeClient, clock) -> None:
    kiosk = client_for(kiosk_token)
    local = hall.suite.queue
    assert take_numbers(kiosk, "general", 2) == ["A001", "A002"]
    assert take_numbers(local, "general", 1) == ["A003"]  # the same queue, in-process
    elder = kiosk.issue("general", person(ELDER_ID))
    assert (elder.number, elder.priority, elder.id_masked, elder.kiosk_id) == ("V001", Priority.ELDERLY,
                                                                                "1101**********002X", "K01")
    assert kiosk.ticket("a002") == local.ticket("A002")
    assert kiosk.ticket("A001", day=TODAY).people_ahead == 1
    assert kiosk.status("general") == local.status("general")
    assert kiosk.statuses() == local.statuses()

    with pytest.raises(UnknownGroup) as unknown:
        kiosk.issue("nosuchgroup")
    assert unknown.value.message("zh") == UnknownGroup().message("zh")
    with pytest.raises(IdentityRequired):
        kiosk.issue("realestate")
    kiosk.issue("realestate", person(YOUNG_ID))
    with pytest.raises(TicketLimitReached) as limit:
        kiosk.issue("realestate", person(YOUNG_ID))
    assert limit.value.existing == "B001" and "B001" in limit.value.message("zh")
    clock.set(datetime(2026, 11, 24, 12, 30))
    with pytest.raises(QueueClosed) as closed:
        kiosk.issue("general")
    assert closed.value.next_open is not None and closed.value.next_open.hour == 13
    assert "13:30" in closed.value.message("zh") and "13:30" in closed.value.message("en")


def test_invalid_id_number_is_refused_without_echoing_it(server: ThreadedServer, kiosk_token: str,
                                                         client_for: MakeClient) -> None:
    bad = "110105199003071230"
    r = api(server, "POST", "/tickets", kiosk_token, json={"group_id": "general", "id_number": bad})
    assert_error(r, 422, "invalid_id_number")
    assert bad not in r.text
    with pytest.raises(InvalidIdNumber):
        client_for(kiosk_token).check_in(identity=Identity(bad))


# -- roles -----------------------------------------------------------------------------------------

def test_roles(server: ThreadedServer, hall: HallContext, kiosk_token: str, manager_token: str,
               client_for: MakeClient) -> None:
    assert_error(api(server, "GET", "/groups"), 401, "not_signed_in")
    assert api(server, "GET", "/groups").headers["www-authenticate"] == "Bearer"
    assert_error(api(server, "GET", "/groups", "d_forged"), 401, "not_signed_in")
    assert_error(api(server, "POST", "/auth/login", json={"username": "boss", "password": "wrong"}), 401, "sign_in_failed")
    assert_error(api(server, "POST", "/auth/login", json={"username": "nobody", "password": "x"}), 401, "sign_in_failed")
    # A clerk signs in at a window, and a real one.
    assert_error(api(server, "POST", "/auth/login", json={"username": "clerk1", "password": PASSWORD}), 403,
                 "wrong_window")
    assert_error(api(server, "POST", "/auth/login", json={"username": "clerk1", "password": PASSWORD, "window": "99"}),
                 404, "unknown_window")

    # A kiosk token cannot call numbers or change configuration.
    assert_error(api(server, "POST", "/windows/1/call", kiosk_token), 403, "forbidden")
    assert_error(api(server, "PUT", "/windows/1/groups", kiosk_token, json={"groups": ["tax"]}), 403, "forbidden")
    assert_error(api(server, "GET", "/figures", kiosk_token), 403, "forbidden")
    kiosk = client_for(kiosk_token)
    with pytest.raises(Forbidden):
        kiosk.call_window("1")

    # A clerk calls at their own window only, and cannot change configuration.
    clerk = client_for(user="clerk1", window="1")
    with pytest.raises(WrongWindow):
        clerk.call_window("2")
    with pytest.raises(Forbidden):
        clerk.set_window_groups("1", ["tax"])
    assert_error(api(server, "PUT", "/catalog", clerk._token, json={}), 403, "forbidden")
    assert_error(api(server, "POST", "/tickets", clerk._token, json={"group_id": "general"}), 403, "forbidden")
    assert clerk.call_window("1") is None  # nobody waits; allowed

    # The platform pushes progress but does not issue numbers.
    platform = hall.accounts.add_device("GOV", Role.PLATFORM)
    assert api(server, "PUT", "/progress", platform, json={"records": [
        {"receipt_no": "SL-9", "stage": "received", "updated_at": "2026-11-24T09:00:00"}]}).status_code == 200
    assert_error(api(server, "POST", "/tickets", platform, json={"group_id": "general"}), 403, "forbidden")

    # The manager changes configuration; a revoked kiosk is out.
    assert api(server, "PUT", "/windows/1/groups", manager_token, json={"groups": ["tax"]}).json()["groups"] == ["tax"]
    hall.accounts.revoke_device("K01")
    with pytest.raises(NotSignedIn):
        kiosk.statuses()
    with pytest.raises(SignInFailed):
        client_for().sign_in("boss", "not the password")
    # Signing out ends the session at once.
    assert api(server, "POST", "/auth/logout", manager_token).status_code == 204
    assert_error(api(server, "GET", "/figures", manager_token), 401, "not_signed_in")


def test_every_error_is_json_with_code_and_message(server: ThreadedServer, kiosk_token: str) -> None:
    assert_error(api(server, "GET", "/nowhere", kiosk_token), 404, "not_found")
    assert_error(requests.get(server.base_url + "/nowhere", timeout=10), 404, "not_found")
    assert_error(api(server, "DELETE", "/groups", kiosk_token), 405, "method_not_allowed")
    body = assert_error(api(server, "POST", "/tickets", kiosk_token, json={"group_id": 7, "extra": 1}), 422,
                        "invalid_request")
    assert {tuple(p["loc"]) for p in body["detail"]} == {("body", "group_id"), ("body", "extra")}
    assert_error(api(server, "POST", "/tickets", kiosk_token, data=b"\xff\x00not json",
                     headers={"Content-Type": "application/json"}), 422, "invalid_request")
    assert_error(api(server, "GET", "/tickets/A001", kiosk_token), 404, "ticket_not_found")
    assert_error(api(server, "GET", "/tickets/not-a-number", kiosk_token), 422, "invalid_request")
    r = api(server, "GET", "/groups/nosuch", kiosk_token)
    assert_error(r, 404, "unknown_group")
    assert r.json()["message"] == UnknownGroup().message("zh")


# -- windows over HTTP -------------------------------------------------------------------------------

def test_window_flow_over_http(hall: HallContext, kiosk_token: str, client_for: MakeClient) -> None:
    kiosk = client_for(kiosk_token)
    for _ in range(2):
        kiosk.issue("general")
    clerk = client_for(user="clerk1", window="1")
    called = clerk.call_window("1")
    assert called is not None and (called.number, called.status, called.window) == ("A001", TicketStatus.CALLED, "1")
    assert clerk.window("1").current == called
    with pytest.raises(NoShowTooEarly) as early:
        clerk.no_show("1")
    assert early.value.recalls_needed == 2
    clerk.recall("1")
    clerk.recall("1")
    assert clerk.no_show("1").status is TicketStatus.NO_SHOW
    assert clerk.call_window("1").number == "A002"
    moved = clerk.transfer("1", "medins")
    assert (moved.group_id, moved.status) == ("medins", TicketStatus.WAITING)
    clerk11 = client_for(user="clerk11", window="11")
    assert clerk11.call_window("11").number == "A002"
    assert clerk11.serve("11").status is TicketStatus.SERVED
    kinds = [e.kind.value for e in clerk.events_since(0)]
    assert kinds == ["call", "recall", "recall", "no_show", "call", "transfer", "call", "served"]
    assert [e.number for e in kiosk.recent_calls(2)] == ["A002", "A002"]
    with pytest.raises(UnknownWindow):
        client_for(user="boss").call_window("99")


def test_a_kiosk_lets_a_missed_number_rejoin_over_http(hall: HallContext, kiosk_token: str,
                                                       client_for: MakeClient, clock) -> None:
    from kiosk.queue.errors import NotMissed

    kiosk = client_for(kiosk_token)
    take_numbers(kiosk, "general", 2)
    assert hall.suite.queue.call_window("1").number == "A001"
    with pytest.raises(NotMissed):
        kiosk.rejoin("A002")
    hall.suite.queue.finish("A001", served=False)
    clock.advance(minutes=3)
    rejoined = kiosk.rejoin("a001")
    assert (rejoined.number, rejoined.status, rejoined.people_ahead) == ("A001", TicketStatus.WAITING, 1)


def test_board_event_stream_sends_calls(server: ThreadedServer, kiosk_token: str, client_for: MakeClient) -> None:
    kiosk = client_for(kiosk_token)
    kiosk.issue("general")
    with requests.get(server.base_url + "/api/v1/events/stream", stream=True, timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)
        seen: list[str] = []
        for line in lines:  # the first status event comes before any call
            seen.append(line)
            if line.startswith("event: status"):
                break
        client_for(user="clerk1", window="1").call_window("1")
        event: dict = {}
        kind = ""
        for _, line in zip(range(200), lines, strict=False):  # bounded: status events may come in between
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "call":
                event = json.loads(line.removeprefix("data: "))
                break
    assert event["number"] == "A001" and event["window"] == "1"
    assert (event["text_zh"], event["text_en"]) == ("请A001号到1号窗口办理", "Number A001, please go to window 1")


# -- lookups -----------------------------------------------------------------------------------------

def test_appointments_progress_ratings_catalogue_figures(server: ThreadedServer, hall: HallContext, kiosk_token: str,
                                                          manager_token: str, client_for: MakeClient, clock) -> None:
    platform = hall.accounts.add_device("GOV", Role.PLATFORM)
    kiosk = client_for(kiosk_token)
    made = api(server, "POST", "/appointments", platform, json={
        "group_id": "medins", "starts_at": "2026-11-24T10:15:00", "ends_at": "2026-11-24T10:45:00", "code": "Y77",
        "id_number": YOUNG_ID, "name": "张三"})
    assert made.status_code == 201 and made.json()["id_masked"] == "1101**********1239"
    assert YOUNG_ID not in made.text
    imported = api(server, "POST", "/appointments/import", manager_token,
                   data=b"group,date,start,end,code\ntax,2026-11-24,11:00,11:30,Y78\ntax,bad,,,\n",
                   headers={"Content-Type": "text/csv"})
    assert list(imported.json()) == ["stored", "problems"] and imported.json()["stored"] == 1
    assert imported.json()["problems"][0].startswith("line 3")
    with pytest.raises(CheckInTooEarly):
        kiosk.check_in("Y78")
    checked = kiosk.check_in(identity=person(YOUNG_ID))
    assert (checked.appointment.code, checked.ticket.number, checked.ticket.priority) == ("Y77", "C001", Priority.APPOINTMENT)
    with pytest.raises(AlreadyCheckedIn):
        kiosk.check_in("Y77")
    day = api(server, "GET", "/appointments", manager_token, params={"day": "2026-11-24"}).json()
    assert [a["code"] for a in day] == ["Y77", "Y78"]

    pushed = api(server, "PUT", "/progress", platform, json={"records": [
        {"receipt_no": "SL-1", "stage": "in_review", "updated_at": "2026-11-24T09:00:00", "id_number": YOUNG_ID,
         "matter_name_zh": "二手房转移登记"}]})
    assert pushed.json()["stored"] == 1
    csv_import = api(server, "POST", "/progress/import", manager_token, headers={"Content-Type": "text/csv"},
                     data=b"receipt_no,stage,updated_at\nSL-2,completed,2026-11-24T09:30\n")
    assert csv_import.json() == {"stored": 1, "ignored_older": 0, "problems": []}
    assert kiosk.by_receipt("SL-2").stage.text("zh") == "已办结"
    record = api(server, "GET", "/progress/SL-1", kiosk_token).json()
    assert (record["stage_zh"], record["stage_en"]) == ("审查中", "Under review")
    assert record["stage_dates"] == [["in_review", "2026-11-24T01:00:00Z"]]  # [stage, when] pairs
    assert [p.receipt_no for p in kiosk.by_identity(person(YOUNG_ID))] == ["SL-1"]
    with pytest.raises(ProgressNotFound):
        kiosk.by_receipt("SL-404")

    rating = kiosk.submit(1, "C001", comment="态度不好")
    assert rating.kiosk_id == "K01" and rating.group_id == "medins"
    kiosk.submit(5)
    bad = api(server, "GET", "/ratings/bad", manager_token).json()
    assert [(b["level"], b["level_zh"], b["number"]) for b in bad] == [(1, "非常不满意", "C001")]
    assert api(server, "POST", f"/ratings/{bad[0]['id']}/follow-up", manager_token,
               json={"note": "已回访"}).json()["followed_up_by"] == "boss"
    assert api(server, "GET", "/ratings/bad", manager_token).json() == []

    first = kiosk.catalog()
    assert first is not None and first.version == 1 and first.services == hall.config.services
    assert kiosk.catalog(known_version=1) is None
    data = hall.config.services.model_dump(mode="json")
    data["matters"][1]["time_limit_zh"] = "2 个工作日"
    assert api(server, "PUT", "/catalog", manager_token, json=data).json()["version"] == 2
    newer = kiosk.catalog(known_version=1)
    assert newer is not None and newer.version == 2 and newer.services.matters[1].time_limit_zh == "2 个工作日"
    data["groups"][0]["prefix"] = "Z"
    assert_error(api(server, "PUT", "/catalog", manager_token, json=data), 409, "catalog_groups_changed")
    broken = api(server, "PUT", "/catalog", manager_token, json={"groups": "none"})
    problems = assert_error(broken, 422, "config_invalid")["detail"]["problems"]
    assert problems and set(problems[0]) == {"file", "key", "message"}

    figures = api(server, "GET", "/figures", manager_token).json()
    medins = next(g for g in figures["groups"] if g["group_id"] == "medins")
    assert (medins["issued"], medins["waiting"]) == (1, 1)
    assert figures["ratings"] == {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1}
    export = api(server, "GET", "/figures.csv", manager_token, params={"day": "2026-11-24"})
    assert export.headers["content-type"].startswith("text/csv")
    assert "hall-figures-2026-11-24.csv" in export.headers["content-disposition"]
    assert "2026-11-24,medins,医疗保障,all,1,0,0" in export.content.decode("utf-8-sig")


# -- the client's timeouts -----------------------------------------------------------------------------

def test_client_reports_an_unreachable_or_silent_server() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(HallUnreachable) as down:
        HallClient(f"http://127.0.0.1:{port}", "d_x", connect_timeout=1, read_timeout=1).statuses()
    # The citizen is told what to do, not which part of the system failed.
    assert "请稍后再试" in down.value.message("zh") and "服务器" not in down.value.message("zh")
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(HallUnreachable) as info:
            HallClient(url, "d_x", connect_timeout=1, read_timeout=0.3).issue("general")
    assert "Timeout" in info.value.detail


def hall_kiosk_config(config_dir, load, base_url: str):
    """The test configuration, as a kiosk of the hall server at ``base_url``."""
    kiosk = config_dir / "kiosk.toml"
    text = kiosk.read_text(encoding="utf-8")
    kiosk.write_text(text.replace('queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{base_url}"'),
                     encoding="utf-8")
    return load(config_dir)


def test_kiosk_uses_the_hall_server_from_its_configuration(config_dir, load, state_dir, server: ThreadedServer,
                                                           kiosk_token: str) -> None:
    from kiosk.assembly import HallTokenMissing, Kiosk

    config = hall_kiosk_config(config_dir, load, server.base_url)
    with pytest.raises(HallTokenMissing):
        Kiosk(config)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text(kiosk_token + "\n", encoding="utf-8")
    kiosk = Kiosk(config)
    try:
        assert isinstance(kiosk.queue, HallClient)
        assert kiosk.queue.issue("tax").number == "H001"
    finally:
        kiosk.close()


def test_a_kiosks_call_for_staff_reaches_the_clerks(config_dir, load, state_dir, server: ThreadedServer,
                                                    kiosk_token: str, client_for: MakeClient) -> None:
    from kiosk.assembly import Kiosk
    from kiosk.queue.staff_calls import CallKind

    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text(kiosk_token + "\n", encoding="utf-8")
    kiosk = Kiosk(hall_kiosk_config(config_dir, load, server.base_url))
    try:
        first = kiosk.staff.call(CallKind.HELP, "groups")
        assert kiosk.staff.call(CallKind.HELP, "result") == first  # asked twice: one call
        kiosk.staff.call(CallKind.PRINTER, "paper_out")
    finally:
        kiosk.close()  # waits for the calls on their way to the hall server
    assert [(c.kind, c.detail) for c in kiosk.store.staff_calls.open_calls()] == [
        (CallKind.HELP, "groups"), (CallKind.PRINTER, "paper_out")]

    clerk = client_for(user="clerk1", window="1")
    calls = api(server, "GET", "/staff-calls", clerk._token).json()
    assert [(c["kiosk_id"], c["kind"], c["detail"], c["kind_zh"], c["detail_en"]) for c in calls] == [
        ("K01", "help", "groups", "群众求助", "Choose a service"),
        ("K01", "printer", "paper_out", "票据未打出", "The printer is out of paper.")]
    answered = api(server, "POST", f"/staff-calls/{calls[0]['id']}/answer", clerk._token).json()
    assert (answered["answered_by"], answered["answered_at"] is not None) == ("clerk1", True)
    assert [c["kind"] for c in api(server, "GET", "/staff-calls", clerk._token).json()] == ["printer"]
    assert_error(api(server, "POST", f"/staff-calls/{calls[0]['id']}/answer", clerk._token), 404,
                 "staff_call_not_found")
    # Only a kiosk raises a call; only staff see and answer them.
    assert_error(api(server, "POST", "/staff-calls", clerk._token, json={"kind": "help"}), 403, "forbidden")
    assert_error(api(server, "GET", "/staff-calls", kiosk_token), 403, "forbidden")
    assert_error(api(server, "POST", "/staff-calls", kiosk_token, json={"kind": "coffee"}), 422, "invalid_request")


def test_a_call_for_staff_stays_on_the_kiosk_when_the_hall_is_unreachable(config_dir, load, state_dir) -> None:
    from kiosk.assembly import Kiosk
    from kiosk.queue.staff_calls import CallKind

    with socket.socket() as closed:  # a port on 127.0.0.1 nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text("d_token\n", encoding="utf-8")
    kiosk = Kiosk(hall_kiosk_config(config_dir, load, f"http://127.0.0.1:{port}"))
    try:
        kiosk.staff.call(CallKind.HELP, "identify")
    finally:
        kiosk.close()
    assert [c.detail for c in kiosk.store.staff_calls.open_calls()] == ["identify"]


# -- pages and the API document ------------------------------------------------------------------------

def test_pages_need_the_right_sign_in(server: ThreadedServer, manager_token: str, client_for: MakeClient) -> None:
    board = requests.get(server.base_url + "/board", timeout=10)
    assert board.status_code == 200 and "示范市政务服务中心" in board.text and "综合受理" in board.text
    to_login = requests.get(server.base_url + "/clerk", allow_redirects=False, timeout=10)
    assert to_login.status_code == 303 and to_login.headers["location"] == "/login?next=/clerk"
    clerk = requests.post(server.base_url + "/api/v1/auth/login", timeout=10,
                          json={"username": "clerk1", "password": PASSWORD, "window": "1"})
    assert "httponly" in clerk.headers["set-cookie"].lower() and "samesite=strict" in clerk.headers["set-cookie"].lower()
    page = requests.get(server.base_url + "/clerk", cookies=clerk.cookies, timeout=10)
    assert page.status_code == 200 and "1 号窗口" in page.text and "btn-call" in page.text
    refused = requests.get(server.base_url + "/manager", cookies=clerk.cookies, allow_redirects=False, timeout=10)
    assert refused.status_code == 303
    manager = requests.get(server.base_url + "/manager", cookies={"hall_session": manager_token}, timeout=10)
    assert manager.status_code == 200 and "id='figures'" in manager.text and "figures.csv" in manager.text
    document = requests.get(server.base_url + "/openapi.json", timeout=10).json()
    assert {"/api/v1/tickets", "/api/v1/windows/{window}/call", "/api/v1/catalog"} <= set(document["paths"])
    assert "bearer" in json.dumps(document["components"]["securitySchemes"]).lower()


def test_kioskctl_hall_accounts(config_dir, load, state_dir, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import io

    from kiosk.cli import main
    from kiosk.hall.app import build_context

    cfg = ["--config", str(config_dir)]
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["hall", "user", "add", "anna", "--role", "clerk", "--password-stdin", *cfg]) == 0
    assert "anna (clerk) added" in capsys.readouterr().out
    assert main(["hall", "device", "add", "K07", "--json", *cfg]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert main(["hall", "user", "add", "anna", "--role", "clerk", "--password-stdin", *cfg]) == 3
    assert "account_exists" in capsys.readouterr().err

    ctx = build_context(load(config_dir))  # hall.sqlite3 in the state folder, as `kioskctl hall serve` uses
    try:
        assert (state_dir / "hall.sqlite3").exists()
        assert ctx.accounts.authenticate(token).role is Role.KIOSK
        assert ctx.accounts.sign_in("anna", "a long password", "1").principal.role is Role.CLERK
        assert main(["hall", "device", "revoke", "K07", *cfg]) == 0
        with pytest.raises(NotSignedIn):
            ctx.accounts.authenticate(token)
        assert main(["hall", "device", "revoke", "K07", *cfg]) == 3
        assert main(["hall", "serve", "--workers", "2", *cfg]) == 3  # several workers need PostgreSQL
    finally:
        ctx.suite.close()
