"""``make run PORT=5055``: the demo serves on the address it is given (5000 may be taken)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from examples.blog.__main__ import parse_address

ROOT = Path(__file__).resolve().parents[1]


def test_make_run_passes_port_and_host_to_the_demo() -> None:
    """What ``make run`` would execute (``-n``: printed, not run)."""
    default = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "-m examples.blog --host 127.0.0.1 --port 5000" in default.stdout
    chosen = subprocess.run(
        ["make", "-n", "run", "PORT=5055", "HOST=0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOST": "some-machine-name"},
    )
    assert "-m examples.blog --host 0.0.0.0 --port 5055" in chosen.stdout


def test_parse_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT", raising=False)
    assert parse_address([]) == ("127.0.0.1", 5000)
    assert parse_address(["--port", "5055", "--host", "0.0.0.0"]) == ("0.0.0.0", 5055)
    monkeypatch.setenv("PORT", "5077")
    monkeypatch.setenv("HOST", "some-machine-name")  # a shell's, not an address to bind
    assert parse_address([]) == ("127.0.0.1", 5077)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_serves_on_the_port_given() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "examples.blog", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/tags?page[size]=1",
            headers={"Accept": "application/vnd.api+json"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status, body = response.status, response.read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert status == 200
        assert f"http://127.0.0.1:{port}/tags/1".encode() in body
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_blog_database_url_chooses_the_demos_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``BLOG_DATABASE_URL`` is what ``create_app()`` serves (``make run``, gunicorn's
    ``examples.blog:create_app()``, ``make stress``); a URL given to it still wins."""
    from examples.blog.api import create_app

    chosen = tmp_path / "chosen.db"
    monkeypatch.setenv("BLOG_DATABASE_URL", f"sqlite:///{chosen}")
    app = create_app()
    app.extensions["blog"]["engine"].dispose()
    response = app.test_client().get("/tags?page[size]=1")
    assert response.status_code == 200
    assert response.json["meta"]["count"] == 15  # the seeded tags, in that file
    assert chosen.exists()

    given = tmp_path / "given.db"
    create_app(f"sqlite:///{given}", seed_data=False).extensions["blog"]["engine"].dispose()
    assert given.exists()


@pytest.mark.skipif(
    not os.environ.get("JSONAPI_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL: set JSONAPI_TEST_DATABASE_URL=postgresql+psycopg://...",
)
def test_a_bare_postgresql_url_is_served_with_psycopg_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """``postgresql://`` means psycopg2 to SQLAlchemy; the demo uses psycopg 3, which the
    ``postgresql`` extra installs."""
    from sqlalchemy.engine import make_url

    from examples.blog.api import create_app

    url = make_url(os.environ["JSONAPI_TEST_DATABASE_URL"]).set(drivername="postgresql")
    monkeypatch.setenv("BLOG_DATABASE_URL", url.render_as_string(hide_password=False))
    app = create_app(seed_data=False)
    engine = app.extensions["blog"]["engine"]
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert app.test_client().get("/tags?page[size]=1").status_code == 200
    finally:
        app.extensions["blog"]["session"].remove()
        engine.dispose()
