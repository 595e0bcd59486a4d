"""TLS to the hall server: the kiosk verifies the server's certificate against ``[backend] ca_file``.

A throw-away CA made with the ``openssl`` command signs a certificate for 127.0.0.1, and the real hall server
serves HTTPS with it on 127.0.0.1. With the CA file the kiosk works; without it, with another CA, or under a
host name the certificate does not name, the call is refused with ``HallTlsFailed`` (a ``HallUnreachable``,
so a kiosk with offline numbering keeps issuing) whose detail says what to fix.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.assembly import Kiosk
from kiosk.backend.hall_client import HallClient, HallTlsFailed, HallUnreachable
from kiosk.config import ConfigError, KioskConfig
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext, create_app
from kiosk.hall.devtools import ThreadedServer


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_ca(folder: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=folder)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA, a server certificate it signed for IP 127.0.0.1, and an unrelated second CA."""
    if not shutil.which("openssl"):
        pytest.fail("the openssl command is missing (Debian package openssl)")
    folder = tmp_path_factory.mktemp("pki")
    _make_ca(folder, "hall-ca")
    _make_ca(folder, "other-ca")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key",
             "-out", "server.csr", "-subj", "/CN=hall server", cwd=folder)
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n", encoding="ascii")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "hall-ca.pem", "-CAkey", "hall-ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=folder)
    return {"ca": folder / "hall-ca.pem", "other_ca": folder / "other-ca.pem",
            "cert": folder / "server.pem", "key": folder / "server.key"}


@pytest.fixture
def https_server(hall: HallContext, pki: dict[str, Path]) -> Iterator[ThreadedServer]:
    srv = ThreadedServer(create_app(hall), certfile=str(pki["cert"]), keyfile=str(pki["key"])).start()
    yield srv
    srv.stop()


@pytest.fixture
def token(hall: HallContext) -> str:
    return hall.accounts.add_device("K1", Role.KIOSK)


def test_the_certificate_verifies_with_the_ca_file_only(https_server: ThreadedServer, pki: dict[str, Path],
                                                        token: str) -> None:
    assert https_server.base_url.startswith("https://127.0.0.1:")
    trusting = HallClient(https_server.base_url, token, ca_file=str(pki["ca"]))
    assert trusting.issue("general").number == "A001"
    assert trusting.status("general").waiting == 1
    trusting.close()

    system = HallClient(https_server.base_url, token, retries=2, backoff=0.01)
    with pytest.raises(HallTlsFailed) as untrusted:
        system.statuses()
    system.close()
    assert isinstance(untrusted.value, HallUnreachable), "a kiosk with offline numbering must keep issuing"
    assert "unable to get local issuer certificate" in untrusted.value.detail
    assert "backend.ca_file is empty" in untrusted.value.detail
    # The citizen is asked to get staff; the certificate problem is in the detail that staff read (log, kioskctl).
    assert "请工作人员帮助" in untrusted.value.message("zh") and "staff" in untrusted.value.message("en")
    assert "服务器" not in untrusted.value.message("zh") and "server" not in untrusted.value.message("en")

    other = HallClient(https_server.base_url, token, ca_file=str(pki["other_ca"]))
    with pytest.raises(HallTlsFailed) as wrong_ca:
        other.issue("general")
    other.close()
    assert str(pki["other_ca"]) in wrong_ca.value.detail
    # The refused calls never reached the application: still one ticket.
    trusting = HallClient(https_server.base_url, token, ca_file=str(pki["ca"]))
    assert trusting.status("general").issued == 1
    trusting.close()


def test_a_host_name_the_certificate_does_not_name_is_refused(https_server: ThreadedServer, pki: dict[str, Path],
                                                              token: str) -> None:
    client = HallClient(f"https://localhost:{https_server.port}", token, ca_file=str(pki["ca"]))
    with pytest.raises(HallTlsFailed) as mismatch:
        client.statuses()
    client.close()
    assert "localhost" in mismatch.value.detail.lower()


def _hall_kiosk(config_dir: Path, url: str, ca_file: str) -> None:
    kiosk = config_dir / "kiosk.toml"
    text = kiosk.read_text(encoding="utf-8")
    for old, new in (('queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{url}"'),
                     ('ca_file = ""', f'ca_file = "{ca_file}"')):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    kiosk.write_text(text, encoding="utf-8")


def test_the_kiosk_takes_its_ca_file_from_its_configuration(config_dir: Path, load: Callable[[Path], KioskConfig],
                                                            state_dir: Path, https_server: ThreadedServer,
                                                            pki: dict[str, Path], token: str) -> None:
    _hall_kiosk(config_dir, https_server.base_url, str(pki["ca"]))
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text(token, encoding="utf-8")
    kiosk = Kiosk(load(config_dir))
    assert isinstance(kiosk.queue, HallClient)
    assert kiosk.queue.issue("tax").number == "H001"
    kiosk.close()


@pytest.mark.parametrize(("ca_file", "url", "key", "words"), [
    ("/nonexistent/hall-ca.pem", "https://127.0.0.1:8700", "backend.ca_file", "cannot be read (No such file"),
    ("hall-ca.pem", "https://127.0.0.1:8700", "backend.ca_file", "must be an absolute path"),
    ("{not_pem}", "https://127.0.0.1:8700", "backend.ca_file", "holds no PEM certificate"),
    ("{ca}", "http://127.0.0.1:8700", "backend", "hall_url is not https://"),
])
def test_a_bad_ca_file_is_refused_with_file_and_key(config_dir: Path, load: Callable[[Path], KioskConfig],
                                                    pki: dict[str, Path], ca_file: str, url: str, key: str,
                                                    words: str) -> None:
    not_pem = config_dir / "notes.txt"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    _hall_kiosk(config_dir, url, ca_file.format(not_pem=not_pem, ca=pki["ca"]))
    with pytest.raises(ConfigError) as refused:
        load(config_dir)
    problems = [(p.file, p.key) for p in refused.value.problems]
    assert problems == [("kiosk.toml", key)], refused.value.problems
    assert words in refused.value.problems[0].message
