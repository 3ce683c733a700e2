"""The benchmark: our library against its peers and a hand-written app (``make bench``).

Runs with any Python 3.10+ and no third-party package: it builds the dataset, creates one
venv per target (benchmarks/.venvs/<target>), starts one worker process per target in its
venv, and drives them over pipes. Every response is first validated against the database
(status, primary resources, included resources, what a write stored); the hand-written
app's documents are compared with our library's. Then the targets are timed round by round,
interleaved (A B C D A B C D ...), so that a slow phase of the machine hits all of them
alike. A request a target answers wrongly is reported FAILED and never timed.

    python3 benchmarks/run.py [--rounds N] [--seconds S] [--targets a,b] [--requests a,b]
                              [--databases sqlite,postgresql] [--output FILE]

The PostgreSQL run needs a server: BENCH_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); the dataset is copied into that
database (its tables are replaced) the first time.
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
from targets.common import DEEP_PAGE, RELATED_ID, SEED_AUTHOR  # noqa: E402
from venvs import ensure_venv  # noqa: E402

TARGETS = [
    "handwritten",
    "ours",
    "ours_unscoped",
    "ours_filtered",
    "ours_cursor",
    "original",
    "rest_jsonapi_next",
]
#: the targets of the PostgreSQL run (the peers run on SQLite only, to keep the run short)
POSTGRES_TARGETS = ["handwritten", "ours", "ours_unscoped", "ours_filtered", "ours_cursor"]
DATABASES = ["sqlite", "postgresql"]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BASELINE = "handwritten"
LABELS = {
    "handwritten": "hand-written",
    "ours": "ours",
    "ours_unscoped": "ours, no policy",
    "ours_filtered": "ours, no policy, filter[draft]=false",
    "ours_cursor": "ours, cursor pagination",
    "original": "flask-jsonapi 1.4.1",
    "rest_jsonapi_next": "flask-rest-jsonapi-next 0.48",
}
REQUESTS = {
    "get_one": "GET one article",
    "list_50": "GET 50 articles",
    "list_50_scoped": "GET 50 articles, row-scoped",
    "include_50": "GET 50 articles, include=author,comments",
    "include_50_scoped": "GET 50 articles, include=author,comments, row-scoped",
    "sparse_filter_50": "GET 50, sparse fields + sort + filter on author",
    "sparse_filter_seed": "GET an author's articles, sparse + sort + FilterSchema filter",
    "post": "POST an article with its author",
    "patch": "PATCH an article's title",
    "deep_include_100": "GET 100, include=author,comments.author,tags",
    "relationship_tags": "GET /articles/1/relationships/tags",
    "related_comments": "GET /articles/1/comments",
}
#: rows of the like-for-like table served by ``ours`` (row-scoped, as the hand-written
#: app's scoped handlers); every other row compares ``ours_unscoped``.
SCOPED_REQUESTS = {"list_50_scoped", "include_50_scoped"}
#: the pagination table: the first, the second and the 1,000th page of 50 of the 50,000
#: comments (a deep page against the first page, which has no cursor, and the second, which
#: is reached by one)
PAGE_REQUESTS = {
    "comments_page_1": "page 1",
    "comments_page_2": "page 2",
    "comments_page_deep": "page 1,000",
}
PAGE_TARGETS = {"ours_cursor": "cursor (`page[after]`)", "ours": "number (`page[number]`)"}
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

    def __init__(self, target: str, python: Path, database_url: str, log_name: str) -> None:
        self.target = target
        self.stderr = open(DATA_DIR / "work" / f"{log_name}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(python), str(BENCH_DIR / "worker.py"), target, database_url],
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
    # The dataset has no drafts: the row-scoped requests answer the same rows.
    result = {
        "get_one": {"one": True},
        "list_50": {"ids": first(50), "included": set()},
        "list_50_scoped": {"ids": first(50), "included": set()},
        "include_50": {"ids": first(50), "included": included(first(50), {"author", "comments"})},
        "include_50_scoped": {
            "ids": first(50),
            "included": included(first(50), {"author", "comments"}),
        },
        "sparse_filter_seed": {
            "ids": column(
                "SELECT id FROM articles WHERE author_id = ? ORDER BY created DESC, id LIMIT 50",
                SEED_AUTHOR,
            ),
            "included": set(),
            "sparse": True,
        },
        "relationship_tags": {
            "ids": column(
                "SELECT tag_id FROM article_tags WHERE article_id = ? ORDER BY tag_id", RELATED_ID
            ),
            "included": set(),
        },
        "related_comments": {
            "ids": column(
                "SELECT id FROM comments WHERE article_id = ? ORDER BY id LIMIT 50", RELATED_ID
            ),
            "included": set(),
        },
        "comments_page_1": {"ids": list(range(1, 51)), "included": set()},
        "comments_page_2": {"ids": list(range(51, 101)), "included": set()},
        "comments_page_deep": {
            "ids": list(range((DEEP_PAGE - 1) * 50 + 1, DEEP_PAGE * 50 + 1)),
            "included": set(),
        },
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


def _new_id_aside(answer: dict[str, Any]) -> dict[str, Any]:
    """`answer` with the created article's id replaced by a placeholder."""
    try:
        new_id = json.loads(answer["body"])["data"]["id"]
    except (ValueError, KeyError, TypeError):
        return answer
    swap = lambda text: text.replace(f"/articles/{new_id}", "/articles/NEW")  # noqa: E731
    return {
        **answer,
        "headers": [(k, swap(v)) for k, v in answer["headers"]],
        "body": swap(answer["body"]).replace(f'"id":"{new_id}"', '"id":"NEW"'),
    }


