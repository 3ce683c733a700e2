"""Row writes, the POST/PATCH fast path (``row_writes.py``), give what the ORM path gives.

A stock create is one ``INSERT ... SELECT ... RETURNING`` (the related rows checked in the
same statement) and a stock update one ``UPDATE ... WHERE EXISTS ... RETURNING``. Each
request here is answered by the same app with ``JSONAPI_ROW_WRITES`` on and off, from the
same rows (tables emptied and sequences restarted in between), and must give the same
status, document and rows. A spy on ``RowWriter`` tells which path wrote, so a
differential cannot pass by both requests taking the ORM path. Where the fast path must
step aside (validators, events, constructors, ``onupdate``, overridden hooks, scoped
related reads), the answer and the rows must hold what the ORM path makes of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy.orm import DeclarativeBase, scoped_session

from examples.blog import api as blog_api
from examples.blog.models import Article, Author, Base, Comment, Tag, article_tags, utcnow
from flask_jsonapi import Api
from flask_jsonapi.resource_repositories.row_writes import RowWriter
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import (
    ResourceRepositoryDetailView,
    ResourceRepositoryListView,
    ResourceRepositoryViewSet,
)
from flask_jsonapi.resources import ResourceBase
from flask_jsonapi.schema import Schema, fields
from tests.support.blog_rows import row
from tests.support.client import JsonApiClient
from tests.support.database import reset_database
from tests.support.error_checks import assert_error, identifier, only_error, snapshot
from tests.support.two_paths import first_difference, spy_calls

# -- the two paths ---------------------------------------------------------------------------


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``RowWriter`` statements run so far (``create``, ``update``)."""
    return spy_calls(monkeypatch, RowWriter, ("create", "update"))


@dataclass(frozen=True)
class Ids:
    """The arranged rows: ``ann`` wrote ``article`` (tagged ``tag``), ``bob`` commented."""

    ann: int
    bob: int
    article: int
    tag: int
    comment: int


def arrange(db_session: Any) -> Ids:
    """Two authors, an article by the first with one tag, a comment on it by the second."""
    ann = Author(name="Ann", email="ann@example.org")
    bob = Author(name="Bob", email="bob@example.org")
    tag = Tag(name="python")
    article = Article(title="Stored", body="text", views=3, author=ann, tags=[tag])
    comment = Comment(body="Nice", article=article, author=bob)
    db_session.add_all([ann, bob, tag, article, comment])
    db_session.commit()
    ids = Ids(ann.id, bob.id, article.id, tag.id, comment.id)
    db_session.remove()
    return ids


@pytest.fixture
def ids(db_session: Any) -> Ids:
    return arrange(db_session)


def stable(document: Any) -> Any:
    """``document`` with every ``created`` attribute (the clock's) replaced by a marker."""
    if isinstance(document, list):
        return [stable(item) for item in document]
    if not isinstance(document, dict):
        return document
    result = {key: stable(value) for key, value in document.items()}
    attributes = result.get("attributes")
    if isinstance(attributes, dict) and "created" in attributes:
        result["attributes"] = {**attributes, "created": "<created>"}
    return result


@dataclass(frozen=True)
class Outcome:
    """What a client and the database see of one request."""

    status: int
    document: Any
    location: str | None
    rows: list[tuple]


def answer(
    blog_app: flask.Flask,
    client: JsonApiClient,
    db_session: Any,
    request: Request,
    *,
    row_writes: bool,
) -> Outcome:
    """The outcome of ``request`` from freshly arranged rows on one path."""
    db_session.remove()
    reset_database(blog_app.extensions["blog"]["engine"], Base.metadata)
    assert arrange(db_session) == Ids(1, 2, 1, 1, 1)  # the bodies below name these ids
    blog_app.config["JSONAPI_ROW_WRITES"] = row_writes
    try:
        # Equal documents: validating the first against the JSON:API schema covers both.
        response = client.open(
            request.url, method=request.method, json=request.body, validate=row_writes
        )
    finally:
        blog_app.config["JSONAPI_ROW_WRITES"] = True
    return Outcome(
        response.status_code,
        stable(response.document),
        response.headers.get("Location"),
        snapshot(db_session),
    )


# -- 1. statement counts ---------------------------------------------------------------------


def article_document(**members: Any) -> dict[str, Any]:
    """A POST /articles document; ``members`` are added to the resource object."""
    return {"data": {"type": "articles", "attributes": {"title": "Hello"}, **members}}


def patch_document(article_id: Any, **members: Any) -> dict[str, Any]:
    return {"data": {"type": "articles", "id": str(article_id), **members}}


def to_one(type_: str, id_: Any) -> dict[str, Any]:
    return {"data": None if id_ is None else identifier(type_, id_)}


