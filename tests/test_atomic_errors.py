"""Atomic Operations that fail: all or nothing, and errors pointing into the operations
(ATOM-5..7, ATOM-13, ATOM-16..18, ATOM-25..27)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from examples.blog.api import ArticleRepository
from examples.blog.models import Article, Author, Comment, Tag
from tests.support.atomic import ATOMIC_TYPE, MEDIA_TYPE, atomic, ops
from tests.support.blog_rows import article_tag_pairs
from tests.support.blog_variants import NoReplaceArticleSchema, variant_app
from tests.support.client import JsonApiClient
from tests.support.relationship_rows import Blog, arrange_blog, comment_articles, table_counts


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _snapshot(db_session: Any) -> tuple[Any, ...]:
    """Every table's row count and every row's contents."""
    rows = tuple(
        tuple(db_session.execute(sa.select(model.__table__).order_by(model.id)).all())
        for model in (Author, Article, Comment, Tag)
    )
    db_session.remove()
    return table_counts(db_session), rows, article_tag_pairs(db_session)


def _fill(value: Any, **ids: str) -> Any:
    """``value`` with ``"{name}"`` strings replaced by ``ids[name]``, at any depth."""
    if isinstance(value, dict):
        return {key: _fill(item, **ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, **ids) for item in value]
    return value.format(**ids) if isinstance(value, str) and "{" in value else value


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.document
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    assert not {"atomic:results", "data"} & set(response.document)
    return response.document["errors"][0]


def _ten_operations(blog: Blog, failing: dict[str, Any]) -> list[dict[str, Any]]:
    """Ten operations touching every table and relationship kind; the 8th is ``failing``."""
    tag = {"type": "tags", "id": str(blog.tags[2])}
    article_ref = {"type": "articles", "lid": "a"}
    return [
        {"op": "add", "data": {"type": "authors", "lid": "w",
                               "attributes": {"name": "W", "email": "w@example.org"}}},
        {"op": "add", "data": {"type": "articles", "lid": "a", "attributes": {"title": "A"},
                               "relationships": {"author": {"data": {"type": "authors",
                                                                     "lid": "w"}}}}},
        {"op": "add", "data": {"type": "comments", "attributes": {"body": "C"},
                               "relationships": {"article": {"data": article_ref}}}},
        {"op": "add", "ref": {**article_ref, "relationship": "tags"}, "data": [tag]},
        {"op": "update", "data": {"type": "articles", "id": str(blog.article),
                                  "attributes": {"title": "Changed"}}},
        {"op": "remove", "ref": {"type": "articles", "id": str(blog.article),
                                 "relationship": "tags"}, "data": [{"type": "tags",
                                                                    "id": str(blog.tags[0])}]},
        {"op": "remove", "ref": {"type": "comments", "id": str(blog.comments[0])}},
        failing,
        {"op": "update", "ref": {"type": "articles", "id": str(blog.article),
                                 "relationship": "author"}, "data": None},
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "never"}}},
    ]  # fmt: skip


FAILURES = {
    "validation-422": (
        {"op": "add", "data": {"type": "tags", "attributes": {"name": ""}}},
        422,
        "/atomic:operations/7/data/attributes/name",
    ),
    "missing-target-404": (
        {"op": "remove", "ref": {"type": "tags", "id": "999"}},
        404,
        "/atomic:operations/7",
    ),
    "missing-related-404": (
        {"op": "add", "ref": {"type": "articles", "lid": "a", "relationship": "tags"},
         "data": [{"type": "tags", "id": "999"}]},
        404,
        "/atomic:operations/7/data",
    ),
    "unique-conflict-409": (
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "tag-1"}}},
        409,
        "/atomic:operations/7",
    ),
    "unknown-lid-404": (
        {"op": "update", "ref": {"type": "articles", "lid": "nope", "relationship": "tags"},
         "data": []},
        404,
        "/atomic:operations/7",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("failing", "status", "pointer"), FAILURES.values(), ids=list(FAILURES))
def test_atom_13_failing_eighth_of_ten_leaves_database_unchanged(
    client: JsonApiClient, db_session: Any, blog: Blog, failing: Any, status: int, pointer: str
) -> None:
    """ATOM-13/ATOM-16/ATOM-18: one failing operation undoes the seven before it."""
    before = _snapshot(db_session)
    operations = _ten_operations(blog, failing)
    assert len(operations) >= 10
    error = _error(atomic(client, *operations), status)
    assert error["source"]["pointer"].startswith(pointer)
    assert _snapshot(db_session) == before


def test_atom_13_the_same_ten_operations_succeed_without_the_failure(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-13: with a harmless 8th operation the same request commits every change."""
    harmless = {"op": "add", "data": {"type": "tags", "attributes": {"name": "fine"}}}
    response = atomic(client, *_ten_operations(blog, harmless))
    assert response.status_code == 200
    counts = table_counts(db_session)
    assert (counts["authors"], counts["articles"], counts["comments"], counts["tags"]) == (
        3, 3, 3, 5,
    )  # fmt: skip
    assert blog.comments[0] not in comment_articles(db_session)
    assert (blog.article, blog.tags[0]) not in article_tag_pairs(db_session)


