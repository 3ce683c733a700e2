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
from datetime import datetime, timezone
from pathlib import Path

import flask
import pytest
import time_machine

from tests.support import doc_examples
from tests.support.client import JsonApiClient
from tests.support.doc_examples import Example
from tests.support.query_data import query_app

ROOT = Path(__file__).resolve().parents[1]
# The tutorial's examples are answered by the tutorial's own app: tests/test_tutorial.py.
RUN_ELSEWHERE = {ROOT / "docs" / "tutorial.md"}
DOCUMENTS = doc_examples.markdown_files(ROOT)
DEMO_DOCUMENTS = [path for path in DOCUMENTS if path not in RUN_ELSEWHERE]
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
    return doc_examples.mismatches(_client(app, example), example)


def _utc(moment: datetime) -> datetime:
    # The demo stores naive UTC times: a naive clock on the page is UTC, whatever TZ says.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _document_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DEMO_DOCUMENTS, ids=_document_id)
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
        return  # a page without requests (or only excused ones) has nothing to run
    clock = _CLOCK.search(markdown)
    app = _demo()
    failures: list[str] = []
    try:
        frozen = (
            time_machine.travel(_utc(datetime.fromisoformat(clock[1])), tick=False)
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


@pytest.mark.parametrize("path", DOCUMENTS, ids=_document_id)
def test_no_request_hides_in_another_kind_of_block(path: Path) -> None:
    """A curl or HTTP request outside a ```sh / ```http block would escape the run above."""
    assert doc_examples.stray_requests(path.read_text()) == []


# The conventions themselves: a page that prints a wrong answer must fail.

PAGE = """
```sh
curl -g -H 'Accept: application/vnd.api+json' 'http://127.0.0.1:5000/tags/1'
```

```json
// HTTP 200, Content-Type: application/vnd.api+json
{"data": {"type": "tags", "id": "1", "attributes": {"name": "python"}, ...}, ...}
```

<!-- not-run: shows a server that is not the demo -->
```http
GET /elsewhere
```

```http
DELETE /tags/1
Accept: application/vnd.api+json
```

```http
HTTP/1.1 204 NO CONTENT
```
"""


def test_a_page_is_read_into_requests_and_printed_answers() -> None:
    """Requests, their answers, curl's defaults and the not-run mark, as the page has them."""
    first, second, third = doc_examples.examples(PAGE)

    assert (first.request.method, first.request.url) == ("GET", "http://127.0.0.1:5000/tags/1")
    assert first.request.headers == [("Accept", "application/vnd.api+json")]
    assert first.answer is not None and first.answer.status == 200
    assert first.answer.headers == [("Content-Type", "application/vnd.api+json")]
    assert second.not_run == "shows a server that is not the demo" and second.answer is None
    assert third.request.method == "DELETE"
    assert third.answer is not None and (third.answer.status, third.answer.body) == (204, None)


def test_curl_defaults_are_curls() -> None:
    """Without -H Accept curl sends */*; -d without -X is a form POST."""
    (example,) = doc_examples.examples("```sh\ncurl http://h/x -d 'a=1'\n```\n")

    assert example.request.method == "POST"
    assert example.request.headers == [
        ("Accept", "*/*"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ]


def test_elision_matches_only_where_it_stands() -> None:
    """``...`` forgives the members, elements or value it stands for, and nothing else."""
    printed = doc_examples.parse_printed_json(
        '{"data": [{"id": "1", ...}, ...], "meta": ..., "links": {"self": "x"}}'
    )
    actual = {
        "data": [{"id": "1", "type": "tags"}, {"id": "2"}],
        "meta": {"count": 2},
        "links": {"self": "x"},
    }
    assert doc_examples.differences(printed, actual) == []

    wrong = {**actual, "data": [{"id": "2", "type": "tags"}], "links": {"self": "y", "n": 1}}
    assert doc_examples.differences(printed, wrong) == [
        '/data/0/id: printed "1", got "2"',
        '/links/self: printed "x", got "y"',
        "/links/n: in the answer (1) but not printed",
    ]
    assert doc_examples.differences(printed, {"data": []}) == [
        "/data: printed 1 elements, the answer has 0",
        "/meta: printed, but missing from the answer",
        "/links: printed, but missing from the answer",
    ]


def test_a_quoted_ellipsis_is_a_string_and_types_are_compared() -> None:
    """Only a bare ``...`` elides; "..." in quotes is compared; 1 is not 1.0 or true."""
    printed = doc_examples.parse_printed_json('{"a": "...", "b": 1}')

    assert doc_examples.differences(printed, {"a": "x", "b": 1}) == ['/a: printed "...", got "x"']
    assert doc_examples.differences(printed, {"a": "...", "b": True}) == ["/b: printed 1, got true"]


def test_a_request_outside_a_request_block_is_found() -> None:
    """A request in a plain or text block is reported by its line."""
    page = "text\n\n```\nPOST /articles\n{}\n```\n\n```text\ncurl http://h/x\n```\n"

    assert doc_examples.stray_requests(page) == [3, 8]
