"""cProfile of one target on one request, inside that target's venv.

    benchmarks/.venvs/ours/bin/python benchmarks/profile_target.py ours include_50 [CALLS]

Runs the request once to warm up, then CALLS times (default 20) under cProfile on a scratch
copy of the dataset, and prints the functions that cost the most, by own time and by
cumulative time.
"""

from __future__ import annotations

import cProfile
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from dataset import ensure_dataset
from worker import Worker


def main() -> None:
    target, request = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    scratch = Path(tempfile.mkdtemp(prefix="jsonapi-profile-"))
    try:
        database = scratch / "blog.sqlite"
        shutil.copyfile(ensure_dataset(), database)
        worker = Worker(target, f"sqlite:///{database}")
        answer = worker.call(request)
        print(f"{target} {request}: status {answer['status']}, {answer['sql']} SQL statements")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            worker.call(request)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
