"""The pytest plugin and helpers of ``flask_jsonapi.testing`` as a user's project meets them.

docs/testing.md's example (an app module, a conftest and a test module) is written into a
fresh directory and run by pytest there, so the page works as printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs" / "testing.md"


def docs_files() -> dict[str, str]:
    """The Python blocks of docs/testing.md whose first line names a file (``# x.py``)."""
    files = {}
    for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL):
        first, _, rest = block.partition("\n")
        match = re.fullmatch(r"# (\w+\.py)", first)
        if match:
            files[match.group(1)] = rest
    return files


def test_the_docs_example_passes(pytester: pytest.Pytester) -> None:
    files = docs_files()
    assert sorted(files) == ["bookshelf.py", "conftest.py", "test_books.py"]
    for name, text in files.items():
        pytester.path.joinpath(name).write_text(text, encoding="utf-8")
    pytester.syspathinsert()

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_an_invalid_document_fails_the_users_test(pytester: pytest.Pytester) -> None:
    """The client's schema check catches a view answering an integer id."""
    pytester.makeconftest(
        """
        import flask
        import pytest


        @pytest.fixture
        def app():
            app = flask.Flask(__name__)

            @app.get("/things/1")
            def thing():
                body = '{"data": {"type": "things", "id": 1}}'
                return flask.Response(body, content_type="application/vnd.api+json")

            return app
        """
    )
    pytester.makepyfile(
        """
        def test_thing(jsonapi_client):
            jsonapi_client.get("/things/1")
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GET /things/1 -> 200 OK: JSON:API 1.1 response is not a valid JSON:API document*",
            "*at $.data.id: 1 is not of type 'string'*",
        ]
    )


def test_without_an_app_fixture_the_fixture_says_what_it_needs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_thing(jsonapi_client):
            pass
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'app' not found*"])
