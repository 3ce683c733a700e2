"""The benchmark: our library against its peers and a hand-written app (``make bench``).

Runs with any Python 3.10+ and no third-party package: it builds the dataset, creates one
venv per target (benchmarks/.venvs/<target>), starts one worker process per target in its
venv, and drives them over pipes. Every response is first validated against the database
(status, primary resources, included resources, what a write stored); the hand-written
app's documents are compared with our library's. Then the targets are timed round by round,
interleaved (A B C D A B C D ...), so that a slow phase of the machine hits all of them
alike. A request a target answers wrongly is reported FAILED and never timed.

    python3 benchmarks/run.py [--rounds N] [--seconds S] [--targets a,b] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from dataset import DATA_DIR, FILTER_NAME, ensure_dataset  # noqa: E402
from venvs import ensure_venv  # noqa: E402

TARGETS = ["handwritten", "ours", "ours_unscoped", "ours_filtered", "original", "rest_jsonapi_next"]
BASELINE = "handwritten"
LABELS = {
    "handwritten": "hand-written",
    "ours": "ours",
    "ours_unscoped": "ours, no policy",
    "ours_filtered": "ours, no policy, filter[draft]=false",
    "original": "flask-jsonapi 1.4.1",
    "rest_jsonapi_next": "flask-rest-jsonapi-next 0.48",
}
REQUESTS = {
    "get_one": "GET one article",
    "list_50": "GET 50 articles",
    "include_50": "GET 50 articles, include=author,comments",
    "sparse_filter_50": "GET 50, sparse fields + sort + filter on author",
    "post": "POST an article with its author",
    "patch": "PATCH an article's title",
    "deep_include_100": "GET 100, include=author,comments.author,tags",
}
MEMORY_REQUEST = "memory_1000"
MEMORY_LABEL = "GET 1,000 articles, include=author,comments"
MEDIA_TYPE = "application/vnd.api+json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Workers ------------------------------------------------------------------------------------


class WorkerDied(Exception):
    pass


class Worker:
    """A target's worker process: one JSON command a line in, one JSON answer a line out."""

    def __init__(self, target: str, python: Path, database: Path) -> None:
        self.target = target
        self.stderr = open(DATA_DIR / "work" / f"{target}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(python), str(BENCH_DIR / "worker.py"), target, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            cwd=BENCH_DIR,
        )
        hello = self._read()
        if "error" in hello:
            raise WorkerDied(hello["error"])

    def _read(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:
            raise WorkerDied(f"{self.target} worker exited (see {self.stderr.name})")
        return json.loads(line)

    def ask(self, cmd: str, **arguments: Any) -> Any:
        self.process.stdin.write(json.dumps({"cmd": cmd, **arguments}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.process.stdin.write('{"cmd": "quit"}\n')
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
        self.stderr.close()


# What the database says the answers are ------------------------------------------------------


def expectations(database: Path) -> dict[str, dict[str, Any]]:
    """Per request: the primary ids (in order) and the included (type, id) set."""
    db = sqlite3.connect(database)

    def column(sql: str, *args: Any) -> list[int]:
        return [row[0] for row in db.execute(sql, args)]

    def included(ids: list[int], paths: set[str]) -> set[tuple[str, str]]:
        marks = ",".join("?" * len(ids))
        found: set[tuple[str, str]] = set()
        if "author" in paths:
            sql = f"SELECT author_id FROM articles WHERE id IN ({marks}) AND author_id IS NOT NULL"
            found |= {("authors", str(i)) for i in column(sql, *ids)}
        comment_ids = column(f"SELECT id FROM comments WHERE article_id IN ({marks})", *ids)
        if "comments" in paths:
            found |= {("comments", str(i)) for i in comment_ids}
        if "comments.author" in paths:
            sql = (
                f"SELECT author_id FROM comments WHERE article_id IN ({marks}) "
                "AND author_id IS NOT NULL"
            )
            found |= {("authors", str(i)) for i in column(sql, *ids)}
        if "tags" in paths:
            sql = f"SELECT tag_id FROM article_tags WHERE article_id IN ({marks})"
            found |= {("tags", str(i)) for i in column(sql, *ids)}
        return found

    first = lambda n: list(range(1, n + 1))  # noqa: E731
    filtered = column(
        "SELECT a.id FROM articles a JOIN authors u ON u.id = a.author_id "
        "WHERE u.name = ? ORDER BY a.views DESC LIMIT 50",
        FILTER_NAME,
    )
    result = {
        "get_one": {"one": True},
        "list_50": {"ids": first(50), "included": set()},
        "include_50": {"ids": first(50), "included": included(first(50), {"author", "comments"})},
        "sparse_filter_50": {"ids": filtered, "included": set(), "sparse": True},
        "post": {"one": True},
        "patch": {"one": True},
        "deep_include_100": {
            "ids": first(100),
            "included": included(first(100), {"author", "comments", "comments.author", "tags"}),
        },
        MEMORY_REQUEST: {
            "ids": first(1000),
            "included": included(first(1000), {"author", "comments"}),
        },
    }
    db.close()
    return result


def validate(
    name: str, spec: dict[str, Any], answer: dict[str, Any], expected: dict[str, Any]
) -> str | None:
    """Why `answer` is wrong, or None."""
    if "error" in answer:
        return answer["error"]
    if answer["status"] != spec["status"]:
        return f"status {answer['status']}, expected {spec['status']}: {answer['body'][:200]}"
    method = spec["method"]
    if method == "POST":
        stored = answer["stored"]
        if stored != [["A benchmark article", 5]]:
            return f"POST stored {stored!r}"
    if method == "PATCH":
        title = json.loads(answer["sent"])["data"]["attributes"]["title"]
        if not answer["stored"] or answer["stored"][0][0] != title:
            return f"PATCH stored {answer['stored']!r}, sent title {title!r}"
        if answer["status"] == 204:
            return None
    try:
        document = json.loads(answer["body"])
    except ValueError:
        return f"not JSON: {answer['body'][:200]}"
    data = document.get("data")
    if expected.get("one"):
        if not isinstance(data, dict) or data.get("type") != "articles" or "id" not in data:
            return f"expected one articles resource, got {str(data)[:200]}"
        if name == "get_one" and str(data["id"]) != spec["path"].rsplit("/", 1)[-1]:
            return f"wrong article {data['id']!r}"
        return None
    if not isinstance(data, list):
        return f"expected a collection, got {str(data)[:200]}"
    ids = [str(item.get("id")) for item in data]
    want = [str(i) for i in expected["ids"]]
    if ids != want:
        return f"{len(ids)} resources (ids {ids[:5]}...), expected {len(want)} ({want[:5]}...)"
    got = {(item.get("type"), str(item.get("id"))) for item in document.get("included") or []}
    if got != expected["included"]:
        missing, extra = expected["included"] - got, got - expected["included"]
        return (
            f"included: {len(got)} resources, expected {len(expected['included'])} "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]})"
        )
    if expected.get("sparse"):
        for item in data:
            attributes = item.get("attributes") or {}
            if "title" not in attributes or "body" in attributes:
                return f"sparse fieldset not applied: {sorted(attributes)}"
    return None


