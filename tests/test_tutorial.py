"""docs/tutorial.md works as written: its files make an app, its tests pass, its curls answer.

Every code block with a ``title="path"`` is a file of the reader's project, written in page
order into an empty folder (a later block with the same title replaces the file, as the
reader would). The project is then linted, its own pytest suite is run in a separate
interpreter, and each ``curl`` of the page is sent, in order, to the app its factory builds
on an in-memory database, and compared with the printed answer (the conventions of
``tests/support/doc_examples.py``).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest

from tests.support import doc_examples
from tests.support.client import JsonApiClient

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BIN = Path(sys.executable).parent
PROJECT_FILES = {
    "pyproject.toml",
    "blog_api/__init__.py",
    "blog_api/models.py",
    "blog_api/resources.py",
    "blog_api/auth.py",
    "tests/conftest.py",
    "tests/test_api.py",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty folder with the tutorial's files written into it."""
    folder = tmp_path_factory.mktemp("blog-api")
    for block in doc_examples.fenced_blocks(TUTORIAL.read_text()):
        if block.title:
            path = folder / block.title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text + "\n")
    return folder


def _files(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _run(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    # Not the checkout's own settings: the reader's project has no FLASK_* or test database.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "JSONAPI_", "PYTHON"))
    }
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_tutorial_writes_the_project_its_tree_shows(project: Path) -> None:
    """The titled blocks are exactly the files of the tree the page draws."""
    assert _files(project) == PROJECT_FILES


def test_the_tutorials_code_is_lint_clean(project: Path) -> None:
    """What the reader copies passes ruff (this project's rules) and is formatted."""
    options = ["--line-length", "100", "--target-version", "py310", "--no-cache"]
    check = _run(
        [str(BIN / "ruff"), "check", "--select", "E,F,W,I,B,UP", "--isolated", *options, "."],
        project,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = _run([str(BIN / "ruff"), "format", "--check", "--isolated", *options, "."], project)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_the_tutorials_own_tests_pass(project: Path) -> None:
    """``pytest -q`` in the reader's folder: the three tests the page shows, all passing."""
    result = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^3 passed in ", result.stdout, re.MULTILINE), result.stdout


@pytest.fixture
def tutorial_app(project: Path) -> Iterator[flask.Flask]:
    """The tutorial's ``create_app`` on an in-memory database, imported from the folder."""
    sys.path.insert(0, str(project))
    try:
        package = importlib.import_module("blog_api")
        app = package.create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
        app.test_client_class = JsonApiClient
        yield app
    finally:
        sys.path.remove(str(project))
        for name in [name for name in sys.modules if name.split(".")[0] == "blog_api"]:
            del sys.modules[name]


def test_every_curl_of_the_tutorial_answers_what_it_prints(tutorial_app: flask.Flask) -> None:
    """Run in page order, each request gets the status, headers and body printed under it."""
    examples = doc_examples.examples(TUTORIAL.read_text())
    assert len(examples) == 4 and all(e.not_run is None for e in examples)

    client = tutorial_app.test_client()
    failures = [
        f"docs/tutorial.md:{example.line} {example.request.method} {example.request.url}\n    "
        + "\n    ".join(problems)
        for example in examples
        if (problems := doc_examples.mismatches(client, example))
    ]
    assert not failures, "\n".join(failures)
