"""The targets' virtual environments under benchmarks/.venvs/<target>, created on demand.

Each target gets its own interpreter so that the two packages named ``flask_jsonapi`` (ours
and the original 1.4.1) and their conflicting marshmallow versions never meet. A venv is
(re)built when its requirements, or this checkout's pyproject.toml, change.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENVS = BENCH_DIR / ".venvs"

COMMON = ["Flask>=3,<4", "SQLAlchemy>=2,<3", "orjson>=3.9"]
#: the targets that also run on PostgreSQL (make bench's second database)
POSTGRES = ["psycopg[binary]>=3.1"]

#: target -> pip requirements (``-e`` of this checkout for ours).
REQUIREMENTS: dict[str, list[str]] = {
    "ours": [*COMMON, *POSTGRES, "-e", f"{ROOT}[sqlalchemy]"],
    "original": [
        *COMMON,
        "flask-jsonapi[sqlalchemy]==1.4.1",
        "marshmallow<4",
        "marshmallow-jsonapi",
    ],
    "rest_jsonapi_next": [*COMMON, "flask-rest-jsonapi-next==0.48.0"],
    "handwritten": [*COMMON, *POSTGRES],
    # make bench-http: the demo under gunicorn
    "http": [*COMMON, "-e", f"{ROOT}[sqlalchemy,postgresql]", "gunicorn"],
}

#: distributions whose versions RESULTS.md records, per target.
REPORTED = {
    "ours": ["flask-jsonapi", "marshmallow", "Flask", "SQLAlchemy", "orjson"],
    "original": ["flask-jsonapi", "marshmallow", "marshmallow-jsonapi", "Flask", "SQLAlchemy"],
    "rest_jsonapi_next": [
        "flask-rest-jsonapi-next",
        "marshmallow",
        "marshmallow-jsonapi-minfork",
        "Flask",
        "SQLAlchemy",
    ],
    "handwritten": ["Flask", "SQLAlchemy", "orjson"],
    "http": ["flask-jsonapi", "gunicorn"],
}


def python_of(target: str) -> Path:
    return VENVS / target / "bin" / "python"


def _fingerprint(target: str) -> str:
    text = "\n".join([sys.version, *REQUIREMENTS[target]])
    if target in ("ours", "http"):
        text += (ROOT / "pyproject.toml").read_text()
    return hashlib.sha256(text.encode()).hexdigest()


#: targets that run in another target's venv (the same packages).
SHARED = {"ours_unscoped": "ours", "ours_filtered": "ours", "ours_cursor": "ours"}


def ensure_venv(target: str, *, log=print) -> Path:
    """The interpreter of `target`'s venv, creating or updating the venv first if needed."""
    target = SHARED.get(target, target)
    home = VENVS / target
    stamp = home / ".installed"
    python = python_of(target)
    fingerprint = _fingerprint(target)
    usable = python.exists() and subprocess.run([python, "-c", ""]).returncode == 0
    if usable and stamp.exists() and stamp.read_text() == fingerprint:
        return python
    log(f"[venv] {target}: installing {' '.join(REQUIREMENTS[target])}")
    if not usable:
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for arguments in (["--upgrade", "pip"], REQUIREMENTS[target]):
        done = subprocess.run([*pip, *arguments], capture_output=True, text=True)
        if done.returncode:
            log(done.stdout + done.stderr)
            raise subprocess.CalledProcessError(done.returncode, done.args)
    stamp.write_text(fingerprint)
    return python


if __name__ == "__main__":
    for name in sys.argv[1:] or REQUIREMENTS:
        print(ensure_venv(name))