def _canonical(document: Any, name: str) -> Any:
    if isinstance(document, dict) and isinstance(document.get("included"), list):
        document["included"].sort(key=lambda r: (r.get("type"), r.get("id")))
    if name == "post" and isinstance(document, dict):
        (document.get("data") or {}).get("attributes", {}).pop("created", None)
    return document


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path or '/'}: {str(a)[:80]!r} != {str(b)[:80]!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}: only in {'ours' if key in a else 'hand-written'}"
            found = _first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}/{i}")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {str(a)[:80]!r} != {str(b)[:80]!r}"


def parity(name: str, ours: dict[str, Any], hand: dict[str, Any]) -> str | None:
    """How the hand-written app's answer differs from our library's, or None."""
    if "error" in ours or "error" in hand:
        return "no answer to compare"
    if ours["status"] != hand["status"]:
        return f"status {ours['status']} != {hand['status']}"
    for header in ("Content-Type", "Location"):
        mine = [v for k, v in ours["headers"] if k.lower() == header.lower()]
        theirs = [v for k, v in hand["headers"] if k.lower() == header.lower()]
        if mine != theirs:
            return f"{header}: {mine} != {theirs}"
    if not ours["body"] and not hand["body"]:
        return None
    try:
        a = _canonical(json.loads(ours["body"]), name)
        b = _canonical(json.loads(hand["body"]), name)
    except ValueError:
        return "body is not JSON"
    return _first_difference(a, b)


