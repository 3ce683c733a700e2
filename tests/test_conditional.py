"""Conditional requests (flask_jsonapi/conditional.py): strong ETags on every resource,
collection, related and relationship document; If-None-Match -> 304; If-Match on PATCH,
DELETE and relationship writes -> 412 when stale (nothing written); 428 when a resource
or the config requires If-Match; Atomic Operations' ``meta.ifMatch``.

Error documents follow ERR-3/ERR-5/ERR-10 (``source.header`` names ``If-Match``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import flask
import pytest
import sqlalchemy as sa

from examples.blog import api as blog
from examples.blog.models import Article, Author, Tag
from flask_jsonapi import Api
from tests.support.blog_rows import (
    add_rows,
    article_tag_pairs,
    link_tags,
    make_article,
    make_author,
    make_tag,
    row,
)
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error, snapshot

STRONG = re.compile(r'^"[0-9a-f]{32}"$')
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'


@pytest.fixture
def rows(db_session: Any) -> dict[str, Any]:
    """Two authors, two articles (the first with tags 1 and 2), three tags."""
    add_rows(db_session, make_author(1), make_author(2))
    add_rows(db_session, make_article(1, author_id=1), make_article(2, author_id=1))
    add_rows(db_session, make_tag(1), make_tag(2), make_tag(3))
    link_tags(db_session, 1, [1, 2])
    return {}


def etag(client: JsonApiClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["ETag"]


def title_body(title: str, id_: str = "1") -> dict[str, Any]:
    return {"data": {"type": "articles", "id": id_, "attributes": {"title": title}}}


def precondition_error(response: Any, status: int = 412) -> dict[str, Any]:
    error = only_error(response, status)
    assert error["source"] == {"header": "If-Match"}
    assert "ETag" not in response.headers
    return error


# -- ETag on every document ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/articles/1",
        "/articles",
        "/articles?include=author,tags&sort=-title",
        "/articles/1/author",
        "/articles/1/tags",
        "/articles/1/relationships/tags",
        "/articles/1/relationships/author",
        "/tags",
    ],
)
def test_every_document_has_a_strong_etag_that_follows_its_content(
    client: JsonApiClient, db_session: Any, rows: dict, url: str
) -> None:
    """FET-*: a strong (not W/) ETag, the same while nothing changes, another one once
    the document changes; HEAD carries the same one."""
    first = client.get(url)
    assert first.status_code == 200
    assert STRONG.match(first.headers["ETag"]), first.headers["ETag"]
    assert client.get(url).headers["ETag"] == first.headers["ETag"]
    assert client.head(url).headers["ETag"] == first.headers["ETag"]

    db_session.execute(Article.__table__.update().values(title="changed", author_id=2))
    db_session.execute(Author.__table__.update().values(name="renamed"))
    db_session.execute(Tag.__table__.update().values(name=Tag.name + "!"))
    db_session.commit()
    link_tags(db_session, 1, [3])
    db_session.commit()
    db_session.remove()
    second = client.get(url)
    assert second.get_data() != first.get_data()
    assert second.headers["ETag"] != first.headers["ETag"]


def test_two_representations_of_one_resource_have_different_etags(
    client: JsonApiClient, rows: dict
) -> None:
    """Another URL (here ``include``, ``fields``) is another representation: another tag."""
    tags = {
        etag(client, "/articles/1"),
        etag(client, "/articles/1?include=author"),
        etag(client, "/articles/1?fields[articles]=title"),
    }
    assert len(tags) == 3


def test_error_and_empty_responses_have_no_etag(client: JsonApiClient, rows: dict) -> None:
    """ERR-13: error documents and 204s carry no validator."""
    assert "ETag" not in client.get("/articles/99").headers
    assert "ETag" not in client.get("/articles?sort=nope").headers
    response = client.delete("/articles/2")
    assert response.status_code == 204
    assert "ETag" not in response.headers


def test_post_and_patch_answer_the_etag_get_answers_next(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """CRT-*, UPD-*: the ETag of a 201/200 write response is the one GET answers afterwards,
    so a client can go on with it (a read-modify-write loop needs no extra GET)."""
    created = client.post(
        "/articles",
        json={
            "data": {
                "type": "articles",
                "attributes": {"title": "New", "body": "b"},
                "relationships": {"author": {"data": {"type": "authors", "id": "2"}}},
            }
        },
    )
    assert created.status_code == 201
    url = created.headers["Location"].replace("http://localhost", "")
    assert STRONG.match(created.headers["ETag"])
    assert created.headers["ETag"] == etag(client, url)

    patched = client.patch("/articles/1", json=title_body("Patched"))
    assert patched.status_code == 200
    assert patched.headers["ETag"] == etag(client, "/articles/1")

    included = client.patch("/articles/1?include=author", json=title_body("Again"))
    assert included.status_code == 200
    assert included.headers["ETag"] == etag(client, "/articles/1?include=author")


@pytest.mark.parametrize("method", ["post", "delete", "patch"])
def test_relationship_writes_answer_the_etag_get_answers_next(
    client: JsonApiClient, rows: dict, method: str
) -> None:
    """UREL-*: the 200 of a to-many write carries the ETag of GET on the relationship."""
    url = "/articles/1/relationships/tags"
    response = getattr(client, method)(url, json={"data": [{"type": "tags", "id": "3"}]})
    assert response.status_code == 200
    assert response.headers["ETag"] == etag(client, url)


# -- If-None-Match ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["{tag}", "W/{tag}", '"other", {tag}', "*", ' {tag} , "x"'],
)
@pytest.mark.parametrize("url", ["/articles/1", "/articles", "/articles/1/relationships/tags"])
def test_if_none_match_naming_the_current_etag_answers_304_without_body(
    client: JsonApiClient, rows: dict, url: str, header: str
) -> None:
    """RFC 9110 13.1.2 (weak comparison): 304, no body, the ETag repeated."""
    current = etag(client, url)
    response = client.get(url, headers={"If-None-Match": header.format(tag=current)})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == current


@pytest.mark.parametrize("header", ['"nope"', "nope", "", 'W/"x", "y"', ",,,", '"'])
def test_if_none_match_naming_another_etag_answers_the_document(
    client: JsonApiClient, rows: dict, header: str
) -> None:
    """Any tag that is not the current one (garbage included) gets the full 200."""
    response = client.get("/articles/1", headers={"If-None-Match": header})
    assert response.status_code == 200
    assert response.document["data"]["id"] == "1"


def test_if_none_match_costs_no_extra_statement(
    client: JsonApiClient, rows: dict, sql_counter: Any
) -> None:
    """The ETag is a hash of the bytes already produced: a 304 reads what a 200 reads."""
    current = etag(client, "/articles/1")
    with sql_counter() as plain:
        client.get("/articles/1")
    with sql_counter() as conditional:
        response = client.get("/articles/1", headers={"If-None-Match": current})
    assert response.status_code == 304
    assert conditional.count == plain.count, (plain, conditional)


# -- If-Match on writes ----------------------------------------------------------------


def test_patch_with_a_stale_if_match_is_412_and_writes_nothing(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """The issue's row: ``If-Match: "nope"`` on a PATCH was ignored; now 412, row unchanged."""
    before = snapshot(db_session)
    for header in ('"nope"', "nope", 'W/"x"', '"a", "b"', ""):
        response = client.patch(
            "/articles/1", json=title_body("Lost"), headers={"If-Match": header}
        )
        precondition_error(response)
    assert snapshot(db_session) == before


