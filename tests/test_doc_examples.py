"""Every HTTP example of README.md and docs/*.md answers what the page prints.

Each document is run against its own freshly seeded blog demo (``examples.blog``,
``create_app("sqlite://", seed_data=True)``: the data ``make run`` serves), its examples
in page order, since later ones see what earlier writes did. Requests go in-process with
exactly the headers and body the example sends (curl's defaults where it sets none), and
every JSON:API answer is validated by the test client like any other.

How a page marks a request, its answer, an elision (``...``) or an example that is not run
(``<!-- not-run: reason -->``), or runs it on a variant of the demo's articles
(``<!-- demo: articles {...} -->``), is described in ``tests/support/doc_examples.py``.
A page may fix the clock for its examples with ``<!-- doc-examples: clock=<ISO time> -->``
(a ``created`` timestamp printed on the page is then the one the demo writes).

The demo runs on SQLite only here: the pages show the demo as ``make run`` serves it, and
the order of names in a sort follows the database's collation.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from pathlib import Path

import flask
import pytest
import time_machine

from tests.support import doc_examples
from tests.support.client import JsonApiClient
from tests.support.doc_examples import Example
from tests.support.query_data import query_app

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = doc_examples.markdown_files(ROOT)
_CLOCK = re.compile(r"<!--\s*doc-examples:\s*clock=(\S+)\s*-->")


def _demo() -> flask.Flask:
    from examples.blog.api import create_app

    app = create_app("sqlite://", seed_data=True)
    app.testing = True
    app.test_client_class = JsonApiClient
    return app


def _client(app: flask.Flask, example: Example) -> JsonApiClient:
    if example.demo is None:
        return app.test_client()
    return query_app(app, **example.demo).test_client()


def _run(app: flask.Flask, example: Example) -> list[str]:
    request = example.request
    client = _client(app, example)
    base_url, target = doc_examples.request_target(request)
    response = client.open(
        target,
        method=request.method,
        base_url=base_url,
        headers=request.headers,
        data=request.body.encode() if request.body is not None else None,
        jsonapi_headers=False,
    )
    answer = example.answer
    assert answer is not None
    problems: list[str] = []
    if answer.status is not None and response.status_code != answer.status:
        problems.append(f"status: printed {answer.status}, got {response.status_code}")
    for name, value in answer.headers:
        got = response.headers.get(name)
        if got != value:
            problems.append(f"header {name}: printed {value!r}, got {got!r}")
    body = response.get_data(as_text=True)
    if answer.body is None:
        if body:
            problems.append(f"printed no body, got {body[:300]!r}")
    elif not body:
        problems.append("printed a body, got none")
    else:
        problems += doc_examples.differences(answer.body, response.document)
    return problems


def _document_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOCUMENTS, ids=_document_id)
def test_every_example_answers_what_the_page_prints(path: Path) -> None:
    """Run the page's examples in order on a fresh demo; every printed answer must match."""
    markdown = path.read_text()
    found = doc_examples.examples(markdown)
    unanswered = [e.line for e in found if e.answer is None and e.not_run is None]
    assert not unanswered, (
        f"{_document_id(path)}: requests at lines {unanswered} have no printed answer "
        "and no <!-- not-run: reason --> mark"
    )
    runnable = [e for e in found if e.not_run is None]
    if not runnable:
        assert not found or all(e.not_run for e in found)
        return
    clock = _CLOCK.search(markdown)
    app = _demo()
    failures: list[str] = []
    try:
        frozen = (
            time_machine.travel(datetime.fromisoformat(clock[1]), tick=False)
            if clock
            else contextlib.nullcontext()
        )
        with frozen:
            for example in runnable:
                problems = _run(app, example)
                if problems:
                    where = f"{_document_id(path)}:{example.line} {example.request.method} "
                    failures.append(
                        where + example.request.url + "\n    " + "\n    ".join(problems)
                    )
    finally:
        session = app.extensions["blog"]["session"]
        session.remove()
        app.extensions["blog"]["engine"].dispose()
    assert not failures, "\n".join(failures)
