"""A TCP proxy on 127.0.0.1 between kiosks and the hall server that passes, drops or delays connections.

``LinkProxy(upstream_port)`` forwards bytes both ways. ``cut("drop")`` closes every open connection and every
new one at once (the kiosk sees the connection reset); ``cut("delay", s)`` holds each chunk of the server's
answers for ``s`` seconds (longer than the kiosk's read timeout: the server handles the request, the kiosk
never hears the answer); ``restore()`` passes again. ``retarget(port)`` points it at a restarted server. When
the upstream refuses (a stopped server), the kiosk's connection is closed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class LinkProxy:
    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self.mode = "pass"
        self.delay = 0.0
        self.connections = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="link-proxy", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LinkProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        self._close_all()

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

    def _close_all(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            _close(sock)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.mode == "drop":
                _close(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self._upstream), timeout=2)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open |= {client, upstream}
        threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
        self._pump(upstream, client, True)

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
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
