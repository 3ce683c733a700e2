"""Client-generated ids (CRT-3, CRT-8, CRT-12) and database constraints answered as 409 (UPD-12).

The blog refuses client ids, so the client-id tests register a view set with
``client_generated_ids = True`` over the blog's Tag model in a small app of their own;
the foreign-key tests use a comments resource that exposes its foreign key as an
attribute, the only way a request can reach the database constraint (relationship
linkage is checked before anything is written). Both apps share the blog's database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
import pytest
from sqlalchemy.engine import make_url

from examples.blog.api import TagRepository, TagViewSet
from examples.blog.models import Author, Comment, Tag
from flask_jsonapi import Api
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.atomic import atomic
from tests.support.blog_rows import add_rows, count_rows, make_article, make_author, make_tag, row
from tests.support.client import JsonApiClient
from tests.support.error_checks import assert_error


class ClientIdTagViewSet(TagViewSet):
    """Tags whose ids the client chooses."""

    client_generated_ids = True


class CommentByKeySchema(Schema):
    """Comments with their article's key as a plain attribute (no linkage check)."""

    id = fields.Int()
    body = fields.Str(required=True)
    article_id = fields.Int(required=True)

    class Meta:
        type_ = "comments"


class CommentByKeyViewSet(ResourceRepositoryViewSet):
    schema = CommentByKeySchema


AppFactory = Callable[[Callable[[Api, Any], None]], JsonApiClient]


@pytest.fixture
def local_app(blog_app: flask.Flask, db_session: Any) -> AppFactory:
    """Build a small app on the blog's database: ``register(api, session)`` adds resources."""

    def build(register: Callable[[Api, Any], None]) -> JsonApiClient:
        app = flask.Flask("local_app")
        app.testing = True
        app.test_client_class = JsonApiClient
        register(Api(app), db_session)
        return app.test_client()

    return build


@pytest.fixture
def tags_client(local_app: AppFactory) -> JsonApiClient:
    def register(api: Api, session: Any) -> None:
        viewset = ClientIdTagViewSet(repository=TagRepository(session=session))
        api.repository(viewset, "tags", "/tags")

    return local_app(register)


@pytest.fixture
def comments_client(local_app: AppFactory) -> JsonApiClient:
    def register(api: Api, session: Any) -> None:
        repository = SqlAlchemyModelRepository(model=Comment, session=session)
        api.repository(CommentByKeyViewSet(repository=repository), "comments", "/comments")

    return local_app(register)


def tag_document(id_: Any, name: str = "python") -> dict[str, Any]:
    return {"data": {"type": "tags", "id": id_, "attributes": {"name": name}}}


def test_client_generated_id_is_stored(tags_client: JsonApiClient, db_session: Any) -> None:
    """CRT-3, CRT-8, CRT-6: a client id is kept: 201 with the resource at that id."""
    response = tags_client.post("/tags", json=tag_document("7"))

    assert response.status_code == 201
    data = response.document["data"]
    assert (data["type"], data["id"], data["attributes"]["name"]) == ("tags", "7", "python")
    assert response.headers["Location"] == data["links"]["self"] == "http://localhost/tags/7"
    assert row(db_session, Tag, 7)["name"] == "python"
    assert count_rows(db_session, Tag) == 1


def test_atom_19_crt_3_atomic_add_keeps_a_client_id(local_app: AppFactory, db_session: Any) -> None:
    """ATOM-19/CRT-3: an atomic ``add`` to a type that takes client ids keeps the client's id,
    as ``POST /tags`` does: the result and the row are at that id."""

    def register(api: Api, session: Any) -> None:
        api.repository(
            ClientIdTagViewSet(repository=TagRepository(session=session)), "tags", "/tags"
        )
        api.operations("/operations")

    response = atomic(local_app(register), {"op": "add", **tag_document("7")})

    assert response.status_code == 200, response.document
    data = response.document["atomic:results"][0]["data"]
    assert (data["type"], data["id"], data["attributes"]["name"]) == ("tags", "7", "python")
    assert row(db_session, Tag, 7)["name"] == "python"
    assert count_rows(db_session, Tag) == 1


