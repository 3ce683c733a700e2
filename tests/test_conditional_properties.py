"""Property tests of the conditional headers and the limits of docs/limits.md.

Whatever ``If-Match`` / ``If-None-Match`` a client sends (tags, weak tags, lists, ``*``,
garbage), and whatever sizes and integers it sends around the limits, the answer is a
valid JSON:API document (or an empty 304/204), never a 500, and a refused write leaves
the database as it was (ERR-1, ERR-10, TX-1). ``make test`` runs a bounded number of
examples; ``make fuzz`` loads the ``fuzz`` hypothesis profile (tests/conftest.py) and
runs many more.
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import quote

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.blog_rows import add_rows, link_tags, make_article, make_author, make_tag
from tests.support.error_checks import snapshot
from tests.support.query_data import query_app

# The fuzz profile's many examples when it is loaded (make fuzz), else a bounded number.
EXAMPLES = settings.default.max_examples if settings.default.max_examples >= 500 else 25
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
MEDIA_TYPE = "application/vnd.api+json"
_titles = itertools.count()

# Header text a client could send: printable ASCII (a header cannot hold line breaks).
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
# Tokens of an entity-tag list; "CURRENT" and "WEAK_CURRENT" stand for the current tag.
# ``*`` is a header value of its own (RFC 9110: "*" / #entity-tag), never a list member.
TOKENS = st.one_of(
    st.just(["*"]),
    st.lists(
        st.one_of(
            st.sampled_from(["CURRENT", "WEAK_CURRENT"]),
            st.from_regex(r'\A(W/)?"[0-9a-f]{1,32}"\Z'),
            st.from_regex(r"\A[A-Za-z0-9_.-]{1,20}\Z"),
        ),
        max_size=4,
    ),
)


@pytest.fixture
def arranged(db_session: Any) -> None:
    """Authors 1-2, articles 1-2 by author 1 (article 1 tagged 1 and 2), tags 1-3."""
    add_rows(db_session, make_author(1), make_author(2))
    add_rows(db_session, make_article(1, author_id=1), make_article(2, author_id=1))
    add_rows(db_session, make_tag(1), make_tag(2), make_tag(3))
    link_tags(db_session, 1, [1, 2])


def header_of(tokens: list[str], current: str) -> str:
    return ", ".join(
        current if t == "CURRENT" else f"W/{current}" if t == "WEAK_CURRENT" else t for t in tokens
    )


def assert_jsonapi(response: Any, allowed: set[int]) -> None:
    """An allowed status; an error is a JSON:API error document; 304/204 have no body."""
    assert response.status_code in allowed, (response.status_code, response.get_data())
    if response.status_code in (204, 304):
        assert response.get_data() == b""
        return
    assert response.mimetype == MEDIA_TYPE
    document = response.document
    if response.status_code >= 400:
        assert document["errors"] and "data" not in document
        assert "ETag" not in response.headers
    else:
        assert "data" in document or "atomic:results" in document


def _title_body(id_: str = "1") -> dict[str, Any]:
    # A new title each time: a write that wrongly went through would show in the database.
    return {"data": {"type": "articles", "id": id_, "attributes": {"title": f"t{next(_titles)}"}}}


# -- conditional headers ---------------------------------------------------------------


@PROPERTY
@given(tokens=TOKENS, url=st.sampled_from(["/articles/1", "/articles", "/articles/1/tags"]))
def test_if_none_match_is_304_exactly_when_it_names_the_current_tag(
    client: Any, arranged: None, tokens: list[str], url: str
) -> None:
    """304 (no body, the ETag) iff the list holds the current tag, weak or strong, or ``*``."""
    current = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": header_of(tokens, current)})
    matches = bool({"CURRENT", "WEAK_CURRENT", "*"} & set(tokens))
    assert_jsonapi(response, {304} if matches else {200})
    assert response.headers["ETag"] == current


@PROPERTY
@given(header=HEADER_TEXT)
def test_any_if_none_match_text_is_answered(client: Any, arranged: None, header: str) -> None:
    """Garbage in If-None-Match: a 200 document or a 304, never an error."""
    response = client.get("/articles/1/relationships/tags", headers={"If-None-Match": header})
    assert_jsonapi(response, {200, 304})


@PROPERTY
@given(
    tokens=TOKENS,
    target=st.sampled_from(["patch", "delete", "relationship", "atomic"]),
)
def test_if_match_writes_exactly_when_it_names_the_current_tag(
    client: Any, db_session: Any, arranged: None, tokens: list[str], target: str
) -> None:
    """A write goes through iff If-Match (or an operation's ``meta.ifMatch``) holds the
    current strong tag or ``*``; otherwise 412 and the database is unchanged."""
    (article,) = add_rows(db_session, make_article(next(_titles) + 100, author_id=2))
    url = f"/articles/{article}"
    if target == "relationship":
        url += "/relationships/tags"
    current = client.get(url).headers["ETag"]
    header = header_of(tokens, current)
    before = snapshot(db_session)
    if target == "patch":
        response = client.patch(url, json=_title_body(str(article)), headers={"If-Match": header})
        passed = {200}
    elif target == "delete":
        response = client.delete(url, headers={"If-Match": header})
        passed = {204}
    elif target == "relationship":
        body = {"data": [{"type": "tags", "id": "3"}]}
        response = client.post(url, json=body, headers={"If-Match": header})
        passed = {200}
    else:
        operation = {"op": "update", **_title_body(str(article)), "meta": {"ifMatch": header}}
        response = client.post(
            "/operations",
            data=json.dumps({"atomic:operations": [operation]}),
            headers={"Content-Type": ATOMIC, "Accept": ATOMIC},
        )
        passed = {200}
    matches = bool({"CURRENT", "*"} & set(tokens))
    assert_jsonapi(response, passed if matches else {412})
    if not matches:
        assert snapshot(db_session) == before
    else:
        assert snapshot(db_session) != before


@PROPERTY
@given(header=HEADER_TEXT, method=st.sampled_from(["PATCH", "DELETE", "POST"]))
def test_any_if_match_text_never_crashes_or_half_writes(
    client: Any, db_session: Any, arranged: None, header: str, method: str
) -> None:
    """Garbage in If-Match on every kind of write: 2xx or 412, and 412 writes nothing."""
    url = "/articles/2" if method != "POST" else "/articles/2/relationships/tags"
    before = snapshot(db_session)
    body = _title_body("2") if method == "PATCH" else {"data": [{"type": "tags", "id": "3"}]}
    if method == "DELETE":
        body = None
    response = client.open(
        url, method=method, json=body, headers={"If-Match": header, "Accept": MEDIA_TYPE}
    )
    assert_jsonapi(response, {200, 204, 404, 412})
    if response.status_code in (404, 412):
        assert snapshot(db_session) == before


# -- the limits of docs/limits.md ------------------------------------------------------

LIMITS = {
    "JSONAPI_MAX_BODY_SIZE": 1500,
    "JSONAPI_MAX_OPERATIONS": 4,
    "JSONAPI_MAX_RELATIONSHIP_IDENTIFIERS": 4,
    "JSONAPI_MAX_FILTER_VALUES": 5,
    "JSONAPI_MAX_FILTER_CONDITIONS": 4,
    "JSONAPI_MAX_FILTER_DEPTH": 3,
}
INTEGERS = st.one_of(
    st.integers(),
    st.sampled_from([2**15, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1]),
    st.integers(min_value=-(2**80), max_value=2**80),
)
CONDITIONAL = st.one_of(st.none(), st.just("*"), HEADER_TEXT)


def _nested(depth: int, value: int) -> dict[str, Any]:
    node: dict[str, Any] = {"name": "views", "op": "eq", "val": value}
    for _ in range(depth - 1):
        node = {"or": [node]}
    return node


@pytest.fixture
def limited(blog_app: flask.Flask, arranged: None) -> flask.Flask:
    blog_app.config.update(LIMITS)
    return blog_app


@PROPERTY
@given(
    count=st.integers(0, 8),
    padding=st.integers(0, 2000),
    if_match=CONDITIONAL,
    value=INTEGERS,
)
def test_writes_around_the_limits_are_answered_and_refusals_write_nothing(
    limited: flask.Flask,
    client: Any,
    db_session: Any,
    count: int,
    padding: int,
    if_match: str | None,
    value: int,
) -> None:
    """Relationship identifiers, atomic operations, body size and integer attributes
    around their limits, with any If-Match: a document or 204, never 500; every refusal
    leaves the database unchanged; what is accepted is stored as sent."""
    headers = {} if if_match is None else {"If-Match": if_match}
    writes = [
        (
            "POST",
            "/articles/1/relationships/tags",
            {"data": [{"type": "tags", "id": str(n % 3 + 1)} for n in range(count)]},
            {},
        ),
        (
            "POST",
            "/operations",
            {
                "atomic:operations": [
                    {"op": "update", "data": {"type": "tags", "id": "1", "attributes": {}}}
                ]
                * count
            },
            {"Content-Type": ATOMIC, "Accept": ATOMIC},
        ),
        (
            "PATCH",
            "/articles/1",
            {
                "data": {
                    "type": "articles",
                    "id": "1",
                    "attributes": {"views": value, "body": "x" * padding},
                }
            },
            {},
        ),
        ("POST", "/articles", {"data": {"type": "articles", "attributes": {"views": value}}}, {}),
    ]
    for method, url, body, extra in writes:
        before = snapshot(db_session)
        request_headers = {**({} if url == "/operations" else headers), **extra}
        response = client.open(
            url,
            method=method,
            data=json.dumps(body),
            content_type=extra.get("Content-Type", MEDIA_TYPE),
            headers=request_headers,
        )
        assert_jsonapi(response, {200, 201, 204, 400, 404, 412, 413, 422})
        if response.status_code >= 400:
            assert snapshot(db_session) == before, (url, response.document)
        elif method != "POST" or url == "/articles":
            assert response.document["data"]["attributes"]["views"] == value


@PROPERTY
@given(
    count=st.integers(0, 8),
    depth=st.integers(1, 6),
    value=INTEGERS,
    if_none_match=CONDITIONAL,
)
def test_reads_around_the_limits_are_answered(
    limited: flask.Flask,
    db_session: Any,
    count: int,
    depth: int,
    value: int,
    if_none_match: str | None,
) -> None:
    """Filter values, filter depth and conditions, integers in filters and pages, with any
    If-None-Match: a 200 document, a 304 or a 400 naming the parameter, never 500."""
    client = query_app(limited, LIMITS, filter_expressions=True).test_client()
    headers = {} if if_none_match is None else {"If-None-Match": if_none_match}
    values = ",".join(str(value + n) for n in range(count))
    expression = [_nested(depth, value)] * max(count, 1)
    for url in (
        f"/articles?filter[id][in]={values}",
        f"/articles?filter[views][gt]={value}",
        f"/articles?filter[id]={value}",
        f"/articles?page[number]={value}",
        f"/articles?filter={quote(json.dumps(expression))}",
        f"/articles/{value}",
    ):
        response = client.get(url, headers=headers)
        assert_jsonapi(response, {200, 304, 400, 404})
        if response.status_code == 400:
            assert "parameter" in response.document["errors"][0]["source"]