def test_patch_with_the_current_etag_succeeds_and_the_old_one_is_then_stale(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """Read-modify-write: the fresh ETag wins (200, a new ETag); reusing the old one is 412."""
    current = etag(client, "/articles/1")
    first = client.patch("/articles/1", json=title_body("First"), headers={"If-Match": current})
    assert first.status_code == 200
    assert first.document["data"]["attributes"]["title"] == "First"
    assert first.headers["ETag"] != current

    again = client.patch("/articles/1", json=title_body("Second"), headers={"If-Match": current})
    precondition_error(again)
    assert row(db_session, Article, 1)["title"] == "First"

    third = client.patch(
        "/articles/1", json=title_body("Third"), headers={"If-Match": first.headers["ETag"]}
    )
    assert third.status_code == 200
    assert row(db_session, Article, 1)["title"] == "Third"


@pytest.mark.parametrize("header", ["*", '"other", {tag}', "{tag}"])
def test_if_match_star_or_a_list_with_the_current_etag_passes(
    client: JsonApiClient, db_session: Any, rows: dict, header: str
) -> None:
    current = etag(client, "/articles/1")
    response = client.patch(
        "/articles/1", json=title_body("Listed"), headers={"If-Match": header.format(tag=current)}
    )
    assert response.status_code == 200
    assert row(db_session, Article, 1)["title"] == "Listed"


def test_if_match_compares_strongly(client: JsonApiClient, db_session: Any, rows: dict) -> None:
    """RFC 9110 13.1.1: a weak tag never matches for If-Match, even with the same value."""
    current = etag(client, "/articles/1")
    response = client.patch(
        "/articles/1", json=title_body("Weak"), headers={"If-Match": f"W/{current}"}
    )
    precondition_error(response)
    assert row(db_session, Article, 1)["title"] != "Weak"


def test_if_match_compares_with_the_representation_of_the_same_url(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """The ETag of ``/articles/1?include=author`` is not that of ``/articles/1``; each
    works for a PATCH of its own URL."""
    included = etag(client, "/articles/1?include=author")
    precondition_error(
        client.patch("/articles/1", json=title_body("X"), headers={"If-Match": included})
    )
    response = client.patch(
        "/articles/1?include=author", json=title_body("Y"), headers={"If-Match": included}
    )
    assert response.status_code == 200
    assert row(db_session, Article, 1)["title"] == "Y"


def test_if_match_compares_what_the_representation_shows(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """Another client changed the article's author: ``/articles/1`` shows no author
    linkage, so its ETag still passes; ``/articles/1?include=author`` shows the author, so
    its ETag taken before is stale."""
    plain = etag(client, "/articles/1")
    included = etag(client, "/articles/1?include=author")
    changed = client.patch(
        "/articles/1/relationships/author", json={"data": {"type": "authors", "id": "2"}}
    )
    assert changed.status_code == 200
    precondition_error(
        client.patch(
            "/articles/1?include=author", json=title_body("Z"), headers={"If-Match": included}
        )
    )
    assert row(db_session, Article, 1)["title"] != "Z"
    response = client.patch("/articles/1", json=title_body("P"), headers={"If-Match": plain})
    assert response.status_code == 200


def test_delete_with_if_match(client: JsonApiClient, db_session: Any, rows: dict) -> None:
    """DEL-*: stale 412 (the row stays), fresh 204; a missing resource stays 404 (RFC 9110
    13.2.1: preconditions are not evaluated when the answer would be 404 without them)."""
    precondition_error(client.delete("/articles/2", headers={"If-Match": '"stale"'}))
    assert row(db_session, Article, 2) is not None

    response = client.delete("/articles/2", headers={"If-Match": etag(client, "/articles/2")})
    assert response.status_code == 204
    assert row(db_session, Article, 2) is None
    assert only_error(client.delete("/articles/2", headers={"If-Match": "*"}), 404)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/articles/1/relationships/tags", [{"type": "tags", "id": "3"}]),
        ("delete", "/articles/1/relationships/tags", [{"type": "tags", "id": "1"}]),
        ("patch", "/articles/1/relationships/tags", [{"type": "tags", "id": "3"}]),
        ("patch", "/articles/1/relationships/author", {"type": "authors", "id": "2"}),
    ],
)
def test_relationship_writes_with_if_match(
    client: JsonApiClient, db_session: Any, rows: dict, method: str, url: str, data: Any
) -> None:
    """UREL-*: If-Match compares with GET of the relationship URL: stale 412 (linkage
    unchanged), fresh 200 with the linkage written."""
    before = snapshot(db_session)
    current = etag(client, url)
    stale = getattr(client, method)(url, json={"data": data}, headers={"If-Match": '"old"'})
    precondition_error(stale)
    assert snapshot(db_session) == before

    fresh = getattr(client, method)(url, json={"data": data}, headers={"If-Match": current})
    assert fresh.status_code == 200
    assert snapshot(db_session) != before
    assert fresh.headers["ETag"] == etag(client, url)


def test_an_article_etag_does_not_pass_for_its_relationship(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """Each URL has its own representation: the article's ETag is no relationship's."""
    response = client.post(
        "/articles/1/relationships/tags",
        json={"data": [{"type": "tags", "id": "3"}]},
        headers={"If-Match": etag(client, "/articles/1")},
    )
    precondition_error(response)
    assert article_tag_pairs(db_session) == {(1, 1), (1, 2)}


# -- 428: If-Match required ------------------------------------------------------------


def _required_app(blog_app: flask.Flask) -> flask.Flask:
    """The blog's articles with ``require_if_match = True``; the other types without."""
    session = blog_app.extensions["blog"]["session"]
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)

    class GuardedArticles(blog.ArticleViewSet):
        require_if_match = True

    api.repository(
        blog.AuthorViewSet(repository=blog.AuthorRepository(session=session)),
        "authors",
        "/authors",
    )
    api.repository(
        GuardedArticles(repository=blog.ArticleRepository(session=session)),
        "articles",
        "/articles",
    )
    api.repository(blog.TagViewSet(repository=blog.TagRepository(session=session)), "tags", "/tags")
    api.operations("/operations")
    return app


def _428_cases(client: JsonApiClient) -> list[Any]:
    return [
        client.patch("/articles/1", json=title_body("No")),
        client.delete("/articles/1"),
        client.post("/articles/1/relationships/tags", json={"data": [{"type": "tags", "id": "3"}]}),
        client.patch("/articles/1/relationships/author", json={"data": None}),
    ]


def test_a_view_set_may_require_if_match(
    blog_app: flask.Flask, db_session: Any, rows: dict
) -> None:
    """``require_if_match = True``: every write to the type without If-Match is 428 and
    writes nothing; with it, writes go on; reads, creates and other types are untouched."""
    client = _required_app(blog_app).test_client()
    before = snapshot(db_session)
    for response in _428_cases(client):
        error = precondition_error(response, 428)
        assert "If-Match" in error["detail"]
    assert snapshot(db_session) == before

    assert client.get("/articles/1").status_code == 200
    current = etag(client, "/articles/1")
    response = client.patch("/articles/1", json=title_body("Yes"), headers={"If-Match": current})
    assert response.status_code == 200
    assert (
        client.patch(
            "/tags/1", json={"data": {"type": "tags", "id": "1", "attributes": {"name": "t"}}}
        ).status_code
        == 200
    )
    created = client.post(
        "/articles", json={"data": {"type": "articles", "attributes": {"title": "c", "body": ""}}}
    )
    assert created.status_code == 201


def test_the_config_key_requires_if_match_everywhere(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """``JSONAPI_REQUIRE_IF_MATCH = True``: 428 for every type's writes without If-Match."""
    blog_app.config["JSONAPI_REQUIRE_IF_MATCH"] = True
    before = snapshot(db_session)
    for response in _428_cases(client):
        precondition_error(response, 428)
    precondition_error(
        client.patch("/tags/1", json={"data": {"type": "tags", "id": "1", "attributes": {}}}), 428
    )
    assert snapshot(db_session) == before


# -- Atomic Operations -----------------------------------------------------------------


def operations(client: JsonApiClient, ops: list[dict], **headers: str) -> Any:
    return client.post(
        "/operations",
        data=json.dumps({"atomic:operations": ops}),
        headers={"Content-Type": ATOMIC, "Accept": ATOMIC, **headers},
    )


def atomic_error(response: Any, status: int) -> dict[str, Any]:
    """The single error object of an Atomic Operations error response (ERR-3, ERR-5)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.api+json"
    (error,) = response.document["errors"]
    assert error["status"] == str(status)
    return error


def update_op(title: str, if_match: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"op": "update", **title_body(title)}
    if if_match is not None:
        op["meta"] = {"ifMatch": if_match}
    return op


def test_atomic_stale_precondition_fails_the_whole_request(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """ATOM-*: a stale ``meta.ifMatch`` in the second operation: 412 pointing at it,
    and the first operation is rolled back with it."""
    before = snapshot(db_session)
    response = operations(
        client,
        [
            {"op": "update", **title_body("Two", "2")},
            {**update_op("One", '"stale"')},
        ],
    )
    error = atomic_error(response, 412)
    assert error["source"] == {"pointer": "/atomic:operations/1/meta/ifMatch"}
    assert snapshot(db_session) == before


def test_atomic_fresh_preconditions_pass_and_see_earlier_operations(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """The ETags GET answered pass (resource and relationship targets); a precondition
    compares with the state the earlier operations of the request left, so reusing the
    same ETag after an update of the same resource is stale."""
    article = etag(client, "/articles/1")
    tags = etag(client, "/articles/1/relationships/tags")
    response = operations(
        client,
        [
            update_op("Atomic", article),
            {
                "op": "add",
                "ref": {"type": "articles", "id": "1", "relationship": "tags"},
                "data": [{"type": "tags", "id": "3"}],
                "meta": {"ifMatch": tags},
            },
            {"op": "remove", "ref": {"type": "articles", "id": "2"}, "meta": {"ifMatch": "*"}},
        ],
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert row(db_session, Article, 1)["title"] == "Atomic"
    assert article_tag_pairs(db_session) == {(1, 1), (1, 2), (1, 3)}
    assert row(db_session, Article, 2) is None

    current = etag(client, "/articles/1")
    before = snapshot(db_session)
    twice = operations(client, [update_op("A", current), update_op("B", current)])
    assert atomic_error(twice, 412)["source"] == {"pointer": "/atomic:operations/1/meta/ifMatch"}
    assert snapshot(db_session) == before


def test_atomic_relationship_precondition_ignores_the_operations_query(
    client: JsonApiClient, db_session: Any, rows: dict
) -> None:
    """A relationship's ETag in ``meta.ifMatch`` is the one GET of the relationship answers,
    whatever query parameters the /operations request itself carries."""
    tags = etag(client, "/articles/1/relationships/tags")
    response = client.post(
        "/operations?tag-a=x",
        data=json.dumps(
            {
                "atomic:operations": [
                    {
                        "op": "add",
                        "ref": {"type": "articles", "id": "1", "relationship": "tags"},
                        "data": [{"type": "tags", "id": "3"}],
                        "meta": {"ifMatch": tags},
                    }
                ]
            }
        ),
        headers={"Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    assert article_tag_pairs(db_session) == {(1, 1), (1, 2), (1, 3)}


def test_atomic_precondition_errors(client: JsonApiClient, db_session: Any, rows: dict) -> None:
    """The If-Match header does not apply to /operations (400, source.header); a
    non-string ``ifMatch`` is 400; ``ifMatch`` on an ``add`` is 400; nothing is written."""
    before = snapshot(db_session)
    header = operations(client, [update_op("H")], **{"If-Match": "*"})
    assert atomic_error(header, 400)["source"] == {"header": "If-Match"}
    number = operations(client, [update_op("N", 5)])  # type: ignore[arg-type]
    number_error = atomic_error(number, 400)
    assert number_error["source"] == {"pointer": "/atomic:operations/0/meta/ifMatch"}
    assert number_error["detail"] == "'ifMatch' must be a string."
    add = operations(
        client,
        [
            {
                "op": "add",
                "data": {"type": "tags", "attributes": {"name": "n"}},
                "meta": {"ifMatch": "*"},
            }
        ],
    )
    assert atomic_error(add, 400)["source"] == {"pointer": "/atomic:operations/0/meta/ifMatch"}
    assert snapshot(db_session) == before


def test_atomic_requires_if_match_where_the_resource_does(
    blog_app: flask.Flask, db_session: Any, rows: dict
) -> None:
    """428 for an operation on a type that requires If-Match, pointing at the operation."""
    client = _required_app(blog_app).test_client()
    before = snapshot(db_session)
    response = operations(client, [update_op("R")])
    error = atomic_error(response, 428)
    assert error["source"] == {"pointer": "/atomic:operations/0"}
    assert "meta.ifMatch" in error["detail"]
    assert snapshot(db_session) == before
    fresh = operations(client, [update_op("R", etag(client, "/articles/1"))])
    assert fresh.status_code == 200


# -- compare-and-set under concurrency (PostgreSQL) ------------------------------------


def _slow_updates(engine: Any, table: str) -> Any:
    """Hold every UPDATE/INSERT of ``table`` for a moment, so that two writers that both
    passed their If-Match check would both write (the race a lock must close)."""

    def slow(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith((f"UPDATE {table.upper()}", f"INSERT INTO {table.upper()}")):
            time.sleep(0.3)

    sa.event.listen(engine, "before_cursor_execute", slow)
    return slow


@pytest.mark.parametrize("writers", [2, 4])
@pytest.mark.parametrize("target", ["article", "relationship"])
def test_writers_holding_the_same_etag_cannot_both_win(
    blog_app: flask.Flask, db_session: Any, rows: dict, database_url: str, writers: int, target: str
) -> None:
    """Concurrent writes with one ETag: exactly one 200, the others 412, and the database
    holds the winner's write (the check and the write are one compare-and-set)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time and no row locks to race for")
    engine = blog_app.extensions["blog"]["engine"]
    if target == "article":
        url = "/articles/1"
        bodies = [title_body(f"Writer {n}") for n in range(writers)]
        method, table = "patch", "articles"
    else:
        url = "/articles/1/relationships/tags"
        bodies = [{"data": [{"type": "tags", "id": str(n)}]} for n in (3, 4, 5, 6)[:writers]]
        add_rows(db_session, make_tag(4), make_tag(5), make_tag(6))
        method, table = "post", "article_tags"
    current = etag(blog_app.test_client(), url)
    listener = _slow_updates(engine, table)
    barrier = threading.Barrier(writers)

    def write(body: dict) -> Any:
        client = blog_app.test_client()
        barrier.wait()
        try:
            return getattr(client, method)(url, json=body, headers={"If-Match": current})
        finally:
            blog_app.extensions["blog"]["session"].remove()

    try:
        with ThreadPoolExecutor(writers) as pool:
            responses = list(pool.map(write, bodies))
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * (writers - 1), statuses
    (winner,) = [body for body, r in zip(bodies, responses, strict=True) if r.status_code == 200]
    for response in responses:
        if response.status_code == 412:
            precondition_error(response)
    if target == "article":
        assert row(db_session, Article, 1)["title"] == winner["data"]["attributes"]["title"]
    else:
        added = int(winner["data"][0]["id"])
        assert article_tag_pairs(db_session) == {(1, 1), (1, 2), (1, added)}