def parity(name: str, ours: dict[str, Any], hand: dict[str, Any]) -> str | None:
    """How the hand-written app's answer differs from our library's, or None."""
    if "error" in ours or "error" in hand:
        return "no answer to compare"
    if ours["status"] != hand["status"]:
        return f"status {ours['status']} != {hand['status']}"
    if name == "post":
        # On PostgreSQL the targets share one sequence: each POST gets its own new id.
        ours, hand = _new_id_aside(ours), _new_id_aside(hand)
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


def postgres_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def prepare_database(database: str, targets: list[str], scratch: Path) -> dict[str, str]:
    """Each target's database URL: its own copy of the SQLite file in tmpfs, or the one
    PostgreSQL database (loaded with the dataset first) that all targets share."""
    if database == "sqlite":
        urls = {}
        for target in targets:
            path = scratch / f"{target}.sqlite"
            shutil.copyfile(ensure_dataset(), path)
            urls[target] = f"sqlite:///{path}"
        return urls
    url = postgres_url()
    python = ensure_venv("handwritten", log=log)
    done = subprocess.run(
        [str(python), str(BENCH_DIR / "pg_copy.py"), url],
        capture_output=True,
        text=True,
        cwd=BENCH_DIR,
    )
    if done.returncode:
        raise OSError(f"loading the dataset into {url}: {done.stderr.strip()[-500:]}")
    log(f"postgresql: dataset {done.stdout.strip()} ({url})")
    return dict.fromkeys(targets, url)


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    """Validate, time and weigh every selected request of every target on `database`."""
    started = time.time()
    load_before = os.getloadavg()
    allowed = TARGETS if database == "sqlite" else POSTGRES_TARGETS
    targets = [t for t in TARGETS if t in args.targets and t in allowed]
    requests = [r for r in REQUESTS if r in args.requests]
    pages = [r for r in PAGE_REQUESTS if r in args.requests]
    work = DATA_DIR / "work"
    work.mkdir(parents=True, exist_ok=True)
    # The targets' SQLite databases live in memory (tmpfs) where there is one: a commit's
    # fsync would otherwise make every write as slow as the disk, whatever the library does.
    shm = Path("/dev/shm")
    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-bench-", dir=shm if shm.is_dir() else work))

    workers: dict[str, Worker] = {}
    broken: dict[str, str] = {}
    try:
        urls = prepare_database(database, targets, scratch)
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"[{database}] FAILED: {exc}")
        urls = {}
        broken = dict.fromkeys(targets, str(exc))
    for target in targets:
        if target in broken:
            continue
        try:
            python = ensure_venv(target, log=log)
            workers[target] = Worker(target, python, urls[target], f"{database}-{target}")
            log(f"[{database}] [{target}] ready")
        except (WorkerDied, subprocess.CalledProcessError, OSError) as exc:
            broken[target] = str(exc)
            log(f"[{database}] [{target}] FAILED to start: {exc}")

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
    # A request a target does not define (a peer's dialect has no such endpoint, or the
    # request is another variant's) is absent: "-" in the tables, neither timed nor FAILED.
    failed: dict[tuple[str, str], str] = {}
    absent: set[tuple[str, str]] = set()
    sql: dict[tuple[str, str], int] = {}
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    for name in [*requests, *pages, MEMORY_REQUEST]:
        for target in targets:
            if "error" in specs[target]:
                failed[(target, name)] = broken.get(target, specs[target]["error"])
                continue
            spec = specs[target].get(name)
            if spec is None:
                absent.add((target, name))
                continue
            answer = ask(target, "call", request=name)
            answers[(target, name)] = answer
            reason = validate(name, spec, answer, expected[name])
            if reason:
                failed[(target, name)] = reason
                log(f"[{database}] [{target}] {name}: FAILED: {reason}")
            else:
                sql[(target, name)] = answer["sql"]
    differences: dict[str, str] = {}
    if BASELINE in targets:
        for name in [*requests, MEMORY_REQUEST]:
            ours = (
                "ours"
                if name in SCOPED_REQUESTS or "ours_unscoped" not in targets
                else ("ours_unscoped")
            )
            a, b = answers.get((ours, name)), answers.get((BASELINE, name))
            if a and b:
                found = parity(name, a, b)
                if found:
                    differences[name] = found
                    log(f"[{database}] [parity] {name}: hand-written differs from ours: {found}")

    # Timing -----------------------------------------------------------------------------------
    skip = failed.keys() | absent
    timed = [(n, t) for n in requests for t in targets if (t, n) not in skip]
    # The pages of one target are timed together, in turn (their ratio is the table's).
    paged = {t: [n for n in pages if (t, n) not in skip] for t in targets}
    paged = {t: names for t, names in paged.items() if names}
    log(
        f"[{database}] warm-up, then {args.rounds} rounds of {args.seconds}s per request and target"
    )
    for name, target in timed:
        ask(target, "time", request=name, seconds=args.seconds / 2)
    for target, names in paged.items():
        ask(target, "time_together", requests=names, seconds=args.seconds * len(names) / 2)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in timed}
    samples.update({(n, t): [] for t, names in paged.items() for n in names})

    def record(name: str, target: str, result: dict[str, Any]) -> None:
        if "error" in result or result["failures"]:
            why = result.get("error") or f"statuses {result['failures']} while timed"
            failed[(target, name)] = why
            log(f"[{database}] [{target}] {name}: FAILED: {why}")
        else:
            samples[(name, target)].append(result["n"] / result["seconds"])

    for round_ in range(args.rounds):
        for name, target in timed:
            if (target, name) not in failed:
                record(name, target, ask(target, "time", request=name, seconds=args.seconds))
        for target, names in paged.items():
            names = [n for n in names if (target, n) not in failed]
            if names:
                seconds = args.seconds * len(names)
                results = ask(target, "time_together", requests=names, seconds=seconds)
                for name in names:
                    record(name, target, results.get(name, results))
        log(f"[{database}] round {round_ + 1}/{args.rounds} done ({time.time() - started:.0f}s)")
    rps = {
        key: statistics.median(values)
        for key, values in samples.items()
        if values and (key[1], key[0]) not in failed
    }

    # Memory -------------------------------------------------------------------------------------
    memory: dict[str, float] = {}
    for target in targets:
        if (target, MEMORY_REQUEST) in failed or (target, MEMORY_REQUEST) in absent:
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
    return {
        "database": database,
        "targets": targets,
        "requests": requests,
        "pages": pages,
        "rps": rps,
        "samples": samples,
        "sql": sql,
        "memory": memory,
        "failed": failed,
        "absent": absent,
        "differences": differences,
        "info": info,
        "specs": specs,
        "started": started,
        "load": (load_before, os.getloadavg()),
    }


