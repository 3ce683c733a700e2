"""Hostile input never makes a 500: random query strings and request bodies (property tests).

Whatever a client sends, the answer is a success or a JSON:API error document with a 4xx
status, and a failed write leaves the database as it was (ERR-1, QP-*, CRT-*, TX-1).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examples.blog.models import Article, Base
from tests.support.blog_rows import add_rows, make_article, make_author, make_tag
from tests.support.error_checks import snapshot

NAMES = st.sampled_from(
    [
        "include", "fields[articles]", "fields[authors]", "fields[nope]", "fields", "sort",
        "page[size]", "page[number]", "page[offset]", "page[after]", "page", "filter",
        "filter[title]", "filter[views][gt]", "filter[author][name]", "filter[tags][id][in]",
        "filter[nope]", "foo", "fooBar", "include[x]", "filter[id]", "filter[id][in]",
        "filter[views][in]", "filter[views][lt]", "filter[author][id]",
    ]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        ["author", "comments.author", "tags", "-title", "author.name", "title,views", "0",
         "-1", "1000000", "abc", "", "1,2", "[]", '[{"name":"title","op":"eq","val":1}]',
         "a.b.c.d", "%", "\x00", "..", ",", "9223372036854775808", "2147483648",
         "-2147483649", "1.9", "1,2147483648", ",".join(["7"] * 10_001)]
    ),
    st.text(max_size=12),
)  # fmt: skip
QUERIES = st.lists(st.tuples(NAMES, VALUES), max_size=5)

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30, 1.9, 2.0])
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
RESOURCES = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["articles", "tags", 1, None]),
        "id": st.sampled_from(["1", "999", 1, None, "x"]),
        "attributes": st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries(
                {}, optional={"title": JSON_VALUES, "views": JSON_VALUES, "created": JSON_VALUES}
            ),
        ),
        "relationships": st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries(
                {},
                optional={
                    "author": st.fixed_dictionaries(
                        {}, optional={"data": JSON_VALUES | st.just({"type": "authors", "id": "1"})}
                    ),
                    "tags": st.fixed_dictionaries({}, optional={"data": JSON_VALUES}),
                },
            ),
        ),
    },
)
BODIES = st.one_of(JSON_VALUES, st.fixed_dictionaries({}, optional={"data": RESOURCES}))

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _arrange(db_session) -> None:
    """Author 1, tag 1 and article 1 by author 1, and nothing else (each example starts
    from here: an earlier example may have changed or removed them)."""
    for table in reversed(Base.metadata.sorted_tables):
        db_session.execute(table.delete())
    db_session.commit()
    add_rows(
        db_session,
        make_author(id=1),
        make_tag(id=1),
        make_article(id=1, author_id=1),
    )
    if db_session.get_bind().dialect.name == "postgresql":
        # Explicit ids do not move PostgreSQL's sequences: the next POST must get id 2.
        for table in ("authors", "tags", "articles", "comments"):
            db_session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            )
        db_session.commit()
    db_session.remove()


def _assert_answer(response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.document)
    if response.status_code >= 400:
        assert response.document["errors"], response.document


@FUZZ
@given(query=QUERIES)
def test_random_query_strings_are_answered_not_crashed_qp(client, db_session, query) -> None:
    """QP-*, ERR-1: any query string on a collection, a resource and a related collection."""
    _arrange(db_session)
    qs = urlencode(query)
    for url in ("/articles", "/articles/1", "/articles/1/comments"):
        _assert_answer(client.get(f"{url}?{qs}"), {200, 400})


@FUZZ
@given(body=BODIES)
def test_random_bodies_never_crash_and_never_half_write(client, db_session, body) -> None:
    """ERR-1, TX-1: any JSON body to POST and PATCH; a refused write changes nothing."""
    _arrange(db_session)
    before = snapshot(db_session)
    raw = json.dumps(body)
    post = client.post("/articles", data=raw, content_type="application/vnd.api+json")
    _assert_answer(post, {201, 400, 403, 404, 409, 422})
    if post.status_code != 201:
        assert snapshot(db_session) == before
    before = snapshot(db_session)
    patch = client.patch("/articles/1", data=raw, content_type="application/vnd.api+json")
    _assert_answer(patch, {200, 400, 403, 404, 409, 422})
    if patch.status_code != 200:
        assert snapshot(db_session) == before


NUL_DETAIL = "Query parameters may not contain NUL characters."


def test_nul_in_a_query_value_is_400_naming_the_parameter(client, db_session) -> None:
    """QP-*, ERR-9: PostgreSQL cannot compare text with NUL; the client gets a 400, not 500."""
    _arrange(db_session)
    response = client.get("/articles?filter%5Btitle%5D=%00")
    _assert_answer(response, {400})
    assert response.document["errors"][0]["source"] == {"parameter": "filter[title]"}
    assert response.document["errors"][0]["detail"] == NUL_DETAIL


def test_nul_in_a_query_parameter_name_is_400_naming_it_qp_1(client, db_session) -> None:
    """QP-1, ERR-9: a NUL in a name is refused too, though the name is otherwise an
    implementation-specific one (it has a character outside a-z) that is ignored."""
    _arrange(db_session)
    assert client.get("/articles?fo%01o=1").status_code == 200
    response = client.get("/articles?fo%00o=1")
    _assert_answer(response, {400})
    assert response.document["errors"][0]["source"] == {"parameter": "fo\x00o"}
    assert response.document["errors"][0]["detail"] == NUL_DETAIL


def test_huge_page_number_is_400_naming_the_parameter(client, db_session) -> None:
    """PAG-*: an offset past a 64-bit integer would overflow in the database."""
    _arrange(db_session)
    response = client.get(f"/articles?page%5Bnumber%5D={10**30}")
    _assert_answer(response, {400})
    assert response.document["errors"][0]["source"] == {"parameter": "page[number]"}
    assert response.document["errors"][0]["detail"] == "'page[number]' may be at most 2147483647."


def test_value_the_column_cannot_store_is_422_and_writes_nothing(
    blog_app, client, db_session
) -> None:
    """CRT-*, TX-1: PostgreSQL cannot store a NUL in text: 422 and nothing written. SQLite
    can, so there the article is created."""
    _arrange(db_session)
    before = snapshot(db_session)
    body = {"data": {"type": "articles", "attributes": {"title": "a\x00b"}}}
    response = client.post("/articles", json=body)
    if blog_app.extensions["blog"]["engine"].dialect.name == "postgresql":
        _assert_answer(response, {422})
        assert response.document["errors"][0]["source"] == {"pointer": "/data"}
        assert snapshot(db_session) == before
    else:
        _assert_answer(response, {201})
        assert db_session.scalar(sa.select(Article.title).where(Article.id == 2)) == "a\x00b"


def test_a_valid_post_after_the_arrangement_is_created(client, db_session) -> None:
    """The property tests' starting point lets a valid POST succeed on both databases."""
    _arrange(db_session)
    response = client.post(
        "/articles", json={"data": {"type": "articles", "attributes": {"title": "ok"}}}
    )
    _assert_answer(response, {201})
    assert response.document["data"]["id"] == "2"