def test_atom_26_without_ext_is_400(client: JsonApiClient, db_session: Any) -> None:
    """ATOM-1/ATOM-26: an atomic body sent as plain JSON:API is not run: 400."""
    before = _snapshot(db_session)
    response = client.post(
        "/operations",
        json=ops({"op": "add", "data": {"type": "tags", "attributes": {"name": "x"}}}),
        headers={"Content-Type": MEDIA_TYPE, "Accept": ATOMIC_TYPE},
    )
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"pointer": ""}
    assert _snapshot(db_session) == before


def test_atom_25_a_lid_defined_twice_is_400(client: JsonApiClient, db_session: Any) -> None:
    """ATOM-25: each lid names one new resource; a second add with it is 400, nothing runs."""
    before = _snapshot(db_session)
    response = client.post(
        "/operations",
        json=ops(
            {"op": "add", "data": {"type": "tags", "lid": "t", "attributes": {"name": "x"}}},
            {"op": "add", "data": {"type": "tags", "lid": "t", "attributes": {"name": "y"}}},
        ),
        headers={"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE},
    )
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"pointer": "/atomic:operations/1/data/lid"}
    assert _snapshot(db_session) == before


def test_atom_26_atomic_body_on_a_collection_is_refused(
    client: JsonApiClient, db_session: Any
) -> None:
    """ATOM-26/CN-17: atomic operations are not processed by a plain collection endpoint."""
    before = _snapshot(db_session)
    body = ops({"op": "add", "data": {"type": "tags", "attributes": {"name": "x"}}})
    response = client.post("/tags", json=body)
    assert response.status_code == 400
    assert _snapshot(db_session) == before


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "data": {"type": "nope", "attributes": {"name": "x"}}},
        {"op": "remove", "ref": {"type": "nope", "id": "1"}},
    ],
    ids=["add", "remove"],
)
def test_atom_18_unknown_type_is_404_naming_it(
    client: JsonApiClient, db_session: Any, operation: dict[str, Any]
) -> None:
    """ATOM-18: an operation on a type this API does not serve is 404 at the operation."""
    before = _snapshot(db_session)
    tag = {"op": "add", "data": {"type": "tags", "attributes": {"name": "x"}}}
    error = _error(atomic(client, tag, operation), 404)
    assert error["source"] == {"pointer": "/atomic:operations/1"}
    assert error["detail"] == "'nope' is not a resource type of this API."
    assert _snapshot(db_session) == before


@pytest.mark.parametrize(
    ("ref", "pointer", "detail"),
    [
        ({"id": "1"}, "/atomic:operations/0/ref", "'ref' needs a 'type'."),
        ({"type": "tags", "lid": 5}, "/atomic:operations/0/ref/lid", "'lid' must be a string."),
    ],
    ids=["no-type", "integer-lid"],
)
def test_atom_7_malformed_ref_is_400_saying_why(
    client: JsonApiClient, db_session: Any, ref: dict[str, Any], pointer: str, detail: str
) -> None:
    """ATOM-7: a ``ref`` needs a type, and its members are strings."""
    before = _snapshot(db_session)
    error = _error(atomic(client, {"op": "remove", "ref": ref}), 400)
    assert (error["source"], error["detail"]) == ({"pointer": pointer}, detail)
    assert _snapshot(db_session) == before