def run(args: argparse.Namespace) -> int:
    started = time.time()
    log(f"dataset: {ensure_dataset()}")
    results = [measure(database, args) for database in args.databases]
    report = render_report(args, results, started)
    print(report)
    if args.output:
        Path(args.output).write_text(report)
        log(f"written to {args.output}")
    return 0


DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def like_for_like(name: str, targets: list[str]) -> str:
    """Which of our targets answers `name` with the hand-written app's SQL."""
    if name in SCOPED_REQUESTS or "ours_unscoped" not in targets:
        return "ours"
    return "ours_unscoped"


def cell_ratio(r: dict[str, Any], name: str, target: str) -> str:
    if (target, name) in r["failed"]:
        return "FAILED"
    a, b = r["rps"].get((name, target)), r["rps"].get((name, BASELINE))
    return f"{a / b:.2f}" if a and b else "-"


def round_ratios(
    samples: dict[tuple[str, str], list[float]], target: str, slow: str, fast: str
) -> str:
    """``slow``'s time over ``fast``'s, round by round (they are timed in the same round):
    the median and the interquartile range, or "-"."""
    a, b = samples.get((slow, target)), samples.get((fast, target))
    if not a or not b or len(a) != len(b):
        return "-"
    ratios = [rps_fast / rps_slow for rps_slow, rps_fast in zip(a, b, strict=True)]
    if len(ratios) < 4:
        return f"{statistics.median(ratios):.2f}"
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"{statistics.median(ratios):.2f} ({low:.2f}–{high:.2f})"


