"""What the round trips around a request cost on PostgreSQL: the blog demo in-process (WSGI
calls, no server) with its engine as it is (``pool_pre_ping=True``), without the pre-ping,
and without the pre-ping in autocommit (no ``BEGIN``/``ROLLBACK``), interleaved.

    benchmarks/.venvs/http/bin/python benchmarks/pg_fixed_cost.py [ROUNDS]

Uses ``BENCH_DATABASE_URL`` with the dataset loaded (``make bench-http`` loads it). Prints
the median wall time and the worker's CPU time per request of each variant. The autocommit
variant is a measurement only: the demo and the library keep their transaction per request.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402

import examples.blog.api as blog  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VARIANTS = {
    "demo (pre-ping)": {"pool_pre_ping": True},
    "no pre-ping": {},
    "no pre-ping, autocommit": {"isolation_level": "AUTOCOMMIT"},
}
PATHS = {
    "get_one": "/articles/1234",
    "list_50": "/articles?page%5Bsize%5D=50",
    "relationship": "/articles/1/relationships/tags",
}


def environ(path: str) -> dict:
    """A WSGI environ for a GET of `path`."""
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT": "application/vnd.api+json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def call(app, path: str) -> None:
    """One request; anything but 200 stops the measurement."""
    status: list[str] = []
    b"".join(app.wsgi_app(environ(path), lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}: {status[0]}")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    apps = {}
    original = blog._create_engine
    for name, options in VARIANTS.items():
        blog._create_engine = lambda url, options=options: sqlalchemy.create_engine(url, **options)
        apps[name] = blog.create_app(URL, seed_data=False)
    blog._create_engine = original
    for app in apps.values():
        for path in PATHS.values():
            for _ in range(20):
                call(app, path)
    wall = {(v, r): [] for v in apps for r in PATHS}
    cpu = {(v, r): [] for v in apps for r in PATHS}
    for _ in range(rounds):
        for request, path in PATHS.items():
            for variant, app in apps.items():
                n = 40
                started, started_cpu = time.perf_counter(), time.process_time()
                for _ in range(n):
                    call(app, path)
                wall[(variant, request)].append((time.perf_counter() - started) / n * 1e6)
                cpu[(variant, request)].append((time.process_time() - started_cpu) / n * 1e6)
    for request in PATHS:
        for variant in apps:
            print(
                f"{request:13} {variant:24} wall {statistics.median(wall[(variant, request)]):7.0f}"
                f" µs  worker CPU {statistics.median(cpu[(variant, request)]):7.0f} µs"
            )


if __name__ == "__main__":
    main()