OPERATIONS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "atomic:operations": st.lists(
                st.one_of(
                    JSON_VALUES,
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "op": st.sampled_from(["add", "update", "remove", "x", 1]),
                            "ref": JSON_VALUES
                            | st.just({"type": "articles", "id": "1", "relationship": "tags"}),
                            "href": st.sampled_from(
                                [
                                    "/articles/1",
                                    "/nope",
                                    3,
                                    "/tags",
                                    "http://evil.example/articles/1",
                                    "//evil.example/tags",
                                    "https://localhost/articles/1",
                                ]
                            ),
                            "data": RESOURCES | JSON_VALUES,
                        },
                    ),
                ),
                max_size=4,
            )
        },
    ),
)
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'


@FUZZ
@given(body=BODIES)
def test_random_relationship_bodies_never_crash(client, db_session, body) -> None:
    """UREL-*, ERR-1: any JSON body on a relationship endpoint; a refusal changes nothing."""
    _arrange(db_session)
    raw = json.dumps(body)
    for method, url in (
        ("PATCH", "/articles/1/relationships/author"),
        ("PATCH", "/articles/1/relationships/tags"),
        ("POST", "/articles/1/relationships/tags"),
        ("DELETE", "/articles/1/relationships/tags"),
    ):
        before = snapshot(db_session)
        response = client.open(
            url, method=method, data=raw, content_type="application/vnd.api+json"
        )
        _assert_answer(response, {200, 400, 403, 404, 405, 409, 422})
        if response.status_code != 200:
            assert snapshot(db_session) == before


@FUZZ
@given(body=OPERATIONS)
def test_random_atomic_requests_never_crash(client, db_session, body) -> None:
    """ATOM-*, ERR-1: any JSON as atomic operations; a failed request changes nothing."""
    _arrange(db_session)
    before = snapshot(db_session)
    response = client.post(
        "/operations", data=json.dumps(body), headers={"Content-Type": ATOMIC, "Accept": ATOMIC}
    )
    _assert_answer(response, {200, 204, 400, 403, 404, 405, 409, 422})
    if response.status_code >= 400:
        assert snapshot(db_session) == before


LIMITS = {
    "JSONAPI_MAX_BODY_SIZE": 2000,
    "JSONAPI_MAX_OPERATIONS": 3,
    "JSONAPI_MAX_RELATIONSHIP_IDENTIFIERS": 3,
    "JSONAPI_MAX_FILTER_VALUES": 4,
}


@settings(FUZZ, max_examples=25)
@given(count=st.integers(min_value=0, max_value=6), padding=st.integers(0, 2500))
def test_sizes_around_the_limits_are_refused_exactly_past_them(
    blog_app, client, db_session, count, padding
) -> None:
    """docs/limits.md: under a limit the request works; past it 413 (or 400 for filters),
    and a refused write changes nothing."""
    blog_app.config.update(LIMITS)
    _arrange(db_session)
    before = snapshot(db_session)
    # Only tag 1 exists: under the limit, more than one identifier is 404.
    linkage = {"data": [{"type": "tags", "id": str(n)} for n in range(1, count + 1)]}
    response = client.post("/articles/1/relationships/tags", json=linkage)
    _assert_answer(response, {413} if count > 3 else {404} if count > 1 else {200, 204})
    if count > 1:
        assert response.document["errors"][0]["source"] == {"pointer": "/data"}
        assert snapshot(db_session) == before
    before = snapshot(db_session)
    operation = {"op": "update", "data": {"type": "tags", "id": "1", "attributes": {}}}
    response = client.post(
        "/operations",
        data=json.dumps({"atomic:operations": [operation] * count}),
        headers={"Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    _assert_answer(response, {413} if count > 3 else {400} if count == 0 else {200})
    assert snapshot(db_session) == before
    values = ",".join(str(n) for n in range(count))
    response = client.get(f"/articles?filter%5Bid%5D%5Bin%5D={values}")
    _assert_answer(response, {400} if count > 4 or count == 0 else {200})
    body = {"data": {"type": "articles", "attributes": {"title": "t", "body": "x" * padding}}}
    size = len(json.dumps(body).encode())
    response = client.post("/articles", data=json.dumps(body), content_type=ATOMIC.split(";")[0])
    _assert_answer(response, {413} if size > 2000 else {201})
    if size > 2000:
        assert snapshot(db_session) == before
