"""Python and C calls per request of one target (``sys.setprofile``), on SQLite or PostgreSQL.

    benchmarks/.venvs/ours/bin/python benchmarks/call_counts.py ours_unscoped get_one,list_50
    benchmarks/.venvs/ours/bin/python benchmarks/call_counts.py ours get_one --database URL

Each request is sent three times to warm up, then CALLS times (``--calls``, default 5) with
every call and C call under the WSGI call counted: a measure of the fixed cost per request
that, like callgrind's instructions (``instructions.py``), does not depend on the machine's
load. Without ``--database`` the target reads a scratch copy of the SQLite dataset; a
PostgreSQL URL must hold the dataset already (``pg_copy.py`` loads it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from dataset import ensure_dataset
from worker import Worker


def count_calls(worker: Worker, name: str, calls: int) -> float:
    """The calls one ``name`` request makes, averaged over ``calls`` requests."""
    for _ in range(3):
        worker.call(name)
    seen = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal seen
        if event in ("call", "c_call"):
            seen += 1

    sys.setprofile(profile)
    try:
        for _ in range(calls):
            worker.call(name)
    finally:
        sys.setprofile(None)
    return seen / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("requests", help="comma-separated request names")
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--database", help="a PostgreSQL URL holding the dataset")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-calls-"))
    try:
        url = args.database
        if url is None:
            database = scratch / "blog.sqlite"
            shutil.copyfile(ensure_dataset(), database)
            url = f"sqlite:///{database}"
        worker = Worker(args.target, url)
        for name in args.requests.split(","):
            print(f"{args.target} {name}: {count_calls(worker, name, args.calls):,.0f} calls")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