# The run -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform()}


def fmt_rps(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def run(args: argparse.Namespace) -> int:
    started = time.time()
    load_before = os.getloadavg()
    targets = [t for t in TARGETS if t in args.targets]
    requests = [r for r in REQUESTS if r in args.requests]
    log(f"dataset: {ensure_dataset()}")
    work = DATA_DIR / "work"
    work.mkdir(parents=True, exist_ok=True)
    # The targets' databases live in memory (tmpfs) where there is one: a commit's fsync
    # would otherwise make every write as slow as the disk, whatever the library does.
    shm = Path("/dev/shm")
    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-bench-", dir=shm if shm.is_dir() else work))

    workers: dict[str, Worker] = {}
    broken: dict[str, str] = {}
    for target in targets:
        try:
            python = ensure_venv(target, log=log)
            database = scratch / f"{target}.sqlite"
            shutil.copyfile(ensure_dataset(), database)
            workers[target] = Worker(target, python, database)
            log(f"[{target}] ready")
        except (WorkerDied, subprocess.CalledProcessError, OSError) as exc:
            broken[target] = str(exc)
            log(f"[{target}] FAILED to start: {exc}")

    def ask(target: str, cmd: str, **arguments: Any) -> dict[str, Any]:
        if target in broken:
            return {"error": broken[target]}
        try:
            return workers[target].ask(cmd, **arguments)
        except (WorkerDied, BrokenPipeError, OSError) as exc:
            broken[target] = str(exc)
            return {"error": str(exc)}

    info = {t: ask(t, "info") for t in targets}
    specs = {t: ask(t, "requests") for t in targets}
    expected = expectations(ensure_dataset())

    # Validation (and the SQL statements of each request) -----------------------------------
    failed: dict[tuple[str, str], str] = {}
    sql: dict[tuple[str, str], int] = {}
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    for name in [*requests, MEMORY_REQUEST]:
        for target in targets:
            spec = specs[target].get(name) if "error" not in specs[target] else None
            if spec is None:
                failed[(target, name)] = broken.get(target, "request not defined")
                continue
            answer = ask(target, "call", request=name)
            answers[(target, name)] = answer
            reason = validate(name, spec, answer, expected[name])
            if reason:
                failed[(target, name)] = reason
                log(f"[{target}] {name}: FAILED: {reason}")
            else:
                sql[(target, name)] = answer["sql"]
    differences: dict[str, str] = {}
    if "ours" in targets and BASELINE in targets:
        for name in [*requests, MEMORY_REQUEST]:
            a, b = answers.get(("ours", name)), answers.get((BASELINE, name))
            if a and b:
                found = parity(name, a, b)
                if found:
                    differences[name] = found
                    log(f"[parity] {name}: hand-written differs from ours: {found}")

    # Timing -----------------------------------------------------------------------------------
    timed = [(n, t) for n in requests for t in targets if (t, n) not in failed]
    log(f"warm-up, then {args.rounds} rounds of {args.seconds}s per request and target")
    for name, target in timed:
        ask(target, "time", request=name, seconds=args.seconds / 2)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in timed}
    for round_ in range(args.rounds):
        for name in requests:
            for target in targets:
                if (target, name) in failed:
                    continue
                result = ask(target, "time", request=name, seconds=args.seconds)
                if "error" in result or result["failures"]:
                    why = result.get("error") or f"statuses {result['failures']} while timed"
                    failed[(target, name)] = why
                    log(f"[{target}] {name}: FAILED: {why}")
                    continue
                samples[(name, target)].append(result["n"] / result["seconds"])
        log(f"round {round_ + 1}/{args.rounds} done ({time.time() - started:.0f}s)")
    rps = {
        key: statistics.median(values)
        for key, values in samples.items()
        if values and (key[1], key[0]) not in failed
    }

    # Memory -------------------------------------------------------------------------------------
    memory: dict[str, float] = {}
    for target in targets:
        if (target, MEMORY_REQUEST) in failed:
            continue
        peaks = []
        for _ in range(3):
            result = ask(target, "memory", request=MEMORY_REQUEST)
            if "error" in result:
                failed[(target, MEMORY_REQUEST)] = result["error"]
                break
            peaks.append(result["peak"])
        if peaks:
            memory[target] = statistics.median(peaks) / 1e6

    for worker in workers.values():
        worker.close()
    shutil.rmtree(scratch, ignore_errors=True)

    report = render(
        args=args,
        targets=targets,
        requests=requests,
        rps=rps,
        sql=sql,
        memory=memory,
        failed=failed,
        differences=differences,
        info=info,
        specs=specs,
        started=started,
        load=(load_before, os.getloadavg()),
    )
    print(report)
    if args.output:
        Path(args.output).write_text(report)
        log(f"written to {args.output}")
    return 0