def test_create_with_author_is_one_statement_crt_1(
    client: JsonApiClient, db_session: Any, sql_counter: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-1, CRT-2: attributes and an existing author: one INSERT ... SELECT ... RETURNING,
    the author checked in the same statement; the answer holds the stored row."""
    body = article_document(
        attributes={"title": "Hello", "body": "World"},
        relationships={"author": to_one("authors", ids.ann)},
    )

    with sql_counter() as counter:
        response = client.post("/articles", json=body)

    assert response.status_code == 201, response.document
    assert counter.count == 1, counter
    (statement,) = counter.statements
    assert statement.lstrip().upper().startswith("INSERT INTO ARTICLES"), counter
    assert "authors" in statement and "RETURNING" in statement.upper(), counter
    assert writes == ["create"]
    data = response.document["data"]
    stored = row(db_session, Article, int(data["id"]))
    assert stored["author_id"] == ids.ann
    assert data["attributes"] == {
        "title": "Hello",
        "body": "World",
        "views": 0,
        "draft": False,
        "created": stored["created"].isoformat(),
    }
    assert (stored["title"], stored["body"], stored["views"]) == ("Hello", "World", 0)
    assert response.headers["Location"] == data["links"]["self"]


def test_patch_title_is_one_statement_upd_2(
    client: JsonApiClient, db_session: Any, sql_counter: Any, ids: Ids, writes: list[str]
) -> None:
    """UPD-2, UPD-6: one UPDATE ... RETURNING; the other columns stay."""
    before = row(db_session, Article, ids.article)

    with sql_counter() as counter:
        response = client.patch(
            f"/articles/{ids.article}",
            json=patch_document(ids.article, attributes={"title": "Renamed"}),
        )

    assert response.status_code == 200, response.document
    assert counter.count == 1, counter
    assert counter.statements[0].lstrip().upper().startswith("UPDATE ARTICLES"), counter
    assert writes == ["update"]
    assert response.document["data"]["attributes"]["title"] == "Renamed"
    assert response.document["data"]["attributes"]["views"] == 3
    assert row(db_session, Article, ids.article) == {**before, "title": "Renamed"}


def test_patches_of_different_members_each_write_their_own_upd_2(
    client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """UPD-2: the row writer keeps one UPDATE per set of members written; a PATCH of the
    title, then one of the body and views, then the title again each change what they
    send and nothing else (a statement kept for one set never serves another)."""
    before = row(db_session, Article, ids.article)
    steps = [
        ({"title": "First"}, {"title": "First"}),
        ({"body": "Rewritten", "views": 7}, {"body": "Rewritten", "views": 7}),
        ({"title": "Second"}, {"title": "Second"}),
    ]
    expected = dict(before)
    for attributes, changed in steps:
        response = client.patch(
            f"/articles/{ids.article}", json=patch_document(ids.article, attributes=attributes)
        )
        assert response.status_code == 200, response.document
        expected.update(changed)
        assert row(db_session, Article, ids.article) == expected
        for name, value in changed.items():
            assert response.document["data"]["attributes"][name] == value
    assert writes == ["update", "update", "update"]


def test_patch_author_is_one_statement_upd_4(
    client: JsonApiClient, db_session: Any, sql_counter: Any, ids: Ids, writes: list[str]
) -> None:
    """UPD-4: another existing author: one UPDATE ... WHERE EXISTS ... RETURNING."""
    before = row(db_session, Article, ids.article)
    body = patch_document(ids.article, relationships={"author": to_one("authors", ids.bob)})

    with sql_counter() as counter:
        response = client.patch(f"/articles/{ids.article}", json=body)

    assert response.status_code == 200, response.document
    assert counter.count == 1, counter
    assert "EXISTS" in counter.statements[0].upper(), counter
    assert writes == ["update"]
    assert row(db_session, Article, ids.article) == {**before, "author_id": ids.bob}


def test_patch_with_empty_attributes_is_one_read_upd_2(
    client: JsonApiClient, db_session: Any, sql_counter: Any, ids: Ids, writes: list[str]
) -> None:
    """UPD-2: nothing to change: one SELECT answers the resource as it is."""
    before = row(db_session, Article, ids.article)

    with sql_counter() as counter:
        response = client.patch(
            f"/articles/{ids.article}", json=patch_document(ids.article, attributes={})
        )

    assert response.status_code == 200, response.document
    assert counter.count == 1, counter
    assert counter.statements[0].lstrip().upper().startswith("SELECT"), counter
    assert writes == ["update"]
    assert response.document["data"]["attributes"]["title"] == "Stored"
    assert row(db_session, Article, ids.article) == before


def test_create_comment_with_two_to_one_is_one_statement_crt_2(
    client: JsonApiClient, db_session: Any, sql_counter: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-2: a comment needs its article and names an author: both checked in the one
    INSERT ... SELECT."""
    body = {
        "data": {
            "type": "comments",
            "attributes": {"body": "Me too"},
            "relationships": {
                "article": to_one("articles", ids.article),
                "author": to_one("authors", ids.ann),
            },
        }
    }

    with sql_counter() as counter:
        response = client.post("/comments", json=body)

    assert response.status_code == 201, response.document
    assert counter.count == 1, counter
    assert "articles" in counter.statements[0] and "authors" in counter.statements[0], counter
    assert writes == ["create"]
    stored = row(db_session, Comment, int(response.document["data"]["id"]))
    assert (stored["body"], stored["article_id"], stored["author_id"]) == (
        "Me too",
        ids.article,
        ids.ann,
    )

    with sql_counter() as counter:
        response = client.post("/comments?include=article,author", json=body)
    assert response.status_code == 201, response.document
    # The INSERT, then each included resource: one SELECT per relationship.
    assert counter.count == 3, counter
    included = {(r["type"], r["id"]) for r in response.document["included"]}
    assert included == {("articles", str(ids.article)), ("authors", str(ids.ann))}


# -- 2. the same outcome as the ORM path ----------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request of the differential; ``fast``: whether the fast path's writer is asked
    to write (``None``: it depends on the database)."""

    name: str
    method: str
    url: str
    body: dict[str, Any]
    fast: bool | None


def comment_document(article: Any, author: Any, **attributes: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "comments",
            "attributes": {"body": "Hi", **attributes},
            "relationships": {
                "article": to_one("articles", article),
                "author": to_one("authors", author),
            },
        }
    }


AUTHOR = {"author": to_one("authors", 1)}
REQUESTS = [
    Request("create", "POST", "/articles", article_document(), True),
    Request(
        "create-with-author", "POST", "/articles", article_document(relationships=AUTHOR), True
    ),
    Request(
        "create-author-null",
        "POST",
        "/articles",
        article_document(relationships={"author": to_one("authors", None)}),
        True,
    ),
    Request(
        "create-missing-author",
        "POST",
        "/articles",
        article_document(relationships={"author": to_one("authors", 99)}),
        True,
    ),
    Request(
        "create-author-id-abc",
        "POST",
        "/articles",
        article_document(relationships={"author": to_one("authors", "abc")}),
        False,
    ),
    Request(
        "create-author-id-2**40",
        "POST",
        "/articles",
        # SQLite's keys are 64 bits (the INSERT finds no author); PostgreSQL's 32 (no INSERT).
        article_document(relationships={"author": to_one("authors", 2**40)}),
        None,
    ),
    Request(
        "create-unknown-attribute",
        "POST",
        "/articles",
        article_document(attributes={"title": "Hello", "subtitle": "no"}),
        False,
    ),
    Request(
        "create-title-too-long",
        "POST",
        "/articles",
        article_document(attributes={"title": "x" * 201}),
        False,
    ),
    Request(
        "create-all-attributes-and-include",
        "POST",
        "/articles?include=author,comments",
        article_document(
            attributes={"title": "Full", "body": "All", "views": 7}, relationships=AUTHOR
        ),
        True,
    ),
    Request(
        "create-sparse-fieldset",
        "POST",
        "/articles?fields[articles]=title,author&include=author&fields[authors]=name",
        article_document(relationships=AUTHOR),
        True,
    ),
    Request("create-comment", "POST", "/comments", comment_document(1, 2), True),
    Request("create-comment-no-author", "POST", "/comments", comment_document(1, None), True),
    Request("create-comment-missing-article", "POST", "/comments", comment_document(9, 2), True),
    Request("create-comment-missing-author", "POST", "/comments", comment_document(1, 9), True),
    Request("create-comment-both-missing", "POST", "/comments", comment_document(8, 9), True),
    # The article cannot be emptied: the ORM path answers its own 409.
    Request("create-comment-article-null", "POST", "/comments", comment_document(None, 2), False),
    Request(
        "create-author-email-taken",
        "POST",
        "/authors",
        {"data": {"type": "authors", "attributes": {"name": "Ann 2", "email": "ann@example.org"}}},
        True,
    ),
    Request(
        "create-tag-name-taken",
        "POST",
        "/tags",
        {"data": {"type": "tags", "attributes": {"name": "python"}}},
        True,
    ),
    Request(
        "create-nul-character",
        "POST",
        "/articles",
        # PostgreSQL cannot store it (422); SQLite can (201).
        article_document(attributes={"title": "a\x00b"}),
        True,
    ),
    Request(
        "patch-title", "PATCH", "/articles/1", patch_document(1, attributes={"title": "New"}), True
    ),
    Request(
        "patch-all-attributes",
        "PATCH",
        "/articles/1",
        patch_document(1, attributes={"title": "T", "body": "B", "views": 0}),
        True,
    ),
    Request(
        "patch-author",
        "PATCH",
        "/articles/1",
        patch_document(1, relationships={"author": to_one("authors", 2)}),
        True,
    ),
    Request(
        "patch-author-null",
        "PATCH",
        "/articles/1",
        patch_document(1, relationships={"author": to_one("authors", None)}),
        True,
    ),
    Request(
        "patch-missing-author",
        "PATCH",
        "/articles/1",
        patch_document(
            1, attributes={"title": "Lost"}, relationships={"author": to_one("authors", 99)}
        ),
        True,
    ),
    Request(
        "patch-include-author",
        "PATCH",
        "/articles/1?include=author",
        patch_document(1, relationships={"author": to_one("authors", 2)}),
        True,
    ),
    Request(
        "patch-include-author-comments-tags",
        "PATCH",
        "/articles/1?include=author,comments.author,tags",
        patch_document(1, attributes={"views": 4}),
        True,
    ),
    Request("patch-empty", "PATCH", "/articles/1", patch_document(1, attributes={}), True),
    Request(
        "patch-missing-article",
        "PATCH",
        "/articles/99",
        patch_document(99, attributes={"title": "New"}),
        True,
    ),
    Request(
        "patch-missing-article-missing-author",
        "PATCH",
        "/articles/99",
        patch_document(
            99, attributes={"title": "New"}, relationships={"author": to_one("authors", 98)}
        ),
        True,
    ),
    Request(
        "patch-missing-article-existing-author",
        "PATCH",
        "/articles/99",
        patch_document(99, relationships={"author": to_one("authors", 1)}),
        True,
    ),
    Request(
        "patch-missing-article-empty",
        "PATCH",
        "/articles/99",
        patch_document(99, attributes={}),
        True,
    ),
    Request(
        "patch-article-id-2**40",
        "PATCH",
        f"/articles/{2**40}",
        patch_document(2**40, attributes={"title": "New"}),
        True,
    ),
    Request(
        "patch-negative-views",
        "PATCH",
        "/articles/1",
        patch_document(1, attributes={"views": -1}),
        False,
    ),
    Request(
        "patch-comment-article-null",
        "PATCH",
        "/comments/1",
        {
            "data": {
                "type": "comments",
                "id": "1",
                "relationships": {"article": to_one("articles", None)},
            }
        },
        False,
    ),
    Request(
        "patch-comment-article-and-author",
        "PATCH",
        "/comments/1",
        {
            "data": {
                "type": "comments",
                "id": "1",
                "attributes": {"body": "Edited"},
                "relationships": {
                    "article": to_one("articles", 1),
                    "author": to_one("authors", 1),
                },
            }
        },
        True,
    ),
    Request(
        "patch-author-email-taken",
        "PATCH",
        "/authors/2",
        {"data": {"type": "authors", "id": "2", "attributes": {"email": "ann@example.org"}}},
        True,
    ),
    Request(
        "patch-nul-character",
        "PATCH",
        "/articles/1",
        patch_document(1, attributes={"body": "a\x00b"}),
        True,
    ),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=[r.name for r in REQUESTS])
def test_same_outcome_as_the_orm_path_crt_upd_tx_1(
    blog_app: flask.Flask,
    client: JsonApiClient,
    db_session: Any,
    writes: list[str],
    request_: Request,
) -> None:
    """CRT-*, UPD-*, ERR-*, TX-1: the same status, document (but for ``created``), Location
    and rows with the row writes on and off; the fast path wrote where it should."""
    fast = answer(blog_app, client, db_session, request_, row_writes=True)
    took_fast = bool(writes)
    del writes[:]
    slow = answer(blog_app, client, db_session, request_, row_writes=False)
    assert not writes, "row writes ran with JSONAPI_ROW_WRITES off"

    if request_.fast is not None:
        assert took_fast == request_.fast, f"fast path taken={took_fast}"
    assert (fast.status, fast.location) == (slow.status, slow.location), (
        fast.document,
        slow.document,
    )
    difference = first_difference(fast.document, slow.document)
    assert difference is None, difference
    assert fast.rows == slow.rows


def test_nul_character_is_422_on_postgresql_tx_1(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """TX-1: the fast INSERT of a value PostgreSQL cannot store is 422 at /data."""
    before = snapshot(db_session)
    response = client.post("/articles", json=article_document(attributes={"title": "a\x00b"}))
    assert writes == ["create"]
    if blog_app.extensions["blog"]["engine"].dialect.name != "postgresql":
        assert response.status_code == 201
        return
    assert only_error(response, 422)["source"] == {"pointer": "/data"}
    assert snapshot(db_session) == before


def test_conflict_then_success_on_the_same_session_tx_1(
    client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """TX-1: after a fast create failed in the database (409), the next one succeeds."""
    taken = {"data": {"type": "authors", "attributes": {"name": "X", "email": "bob@example.org"}}}
    only_error(client.post("/authors", json=taken), 409)
    fresh = {"data": {"type": "authors", "attributes": {"name": "Cy", "email": "cy@example.org"}}}
    response = client.post("/authors", json=fresh)
    assert response.status_code == 201, response.document
    assert writes == ["create", "create"]
    assert row(db_session, Author, int(response.document["data"]["id"]))["name"] == "Cy"


# -- 3. where the fast path must step aside -------------------------------------------------


class Alt(DeclarativeBase):
    """Other classes over the blog's ``articles`` table, with what the ORM runs on writes."""


class PlainArticle(Alt):
    """Nothing the ORM would run: the control, written by the fast path."""

    __table__ = Article.__table__


class ValidatedArticle(Alt):
    __table__ = Article.__table__

    @orm.validates("title")
    def _title(self, key: str, value: str) -> str:
        return value.strip().upper()


class EventArticle(Alt):
    """``views`` set by a ``before_insert`` mapper event."""

    __table__ = Article.__table__


@event.listens_for(EventArticle, "before_insert")
def _count_from_42(mapper: Any, connection: Any, target: EventArticle) -> None:
    target.views = 42


class ConstructedArticle(Alt):
    """A constructor of its own that fills ``body``."""

    __table__ = Article.__table__

    def __init__(self, **values: Any) -> None:
        values.setdefault("body", "constructed")
        super().__init__(**values)


class VersionedArticle(Alt):
    """``views`` as a version counter: every UPDATE increments it."""

    __table__ = Article.__table__
    __mapper_args__ = {"version_id_col": Article.__table__.c.views}  # noqa: RUF012


_stamps = itertools.count(1000)
# The same ``articles`` table, declared again with an ``onupdate`` on ``views``.
stamped_articles = sa.Table(
    "articles",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False, default=""),
    sa.Column("created", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("views", sa.Integer, nullable=False, default=0, onupdate=lambda: next(_stamps)),
    sa.Column("author_id", sa.Integer, nullable=True),
)


class StampedArticle(Alt):
    __table__ = stamped_articles


class PlainArticleSchema(Schema):
    id = fields.Int()
    title = fields.Str(required=True)
    body = fields.Str()
    created = fields.DateTime(dump_only=True)
    views = fields.Int()

    class Meta:
        type_ = "articles"


def repository_for(model: Any, **members: Any) -> type:
    """A ``SqlAlchemyModelRepository`` class of ``model`` with ``members`` overridden."""
    return type(
        f"{model.__name__}Repository", (SqlAlchemyModelRepository,), {"model": model, **members}
    )


def articles_app(
    session: Any, repository: type, viewset_cls: type = ResourceRepositoryViewSet, **viewset: Any
) -> flask.Flask:
    """An API serving ``PlainArticleSchema`` articles through ``repository`` (``viewset``:
    the keyword arguments of the view set)."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    api.repository(
        viewset_cls(schema=PlainArticleSchema, repository=repository(session=session), **viewset),
        "articles",
        "/articles",
    )
    return app


def created(client: JsonApiClient, title: str = " hello ") -> dict[str, Any]:
    response = client.post(
        "/articles", json={"data": {"type": "articles", "attributes": {"title": title}}}
    )
    assert response.status_code == 201, response.document
    return response.document["data"]


def renamed(client: JsonApiClient, article_id: Any, title: str) -> dict[str, Any]:
    response = client.patch(
        f"/articles/{article_id}", json=patch_document(article_id, attributes={"title": title})
    )
    assert response.status_code == 200, response.document
    return response.document["data"]


def test_unscoped_patches_of_different_members_each_write_their_own_upd_2(
    db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """UPD-2: without a policy too (statements kept per plan, not per request), a PATCH of
    the title, then of the body, then of both each change what they send and nothing else."""
    client = articles_app(db_session, repository_for(PlainArticle)).test_client()
    article_id = created(client, "one")["id"]
    expected = {"title": "one", "body": ""}
    for attributes in ({"title": "two"}, {"body": "text"}, {"title": "three", "body": "more"}):
        response = client.patch(
            f"/articles/{article_id}", json=patch_document(article_id, attributes=attributes)
        )
        assert response.status_code == 200, response.document
        expected.update(attributes)
        stored = client.get(f"/articles/{article_id}").document["data"]["attributes"]
        assert {name: stored[name] for name in expected} == expected
    assert writes == ["create", "update", "update", "update"]


def test_plain_mapping_takes_the_fast_path(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """The control of the fallbacks below: the same app over a plain class writes rows."""
    client = articles_app(db_session, repository_for(PlainArticle)).test_client()
    data = created(client)
    renamed(client, data["id"], "again")
    assert writes == ["create", "update"]
    assert data["attributes"]["title"] == " hello "


def test_validator_runs_crt_5_upd_6(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """CRT-5, UPD-6: a ``@validates`` that changes the value: stored and answered changed."""
    client = articles_app(db_session, repository_for(ValidatedArticle)).test_client()

    data = created(client, " hello ")
    assert data["attributes"]["title"] == "HELLO"
    assert row(db_session, Article, int(data["id"]))["title"] == "HELLO"
    data = renamed(client, data["id"], " bye ")
    assert data["attributes"]["title"] == "BYE"
    assert row(db_session, Article, int(data["id"]))["title"] == "BYE"
    assert writes == []


def test_build_override_is_called_crt_5_upd_6(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """CRT-5, UPD-6: a repository's own ``build`` makes the object (and ``update_attribute``
    sets the values)."""
    calls: list[str] = []

    def build(self: Any, kwargs: dict[str, Any]) -> Any:
        calls.append("build")
        return PlainArticle(**{**kwargs, "body": "built"})

    def update_attribute(self: Any, obj: Any, key: str, value: Any) -> None:
        calls.append(f"update_attribute {key}")
        setattr(obj, key, f"{value}!" if key == "title" else value)

    for members in ({"build": build}, {"update_attribute": update_attribute}):
        del calls[:]
        repository = repository_for(PlainArticle, **members)
        client = articles_app(db_session, repository).test_client()
        data = created(client)
        data = renamed(client, data["id"], "again")
        stored = row(db_session, Article, int(data["id"]))
        if "build" in members:
            assert calls == ["build"]
            assert data["attributes"]["body"] == "built" == stored["body"]
        else:
            assert calls == ["update_attribute title"]
            assert data["attributes"]["title"] == "again!" == stored["title"]
    assert writes == []


def test_before_insert_event_runs_crt_5(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """CRT-5: a mapper ``before_insert`` listener sets ``views``: the answer shows it."""
    client = articles_app(db_session, repository_for(EventArticle)).test_client()
    data = created(client)
    assert data["attributes"]["views"] == 42
    assert row(db_session, Article, int(data["id"]))["views"] == 42
    assert writes == []


def test_onupdate_column_is_updated_upd_6(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """UPD-6: a column with ``onupdate`` takes its new value on PATCH, answered and stored."""
    client = articles_app(db_session, repository_for(StampedArticle)).test_client()
    data = created(client)
    assert data["attributes"]["views"] == 0
    first = renamed(client, data["id"], "once")["attributes"]["views"]
    second = renamed(client, data["id"], "twice")["attributes"]["views"]
    assert first >= 1000 and second == first + 1
    assert row(db_session, Article, int(data["id"]))["views"] == second
    assert writes == []


def test_custom_constructor_runs_crt_5(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """CRT-5: a model ``__init__`` of its own fills ``body``."""
    client = articles_app(db_session, repository_for(ConstructedArticle)).test_client()
    data = created(client)
    assert data["attributes"]["body"] == "constructed"
    assert row(db_session, Article, int(data["id"]))["body"] == "constructed"
    assert writes == []


def test_version_counter_is_incremented_upd_6(db_session: Any, ids: Ids, writes: list[str]) -> None:
    """UPD-6: a ``version_id_col`` goes up by one on every PATCH."""
    client = articles_app(db_session, repository_for(VersionedArticle)).test_client()
    assert renamed(client, ids.article, "v4")["attributes"]["views"] == 4
    assert renamed(client, ids.article, "v5")["attributes"]["views"] == 5
    assert row(db_session, Article, ids.article)["views"] == 5
    assert writes == []


@pytest.fixture
def flush_listener(db_session: scoped_session) -> Iterator[None]:
    """A ``before_flush`` listener on the app's sessions: new articles get 7 views."""

    def before_flush(session: orm.Session, context: Any, instances: Any) -> None:
        for obj in session.new:
            if isinstance(obj, Article):
                obj.views = 7

    event.listen(db_session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(db_session, "before_flush", before_flush)


def test_session_flush_event_runs_crt_5(
    client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str], flush_listener: None
) -> None:
    """CRT-5: a session ``before_flush`` listener sets ``views``: the answer shows it."""
    response = client.post("/articles", json=article_document())
    assert response.status_code == 201, response.document
    assert response.document["data"]["attributes"]["views"] == 7
    assert row(db_session, Article, int(response.document["data"]["id"]))["views"] == 7
    assert writes == []


