"""One registry of error codes: every ``KioskError`` class that sets a code is found by it, no two share one,
and each crosses the hall API (server's error body, client's ``error_from_response``) as the same class with
the same arguments and messages."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import NoneType, UnionType
from typing import Any, get_args

import pytest
import requests
from fastapi import FastAPI

import drivers
import kiosk
from kiosk.backend.hall_client import HallError, error_from_response
from kiosk.config import Problem
from kiosk.desk import PrinterNotReady
from kiosk.errors import KioskError, error_for_code
from kiosk.hall.devtools import ThreadedServer
from kiosk.hall.errors import install_error_handlers
from kiosk.queue.wire import error_arguments


def _import_everything() -> None:
    """Every module of the core and the drivers (not the Kivy screens), so that every error class exists."""
    for package in (kiosk, drivers):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)


def _subclasses(cls: type[KioskError]) -> Iterator[type[KioskError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


_import_everything()
# Classes without a code of their own (``_WithNextOpening``, ``HallError``) are bases or carry the code per instance.
# ``PrinterNotReady`` is raised by the kiosk's own desk before anything is asked of the hall, and wraps the
# printer's fault object: it never crosses the API.
KIOSK_ONLY = {PrinterNotReady}
REGISTERED = [KioskError, *(cls for cls in _subclasses(KioskError) if "code" in cls.__dict__ and cls not in KIOSK_ONLY)]

_SAMPLES: dict[Any, Any] = {
    str: "A042",
    int: 3,
    datetime: datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=8))),
    list[Problem]: [Problem("services.toml", "groups[0].prefix", "must be one capital letter")],
}


def _sample(kind: Any) -> Any:
    """A value of a constructor argument's type; a new type needs a sample here, so no class goes untested."""
    if kind in _SAMPLES:
        return _SAMPLES[kind]
    if isinstance(kind, UnionType):
        return _sample(next(arg for arg in get_args(kind) if arg is not NoneType))
    raise AssertionError(f"no sample value for {kind!r}: add one to _SAMPLES")


def _sample_error(cls: type[KioskError]) -> KioskError:
    return cls(**{name: _sample(kind) for name, kind in error_arguments(cls)})


@pytest.fixture(scope="module")
def raising_server() -> Iterator[str]:
    """A server with the hall's error handlers and one route raising a sample of each registered class."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{code}")
    def raise_it(code: str) -> None:
        raise _sample_error(error_for_code(code))

    server = ThreadedServer(app).start()
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.code)
def test_every_error_crosses_the_hall_api_as_itself(raising_server: str, cls: type[KioskError]) -> None:
    sent = _sample_error(cls)
    response = requests.get(f"{raising_server}/raise/{cls.code}", timeout=10)
    assert response.status_code in (401, 403, 404, 409, 422), response.text
    received = error_from_response(response)
    assert type(received) is cls and received.code == cls.code
    assert vars(received) == vars(sent) and received.args == sent.args
    assert [received.message(lang) for lang in ("zh", "en")] == [sent.message(lang) for lang in ("zh", "en")]


def test_no_two_error_classes_share_a_code() -> None:
    codes = [cls.code for cls in REGISTERED]
    assert sorted(code for code in codes if codes.count(code) > 1) == []
    assert all(error_for_code(cls.code) is cls for cls in REGISTERED)


def test_a_second_class_with_a_taken_code_is_refused() -> None:
    with pytest.raises(TypeError, match="'ticket_not_found'.*TicketNotFound"):
        type("Impostor", (KioskError,), {"code": "ticket_not_found"})
    assert error_for_code("ticket_not_found").__name__ == "TicketNotFound"


def test_an_unknown_code_comes_back_as_the_servers_own_words() -> None:
    response = requests.Response()
    response.status_code = 409
    response._content = json.dumps({"code": "from_a_newer_server", "message": "新", "message_en": "new"}).encode()
    error = error_from_response(response)
    assert isinstance(error, HallError) and (error.code, error.message("zh"), error.message("en")) == (
        "from_a_newer_server", "新", "new")


def _codes_after(module: str) -> set[str]:
    """The codes registered in a fresh interpreter that imports only ``module``."""
    script = (f"import {module}, json\nfrom kiosk.errors import KioskError\n"
              "def walk(c):\n    for s in c.__subclasses__():\n        yield s\n        yield from walk(s)\n"
              "print(json.dumps(sorted(c.code for c in walk(KioskError) if 'code' in c.__dict__)))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout))


def test_the_client_alone_knows_every_code_the_hall_server_can_send() -> None:
    # The server's process loads these; a code the client has not imported would come back as a HallError.
    server = _codes_after("kiosk.hall.server")
    client = _codes_after("kiosk.backend.hall_client")
    assert server - client == set()