def render_report(args: argparse.Namespace, results: list[dict[str, Any]], started: float) -> str:
    lines: list[str] = []
    out = lines.append
    now = datetime.fromtimestamp(started, timezone.utc)
    m = machine()
    out("# Benchmark results")
    out("")
    loads = "; ".join(
        f"{DATABASE_LABELS[r['database']]}: load average {r['load'][0][0]:.1f} at the start, "
        f"{r['load'][1][0]:.1f} at the end"
        for r in results
    )
    out(
        f"{now:%Y-%m-%d %H:%M} UTC; {m['cpu']}, {m['cores']} cores, {m['system']}; {loads}; "
        f"{args.rounds} rounds of {args.seconds}s per request and target, "
        f"run in {time.time() - started:.0f}s. Dataset: 1,000 authors, 10,000 articles, "
        "50,000 comments, 50 tags. In-process WSGI, one venv per target."
    )
    out("")
    if BASELINE in args.targets:
        out("## Ours against the hand-written app, like for like")
        out("")
        out(
            "Requests per second relative to the hand-written app, each request against the "
            "variant of ours that sends the same SQL: the demo without its policy "
            "(`ours, no policy`) for the unscoped requests, the demo as served (`ours`) for "
            "the row-scoped ones (the hand-written app adds `draft = false` there). "
            "SQL: statements sent by ours / by the hand-written app."
        )
        out("")
        head = " | ".join(f"{DATABASE_LABELS[r['database']]} | SQL" for r in results)
        out(f"| request | {head} |")
        out("|---|" + "---:|---:|" * len(results))
        for name in [n for n in REQUESTS if any(n in r["requests"] for r in results)]:
            cells = []
            for r in results:
                ours = like_for_like(name, r["targets"])
                sql_ours = r["sql"].get((ours, name), "-")
                sql_hand = r["sql"].get((BASELINE, name), "-")
                cells += [cell_ratio(r, name, ours), f"{sql_ours} / {sql_hand}"]
            out(f"| {REQUESTS[name]} | " + " | ".join(cells) + " |")
        out("")
    for r in results:
        render_database(r, out)
    out("## Versions")
    out("")
    for r in results:
        for t in r["targets"]:
            info = r["info"][t]
            where = DATABASE_LABELS[r["database"]]
            if "error" in info:
                out(f"- {LABELS[t]} ({where}): {info['error']}")
                continue
            versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
            out(f"- {LABELS[t]} ({where}): {info['implementation']} {info['python']}; {versions}")
    out("")
    out("## The requests each target was sent")
    out("")
    first = results[0]
    for t in first["targets"]:
        spec = first["specs"][t]
        if "error" in spec:
            continue
        out(f"- {LABELS[t]}:")
        for name in [*first["requests"], *first["pages"], MEMORY_REQUEST]:
            s = spec.get(name)
            if s is None:
                continue
            query = f"?{s['query']}" if s["query"] else ""
            headers = "".join(f" ({k}: {v})" for k, v in (s.get("headers") or {}).items())
            out(f"  - `{s['method']} {s['path']}{query}`{headers} → {s['status']}")
    return "\n".join(lines) + "\n"