def test_duplicate_client_generated_id_is_409(tags_client: JsonApiClient, db_session: Any) -> None:
    """CRT-12: a client id that already exists -> 409, the stored row is unchanged."""
    add_rows(db_session, make_tag(1, id=7, name="kept"))

    response = tags_client.post("/tags", json=tag_document("7", name="other"))

    assert_error(response, 409, "/data/id")
    assert response.document["errors"][0]["detail"] == "'tags' 7 already exists."
    assert row(db_session, Tag, 7)["name"] == "kept"
    assert count_rows(db_session, Tag) == 1


@pytest.mark.parametrize(
    ("id_", "status"),
    [(7, 400), ("abc", 422), ("", 422), ("99999999999999999999", 422)],
    ids=["number-not-string", "not-an-integer", "empty", "above-int64"],
)
def test_invalid_client_generated_id_is_rejected(
    tags_client: JsonApiClient, db_session: Any, id_: Any, status: int
) -> None:
    """ID-2: a non-string id, or one the key cannot hold -> error at /data/id, nothing stored."""
    response = tags_client.post("/tags", json=tag_document(id_))

    assert_error(response, status, "/data/id")
    if id_ in ("abc", ""):  # not a key at all (past the column's range: another detail)
        detail = f"'{id_}' is not a valid id for 'tags'."
        assert response.document["errors"][0]["detail"] == detail
    assert count_rows(db_session, Tag) == 0


def test_client_id_range_follows_the_key_column(
    tags_client: JsonApiClient, db_session: Any, database_url: str
) -> None:
    """ID-2: 2**31 fits SQLite's 64-bit INTEGER but not PostgreSQL's int4 -> 422, never 500."""
    fits = make_url(database_url).get_backend_name() == "sqlite"

    response = tags_client.post("/tags", json=tag_document(str(2**31)))

    if fits:
        assert response.status_code == 201
        assert row(db_session, Tag, 2**31)["name"] == "python"
    else:
        assert_error(response, 422, "/data/id")
        assert count_rows(db_session, Tag) == 0


def test_duplicate_email_on_create_is_409(client: JsonApiClient, db_session: Any) -> None:
    """UPD-12, TX-1: a unique-constraint violation on POST -> 409, nothing new stored."""
    (author_id,) = add_rows(db_session, make_author(1, email="ada@example.org"))
    document = {
        "data": {"type": "authors", "attributes": {"name": "B", "email": "ada@example.org"}}
    }

    response = client.post("/authors", json=document)

    assert_error(response, 409)
    assert count_rows(db_session, Author) == 1
    assert row(db_session, Author, author_id)["name"] == "Author 1"


def test_duplicate_email_on_update_is_409(client: JsonApiClient, db_session: Any) -> None:
    """UPD-12, TX-1: a unique-constraint violation on PATCH -> 409, the row is unchanged."""
    first, second = add_rows(db_session, make_author(1), make_author(2))
    document = {
        "data": {
            "type": "authors",
            "id": str(second),
            "attributes": {"name": "Renamed", "email": "author1@example.org"},
        }
    }

    response = client.patch(f"/authors/{second}", json=document)

    assert_error(response, 409)
    assert row(db_session, Author, second) == {
        "id": second,
        "name": "Author 2",
        "email": "author2@example.org",
    }
    assert row(db_session, Author, first)["email"] == "author1@example.org"


def test_foreign_key_violation_on_create_is_409(
    comments_client: JsonApiClient, db_session: Any
) -> None:
    """UPD-12, TX-1: a foreign key naming no row -> 409, nothing stored."""
    document = {"data": {"type": "comments", "attributes": {"body": "Hi", "article_id": 999}}}

    response = comments_client.post("/comments", json=document)

    assert_error(response, 409)
    assert count_rows(db_session, Comment) == 0


def test_foreign_key_violation_on_update_is_409(
    comments_client: JsonApiClient, db_session: Any
) -> None:
    """UPD-12, TX-1: PATCH to a foreign key naming no row -> 409, the row is unchanged."""
    (article_id,) = add_rows(db_session, make_article())
    (comment_id,) = add_rows(db_session, Comment(body="Hi", article_id=article_id))
    document = {
        "data": {
            "type": "comments",
            "id": str(comment_id),
            "attributes": {"body": "Changed", "article_id": article_id + 1},
        }
    }

    response = comments_client.patch(f"/comments/{comment_id}", json=document)

    assert_error(response, 409)
    stored = row(db_session, Comment, comment_id)
    assert (stored["body"], stored["article_id"]) == ("Hi", article_id)
