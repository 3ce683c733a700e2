"""The blog demo over real HTTP (``make bench-http``): gunicorn with 2 workers on loopback,
loaded by ``wrk`` (Debian's package) for a bounded time per URL.

It serves a copy of the benchmark dataset from ``examples.blog``'s app factory on a free
port of 127.0.0.1, checks that every URL answers 200, runs ``wrk`` against each URL in
turn, reports requests per second and latency percentiles, then stops gunicorn. Without
``wrk`` on the PATH it falls back to a small load loop of its own (threads over
``http.client``), said so in the report. Only loopback traffic; every run stops by itself.

    python3 benchmarks/bench_http.py [--duration 10] [--connections 8] [--output FILE]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from dataset import FILTER_NAME, ensure_dataset  # noqa: E402
from venvs import ensure_venv  # noqa: E402

HOST = "127.0.0.1"
ACCEPT = "application/vnd.api+json"
URLS = [
    ("GET one article", "/articles/1234"),
    ("GET 50 articles", "/articles?page%5Bsize%5D=50"),
    ("GET 50, include=author,comments", "/articles?include=author%2Ccomments&page%5Bsize%5D=50"),
    (
        "GET 50, sparse + sort + filter",
        "/articles?fields%5Barticles%5D=title%2Cviews%2Cauthor&sort=-views"
        f"&filter%5Bauthor%5D%5Bname%5D={FILTER_NAME.replace(' ', '%20')}&page%5Bsize%5D=50",
    ),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str, timeout: float = 30) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": ACCEPT})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_up(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            get(port, "/articles/1", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"Accept: {ACCEPT}",
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "90", "99"):
        match = re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percentile}"] = _ms(match.group(1)) if match else float("nan")
    match = re.search(r"(\d+) requests in", output)
    result["requests"] = int(match.group(1)) if match else 0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    result["errors"] = int(errors.group(1)) if errors else 0
    result["socket_errors"] = socket_errors.group(1) if socket_errors else ""
    return result


def run_fallback(port: int, path: str, duration: int, connections: int) -> dict[str, float]:
    """Threads looping over keep-alive connections: a weaker load tool than wrk."""
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + duration
    lock = threading.Lock()

    def loop() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        mine: list[float] = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Accept": ACCEPT})
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1e3)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50": quantiles[49],
        "p90": quantiles[89],
        "p99": quantiles[98],
        "requests": len(latencies),
        "errors": errors[0],
        "socket_errors": "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="open connections")
    parser.add_argument("--output", default=str(BENCH_DIR / "RESULTS-http.md"))
    args = parser.parse_args()

    python = ensure_venv("http", log=log)
    gunicorn = python.parent / "gunicorn"
    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-bench-http-"))
    database = scratch / "blog.sqlite"
    shutil.copyfile(ensure_dataset(), database)
    port = free_port()
    factory = f"examples.blog:create_app('sqlite:///{database}', seed_data=False)"
    command = [str(gunicorn), "--workers", "2", "--bind", f"{HOST}:{port}", factory]
    command += ["--log-level", "warning"]
    log(f"starting gunicorn on {HOST}:{port}")
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    tool = "wrk" if shutil.which("wrk") else "python http.client threads (wrk not found)"
    rows = []
    try:
        wait_until_up(port, server)
        for label, path in URLS:
            status = get(port, path)
            if status != 200:
                rows.append((label, path, None, f"answered {status}"))
                continue
            log(f"{label}: {args.duration}s of load with {tool}")
            if tool == "wrk":
                result = run_wrk(f"http://{HOST}:{port}{path}", args.duration, args.connections)
            else:
                result = run_fallback(port, path, args.duration, args.connections)
            rows.append((label, path, result, None))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    lines = [
        "# HTTP benchmark results (`make bench-http`)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; the blog demo (`examples.blog`) on "
        f"the 10,000-article dataset under gunicorn, 2 workers, {HOST}; load: {tool}, "
        f"{args.connections} connections, {args.duration}s per URL; {os.cpu_count()} cores "
        "shared by server and load tool.",
        "",
        "| request | req/s | p50 ms | p90 ms | p99 ms | requests | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, path, result, problem in rows:
        if result is None:
            lines.append(f"| {label} (`{path}`) | FAILED: {problem} | | | | | |")
            continue
        lines.append(
            f"| {label} | {result['rps']:,.1f} | {result['p50']:.1f} | {result['p90']:.1f} | "
            f"{result['p99']:.1f} | {result['requests']:,} | {result['errors']} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        Path(args.output).write_text(report)
        log(f"written to {args.output}")
    return 0 if all(result is not None for _, _, result, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
