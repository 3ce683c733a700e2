"""``make stress`` in short (issue 10): the demo under gunicorn on PostgreSQL, about 20 s of
concurrent reads, writes, ``If-Match`` increments, to-many adds and removes (plain and
atomic) and connection kills, with scripts/stress.py's checks: no 5xx but 503 during a
kill, no lost increment, relationship members and rows as the answers said.

It needs PostgreSQL: it is SKIPPED when ``JSONAPI_TEST_DATABASE_URL`` is unset or not a
PostgreSQL URL. It runs on a database of its own, named after that URL's
(``<name>__stress``), so that it never touches the tables the other tests use.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.database import DATABASE_URL_ENV

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import stress  # noqa: E402

_URL = os.environ.get(DATABASE_URL_ENV, "").strip()


def stress_database_url(url: str) -> str:
    """``url`` with its database renamed ``<name>__stress``: the stress run's own."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}__stress").render_as_string(hide_password=False)


def test_the_stress_database_is_named_after_the_test_database() -> None:
    derived = stress_database_url("postgresql+psycopg://postgres:pw@127.0.0.1:5432/test_x")
    assert derived == "postgresql+psycopg://postgres:pw@127.0.0.1:5432/test_x__stress"


def test_clients_are_split_among_the_four_kinds() -> None:
    assert stress._split(4) == {"readers": 1, "writers": 1, "incrementers": 1, "taggers": 1}
    assert stress._split(10) == {"readers": 3, "writers": 3, "incrementers": 2, "taggers": 2}


def test_only_a_503_in_flight_during_a_kill_is_excepted() -> None:
    tally = stress.Tally(kills=[(100.0, 100.2, 5)])
    assert tally.in_kill_window(stress.Answer("GET", 503, 99.5, 100.1))
    assert tally.in_kill_window(stress.Answer("GET", 503, 100.9, 101.5))
    assert not tally.in_kill_window(stress.Answer("GET", 503, 98.0, 99.0))
    assert not tally.in_kill_window(stress.Answer("GET", 503, 101.5, 102.0))


def test_a_url_that_is_not_postgresql_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert stress.run(stress.parse_args(["--database-url", "sqlite://"])) == 2
    assert "needs a PostgreSQL URL" in capsys.readouterr().err


@pytest.mark.skipif(
    not _URL or make_url(_URL).get_backend_name() != "postgresql",
    reason="the short stress run needs PostgreSQL: set JSONAPI_TEST_DATABASE_URL="
    "postgresql+psycopg://user@host/db (it uses <db>__stress)",
)
def test_a_short_stress_run_passes() -> None:
    """20 s, 8 clients, 2 connection kills; the script's own checks decide (exit 0)."""
    command = [
        sys.executable,
        str(ROOT / "scripts" / "stress.py"),
        "--database-url",
        stress_database_url(_URL),
        "--duration",
        "20",
        "--clients",
        "8",
        "--kills",
        "2",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        # SIGTERM lets the script stop gunicorn before it exits.
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        pytest.fail(f"the stress run took over 240 s:\n{output}")
    assert process.returncode == 0, output
    assert "\nPASSED" in output
    assert re.search(r"^  5xx +0 \(503 during a kill, excepted: \d+\)$", output, re.M), output
    assert re.search(r"^  counter grew by +\d+ \(lost increments: 0\)$", output, re.M), output
