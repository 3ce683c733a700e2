"""One target's benchmark process, run inside that target's venv by run.py.

Usage: ``worker.py TARGET DATABASE_URL``. It reads one JSON command a line on stdin and answers
one JSON line on stdout (anything the app prints goes to stderr):

- ``{"cmd": "info"}``: Python and package versions
- ``{"cmd": "requests"}``: the target's requests (method, path, query, body, status)
- ``{"cmd": "call", "request": NAME}``: one request, answered with status, headers, body
  and the number of SQL statements it ran
- ``{"cmd": "time", "request": NAME, "seconds": S}``: the request repeated for about S
  seconds; answered with the count, the time spent inside the WSGI call and failures
- ``{"cmd": "time_together", "requests": [NAME, ...], "seconds": S}``: the requests in turn,
  one call each, for about S seconds; answered per request as ``time`` answers
- ``{"cmd": "memory", "request": NAME}``: the tracemalloc peak of one request
- ``{"cmd": "quit"}``

Requests go straight to the WSGI callable with an environ built once per request kind. Writes
are undone after each call, outside the timed part: a POSTed article is deleted, and a PATCH
alternates between two titles.
"""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import platform
import random
import sys
import time
import tracemalloc
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
# After site-packages: the checkout's own flask_jsonapi must not shadow the original 1.4.1.
sys.path.append(str(BENCH_DIR.parent))

from dataset import N_ARTICLES  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

MEDIA_TYPE = "application/vnd.api+json"
PATCH_TITLES = ("Benchmark title A", "Benchmark title B")


class SqlCounter:
    """Counts the statements every SQLAlchemy engine of this process sends."""

    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any, **_kwargs: Any) -> None:
        self.count += 1


