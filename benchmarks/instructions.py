"""Instructions per request of one target, counted by valgrind's callgrind: a measure that
does not depend on the machine's load (wall-clock numbers on a shared machine do).

    benchmarks/.venvs/ours/bin/python benchmarks/instructions.py ours_unscoped get_one [CALLS]

Runs the target's worker twice under ``valgrind --tool=callgrind``, once with one warm-up
call and once with the warm-up and CALLS more (default 50), and prints the difference
divided by CALLS: the instructions one request costs, start-up excluded. Several requests
(``get_one,list_50,post``) run in one valgrind process instead, each after two warm-up
calls, split by callgrind dumps: the start-up is paid once. With
``--out FILE`` the second run's callgrind file is kept for ``callgrind_annotate``. With
``--url URL`` (a PostgreSQL database holding the dataset, ``pg_copy.py``) the target reads
that database instead of a scratch copy of the SQLite file: the instructions counted are
the Python process's (driver, result rows, type adaptation), not the server's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def _child(target: str, request: str, calls: int, database: str) -> None:
    sys.path.insert(0, str(BENCH_DIR))
    from worker import Worker

    worker = Worker(target, database if "://" in database else f"sqlite:///{database}")
    if "," in request:  # --phases: callgrind dumps before each os.getppid()
        names = request.split(",")
        for name in names:
            worker.call(name)
            worker.call(name)
        os.getppid()
        for name in names:
            for _ in range(calls):
                worker.call(name)
            os.getppid()
        return
    worker.call(request)
    for _ in range(calls):
        worker.call(request)


def _phases(
    target: str, requests: list[str], calls: int, database: str, scratch: Path
) -> list[int]:
    """Instructions of each request's ``calls`` calls, from one valgrind run: a dump
    before each phase's end (``os.getppid``), so the start-up is paid once."""
    out = scratch / "callgrind.out"
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--dump-before=os_getppid",
            sys.executable,
            __file__,
            "--child",
            target,
            ",".join(requests),
            str(calls),
            database,
        ],
        capture_output=True,
        text=True,
        cwd=BENCH_DIR,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    dumps = sorted(scratch.glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:]))
    totals = []
    for dump in dumps:
        found = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.MULTILINE)
        totals.append(int(found.group(1)) if found else 0)
    return totals[1 : 1 + len(requests)]  # the first dump is start-up and warm-up


def _collected(target: str, request: str, calls: int, database: str, out: str) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            target,
            request,
            str(calls),
            database,
        ],
        capture_output=True,
        text=True,
        cwd=BENCH_DIR,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not found:
        raise SystemExit(done.stderr[-2000:])
    return int(found.group(1))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("request")
    parser.add_argument("calls", type=int, nargs="?", default=50)
    parser.add_argument("--out", default=os.devnull, help="keep the callgrind file")
    parser.add_argument("--url", help="a database URL holding the dataset (default: SQLite)")
    args = parser.parse_args()
    from dataset import ensure_dataset

    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-instructions-"))
    try:
        database = args.url
        if database is None:
            database = str(scratch / "blog.sqlite")
            shutil.copyfile(ensure_dataset(), database)
        if "," in args.request:  # several requests: one valgrind run, split by dumps
            names = args.request.split(",")
            totals = _phases(args.target, names, args.calls, database, scratch)
            for name, total in zip(names, totals, strict=True):
                print(f"{args.target} {name}: {total / args.calls:,.0f} instructions per request")
            return
        base = _collected(args.target, args.request, 0, database, os.devnull)
        total = _collected(args.target, args.request, args.calls, database, args.out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    per_call = (total - base) / args.calls
    print(f"{args.target} {args.request}: {per_call:,.0f} instructions per request")


if __name__ == "__main__":
    main()
