"""The blog demo over real HTTP across workers (``make bench-http``): gunicorn with 1, 2 and 4
workers, sync and gthread, on PostgreSQL, loaded by ``wrk`` on loopback.

The benchmark dataset is copied into the PostgreSQL database named by ``--database-url`` or
``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; once,
``pg_copy.py``). One gunicorn per configuration serves ``examples.blog``'s app factory on a
free port of 127.0.0.1; all run at once, idle but for the one under load. Every request is
checked once (status), the servers are warmed with a mix of all requests, then the rounds:
each request type against each configuration in turn, ``wrk`` with one fixed request per run
(a Lua script only sets method, headers and body: no Lua runs per request), so that a noisy
phase of a shared machine hits every configuration alike. Reported per request and
configuration: the median over rounds of requests per second and of wrk's p50 and p99, and
where the CPU went (gunicorn's processes, the PostgreSQL backends of this database, wrk, the
rest of the machine) from ``/proc``. The writes are undone afterwards. Loopback only; every
server is stopped at the end. ``wrk`` is installed with apt-get when missing (as root).

    python3 benchmarks/bench_http.py [--workers 1,2,4] [--classes sync,gthread]
        [--requests get_one,post] [--rounds 3] [--duration 2] [--connections 8]
    python3 benchmarks/bench_http.py --report benchmarks/RESULTS-http.json  # report again

The raw figures of every run go next to the report (``RESULTS-http.json``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from dataset import FILTER_NAME  # noqa: E402
from targets.common import PATCH_BODY, POST_BODY, READ_ID, WRITE_ID  # noqa: E402
from venvs import ensure_venv  # noqa: E402

HOST = "127.0.0.1"
MEDIA = "application/vnd.api+json"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CLOCK_TICK = 1 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Request:
    label: str
    method: str
    path: str
    body: object = None
    status: int = 200


_SPARSE = (
    "fields%5Barticles%5D=title%2Cviews%2Cauthor&sort=-views"
    f"&filter%5Bauthor%5D%5Bname%5D={quote(FILTER_NAME)}&page%5Bsize%5D=50"
)
REQUESTS = {
    "get_one": Request("GET one article", "GET", f"/articles/{READ_ID}"),
    "list_50": Request("GET 50 articles", "GET", "/articles?page%5Bsize%5D=50"),
    "include_50": Request(
        "GET 50, include=author,comments",
        "GET",
        "/articles?include=author%2Ccomments&page%5Bsize%5D=50",
    ),
    "sparse_filter_50": Request("GET ≤ 50, sparse + sort + filter", "GET", f"/articles?{_SPARSE}"),
    "post": Request("POST an article", "POST", "/articles", POST_BODY, 201),
    "patch": Request("PATCH an article's title", "PATCH", f"/articles/{WRITE_ID}", PATCH_BODY),
    "relationship": Request("GET relationship (tags)", "GET", "/articles/1/relationships/tags"),
    "related": Request("GET related (comments)", "GET", "/articles/1/comments"),
}


@dataclass
class Server:
    worker_class: str
    workers: int
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"{self.worker_class} ×{self.workers}"


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    requests: int
    errors: int
    seconds: float
    #: CPU seconds during the run: gunicorn, postgres, wrk, machine busy, machine total
    cpu: dict[str, float] = field(default_factory=dict)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def send(port: int, request: Request, timeout: float = 30) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        body = None if request.body is None else json.dumps(request.body)
        headers = {"Accept": MEDIA, "Content-Type": MEDIA}
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_up(server: Server, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn {server.name} exited with {server.process.returncode}")
        try:
            send(server.port, REQUESTS["get_one"], timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn {server.name} did not answer in time")


def ensure_wrk() -> str | None:
    """wrk's path, installed from Debian's package when missing and possible."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get)")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], **quiet).returncode:
            subprocess.run(["apt-get", "update", "-q"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], **quiet)
    return shutil.which("wrk")


# CPU accounting from /proc: utime + stime of processes, and the machine's busy time.


def _proc_stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; everything after its ')' is numeric.
    return text[text.rindex(")") + 2 :].split()