class Worker:
    def __init__(self, target: str, database_url: str) -> None:
        self.target = target
        self.database_url = database_url
        module = importlib.import_module(f"targets.{target}")
        self.requests: dict[str, dict[str, Any]] = module.REQUESTS
        self.app = module.create_app(database_url)
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            self.requests = prepare(self.app, self.requests)
        # The worker's own statements (what a write stored, undoing it) on a separate engine.
        self.engine = create_engine(database_url)
        self.sql = SqlCounter()
        self.patches = 0
        self.shuffle = random.Random(0).shuffle
        self.environs = {name: self._environ(spec) for name, spec in self.requests.items()}

    def _environ(self, spec: dict[str, Any]) -> dict[str, Any]:
        headers = {"Accept": MEDIA_TYPE, **(spec.get("headers") or {})}
        data = None
        if spec["body"] is not None:
            data = json.dumps(spec["body"]).encode()
        builder = EnvironBuilder(
            path=spec["path"],
            method=spec["method"],
            query_string=spec["query"],
            headers=headers,
            data=data,
            content_type=MEDIA_TYPE if data is not None else None,
            base_url="http://localhost/",
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        environ.pop("wsgi.input", None)
        return environ

    def _body(self, name: str) -> bytes:
        spec = self.requests[name]
        if spec["body"] is None:
            return b""
        if spec["method"] == "PATCH":
            body = json.loads(json.dumps(spec["body"]))
            body["data"]["attributes"]["title"] = PATCH_TITLES[self.patches % 2]
            self.patches += 1
            return json.dumps(body).encode()
        return json.dumps(spec["body"]).encode()

    def _wsgi(self, name: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes, float]:
        environ = dict(self.environs[name])
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        status_headers: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            status_headers[:] = [status, headers]
            return lambda chunk: None

        started = time.perf_counter()
        result = self.app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        elapsed = time.perf_counter() - started
        return int(status_headers[0].split()[0]), status_headers[1], payload, elapsed

    def _undo(self, name: str) -> None:
        if self.requests[name]["method"] == "POST":
            with self.engine.begin() as db:
                limit = {"n": N_ARTICLES}
                db.execute(text("DELETE FROM article_tags WHERE article_id > :n"), limit)
                db.execute(text("DELETE FROM articles WHERE id > :n"), limit)

    def _stored(self, name: str) -> list[Any] | None:
        """What a write left in the database (read before it is undone)."""
        method = self.requests[name]["method"]
        if method not in ("POST", "PATCH"):
            return None
        with self.engine.connect() as db:
            if method == "POST":
                sql = "SELECT title, author_id FROM articles WHERE id > :n ORDER BY id"
                rows = db.execute(text(sql), {"n": N_ARTICLES}).all()
            else:
                sql = "SELECT title, author_id FROM articles WHERE id = :n"
                rows = db.execute(text(sql), {"n": self.requests[name]["write_id"]}).all()
        return [list(row) for row in rows]

    def call(self, name: str) -> dict[str, Any]:
        body = self._body(name)
        before = self.sql.count
        status, headers, payload, _ = self._wsgi(name, body)
        statements = self.sql.count - before
        stored = self._stored(name)
        self._undo(name)
        return {
            "status": status,
            "headers": headers,
            "body": payload.decode("utf-8", "replace"),
            "sent": body.decode(),
            "sql": statements,
            "stored": stored,
        }

    def time(self, name: str, seconds: float) -> dict[str, Any]:
        """The request repeated for about ``seconds``: how many times, the time inside the
        WSGI call, the statements per request, and the statuses that were not expected."""
        return self.time_together([name], seconds)[name]

    def time_together(self, names: list[str], seconds: float) -> dict[str, dict[str, Any]]:
        """The requests ``names`` in turn, one call each in a shuffled order (each follows
        each other as often: a request after a heavy one may find the caches cold), for
        about ``seconds``: each answered as ``time`` answers. What disturbs the machine then
        disturbs them alike, so their ratio is steadier than that of requests timed apart."""
        totals = {name: {"n": 0, "seconds": 0.0, "sql": 0, "failures": []} for name in names}
        order = list(names)
        deadline = time.perf_counter() + seconds
        while not totals[names[0]]["n"] or time.perf_counter() < deadline:
            self.shuffle(order)
            for name in order:
                total = totals[name]
                body = self._body(name)
                before = self.sql.count
                status, _, _, elapsed = self._wsgi(name, body)
                total["sql"] += self.sql.count - before
                self._undo(name)
                total["n"] += 1
                total["seconds"] += elapsed
                if status != self.requests[name]["status"] and len(total["failures"]) < 5:
                    total["failures"].append(status)
        for total in totals.values():
            total["sql"] /= total["n"]
        return totals

    def memory(self, name: str) -> dict[str, Any]:
        body = self._body(name)
        gc.collect()
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            status, _, payload, _ = self._wsgi(name, body)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self._undo(name)
        return {"status": status, "peak": peak, "size": len(payload)}

    def info(self) -> dict[str, Any]:
        from venvs import REPORTED, SHARED

        versions = {}
        for dist in REPORTED[SHARED.get(self.target, self.target)]:
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                versions[dist] = "-"
        return {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "versions": versions,
        }


def main() -> None:
    target, database = sys.argv[1], sys.argv[2]
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr
    try:
        worker = Worker(target, database)
    except Exception as exc:  # reported to the runner, which marks the target failed
        import traceback

        traceback.print_exc()
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        command = json.loads(line)
        cmd = command["cmd"]
        try:
            if cmd == "quit":
                break
            if cmd == "info":
                answer = worker.info()
            elif cmd == "requests":
                answer = worker.requests
            elif cmd == "call":
                answer = worker.call(command["request"])
            elif cmd == "time":
                answer = worker.time(command["request"], command["seconds"])
            elif cmd == "time_together":
                answer = worker.time_together(command["requests"], command["seconds"])
            elif cmd == "memory":
                answer = worker.memory(command["request"])
            else:
                answer = {"error": f"unknown command {cmd!r}"}
        except Exception as exc:
            import traceback

            traceback.print_exc()
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