def render_database(r: dict[str, Any], out: Any) -> None:
    targets, requests, rps, sql, failed = (
        r["targets"],
        r["requests"],
        r["rps"],
        r["sql"],
        r["failed"],
    )
    shown = [t for t in targets if any((t, n) not in r["absent"] for n in requests)]
    where = DATABASE_LABELS[r["database"]]
    out(f"## {where}")
    out("")
    if requests:
        out(f"### {where}: requests per second relative to the hand-written app (median)")
        out("")
        out("| request | " + " | ".join(LABELS[t] for t in shown) + " |")
        out("|---|" + "---:|" * len(shown))
        for name in requests:
            cells = ["-" if (t, name) in r["absent"] else cell_ratio(r, name, t) for t in shown]
            mark = " (≠)" if name in r["differences"] else ""
            out(f"| {REQUESTS[name]}{mark} | " + " | ".join(cells) + " |")
        out("")
        out(f"### {where}: requests per second and SQL statements per request")
        out("")
        out("| request | " + " | ".join(LABELS[t] for t in shown) + " |")
        out("|---|" + "---:|" * len(shown))
        for name in requests:
            cells = []
            for t in shown:
                if (t, name) in r["absent"]:
                    cells.append("-")
                elif (t, name) in failed:
                    cells.append("FAILED")
                else:
                    cells.append(
                        f"{fmt_rps(rps.get((name, t)))} req/s, {sql.get((t, name), '-')} SQL"
                    )
            out(f"| {REQUESTS[name]} | " + " | ".join(cells) + " |")
        out("")
    if "ours" in targets and "ours_unscoped" in targets and requests:
        out(f"### {where}: secured requests, the demo's row policy against the same app without it")
        out("")
        out(
            "`ours` serves the demo as `make run` does: every statement that reads articles "
            "carries `ArticlePolicy`'s scope (`draft = false` for an anonymous client). "
            "`ours, no policy` is the same app with the policy removed; "
            "`ours, no policy, filter[draft]=false` asks that app for the same rows with a "
            "filter (the same SQL as the scoped demo), so the second ratio is what the policy "
            "machinery costs apart from the database's work on the condition."
        )
        out("")
        out("| request | scoped / unscoped | scoped / same filter | SQL scoped | SQL unscoped |")
        out("|---|---:|---:|---:|---:|")
        for name in [n for n in requests if n not in SCOPED_REQUESTS]:
            a = rps.get((name, "ours"))
            cells = []
            for other in ("ours_unscoped", "ours_filtered"):
                b = rps.get((name, other))
                cells.append(f"{a / b:.2f}" if a and b else "-")
            sql_a, sql_b = sql.get(("ours", name), "-"), sql.get(("ours_unscoped", name), "-")
            out(f"| {REQUESTS[name]} | {' | '.join(cells)} | {sql_a} | {sql_b} |")
        out("")
    pages = [t for t in PAGE_TARGETS if t in targets]
    if r["pages"] and pages:
        out(f"### {where}: a deep page costs the same as the first (50 of the 50,000 comments)")
        out("")
        out(
            "Time per request (1 / median requests per second) of our demo's comments: page 1, "
            "page 2 and page 1,000. Each round times the three pages together, one request of "
            "each in turn; a ratio is the deep page's time over the other page's in each round: "
            "the median of the rounds, and in brackets the middle half of them (the noise)."
        )
        out("")
        out(
            "| pagination | page 1 | page 2 | page 1,000 | page 1,000 / page 1 "
            "| page 1,000 / page 2 | SQL |"
        )
        out("|---|---:|---:|---:|---:|---:|---:|")
        for t in pages:
            times, statements = [], []
            for name in PAGE_REQUESTS:
                value = rps.get((name, t))
                times.append(1e6 / value if value else None)
                statements.append(str(sql.get((t, name), "-")))
            cells = [
                "FAILED" if (t, n) in failed else (f"{v:,.0f} µs" if v else "-")
                for n, v in zip(PAGE_REQUESTS, times, strict=True)
            ]
            ratios = [
                round_ratios(r["samples"], t, "comments_page_deep", other)
                for other in ("comments_page_1", "comments_page_2")
            ]
            row = " | ".join([PAGE_TARGETS[t], *cells, *ratios, " / ".join(statements)])
            out(f"| {row} |")
        out("")
    memory = [t for t in shown if (t, MEMORY_REQUEST) not in r["absent"]]
    if memory:
        out(f"### {where}: peak memory (tracemalloc) of one request: {MEMORY_LABEL}")
        out("")
        out("| | " + " | ".join(LABELS[t] for t in memory) + " |")
        out("|---|" + "---:|" * len(memory))
        cells = []
        for t in memory:
            if (t, MEMORY_REQUEST) in failed:
                cells.append("FAILED")
            elif t in r["memory"]:
                ratio = ""
                if BASELINE in r["memory"]:
                    ratio = f" ({r['memory'][t] / r['memory'][BASELINE]:.2f}×)"
                cells.append(f"{r['memory'][t]:.1f} MB{ratio}")
            else:
                cells.append("-")
        out("| peak | " + " | ".join(cells) + " |")
        sql_cells = [
            "FAILED" if (t, MEMORY_REQUEST) in failed else str(sql.get((t, MEMORY_REQUEST), "-"))
            for t in memory
        ]
        out("| SQL statements | " + " | ".join(sql_cells) + " |")
        out("")
    if failed:
        out(f"### {where}: failures")
        out("")
        for (t, name), why in sorted(failed.items()):
            label = REQUESTS.get(name) or PAGE_REQUESTS.get(name) or MEMORY_LABEL
            out(f"- {LABELS[t]}, {label}: {why[:300]}")
        out("")
    out(f"### {where}: document parity (hand-written app vs ours)")
    out("")
    if not r["differences"]:
        out(
            "Every compared request answered the same document (included compared as a set; "
            "ours is the like-for-like variant)."
        )
    for name, why in r["differences"].items():
        out(f"- {REQUESTS.get(name, MEMORY_LABEL)}: {why}")
    out("")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument(
        "--seconds", type=float, default=0.25, help="time per request, target and round"
    )
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    names = [*REQUESTS, *PAGE_REQUESTS]
    parser.add_argument("--requests", default=",".join(names), help="comma-separated")
    parser.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help="comma-separated: sqlite, postgresql (BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--output", default=str(BENCH_DIR / "RESULTS.md"), help="'' to write nothing"
    )
    args = parser.parse_args()
    args.targets = args.targets.split(",")
    args.requests = args.requests.split(",")
    args.databases = args.databases.split(",")
    unknown = [t for t in args.targets if t not in TARGETS]
    unknown += [n for n in args.requests if n not in names]
    unknown += [d for d in args.databases if d not in DATABASES]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