class HidingAnn(blog_api.AuthorRepository):
    """Authors other than Ann: Ann does not exist for this API."""

    def get_query(self) -> sa.Select:
        return super().get_query().where(Author.name != "Ann")


class CountingLookups(blog_api.AuthorRepository):
    """Finds authors its own way (here: the stock way, counted)."""

    lookups = 0

    def get_many_by_ids(self, ids: Any) -> list[Any]:
        type(self).lookups += 1
        return super().get_many_by_ids(ids)


def blog_with_authors(session: Any, authors: type) -> flask.Flask:
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    for viewset, repository, name in (
        (blog_api.AuthorViewSet, authors, "authors"),
        (blog_api.ArticleViewSet, blog_api.ArticleRepository, "articles"),
        (blog_api.CommentViewSet, blog_api.CommentRepository, "comments"),
        (blog_api.TagViewSet, blog_api.TagRepository, "tags"),
    ):
        api.repository(viewset(repository=repository(session=session)), name, f"/{name}")
    return app


def test_scoped_related_repository_hides_its_rows_crt_11_upd_11(
    db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-11, UPD-11, TX-1: an author outside the authors' ``get_query`` does not exist for
    linkage: 404 at the linkage, nothing written; a visible one is linked."""
    client = blog_with_authors(db_session, HidingAnn).test_client()
    before = snapshot(db_session)

    hidden = {"author": to_one("authors", ids.ann)}
    assert_error(
        client.post("/articles", json=article_document(relationships=hidden)),
        404,
        "/data/relationships/author/data",
    )
    assert_error(
        client.patch(
            f"/articles/{ids.article}", json=patch_document(ids.article, relationships=hidden)
        ),
        404,
        "/data/relationships/author/data",
    )
    assert snapshot(db_session) == before

    visible = {"author": to_one("authors", ids.bob)}
    response = client.post("/articles", json=article_document(relationships=visible))
    assert response.status_code == 201, response.document
    assert row(db_session, Article, int(response.document["data"]["id"]))["author_id"] == ids.bob
    assert writes == []


def test_related_repository_lookup_override_is_called_crt_2(
    db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-2: a related repository with its own ``get_many_by_ids`` is asked."""
    CountingLookups.lookups = 0
    client = blog_with_authors(db_session, CountingLookups).test_client()
    body = article_document(relationships={"author": to_one("authors", ids.bob)})
    response = client.post("/articles", json=body)
    assert response.status_code == 201, response.document
    assert CountingLookups.lookups == 1
    assert writes == []


def test_to_many_in_the_body_takes_the_orm_path_crt_2(
    client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-2: tags (many-to-many) in the body: linked through the ORM."""
    tags = {"tags": {"data": [identifier("tags", ids.tag)]}, **AUTHOR}
    response = client.post("/articles", json=article_document(relationships=tags))
    assert response.status_code == 201, response.document
    new_id = int(response.document["data"]["id"])
    assert (new_id, ids.tag) in {tuple(r) for r in db_session.execute(sa.select(article_tags))}
    db_session.remove()
    assert row(db_session, Article, new_id)["author_id"] == ids.ann
    assert writes == []


class CreateCountingList(ResourceRepositoryListView):
    calls: list[str] = []  # noqa: RUF012

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        self.calls.append("create")
        return super().create({**data, "body": "from the view"}, **kwargs)


class PrepareList(ResourceRepositoryListView):
    calls: list[str] = []  # noqa: RUF012

    def prepare_response(self, data: Any) -> Any:
        self.calls.append("prepare_response")
        obj = self.create(data=data)
        obj.title = obj.title + " (prepared)"
        return obj


class UpdateCountingDetail(ResourceRepositoryDetailView):
    calls: list[str] = []  # noqa: RUF012

    def update(self, id: Any, data: dict[str, Any], **kwargs: Any) -> Any:
        self.calls.append("update")
        return super().update(id, {**data, "body": "from the view"}, **kwargs)


class ReadCountingDetail(ResourceRepositoryDetailView):
    calls: list[str] = []  # noqa: RUF012

    def read(self, id: Any, **kwargs: Any) -> Any:
        self.calls.append("read")
        return super().read(id, **kwargs)


@pytest.mark.parametrize(
    ("view", "method", "expected"),
    [
        ({"list_view_cls": CreateCountingList}, "POST", "create"),
        ({"list_view_cls": PrepareList}, "POST", "prepare_response"),
        ({"detail_view_cls": UpdateCountingDetail}, "PATCH", "update"),
        ({"detail_view_cls": ReadCountingDetail}, "PATCH", "read"),
    ],
    ids=["create", "prepare_response", "update", "read"],
)
def test_overridden_view_hooks_are_called_crt_5_upd_6(
    db_session: Any, ids: Ids, writes: list[str], view: dict, method: str, expected: str
) -> None:
    """CRT-5, UPD-6: a view's own ``create``, ``prepare_response``, ``update`` or ``read``
    is called, and what it does shows."""
    hooks = next(iter(view.values()))
    hooks.calls.clear()
    client = articles_app(db_session, repository_for(PlainArticle), **view).test_client()
    if method == "POST":
        data = created(client, "New")
    else:
        data = renamed(client, ids.article, "New")
    # A PATCH does not read through the view: its own ``read`` only keeps the ORM path.
    assert hooks.calls == ([] if expected == "read" else [expected])
    assert writes == []
    stored = row(db_session, Article, int(data["id"]))
    if expected in ("create", "update"):
        assert data["attributes"]["body"] == "from the view" == stored["body"]
    if expected == "prepare_response":
        assert data["attributes"]["title"] == "New (prepared)"


def test_client_generated_id_takes_the_orm_path_crt_3(
    db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-3: a client-generated id is stored as given."""
    viewset_cls = type("OwnIds", (ResourceRepositoryViewSet,), {"client_generated_ids": True})
    client = articles_app(db_session, repository_for(PlainArticle), viewset_cls).test_client()
    body = {"data": {"type": "articles", "id": "77", "attributes": {"title": "Mine"}}}
    response = client.post("/articles", json=body)
    assert response.status_code == 201, response.document
    assert response.document["data"]["id"] == "77"
    assert row(db_session, Article, 77)["title"] == "Mine"
    assert writes == []


# -- where the fast path must step aside (each found as a bug first) ---------------------


class InitEventArticle(Alt):
    """``body`` filled by a mapper ``init`` listener (a common way to give defaults)."""

    __table__ = Article.__table__


@event.listens_for(InitEventArticle, "init")
def _body_from_init(target: InitEventArticle, args: Any, kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("body", "from init")


class SetEventArticle(Alt):
    """``title`` upper-cased by an attribute ``set`` listener (``retval=True``)."""

    __table__ = Article.__table__


@event.listens_for(SetEventArticle.title, "set", retval=True)
def _upper_title(target: SetEventArticle, value: str, old: Any, initiator: Any) -> str:
    return value.upper()


class ViewonlyAuthorArticle(Alt):
    """``author`` as a read-only relationship: the ORM never writes through it."""

    __table__ = Article.__table__

    author = orm.relationship(Author, viewonly=True)


class AuthoredArticleSchema(PlainArticleSchema):
    author = fields.Relationship(type_="authors")

    class Meta:
        type_ = "articles"


# Reviews name their author by e-mail: a foreign key to a unique column, not the key.
reviews = sa.Table(
    "row_writes_reviews",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author_email", sa.String(200), sa.ForeignKey(Author.__table__.c.email)),
)


class Review(Alt):
    __table__ = reviews

    author = orm.relationship(Author)


class ReviewSchema(Schema):
    id = fields.Int()
    text = fields.Str(required=True)
    author = fields.Relationship(type_="authors")

    class Meta:
        type_ = "reviews"


def api_app(session: Any, *resources: tuple[str, Any, type]) -> flask.Flask:
    """An API on ``session`` serving ``(type, schema, repository class)`` at ``/<type>``."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    for name, schema, repository in resources:
        viewset = ResourceRepositoryViewSet(schema=schema, repository=repository(session=session))
        api.repository(viewset, name, f"/{name}")
    return app


def test_init_listener_runs_crt_5(db_session: Any, ids: Ids) -> None:
    """CRT-5: a mapper ``init`` listener fills ``body``: stored and answered."""
    client = articles_app(db_session, repository_for(InitEventArticle)).test_client()
    data = created(client)
    assert data["attributes"]["body"] == "from init"
    assert row(db_session, Article, int(data["id"]))["body"] == "from init"


def test_attribute_set_listener_runs_crt_5_upd_6(db_session: Any, ids: Ids) -> None:
    """CRT-5, UPD-6: an attribute ``set`` listener that changes the value, as a validator."""
    client = articles_app(db_session, repository_for(SetEventArticle)).test_client()
    data = created(client, "hello")
    assert data["attributes"]["title"] == "HELLO"
    assert renamed(client, data["id"], "bye")["attributes"]["title"] == "BYE"
    assert row(db_session, Article, int(data["id"]))["title"] == "BYE"


def test_viewonly_relationship_same_on_both_paths_crt_2(
    db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """CRT-2: linkage for a read-only (``viewonly``) relationship is stored the same way on
    both paths."""
    app = api_app(
        db_session,
        ("articles", AuthoredArticleSchema, repository_for(ViewonlyAuthorArticle)),
        ("authors", blog_api.AuthorSchema, blog_api.AuthorRepository),
    )
    client = app.test_client()
    body = article_document(relationships={"author": to_one("authors", ids.ann)})
    stored = {}
    for row_writes in (True, False):
        app.config["JSONAPI_ROW_WRITES"] = row_writes
        response = client.post("/articles", json=body)
        assert response.status_code == 201, response.document
        stored[row_writes] = row(db_session, Article, int(response.document["data"]["id"]))
    assert writes == []  # the ORM decides what a viewonly relationship means
    assert stored[True]["author_id"] == stored[False]["author_id"]


@pytest.fixture
def reviews_table(blog_app: flask.Flask, db_session: Any) -> Iterator[None]:
    engine = blog_app.extensions["blog"]["engine"]
    db_session.remove()
    reviews.create(engine)
    try:
        yield
    finally:
        db_session.remove()
        reviews.drop(engine)


def test_foreign_key_to_a_unique_column_crt_2_upd_4(
    db_session: Any, ids: Ids, reviews_table: None
) -> None:
    """CRT-2, UPD-4: a many-to-one whose foreign key names a unique column (not the key):
    the related resource's column value is stored."""
    client = api_app(
        db_session,
        ("reviews", ReviewSchema, repository_for(Review)),
        ("authors", blog_api.AuthorSchema, blog_api.AuthorRepository),
    ).test_client()
    body = {
        "data": {
            "type": "reviews",
            "attributes": {"text": "Good"},
            "relationships": {"author": to_one("authors", ids.ann)},
        }
    }
    response = client.post("/reviews", json=body)
    assert response.status_code == 201, response.document
    review_id = response.document["data"]["id"]
    stored = list(db_session.execute(sa.select(reviews.c.author_email)).scalars())
    db_session.remove()
    assert stored == ["ann@example.org"]

    patch = {
        "data": {
            "type": "reviews",
            "id": review_id,
            "relationships": {"author": to_one("authors", ids.bob)},
        }
    }
    response = client.patch(f"/reviews/{review_id}", json=patch)
    assert response.status_code == 200, response.document
    stored = list(db_session.execute(sa.select(reviews.c.author_email)).scalars())
    db_session.remove()
    assert stored == ["bob@example.org"]


def test_session_bound_per_model_crt_1(blog_app: flask.Flask, db_session: Any, ids: Ids) -> None:
    """CRT-1: a session with a bind per model (no default bind) creates as usual."""
    engine = blog_app.extensions["blog"]["engine"]
    db_session.remove()
    session = scoped_session(
        orm.sessionmaker(binds={model: engine for model in (Article, Author, Comment, Tag)})
    )
    try:
        client = articles_app(session, blog_api.ArticleRepository).test_client()
        response = client.post("/articles", json=article_document())
        assert response.status_code == 201, response.document
    finally:
        session.remove()


# -- 4. nothing half-written -----------------------------------------------------------------


def test_failed_fast_create_writes_nothing_tx_1(
    client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """TX-1, CRT-11: the INSERT found no author (or no article for a comment): 404 at the
    linkage and no row, on an otherwise valid create."""
    before = snapshot(db_session)
    missing = article_document(relationships={"author": to_one("authors", 99)})
    assert_error(client.post("/articles", json=missing), 404, "/data/relationships/author/data")
    assert_error(
        client.post("/comments", json=comment_document(99, ids.ann)),
        404,
        "/data/relationships/article/data",
    )
    assert writes == ["create", "create"]
    assert snapshot(db_session) == before


def test_failed_fast_update_changes_nothing_tx_1_upd_11(
    client: JsonApiClient, db_session: Any, ids: Ids, writes: list[str]
) -> None:
    """TX-1, UPD-11: an UPDATE of attributes and author whose author is missing: 404 and the
    row as it was (attributes too)."""
    before = snapshot(db_session)
    body = patch_document(
        ids.article,
        attributes={"title": "Changed", "views": 10},
        relationships={"author": to_one("authors", 99)},
    )
    assert_error(
        client.patch(f"/articles/{ids.article}", json=body), 404, "/data/relationships/author/data"
    )
    assert writes == ["update"]
    assert snapshot(db_session) == before


def _fail_after(original: Any) -> Any:
    def failing(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise RuntimeError("late")

    return failing


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_failure_after_the_fast_write_rolls_back_tx_1(
    blog_app: Any,
    client: JsonApiClient,
    db_session: Any,
    ids: Ids,
    writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    """TX-1: the INSERT or UPDATE ran, then building the document failed: 500 (exceptions
    not propagated, as in production), no change; the next write works."""
    blog_app.config["PROPAGATE_EXCEPTIONS"] = False
    before = snapshot(db_session)
    monkeypatch.setattr(
        ResourceBase, "resource_document", _fail_after(ResourceBase.resource_document)
    )
    if method == "POST":
        response = client.post("/articles", json=article_document(relationships=AUTHOR))
    else:
        body = patch_document(
            ids.article,
            attributes={"title": "Changed"},
            relationships={"author": to_one("authors", ids.bob)},
        )
        response = client.patch(f"/articles/{ids.article}", json=body)
    only_error(response, 500)
    assert writes == ["create" if method == "POST" else "update"]
    assert snapshot(db_session) == before
    monkeypatch.undo()
    assert created(client, "After")["attributes"]["title"] == "After"
