"""Serve a WSGI app on a real socket (127.0.0.1, a free port) for out-of-process clients.

Usage::

    with live_server(app) as server:
        requests.get(f"{server.url}/articles")
    server.exchanges  # [Exchange(method, path, status, headers, body, sent), ...]

Each exchange the server answered is recorded (in order), so a test can assert on what
the client really sent and received: bodies, status codes, the ``Location`` header.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Exchange:
    """One request and the answer the server sent to it."""

    method: str
    path: str  # with the query string, percent-decoded
    status: int
    headers: dict[str, str]
    body: bytes  # the response body
    sent: bytes = b""  # the request body


@dataclass
class LiveServer:
    """A running server: its base URL and every exchange so far."""

    url: str
    exchanges: list[Exchange] = field(default_factory=list)

    def requests(self, method: str | None = None) -> list[str]:
        """``"METHOD path"`` of each exchange (only ``method``'s, when given)."""
        return [
            f"{e.method} {e.path}" for e in self.exchanges if method is None or e.method == method
        ]


class _Recorder:
    """WSGI middleware that records each exchange into ``server.exchanges``."""

    def __init__(self, app: Any, server: LiveServer) -> None:
        self.app = app
        self.server = server
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        sent = request.get_data()
        environ["wsgi.input"] = io.BytesIO(sent)
        environ["CONTENT_LENGTH"] = str(len(sent))
        response = Response.from_app(self.app, environ, buffered=True)
        query = unquote(request.query_string.decode("latin-1"))
        exchange = Exchange(
            request.method,
            request.path + (f"?{query}" if query else ""),
            response.status_code,
            dict(response.headers),
            response.get_data(),
            sent,
        )
        with self.lock:
            self.server.exchanges.append(exchange)
        return response(environ, start_response)


@contextmanager
def live_server(app: Any) -> Iterator[LiveServer]:
    """Serve ``app`` in a background thread until the block ends."""
    server = LiveServer(url="")
    httpd = make_server("127.0.0.1", 0, _Recorder(app, server), threaded=True)
    server.url = f"http://127.0.0.1:{httpd.server_port}"
    # A short poll interval: shutdown() waits for the loop to notice, once per test.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
