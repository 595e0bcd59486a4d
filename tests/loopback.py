"""Servers on 127.0.0.1 that misbehave on purpose, for the fault tests of the hall client and the kiosk.

``SilentServer`` accepts connections and never answers; ``SlowServer`` reads each request and answers late;
``FaultProxy`` sits in front of the real hall server and loses chosen answers or answers 503 itself;
``LinkProxy`` forwards bytes and can drop or delay whole connections. Each takes a free port.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import BinaryIO


def read_message(stream: BinaryIO) -> bytes:
    """One HTTP/1.1 message (head and a Content-Length body) from ``stream``; b"" at the end of the stream."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        if not line:
            return b""
        head += line
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + stream.read(length)


def close_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class LoopbackServer:
    """Listens on a free port of 127.0.0.1 and hands each connection to ``handle`` on a thread of its own.
    ``requests`` lists the line and headers of each request a subclass ``record``s."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, name=type(self).__name__, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            if self.admit(conn):
                threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def admit(self, conn: socket.socket) -> bool:
        """Whether ``conn`` gets a ``handle`` thread (a subclass may close it instead)."""
        return True

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def record(self, message: bytes) -> str:
        """Note a request's line and headers; its line."""
        head = message.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        with self._lock:
            self.requests.append((head[0], headers))
        return head[0]

    def requests_to(self, start: str) -> list[dict[str, str]]:
        """The headers of the requests whose line starts with ``start`` (e.g. "POST /api/v1/tickets ")."""
        with self._lock:
            return [headers for line, headers in self.requests if line.startswith(start)]

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()


class SilentServer(LoopbackServer):
    """Accepts connections and never answers; ``accepted`` holds them (one per attempt of a client)."""

    def __init__(self) -> None:
        self.accepted: list[socket.socket] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        self.accepted.append(conn)

    def close(self) -> None:
        super().close()
        for conn in self.accepted:
            conn.close()


class SlowServer(LoopbackServer):
    """Reads each request and answers 200 {} after ``hold_seconds`` (never, when closed first)."""

    def __init__(self, hold_seconds: float) -> None:
        self.hold_seconds = hold_seconds
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as stream:
            request = read_message(stream)
            if not request:
                return
            self.record(request)
            if self._stopped.wait(self.hold_seconds):
                return
            with contextlib.suppress(OSError):  # the client gave up long ago
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


class FaultProxy(LoopbackServer):
    """A proxy in front of the hall server on ``upstream_port``. ``faults`` maps a request line's start
    (e.g. "POST /api/v1/tickets ") to what happens to the next such requests: "lose" forwards the request,
    waits for the server's answer and closes the client's connection without it; "503" answers 503 without
    asking the server."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self.faults: dict[str, list[str]] = {}
        super().__init__()

    def _fault_for(self, line: str) -> str:
        with self._lock:
            for start, actions in self.faults.items():
                if line.startswith(start) and actions:
                    return actions.pop(0)
        return ""

    def handle(self, conn: socket.socket) -> None:
        with conn, socket.create_connection(("127.0.0.1", self._upstream)) as upstream, \
                conn.makefile("rb") as from_client, upstream.makefile("rb") as from_server:
            while request := read_message(from_client):
                fault = self._fault_for(self.record(request))
                if fault == "503":
                    conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                upstream.sendall(request)
                answer = read_message(from_server)
                if fault == "lose" or not answer:
                    return  # the server has handled the request; the client's connection closes without an answer
                conn.sendall(answer)


class LinkProxy(LoopbackServer):
    """A TCP proxy between kiosks and the hall server on ``upstream_port`` that passes, drops or delays
    connections: ``cut("drop")`` closes every open connection and every new one at once (the kiosk sees the
    connection reset); ``cut("delay", s)`` holds each chunk of the server's answers for ``s`` seconds (longer
    than the kiosk's read timeout: the server handles the request, the kiosk never hears the answer);
    ``restore()`` passes again; ``retarget(port)`` points it at a restarted server. When the upstream refuses
    (a stopped server), the kiosk's connection is closed."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self.mode = "pass"
        self.delay = 0.0
        self.connections = 0
        self._open: set[socket.socket] = set()
        super().__init__()

    def cut(self, mode: str, delay: float = 0.0) -> None:
        """``"drop"``: refuse every connection (open ones are closed); ``"delay"``: hold the answers ``delay`` s."""
        assert mode in ("drop", "delay")
        self.mode, self.delay = mode, delay
        if mode == "drop":
            self._close_all()

    def restore(self) -> None:
        self.mode, self.delay = "pass", 0.0

    def retarget(self, upstream_port: int) -> None:
        self._upstream = upstream_port

    def close(self) -> None:
        super().close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            close_socket(sock)

    def admit(self, conn: socket.socket) -> bool:
        self.connections += 1
        if self.mode == "drop":
            close_socket(conn)
            return False
        return True

    def handle(self, conn: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self._upstream), timeout=2)
        except OSError:
            close_socket(conn)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open |= {conn, upstream}
        threading.Thread(target=self._pump, args=(conn, upstream, False), daemon=True).start()
        self._pump(upstream, conn, True)

    def _pump(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data or self.mode == "drop":
                    break
                if answers and self.mode == "delay":
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {src, dst}
            close_socket(src)
            close_socket(dst)
