"""Schemathesis against the hall server's OpenAPI document, over real HTTP: no request gives a 500.

Every operation is called with generated data (valid, and invalid: schemathesis' negative mode) as the
manager, who may call all of them, on SQLite and on PostgreSQL. The event stream (endless by design) and
sign-out (it would end the fuzzing session) are left out. HALL_FUZZ_EXAMPLES=150 runs a deeper search.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from kiosk.config import load_config
from kiosk.hall.accounts import AccountStore, Role
from kiosk.hall.app import HallContext, create_app
from kiosk.hall.devtools import ThreadedServer
from kiosk.queue.store import sqlite_url
from kiosk.queue.suite import open_suite

from .conftest import PASSWORD

# Seconds each (real servers, restarts, fuzzing): left out of the fast loop, always in the full suite.
pytestmark = pytest.mark.slow

SHIPPED = Path(__file__).resolve().parents[2] / "config"
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai: the hall is open
EXAMPLES = int(os.environ.get("HALL_FUZZ_EXAMPLES", "25"))  # more for a deeper run by hand


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedServer, str]]:
    """One server for every operation: a hall with tickets, a called number and a rating. PostgreSQL is
    stricter than SQLite (lengths, NUL characters, integer ranges), so both are fuzzed."""
    config = load_config(SHIPPED)
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("fuzz") / "hall.sqlite3")
    else:
        url = request.getfixturevalue("postgres").create_database("fuzz")
    suite = open_suite(config, url, clock=lambda: NOW)
    suite.catalog.publish(config.services)
    accounts = AccountStore(suite.engine, lambda: NOW)
    accounts.add_user("boss", Role.MANAGER, PASSWORD)
    for _ in range(5):
        suite.queue.issue("general")
    suite.queue.call_window("1")
    suite.ratings.submit(1, "A001", "slow")
    server = ThreadedServer(create_app(HallContext(config, suite, accounts, 0.05, 5))).start()
    token = requests.post(server.base_url + "/api/v1/auth/login", json={"username": "boss", "password": PASSWORD},
                          timeout=10).json()["token"]
    yield server, token
    server.stop()
    suite.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_server: tuple[ThreadedServer, str]) -> schemathesis.BaseSchema:
    server, _token = fuzz_server
    schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json")
    return schema.exclude(path_regex=r"^/api/v1/(events/stream|auth/logout)$")


def test_no_request_gives_a_server_error(api_schema: schemathesis.BaseSchema,
                                        fuzz_server: tuple[ThreadedServer, str]) -> None:
    # Hypothesis runs inside the test (schemathesis' own pytest plugin does not load on this pytest).
    server, token = fuzz_server
    session = requests.Session()
    failures: list[str] = []
    operations = 0

    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        @given(case=st.one_of(operation.as_strategy(mode) for mode in schemathesis.GenerationMode))
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.base_url, session=session,
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert response.status_code < 500, \
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            content_type = response.headers.get("content-type") or [""]  # schemathesis: a list per header
            if response.status_code >= 400 and content_type[0].startswith("application/json"):
                body = response.json()
                assert body["code"] and body["message"] and body["message_en"], body
            case.validate_response(response, checks=[not_a_server_error])

        try:
            call()
        except Exception as exc:  # noqa: BLE001 - every operation is tried, then all failures are reported
            failures.append(f"{operation.label}: {exc}"[:1500])
    session.close()
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
