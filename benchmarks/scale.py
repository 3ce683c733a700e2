"""Scale-out, measured (``make scale``): the deployment a growing user runs, on loopback.

It builds, in a temporary directory and on free loopback ports (the machine's own
PostgreSQL server on 5432 is left alone):

* a PostgreSQL primary and a streaming replica (``initdb``, ``pg_ctl``, ``pg_basebackup -R``
  run as the ``postgres`` user), the replica slowed by ``recovery_min_apply_delay``;
* PgBouncer in transaction pooling mode in front of the primary (psycopg 3 behind it with
  ``prepare_threshold=None``: no server-side prepared statement outlives a transaction);
* two gunicorn instances ("hosts") of the blog demo, writes through PgBouncer, GETs routed to
  the replica (``JSONAPI_READ_ENGINE``), behind HAProxy.

Then it measures and asserts: requests per second through HAProxy with one instance and with
two; no 5xx anywhere; pagination links (number and cursor) made by one instance followed on
the other; read-your-writes for every write-then-read pair while the replica lags (a POST,
then a GET with its ``JSONAPI-Consistency`` token through the balancer, which may reach the
other instance); PgBouncer's server connections never above its pool (``SHOW POOLS``).
Everything is stopped and removed at the end, also on failure or after the time limit.

    python3 benchmarks/scale.py [--duration 8] [--pairs 3000] [--output FILE]

Debian's packages are installed with apt-get when missing (postgresql, pgbouncer,
haproxy, wrk); the Python side (gunicorn, psycopg) goes into benchmarks/.venvs/scale.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import venv
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
HOST = "127.0.0.1"
MEDIA = "application/vnd.api+json"
TOKEN_HEADER = "JSONAPI-Consistency"
TIME_LIMIT = 290  # seconds: the whole run, set-up and clean-up included, stays under 5 minutes
POOL_SIZE = 4  # PgBouncer's default_pool_size: server connections to the primary
APPLY_DELAY = "200ms"  # the replica's recovery_min_apply_delay
REQUIREMENTS = ["-e", f"{ROOT}[sqlalchemy,postgresql]", "gunicorn"]
READ_URLS = [
    ("GET one article", "/articles/1234"),
    ("GET 50 articles", "/articles?page%5Bsize%5D=50"),
]


class Failed(Exception):
    """An assertion of the run did not hold."""


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -- set-up ------------------------------------------------------------------------------


def ensure_debian_packages() -> Path:
    """The PostgreSQL binaries' directory, after installing what is missing."""
    wanted = {"pgbouncer": "pgbouncer", "haproxy": "haproxy", "wrk": "wrk"}
    missing = [package for tool, package in wanted.items() if shutil.which(tool) is None]
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        missing.append("postgresql")
    if missing:
        log(f"apt-get install {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
        # A package's own service, if its install started one, is not ours to keep.
        for service in ("pgbouncer", "haproxy"):
            if service in missing:
                subprocess.run(["service", service, "stop"], capture_output=True)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1])


