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