def render(**r: Any) -> str:
    targets, requests, rps, sql, failed = (
        r["targets"],
        r["requests"],
        r["rps"],
        r["sql"],
        r["failed"],
    )
    base = BASELINE if BASELINE in targets else None
    lines: list[str] = []
    out = lines.append
    now = datetime.fromtimestamp(r["started"], timezone.utc)
    m = machine()
    out("# Benchmark results")
    out("")
    out(
        f"{now:%Y-%m-%d %H:%M} UTC; {m['cpu']}, {m['cores']} cores, {m['system']}; "
        f"load average {r['load'][0][0]:.1f} at the start, {r['load'][1][0]:.1f} at the end; "
        f"{r['args'].rounds} rounds of {r['args'].seconds}s per request and target, "
        f"run in {time.time() - r['started']:.0f}s. Dataset: 1,000 authors, 10,000 articles, "
        "50,000 comments, 50 tags (SQLite). In-process WSGI, one venv per target."
    )
    out("")
    out("## Requests per second relative to the hand-written app (median; higher is better)")
    out("")
    out("| request | " + " | ".join(LABELS[t] for t in targets) + " |")
    out("|---|" + "---:|" * len(targets))
    for name in requests:
        cells = []
        for t in targets:
            if (t, name) in failed:
                cells.append("FAILED")
            elif base and (name, base) in rps and (name, t) in rps:
                cells.append(f"{rps[(name, t)] / rps[(name, base)]:.2f}")
            else:
                cells.append("-")
        mark = " (≠)" if name in r["differences"] else ""
        out(f"| {REQUESTS[name]}{mark} | " + " | ".join(cells) + " |")
    out("")
    out("## Requests per second and SQL statements per request")
    out("")
    out("| request | " + " | ".join(LABELS[t] for t in targets) + " |")
    out("|---|" + "---:|" * len(targets))
    for name in requests:
        cells = []
        for t in targets:
            if (t, name) in failed:
                cells.append("FAILED")
            else:
                cells.append(f"{fmt_rps(rps.get((name, t)))} req/s, {sql.get((t, name), '-')} SQL")
        out(f"| {REQUESTS[name]} | " + " | ".join(cells) + " |")
    out("")
    if "ours" in targets and "ours_unscoped" in targets:
        out("## Secured requests: the demo's row policy against the same app without it")
        out("")
        out(
            "`ours` serves the demo as `make run` does: every statement that reads articles "
            "carries `ArticlePolicy`'s scope (`draft = false` for an anonymous client). "
            "`ours, no policy` is the same app with the policy removed."
        )
        out("")
        out(
            "`ours, no policy, filter[draft]=false` asks that app for the same rows with a "
            "filter: the same SQL as the scoped demo, so the last ratio is what the policy "
            "machinery costs, apart from the database's work on the condition (counting the "
            "rows in scope is a scan where an unconditional count is not)."
        )
        out("")
        out("| request | scoped / unscoped | scoped / same filter | SQL scoped | SQL unscoped |")
        out("|---|---:|---:|---:|---:|")
        for name in requests:
            a = rps.get((name, "ours"))
            cells = []
            for other in ("ours_unscoped", "ours_filtered"):
                b = rps.get((name, other))
                cells.append(f"{a / b:.2f}" if a and b else "-")
            sql_a, sql_b = sql.get(("ours", name), "-"), sql.get(("ours_unscoped", name), "-")
            out(f"| {REQUESTS[name]} | {' | '.join(cells)} | {sql_a} | {sql_b} |")
        out("")
    out(f"## Peak memory (tracemalloc) of one request: {MEMORY_LABEL}")
    out("")
    out("| | " + " | ".join(LABELS[t] for t in targets) + " |")
    out("|---|" + "---:|" * len(targets))
    cells = []
    for t in targets:
        if (t, MEMORY_REQUEST) in failed:
            cells.append("FAILED")
        elif t in r["memory"]:
            ratio = ""
            if base and base in r["memory"]:
                ratio = f" ({r['memory'][t] / r['memory'][base]:.2f}×)"
            cells.append(f"{r['memory'][t]:.1f} MB{ratio}")
        else:
            cells.append("-")
    out("| peak | " + " | ".join(cells) + " |")
    sql_cells = [
        "FAILED" if (t, MEMORY_REQUEST) in failed else str(sql.get((t, MEMORY_REQUEST), "-"))
        for t in targets
    ]
    out("| SQL statements | " + " | ".join(sql_cells) + " |")
    out("")
    if failed:
        out("## Failures")
        out("")
        for (t, name), why in sorted(failed.items()):
            out(f"- {LABELS[t]}, {REQUESTS.get(name, MEMORY_LABEL)}: {why[:300]}")
        out("")
    out("## Document parity (hand-written app vs ours)")
    out("")
    if not r["differences"]:
        out("Every compared request answered the same document (included compared as a set).")
    for name, why in r["differences"].items():
        out(f"- {REQUESTS.get(name, MEMORY_LABEL)}: {why}")
    out("")
    out("## Versions")
    out("")
    for t in targets:
        info = r["info"][t]
        if "error" in info:
            out(f"- {LABELS[t]}: {info['error']}")
            continue
        versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        out(f"- {LABELS[t]}: {info['implementation']} {info['python']}; {versions}")
    out("")
    out("## The requests each target was sent")
    out("")
    for t in targets:
        spec = r["specs"][t]
        if "error" in spec:
            continue
        out(f"- {LABELS[t]}:")
        for name in [*requests, MEMORY_REQUEST]:
            s = spec[name]
            query = f"?{s['query']}" if s["query"] else ""
            out(f"  - `{s['method']} {s['path']}{query}` → {s['status']}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument(
        "--seconds", type=float, default=0.25, help="time per request, target and round"
    )
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--requests", default=",".join(REQUESTS), help="comma-separated")
    parser.add_argument(
        "--output", default=str(BENCH_DIR / "RESULTS.md"), help="'' to write nothing"
    )
    args = parser.parse_args()
    args.targets = args.targets.split(",")
    args.requests = args.requests.split(",")
    unknown = [t for t in args.targets if t not in TARGETS]
    unknown += [n for n in args.requests if n not in REQUESTS]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