MALFORMED = {
    "no-operations": ({"meta": {}}, ""),
    "operations-not-array": ({"atomic:operations": {}}, "/atomic:operations"),
    "empty-operations": ({"atomic:operations": []}, "/atomic:operations"),
    "operation-not-object": ({"atomic:operations": ["add"]}, "/atomic:operations/0"),
    "unknown-op": ({"atomic:operations": [{"op": "create"}]}, "/atomic:operations/0/op"),
    "missing-op": ({"atomic:operations": [{"data": {}}]}, "/atomic:operations/0"),
    "ref-and-href": (
        ops({"op": "remove", "ref": {"type": "tags", "id": "1"}, "href": "/tags/1"}),
        "/atomic:operations/0",
    ),
    "ref-without-type": (ops({"op": "remove", "ref": {"id": "1"}}), "/atomic:operations/0/ref"),
    "ref-id-and-lid": (
        ops({"op": "remove", "ref": {"type": "tags", "id": "1", "lid": "x"}}),
        "/atomic:operations/0/ref",
    ),
    "ref-integer-id": (
        ops({"op": "remove", "ref": {"type": "tags", "id": 1}}),
        "/atomic:operations/0/ref/id",
    ),
    "remove-without-target": (ops({"op": "remove"}), "/atomic:operations/0"),
    "href-not-ours": (ops({"op": "remove", "href": "/nowhere/1"}), "/atomic:operations/0/href"),
    "add-without-type": (
        ops({"op": "add", "data": {"attributes": {"name": "x"}}}),
        "/atomic:operations/0/data",
    ),
    "to-one-add": (
        ops({"op": "add", "ref": {"type": "articles", "id": "1", "relationship": "author"},
             "data": {"type": "authors", "id": "1"}}),
        "/atomic:operations/0/op",
    ),
    "to-many-object-data": (
        ops({"op": "update", "ref": {"type": "articles", "id": "1", "relationship": "tags"},
             "data": {"type": "tags", "id": "1"}}),
        "/atomic:operations/0/data",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("document", "pointer"), MALFORMED.values(), ids=list(MALFORMED))
def test_atom_5_atom_7_atom_17_malformed_is_400(
    client: JsonApiClient, db_session: Any, blog: Blog, document: Any, pointer: str
) -> None:
    """ATOM-5/6/7/17: a malformed request or operation is 400 pointing at the culprit."""
    before = _snapshot(db_session)
    response = client.post(
        "/operations", json=document, headers={"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE}
    )
    assert _error(response, 400)["source"] == {"pointer": pointer}
    assert _snapshot(db_session) == before


def test_atom_16_validation_error_points_into_the_operation(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-16: a 422 of the 2nd operation points at its attribute; the 1st is undone."""
    before = _snapshot(db_session)
    response = atomic(
        client,
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "ok"}}},
        {"op": "update", "data": {"type": "articles", "id": str(blog.article),
                                  "attributes": {"title": "", "views": -1}}},
    )  # fmt: skip
    assert response.status_code == 422
    pointers = {e["source"]["pointer"] for e in response.document["errors"]}
    assert pointers == {
        "/atomic:operations/1/data/attributes/title",
        "/atomic:operations/1/data/attributes/views",
    }
    assert _snapshot(db_session) == before


@pytest.mark.parametrize(
    ("operation", "status", "pointer"),
    [
        (
            {"op": "add", "href": "/tags", "data": {"type": "authors", "attributes": {}}},
            409,
            "/atomic:operations/0/data/type",
        ),
        (
            {"op": "update", "ref": {"type": "articles", "id": "{article}"},
             "data": {"type": "articles", "id": "{empty}", "attributes": {"title": "x"}}},
            409,
            "/atomic:operations/0/data",
        ),
        (
            {"op": "update", "ref": {"type": "articles", "id": "{article}",
                                     "relationship": "tags"},
             "data": [{"type": "authors", "id": "1"}]},
            409,
            "/atomic:operations/0/data/0/type",
        ),
        (
            {"op": "update", "data": {"type": "articles", "id": "999",
                                      "attributes": {"title": "x"}}},
            404,
            "/atomic:operations/0",
        ),
        (
            {"op": "add", "data": {"type": "tags", "id": "77", "attributes": {"name": "x"}}},
            403,
            "/atomic:operations/0/data/id",
        ),
        (
            {"op": "update", "ref": {"type": "comments", "id": "{comment}",
                                     "relationship": "article"}, "data": None},
            409,
            "/atomic:operations/0",
        ),
    ],
    ids=[
        "type-vs-href",
        "data-vs-ref",
        "linkage-type",
        "missing-resource",
        "client-id",
        "required-to-one",
    ],
)  # fmt: skip
def test_atom_27_base_spec_statuses(
    client: JsonApiClient, db_session: Any, blog: Blog, operation: Any, status: int, pointer: str
) -> None:
    """ATOM-18/ATOM-27: 409 type mismatch or constraint, 404 missing target, 403 client id."""
    ids = {"article": blog.article, "empty": blog.empty_article, "comment": blog.comments[0]}
    operation = _fill(operation, **{name: str(id_) for name, id_ in ids.items()})
    before = _snapshot(db_session)
    error = _error(atomic(client, operation), status)
    assert error["source"]["pointer"].startswith(pointer)
    assert _snapshot(db_session) == before


@pytest.mark.parametrize("propagate", [True, False], ids=["testing-raises", "production-500"])
def test_unexpected_exception_in_an_operation_rolls_back_every_operation(
    blog_app: Any,
    client: JsonApiClient,
    db_session: Any,
    blog: Blog,
    monkeypatch: pytest.MonkeyPatch,
    propagate: bool,
) -> None:
    """The second operation crashes: under TESTING the exception reaches the test, else a
    500 document; either way the first operation's tag is not stored."""

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("crash in the repository")

    blog_app.config["PROPAGATE_EXCEPTIONS"] = propagate
    before = _snapshot(db_session)
    monkeypatch.setattr(ArticleRepository, "create", crash)
    operations = (
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "kept?"}}},
        {"op": "add", "data": {"type": "articles", "attributes": {"title": "T"}}},
    )
    if propagate:
        with pytest.raises(RuntimeError, match="crash in the repository"):
            atomic(client, *operations)
    else:
        error = _error(atomic(client, *operations), 500)
        assert "crash" not in str(error)
    assert _snapshot(db_session) == before