def ensure_venv() -> Path:
    """benchmarks/.venvs/scale with this checkout, psycopg 3 and gunicorn."""
    home = BENCH_DIR / ".venvs" / "scale"
    python = home / "bin" / "python"
    stamp = home / ".installed"
    fingerprint = hashlib.sha256(
        "\n".join([sys.version, *REQUIREMENTS, (ROOT / "pyproject.toml").read_text()]).encode()
    ).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return python
    log(f"[venv] scale: installing {' '.join(REQUIREMENTS)}")
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    subprocess.run([python, "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    stamp.write_text(fingerprint)
    return python


class Deployment:
    """The processes of one run; :meth:`stop` ends each of them and removes the directory."""

    def __init__(self, pg_bin: Path, python: Path) -> None:
        self.pg_bin = pg_bin
        self.python = python
        self.scratch = Path(tempfile.mkdtemp(prefix="jsonapi-scale-"))
        shutil.chown(self.scratch, "postgres", "postgres")
        self.processes: list[subprocess.Popen] = []
        self.clusters: list[Path] = []
        self.ports = {name: free_port() for name in ("primary", "replica", "pgbouncer")}

    # -- processes

    def as_postgres(self, *command: str, **options) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            text=True,
            cwd=self.scratch,
            **options,
        )

    def spawn(self, command: list[str], *, user: str | None = None, **options) -> subprocess.Popen:
        if user:
            command = ["runuser", "-u", user, "--", *command]
        process = subprocess.Popen(command, start_new_session=True, **options)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for data in reversed(self.clusters):
            with contextlib.suppress(subprocess.CalledProcessError):
                self.as_postgres(
                    str(self.pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"
                )
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- PostgreSQL

    def psql(self, port: int, sql: str, database: str = "postgres") -> str:
        return self.as_postgres(
            "psql", "-h", HOST, "-p", str(port), "-U", "postgres", "-d", database,
            "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ).stdout.strip()  # fmt: skip

    def start_cluster(self, name: str, data: Path) -> None:
        self.clusters.append(data)
        self.as_postgres(
            str(self.pg_bin / "pg_ctl"), "-D", str(data), "-l", str(self.scratch / f"{name}.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def build_databases(self) -> None:
        primary = self.scratch / "primary"
        settings = {
            "listen_addresses": f"'{HOST}'",
            "port": self.ports["primary"],
            "unix_socket_directories": f"'{self.scratch}'",
            "max_connections": 60,
            "shared_buffers": "'64MB'",
            # A throwaway cluster: no fsync (the shared disk is not what is measured).
            "fsync": "off",
            "wal_level": "replica",
            "max_wal_senders": 4,
        }
        log(f"initdb + pg_ctl: primary on {HOST}:{self.ports['primary']}")
        self.as_postgres(
            str(self.pg_bin / "initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        with open(primary / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self.start_cluster("primary", primary)
        self.psql(self.ports["primary"], "CREATE DATABASE blog")

        replica = self.scratch / "replica"
        log(f"pg_basebackup -R: replica on {HOST}:{self.ports['replica']}")
        self.as_postgres(
            str(self.pg_bin / "pg_basebackup"), "-h", HOST, "-p", str(self.ports["primary"]),
            "-U", "postgres", "-D", str(replica), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.ports['replica']}\n")
            conf.write(f"recovery_min_apply_delay = '{APPLY_DELAY}'\n")
            conf.write("hot_standby = on\n")
        self.start_cluster("replica", replica)
        check(
            self.psql(self.ports["replica"], "SELECT pg_is_in_recovery()") == "t",
            "the replica is not in recovery",
        )
        streaming = self.psql(self.ports["primary"], "SELECT count(*) FROM pg_stat_replication")
        check(streaming == "1", f"the primary streams to {streaming} replicas, not 1")

    def start_pgbouncer(self) -> None:
        port = self.ports["pgbouncer"]
        (self.scratch / "userlist.txt").write_text('"postgres" ""\n')
        ini = self.scratch / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"blog = host={HOST} port={self.ports['primary']} dbname=blog\n"
            "[pgbouncer]\n"
            f"listen_addr = {HOST}\nlisten_port = {port}\nunix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.scratch / 'userlist.txt'}\n"
            "admin_users = postgres\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {POOL_SIZE}\n"
            "max_client_conn = 200\n"
            f"logfile = {self.scratch / 'pgbouncer.log'}\n"
            f"pidfile = {self.scratch / 'pgbouncer.pid'}\n"
        )
        shutil.chown(ini, "postgres", "postgres")
        log(f"PgBouncer (transaction pooling, pool {POOL_SIZE}) on {HOST}:{port}")
        self.spawn(
            ["pgbouncer", str(ini)], user="postgres", cwd=self.scratch, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: _connects(port), "PgBouncer")

    def pools(self) -> dict[str, int]:
        """PgBouncer's SHOW POOLS row of the blog database (clients and servers)."""
        output = self.as_postgres(
            "psql", "-h", HOST, "-p", str(self.ports["pgbouncer"]), "-U", "postgres",
            "-d", "pgbouncer", "-X", "-A", "-F", "|", "-c", "SHOW POOLS",
        ).stdout.splitlines()  # fmt: skip
        header = output[0].split("|")
        for line in output[1:]:
            row = dict(zip(header, line.split("|"), strict=False))
            if row.get("database") == "blog":
                return {key: int(value) for key, value in row.items() if value.isdigit()}
        return {}

    # -- the application

    def urls(self) -> tuple[str, str]:
        primary = (
            f"postgresql+psycopg://postgres@{HOST}:{self.ports['pgbouncer']}/blog"
            "?prepare_threshold=none"
        )
        replica = f"postgresql+psycopg://postgres@{HOST}:{self.ports['replica']}/blog"
        return primary, replica

    def seed(self, articles: int) -> None:
        """The demo's tables and sample rows, then ``articles`` articles in all (directly
        on the primary), and a wait until the replica has them."""
        direct = f"postgresql+psycopg://postgres@{HOST}:{self.ports['primary']}/blog"
        script = (
            "import sqlalchemy as sa\n"
            "from examples.blog.api import create_app\n"
            f"app = create_app({direct!r})\n"
            "engine = app.extensions['blog']['engine']\n"
            "with engine.begin() as c:\n"
            '    c.exec_driver_sql("INSERT INTO articles (title, body, created, views, draft,'
            " author_id) SELECT 'Article ' || g, 'text', now(), mod(g, 100), false, 1 + mod(g, 20)"
            f' FROM generate_series((SELECT count(*) FROM articles) + 1, {articles}) g")\n'
        )
        subprocess.run([self.python, "-c", script], cwd=ROOT, check=True)
        wait_for(
            lambda: (
                self.psql(self.ports["replica"], "SELECT count(*) FROM articles", "blog")
                == str(articles)
            ),
            "the replica's copy of the seed",
        )

    def start_instance(self, name: str, **env: str) -> int:
        port = free_port()
        primary, replica = self.urls()
        environment = {
            **os.environ,
            "BLOG_DATABASE_URL": primary,
            "BLOG_READ_DATABASE_URL": replica,
            **env,
        }
        gunicorn = self.python.parent / "gunicorn"
        command = [
            str(gunicorn), "--bind", f"{HOST}:{port}", "--workers", "1",
            "--worker-class", "gthread", "--threads", "4", "--log-level", "warning",
            "--access-logfile", str(self.scratch / f"{name}-access.log"),
            "--access-logformat", "%(s)s",
            "examples.blog:create_app(seed_data=False)",
        ]  # fmt: skip
        self.spawn(command, cwd=ROOT, env=environment)
        wait_for(
            lambda: request(port, "GET", "/articles?page%5Bsize%5D=1")[0] == 200, f"instance {name}"
        )
        return port

    def start_haproxy(self, one: int, two: tuple[int, int]) -> tuple[int, int]:
        """Two frontends: one instance behind the first, both behind the second."""
        ports = free_port(), free_port()
        config = self.scratch / "haproxy.cfg"
        served_by = "    http-response set-header X-Served-By %[srv_name]\n"
        config.write_text(
            "global\n    maxconn 2000\n"
            "defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n"
            "    timeout server 60s\n    option http-keep-alive\n"
            f"frontend one\n    bind {HOST}:{ports[0]}\n    default_backend one\n"
            f"frontend two\n    bind {HOST}:{ports[1]}\n    default_backend two\n"
            f"backend one\n    balance roundrobin\n{served_by}    server a {HOST}:{one}\n"
            f"backend two\n    balance roundrobin\n{served_by}"
            f"    server a {HOST}:{two[0]}\n    server b {HOST}:{two[1]}\n"
        )
        log(f"HAProxy: one instance on {HOST}:{ports[0]}, two on {HOST}:{ports[1]}")
        self.spawn(["haproxy", "-db", "-f", str(config)], stdout=subprocess.DEVNULL)
        wait_for(lambda: request(ports[1], "GET", "/tags")[0] == 200, "HAProxy")
        return ports

    def statuses(self) -> dict[str, int]:
        """Status classes of every request the instances answered (their access logs)."""
        counts: dict[str, int] = {}
        for path in self.scratch.glob("*-access.log"):
            for line in path.read_text().split():
                counts[line[0] + "xx"] = counts.get(line[0] + "xx", 0) + 1
        return counts


def _connects(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
        return True
    return False


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException, subprocess.CalledProcessError):
            if condition():
                return
        time.sleep(0.2)
    raise Failed(f"{what}: not ready after {seconds}s")


# -- HTTP ----------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, dict[str, str], dict | None]:
    own = connection is None
    connection = connection or http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        sent = {"Accept": MEDIA, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = MEDIA
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        # HAProxy sends header names in lower case (HTTP/2 style): compare them so.
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, json.loads(raw) if raw else None
    finally:
        if own:
            connection.close()


def path_of(link: str) -> str:
    parts = urllib.parse.urlsplit(link)
    return parts.path + ("?" + parts.query if parts.query else "")


def follow_links(first: int, second: int, start: str) -> list[str]:
    """The ids of a collection walked by its ``next`` links, each page asked of the other
    instance than the one that made the link."""
    ports = [first, second]
    ids: list[str] = []
    path: str | None = start
    hop = 0
    while path:
        status, _, document = request(ports[hop % 2], "GET", path)
        check(status == 200, f"{path} answered {status} on the {'first second'.split()[hop % 2]}")
        ids.extend(item["id"] for item in document["data"])
        link = document.get("links", {}).get("next")
        path = path_of(link) if link else None
        hop += 1
    return ids


def run_wrk(port: int, path: str, duration: int, connections: int) -> dict[str, float]:
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
        "-H", f"Accept: {MEDIA}", f"http://{HOST}:{port}{path}",
    ]  # fmt: skip
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    match = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    result["p99"] = float(match.group(1)) * scale[match.group(2)] if match else float("nan")
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non2xx"] = int(errors.group(1)) if errors else 0
    return result


def median_of(results: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median requests per second."""
    return sorted(results, key=lambda result: result["rps"])[len(results) // 2]


def write_then_read(port: int, pairs: int, threads: int, *, token: bool) -> dict[str, int]:
    """``pairs`` POSTs each followed at once by a GET of the new article through the
    balancer (with the write's token, or without it); counts what the GETs saw."""
    counts = {"pairs": 0, "saw": 0, "stale": 0, "5xx": 0, "other": 0, "crossed": 0}
    lock = threading.Lock()
    per_thread = [pairs // threads + (1 if i < pairs % threads else 0) for i in range(threads)]

    def loop(index: int, count: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine = dict.fromkeys(counts, 0)
        try:
            for number in range(count):
                title = f"pair {index}-{number} {'t' if token else 'n'}"
                document = {"data": {"type": "articles", "attributes": {"title": title}}}
                status, headers, body = request(
                    port, "POST", "/articles", document, None, connection
                )
                if status >= 500:
                    mine["5xx"] += 1
                    continue
                if status != 201 or (token and TOKEN_HEADER.lower() not in headers):
                    mine["other"] += 1
                    continue
                sent = {TOKEN_HEADER: headers[TOKEN_HEADER.lower()]} if token else {}
                writer = headers.get("x-served-by")
                path = f"/articles/{body['data']['id']}"
                status, headers, body = request(port, "GET", path, None, sent, connection)
                mine["pairs"] += 1
                mine["crossed"] += headers.get("x-served-by") != writer
                if status == 200 and body["data"]["attributes"]["title"] == title:
                    mine["saw"] += 1
                elif status == 404:
                    mine["stale"] += 1
                elif status >= 500:
                    mine["5xx"] += 1
                else:
                    mine["other"] += 1
        finally:
            connection.close()
            with lock:
                for key, value in mine.items():
                    counts[key] += value

    workers = [threading.Thread(target=loop, args=(i, n)) for i, n in enumerate(per_thread)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts


@contextlib.contextmanager
def pool_watch(deployment: Deployment) -> Iterator[dict[str, int]]:
    """The largest numbers of PgBouncer client and server connections seen meanwhile."""
    peaks = {"clients": 0, "servers": 0, "waiting": 0, "samples": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.25):
            with contextlib.suppress(subprocess.CalledProcessError, ValueError):
                row = deployment.pools()
                servers = sum(v for k, v in row.items() if k.startswith("sv_"))
                clients = row.get("cl_active", 0) + row.get("cl_waiting", 0)
                peaks["servers"] = max(peaks["servers"], servers)
                peaks["clients"] = max(peaks["clients"], clients)
                peaks["waiting"] = max(peaks["waiting"], row.get("cl_waiting", 0))
                peaks["samples"] += 1

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        done.set()
        thread.join()


# -- the run -------------------------------------------------------------------------------


def measure(
    args: argparse.Namespace, deployment: Deployment
) -> tuple[list[str], list[str], list[str]]:
    deployment.build_databases()
    deployment.start_pgbouncer()
    articles = 5000
    deployment.seed(articles)
    first = deployment.start_instance("a")
    second = deployment.start_instance("b")
    log(f"gunicorn instances (1 worker, 4 threads each) on {HOST}:{first} and {HOST}:{second}")
    one, two = deployment.start_haproxy(first, (first, second))
    lines: list[str] = []
    failures: list[str] = []

    # Links made by one instance, followed on the other.
    log("pagination links across instances")
    numbered = follow_links(first, second, "/articles?page%5Bsize%5D=500&sort=id")
    expected = deployment.psql(
        deployment.ports["replica"], "SELECT id FROM articles WHERE NOT draft ORDER BY id", "blog"
    ).split()
    check(numbered == expected, f"page links across instances walked {len(numbered)} ids")
    cursor_ports = [
        deployment.start_instance(name, BLOG_JSONAPI_PAGINATION="cursor") for name in ("c1", "c2")
    ]
    cursored = follow_links(*cursor_ports, "/articles?page%5Bsize%5D=500&sort=-views,id")
    check(sorted(cursored, key=int) == expected, f"the cursor walk saw {len(cursored)} ids")
    for process in deployment.processes[-2:]:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    lines.append(
        f"- Links across instances: {len(expected):,} published articles walked by `next` "
        "links, each page asked of the instance that did not write the link: page numbers "
        f"({-(-len(numbered) // 500)} pages) and cursors ({-(-len(cursored) // 500)} pages, "
        "`sort=-views,id`), every id once."
    )

    # Requests per second with one and two instances behind HAProxy: rounds alternate the
    # two, so that the drift of a shared machine's load falls on both; the median counts.
    table = ["| request | 1 instance req/s | 2 instances req/s | ratio | p99 ms (1 / 2) |"]
    table.append("|---|---:|---:|---:|---:|")
    with pool_watch(deployment) as read_peaks:
        for label, path in READ_URLS:
            rounds: list[list[dict[str, float]]] = [[], []]
            for number in range(args.rounds):
                for index, port in enumerate((one, two)):
                    log(f"wrk {args.duration}s {label} via HAProxy :{port} (round {number + 1})")
                    rounds[index].append(run_wrk(port, path, args.duration, args.connections))
            for result in rounds[0] + rounds[1]:
                if result["non2xx"]:
                    failures.append(f"{label}: {result['non2xx']} non-2xx answers under wrk")
            results = [median_of(results) for results in rounds]
            ratio = results[1]["rps"] / results[0]["rps"]
            table.append(
                f"| {label} | {results[0]['rps']:,.0f} | {results[1]['rps']:,.0f} | "
                f"{ratio:.2f}x | {results[0]['p99']:.1f} / {results[1]['p99']:.1f} |"
            )

    # Read-your-writes while the replica lags, through the balancer of two instances.
    log(f"{args.pairs} write-then-read pairs with the token")
    with pool_watch(deployment) as write_peaks:
        started = time.monotonic()
        tokened = write_then_read(two, args.pairs, args.threads, token=True)
        elapsed = time.monotonic() - started
    log("300 write-then-read pairs without the token (how stale the replica is)")
    untokened = write_then_read(two, 300, args.threads, token=False)
    if tokened["saw"] != tokened["pairs"] or tokened["pairs"] != args.pairs:
        failures.append(f"read-your-writes: {tokened}")
    if untokened["stale"] == 0:
        failures.append("the replica never lagged: the token was not put to the test")
    peaks = {key: max(read_peaks[key], write_peaks[key]) for key in read_peaks}
    if peaks["servers"] > POOL_SIZE:
        failures.append(f"PgBouncer opened {peaks['servers']} server connections > {POOL_SIZE}")
    if peaks["samples"] == 0:
        failures.append("SHOW POOLS was never read")
    statuses = deployment.statuses()
    if statuses.get("5xx", 0) or tokened["5xx"] or untokened["5xx"]:
        failures.append(f"5xx answers: {statuses}, pairs {tokened}, {untokened}")

    lines += [
        f"- Read-your-writes: {tokened['pairs']:,} POST-then-GET pairs with the "
        f"`{TOKEN_HEADER}` token through HAProxy ({args.threads} clients, {elapsed:.1f}s, "
        f"{tokened['crossed']:,} of them read on the other instance than the one that wrote): "
        f"**{tokened['saw']:,} saw their write**, {tokened['stale']} did not. Without the token, "
        f"{untokened['stale']} of {untokened['pairs']} reads right after the write found the "
        f"replica behind (404), with `recovery_min_apply_delay = {APPLY_DELAY}`.",
        f"- PgBouncer (`pool_mode = transaction`, `default_pool_size = {POOL_SIZE}`): at most "
        f"**{peaks['servers']} server connections** to the primary, for up to "
        f"{peaks['clients']} client connections at once ({peaks['waiting']} waiting at most), "
        f"`SHOW POOLS` read {peaks['samples']} times.",
        f"- Status classes the instances answered (their access logs): {statuses}; "
        "0 × 5xx asserted.",
    ]
    return table, lines, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of one wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds per URL and setup")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--pairs", type=int, default=2000, help="write-then-read pairs")
    parser.add_argument("--threads", type=int, default=8, help="clients of the pairs")
    parser.add_argument("--output", default=str(BENCH_DIR / "RESULTS-scale.md"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        log("needs root: it runs PostgreSQL and PgBouncer as the postgres user (runuser)")
        return 2

    def out_of_time(signum, frame):
        raise Failed(f"the run took longer than {TIME_LIMIT}s")

    def terminated(signum, frame):
        raise Failed(f"stopped by signal {signum}")

    started = time.monotonic()
    load_before = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)
    pg_bin = ensure_debian_packages()
    python = ensure_venv()
    # The clock starts once the tools are there (the first run installs them).
    signal.alarm(TIME_LIMIT)
    deployment = Deployment(pg_bin, python)
    try:
        table, lines, failures = measure(args, deployment)
    except Failed as failure:
        log(f"FAILED: {failure}")
        return 1
    finally:
        signal.alarm(0)
        log("stopping every process and removing the directory")
        deployment.stop()
    took = time.monotonic() - started
    version = subprocess.run(
        [str(pg_bin / "postgres"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    pgbouncer = subprocess.run(["pgbouncer", "--version"], capture_output=True, text=True)
    haproxy = subprocess.run(["haproxy", "-v"], capture_output=True, text=True)
    report = "\n".join(
        [
            "# Scale-out results (`make scale`)",
            "",
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {took:.0f}s in all; "
            f"{os.cpu_count()} cores shared by everything below. {version} (primary and a "
            f"streaming replica, `recovery_min_apply_delay = {APPLY_DELAY}`, fsync off), "
            f"{pgbouncer.stdout.splitlines()[0] if pgbouncer.stdout else 'PgBouncer'} "
            f"(transaction pooling), {haproxy.stdout.split(' - ')[0].strip()}; two gunicorn "
            "instances of the blog demo (1 gthread worker, 4 threads each): writes through "
            "PgBouncer with psycopg's `prepare_threshold=None`, GETs on the replica "
            "(`JSONAPI_READ_ENGINE`); 5,000 articles. Load: wrk, "
            f"{args.connections} connections, {args.rounds} alternating rounds of {args.duration}s "
            "per URL and setup (the median shown), through HAProxy to one instance, then to "
            f"both. Load average before the run: {load_before}.",
            "",
            *table,
            "",
            *lines,
            "",
            "Failures: " + ("; ".join(failures) if failures else "none"),
            "",
        ]
    )
    print(report)
    if args.output:
        Path(args.output).write_text(report)
        log(f"written to {args.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