def process_cpu(server_groups: set[int], database: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each gunicorn process (by process group) and of each
    PostgreSQL backend connected to `database`."""
    found: dict[str, dict[int, float]] = {"gunicorn": {}, "postgres": {}}
    marker = f" {database} ".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fields = _proc_stat(pid)
        if fields is None:
            continue
        # fields[0] is the state (stat field 3): pgrp is field 5, utime/stime 14/15
        seconds = (int(fields[11]) + int(fields[12])) * CLOCK_TICK
        if int(fields[2]) in server_groups:
            found["gunicorn"][int(pid)] = seconds
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith(b"postgres: ") and marker in command:
            found["postgres"][int(pid)] = seconds
    return found


def machine_cpu() -> dict[str, float]:
    """The machine's CPU seconds since boot: busy, total, and irq + softirq (the loopback
    traffic's protocol work is mostly done there, not in any process's time)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    # user nice system idle iowait irq softirq steal
    return {
        "busy": (sum(values) - values[3] - values[4]) * CLOCK_TICK,
        "total": sum(values) * CLOCK_TICK,
        "irq": (values[5] + values[6]) * CLOCK_TICK,
    }


def _delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# wrk


def lua_script(directory: Path, name: str, requests: list[Request]) -> Path:
    """A wrk script: one fixed request (built once by wrk), or a rotation through several
    (the warm-up; a Lua call per request, not used while measuring)."""

    def lua_string(text: str) -> str:
        return json.dumps(text)  # a JSON string is a valid Lua string literal here (ASCII)

    lines = [
        f'wrk.headers["Accept"] = "{MEDIA}"',
        f'wrk.headers["Content-Type"] = "{MEDIA}"',
    ]
    if len(requests) == 1:
        (request,) = requests
        lines.append(f'wrk.method = "{request.method}"')
        lines.append(f"wrk.path = {lua_string(request.path)}")
        if request.body is not None:
            lines.append(f"wrk.body = {lua_string(json.dumps(request.body))}")
    else:
        lines.append("local requests = {")
        for request in requests:
            body = "nil" if request.body is None else lua_string(json.dumps(request.body))
            lines.append(
                f'  wrk.format("{request.method}", {lua_string(request.path)}, nil, {body}),'
            )
        lines += [
            "}",
            "local i = 0",
            "request = function()",
            "  i = i % #requests + 1",
            "  return requests[i]",
            "end",
        ]
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(
    wrk: str, port: int, script: Path, duration: float, connections: int, threads: int
) -> tuple[Result, str]:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"http://{HOST}:{port}",
    ]
    started = time.monotonic()
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    elapsed = time.monotonic() - started
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percentile in ("50", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
        latency[percentile] = _ms(match.group(1)) if match else float("nan")
    match = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    result = Result(
        rps=rps,
        p50=latency["50"],
        p99=latency["99"],
        requests=int(match.group(1)) if match else 0,
        errors=failed,
        seconds=elapsed,
    )
    return result, output


def measure(
    wrk: str, server: Server, script: Path, args: argparse.Namespace, database: str
) -> Result:
    """One wrk run against `server`, with the CPU each party used meanwhile."""
    group = {server.process.pid}
    procs_before = process_cpu(group, database)
    machine_before = machine_cpu()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result, _ = run_wrk(wrk, server.port, script, args.duration, args.connections, args.wrk_threads)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_after = machine_cpu()
    procs_after = process_cpu(group, database)
    result.cpu = {
        "gunicorn": _delta(procs_before["gunicorn"], procs_after["gunicorn"]),
        "postgres": _delta(procs_before["postgres"], procs_after["postgres"]),
        "wrk": (children_after.ru_utime + children_after.ru_stime)
        - (children_before.ru_utime + children_before.ru_stime),
        **{key: machine_after[key] - machine_before[key] for key in machine_after},
    }
    return result


# servers


def start(server: Server, python: Path, database_url: str, threads: int) -> None:
    gunicorn = python.parent / "gunicorn"
    factory = f"examples.blog:create_app({database_url!r}, seed_data=False)"
    command = [str(gunicorn), "--workers", str(server.workers), "--bind", f"{HOST}:{server.port}"]
    command += ["--worker-class", server.worker_class, "--log-level", "warning"]
    if Path("/dev/shm").is_dir():
        # The workers' heartbeat is an fchmod per request loop on a file in this directory;
        # on a disk-backed /tmp it can wait on the journal (gunicorn's own advice).
        command += ["--worker-tmp-dir", "/dev/shm"]
    if server.worker_class == "gthread":
        command += ["--threads", str(threads)]
    server.process = subprocess.Popen([*command, factory], cwd=ROOT, start_new_session=True)


def stop(server: Server) -> None:
    if server.process is None or server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


# the report


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def report(
    args: argparse.Namespace,
    servers: list[Server],
    names: list[str],
    results: dict[tuple[str, str], list[Result]],
    failures: list[str],
    started: datetime,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    tool: str,
    database: str,
) -> str:
    def median(name: str, server: Server, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in results[(name, server.name)])

    def cpu(name: str, server: Server) -> dict[str, float]:
        runs = results[(name, server.name)]
        requests = sum(r.requests for r in runs)
        seconds = sum(r.seconds for r in runs)
        per_request = {k: sum(r.cpu[k] for r in runs) / requests * 1e6 for k in runs[0].cpu}
        cores = {k: sum(r.cpu[k] for r in runs) / seconds for k in runs[0].cpu}
        return {"per_request": per_request, "cores": cores}

    def ceiling(name: str, server: Server) -> float:
        # The CPU per request of all runs of this worker class: one run's figure is noisy
        # on a shared machine, and the work per request does not depend on the worker count.
        runs = [
            r
            for s in servers
            if s.worker_class == server.worker_class
            for r in results.get((name, s.name), [])
        ]
        requests = sum(r.requests for r in runs)
        per = {k: sum(r.cpu[k] for r in runs) / requests for k in runs[0].cpu}
        if server.worker_class == "gthread":
            # threads overlap the database's time, not each other's Python (one GIL)
            serial = server.workers / per["gunicorn"]
        else:
            serial = server.workers / (per["gunicorn"] + per["postgres"])
        shared = (os.cpu_count() or 1) / sum(per[k] for k in ("gunicorn", "postgres", "wrk", "irq"))
        return min(serial, shared)

    def rows(columns: list[Any], cell: Callable[[str, Any], str]) -> list[str]:
        # One row per request: its label, then cell(request, column) for every column.
        return [
            f"| {REQUESTS[name].label} | " + " | ".join(cell(name, c) for c in columns) + " |"
            for name in names
        ]

    load_text = " / ".join(", ".join(f"{v:.2f}" for v in values) for values in load)
    lines = [
        "# HTTP benchmark results (`make bench-http`)",
        "",
        f"{started:%Y-%m-%d %H:%M} UTC. The blog demo (`examples.blog`, its article policy on) on "
        f"PostgreSQL (`{database}`, the 10,000-article dataset) under gunicorn on {HOST}; load: "
        f"{tool}, {args.connections} connections, {args.wrk_threads} wrk thread(s), one fixed "
        f"request per run, {args.rounds} round(s) of {args.duration:g} s per request and "
        f"configuration (median of rounds); gthread with {args.threads} threads per worker. "
        f"{os.cpu_count()} cores shared by gunicorn, PostgreSQL and wrk. Load average "
        f"(1, 5, 15 min) before / after: {load_text}.",
        "",
        "## Requests per second",
        "",
        "| request | " + " | ".join(s.name for s in servers) + " |",
        "|---|" + "---:|" * len(servers),
    ]
    lines += rows(
        servers,
        lambda name, server: (
            _rps(median(name, server, "rps")) if (name, server.name) in results else "FAILED"
        ),
    )

    scalings = []
    for worker_class in dict.fromkeys(s.worker_class for s in servers):
        ones = [s for s in servers if s.worker_class == worker_class and s.workers == 1]
        for other in (s for s in servers if s.worker_class == worker_class and s.workers > 1):
            if ones:
                scalings.append((ones[0], other))
    if scalings:
        lines += [
            "",
            "## Scaling (requests per second relative to 1 worker of the same class)",
            "",
            "Measured, and in brackets what the CPU each request took allows on a machine "
            "with nothing else running: a worker serves one request after the other while "
            "PostgreSQL works for it (1 / (gunicorn + postgres) per sync worker, 1 / gunicorn "
            "per gthread worker, whose threads overlap the waits), and all requests "
            f"share {os.cpu_count()} cores with wrk and the kernel "
            "(cores / (gunicorn + postgres + wrk + irq)), with the CPU per request of all "
            "runs of the worker class (the last table).",
            "",
            "| request | " + " | ".join(f"{a.name} → {b.workers}" for a, b in scalings) + " |",
            "|---|" + "---:|" * len(scalings),
        ]

        def scaling(name: str, pair: tuple[Server, Server]) -> str:
            one, other = pair
            if (name, one.name) not in results or (name, other.name) not in results:
                return "–"
            ratio = median(name, other, "rps") / median(name, one, "rps")
            model = ceiling(name, other) / ceiling(name, one)
            return f"{ratio:.2f}× ({model:.2f}×)"

        lines += rows(scalings, scaling)

    lines += [
        "",
        "## Latency, p50 / p99 in ms",
        "",
        "| request | " + " | ".join(s.name for s in servers) + " |",
        "|---|" + "---:|" * len(servers),
    ]
    lines += rows(
        servers,
        lambda name, server: (
            f"{median(name, server, 'p50'):.1f} / {median(name, server, 'p99'):.1f}"
            if (name, server.name) in results
            else "–"
        ),
    )

    lines += [
        "",
        "## Where the CPU went",
        "",
        "CPU µs per request: gunicorn (master and workers), the PostgreSQL backends of this "
        "database, wrk, the machine's irq + softirq time (where loopback TCP is mostly "
        "processed), and the rest of the machine's busy time (other users of a shared "
        "machine); then the cores this benchmark had on average (of "
        f"{os.cpu_count()}) and the cores busy in all.",
        "",
        "| request | config | gunicorn | postgres | wrk | irq | others | cores ours / busy |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        for server in servers:
            if (name, server.name) not in results:
                continue
            split = cpu(name, server)
            per, cores = split["per_request"], split["cores"]
            ours = ("gunicorn", "postgres", "wrk", "irq")
            others = per["busy"] - sum(per[k] for k in ours)
            lines.append(
                f"| {REQUESTS[name].label} | {server.name} | {per['gunicorn']:,.0f} | "
                f"{per['postgres']:,.0f} | {per['wrk']:,.0f} | {per['irq']:,.0f} | "
                f"{others:,.0f} | {sum(cores[k] for k in ours):.2f} / {cores['busy']:.2f} |"
            )

    errors = sum(r.errors for runs in results.values() for r in runs)
    lines += [
        "",
        f"Failed requests during the runs (non-2xx answers and wrk's socket errors): {errors}.",
    ]
    if failures:
        lines += ["", "## Failures", ""] + [f"- {failure}" for failure in failures]
    lines += ["", "Requests sent:", ""]
    for name in names:
        request = REQUESTS[name]
        lines.append(f"- `{name}`: `{request.method} {request.path}`")
    return "\n".join(lines) + "\n"


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="SQLAlchemy URL of the PostgreSQL database (env BENCH_DATABASE_URL; default "
        f"{DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--classes", default="sync,gthread", help="gunicorn worker classes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    parser.add_argument("--requests", default=",".join(REQUESTS), help="request types to run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--duration", type=int, default=2, help="seconds per run (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of mixed warm-up")
    parser.add_argument("--output", default=str(BENCH_DIR / "RESULTS-http.md"))
    parser.add_argument(
        "--report", metavar="JSON", help="only write the report of a run's raw figures again"
    )
    args = parser.parse_args()
    if args.report:
        return write_report(json.loads(Path(args.report).read_text()), args.output)
    names = [n.strip() for n in args.requests.split(",") if n.strip()]
    unknown = [n for n in names if n not in REQUESTS]
    if unknown:
        parser.error(f"unknown requests {unknown}; known: {', '.join(REQUESTS)}")

    started = datetime.now(timezone.utc)
    load_before = os.getloadavg()
    wrk = ensure_wrk()
    if wrk is None:
        log("wrk is needed (Debian/Ubuntu: apt-get install wrk)")
        return 2
    python = ensure_venv("http", log=log)
    database = _database_name(args.database_url)
    log(f"dataset in {database}: " + subprocess.run(
        [str(python), str(BENCH_DIR / "pg_copy.py"), args.database_url],
        check=True, capture_output=True, text=True,
    ).stdout.strip())  # fmt: skip
    servers = [
        Server(worker_class, int(workers), free_port())
        for worker_class in args.classes.split(",")
        for workers in args.workers.split(",")
    ]
    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-bench-http-"))
    scripts = {name: lua_script(scratch, name, [REQUESTS[name]]) for name in names}
    warmup = lua_script(scratch, "warmup", [REQUESTS[name] for name in names])
    results: dict[tuple[str, str], list[Result]] = {}
    failures: list[str] = []
    failed: set[tuple[str, str]] = set()
    try:
        for server in servers:
            start(server, python, args.database_url, args.threads)
        for server in servers:
            wait_until_up(server)
            for name in names:
                status = send(server.port, REQUESTS[name])
                if status != REQUESTS[name].status:
                    failures.append(f"{name} on {server.name}: answered {status}")
                    failed.add((name, server.name))
            log(f"{server.name} on port {server.port}: up; warming up for {args.warmup:g} s")
            run_wrk(wrk, server.port, warmup, args.warmup, args.connections, args.wrk_threads)
        for round_ in range(args.rounds):
            log(f"round {round_ + 1} of {args.rounds}")
            for name in names:
                # The order of the servers turns each round: none is always first after a switch.
                order = servers[round_ % len(servers) :] + servers[: round_ % len(servers)]
                for server in order:
                    if (name, server.name) in failed:
                        continue
                    result = measure(wrk, server, scripts[name], args, database)
                    results.setdefault((name, server.name), []).append(result)
                    log(
                        f"  {name:17} {server.name:11} {result.rps:8.1f} req/s  "
                        f"p50 {result.p50:6.1f} ms  p99 {result.p99:6.1f} ms"
                    )
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(scratch, ignore_errors=True)
        subprocess.run(
            [str(python), str(BENCH_DIR / "pg_copy.py"), args.database_url, "--restore"],
            check=False,
        )

    raw = {
        "args": {k: getattr(args, k) for k in SAVED_ARGS},
        "servers": [[s.worker_class, s.workers] for s in servers],
        "names": names,
        "results": [
            {"request": name, "server": server, **asdict(result)}
            for (name, server), runs in results.items()
            for result in runs
        ],
        "failures": failures,
        "started": started.isoformat(),
        "load": [load_before, os.getloadavg()],
        "tool": f"wrk ({wrk})",
        "database": database,
    }
    if args.output:
        Path(args.output).with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    return write_report(raw, args.output)


SAVED_ARGS = ("connections", "wrk_threads", "rounds", "duration", "threads")


def write_report(raw: dict, output: str | None) -> int:
    """Print the report of a run's raw figures (and write it to `output`)."""
    args = argparse.Namespace(**raw["args"])
    servers = [Server(worker_class, workers) for worker_class, workers in raw["servers"]]
    results: dict[tuple[str, str], list[Result]] = {}
    for row in raw["results"]:
        row = dict(row)
        key = (row.pop("request"), row.pop("server"))
        results.setdefault(key, []).append(Result(**row))
    text = report(
        args,
        servers,
        raw["names"],
        results,
        raw["failures"],
        datetime.fromisoformat(raw["started"]),
        tuple(tuple(values) for values in raw["load"]),
        raw["tool"],
        raw["database"],
    )
    print(text)
    if output:
        Path(output).write_text(text)
        log(f"written to {output} (raw figures: {Path(output).with_suffix('.json').name})")
    return 0 if not raw["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