# -- rules of the plain endpoints hold in operations too ------------------------------------


@pytest.fixture
def no_replace_client(blog_app: Any) -> JsonApiClient:
    """Atomic operations over articles whose ``tags`` refuse full replacement."""
    return variant_app(
        blog_app, article_schema=NoReplaceArticleSchema, operations=True
    ).test_client()


@pytest.mark.parametrize(
    ("operation", "pointer"),
    [
        (
            {"op": "update", "ref": {"type": "articles", "id": "{article}",
                                     "relationship": "tags"},
             "data": [{"type": "tags", "id": "{tag}"}]},
            "/atomic:operations/1",
        ),
        (
            {"op": "update", "data": {"type": "articles", "id": "{article}",
                                      "relationships": {"tags": {"data": [
                                          {"type": "tags", "id": "{tag}"}]}}}},
            "/atomic:operations/1/data/relationships/tags",
        ),
    ],
    ids=["relationship-ref", "resource-relationships"],
)  # fmt: skip
def test_atom_27_upd_5_replacing_a_protected_to_many_is_403(
    no_replace_client: JsonApiClient, db_session: Any, blog: Blog, operation: Any, pointer: str
) -> None:
    """UPD-5/UREL-12/ATOM-27: an atomic ``update`` replacing a to-many with
    ``allow_replace=False`` is 403, as the plain PATCH is; the operation before it is undone."""
    before = _snapshot(db_session)
    operation = _fill(operation, article=str(blog.article), tag=str(blog.tags[2]))
    first = {"op": "add", "data": {"type": "tags", "attributes": {"name": "undone"}}}
    error = _error(atomic(no_replace_client, first, operation), 403)
    assert error["status"] == "403"
    assert error["source"] == {"pointer": pointer}
    assert error["detail"].startswith("Relationship 'tags' cannot be replaced as a whole")
    assert _snapshot(db_session) == before


def test_atom_27_adding_to_a_protected_to_many_is_allowed(
    no_replace_client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-5: ``add`` and ``remove`` on a to-many that refuses replacement still work."""
    ref = {"type": "articles", "id": str(blog.article), "relationship": "tags"}
    response = atomic(
        no_replace_client,
        {"op": "add", "ref": ref, "data": [{"type": "tags", "id": str(blog.tags[2])}]},
        {"op": "remove", "ref": ref, "data": [{"type": "tags", "id": str(blog.tags[0])}]},
    )
    assert response.status_code == 204, response.document
    assert article_tag_pairs(db_session) == {
        (blog.article, blog.tags[1]),
        (blog.article, blog.tags[2]),
    }


def test_atom_16_a_value_the_column_cannot_store_points_into_the_operation(
    client: JsonApiClient, db_session: Any, blog: Blog, database_url: str
) -> None:
    """ATOM-16: a title with a NUL character passes the schema; PostgreSQL cannot store it
    (422 pointing at ``/atomic:operations/1/data``, the first operation undone), SQLite
    stores it as it is."""
    before = _snapshot(db_session)
    response = atomic(
        client,
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "undone"}}},
        {"op": "add", "data": {"type": "articles", "attributes": {"title": "a\x00b"}}},
    )
    if sa.make_url(database_url).get_backend_name() == "postgresql":
        error = _error(response, 422)
        assert error["source"] == {"pointer": "/atomic:operations/1/data"}
        assert _snapshot(db_session) == before
    else:
        assert response.status_code == 200, response.document
        stored = response.document["atomic:results"][1]["data"]
        assert stored["attributes"]["title"] == "a\x00b"
        title = db_session.get(Article, int(stored["id"])).title
        db_session.remove()
        assert title == "a\x00b"


SAYING_WHY = {
    "remove-without-target": (
        {"op": "remove"}, 400, "/atomic:operations/0", "'remove' needs a 'ref' or 'href'."
    ),
    "href-of-a-collection": (
        {"op": "remove", "href": "/tags"},
        400,
        "/atomic:operations/0",
        "The target needs an 'id' or a 'lid'.",
    ),
    "update-data-not-the-ref": (
        {"op": "update", "ref": {"type": "tags", "id": "1"},
         "data": {"type": "tags", "id": "2", "attributes": {"name": "x"}}},
        409,
        "/atomic:operations/0/data",
        "'data' does not match 'ref'.",
    ),
    "if-match-on-add": (
        {"op": "add", "meta": {"ifMatch": '"x"'},
         "data": {"type": "tags", "attributes": {"name": "x"}}},
        400,
        "/atomic:operations/0/meta/ifMatch",
        "'ifMatch' applies to operations on an existing resource, not to 'add'.",
    ),
    "href-no-route": (
        {"op": "remove", "href": "/nowhere/1"},
        400,
        "/atomic:operations/0/href",
        "'/nowhere/1' is not a URL of this API.",
    ),
    # /operations itself is a route of this API, but takes no GET: no resource URL either.
    "href-of-the-operations-endpoint": (
        {"op": "remove", "href": "/operations"},
        400,
        "/atomic:operations/0/href",
        "'/operations' is not a URL of this API.",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "status", "pointer", "detail"), SAYING_WHY.values(), ids=list(SAYING_WHY)
)
def test_atom_7_atom_17_refused_operation_says_why(
    client: JsonApiClient,
    db_session: Any,
    operation: dict[str, Any],
    status: int,
    pointer: str,
    detail: str,
) -> None:
    """ATOM-7/ATOM-17: a refused operation's error points at it and tells the client why."""
    before = _snapshot(db_session)
    error = _error(atomic(client, operation), status)
    assert (error["source"], error["detail"]) == ({"pointer": pointer}, detail)
    assert _snapshot(db_session) == before


def test_atom_if_match_header_on_operations_is_400_naming_the_header(
    client: JsonApiClient, db_session: Any
) -> None:
    """An If-Match header on /operations is 400 naming the header and where the
    precondition goes instead; nothing runs."""
    before = _snapshot(db_session)
    operation = {"op": "add", "data": {"type": "tags", "attributes": {"name": "x"}}}
    error = _error(atomic(client, operation, If_Match='"x"'), 400)
    assert error["source"] == {"header": "If-Match"}
    assert error["detail"] == (
        "If-Match does not apply to /operations: give each operation's precondition "
        "in its meta.ifMatch."
    )
    assert _snapshot(db_session) == before
