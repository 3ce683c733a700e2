"""Required to-one relationships (``fields.Relationship(required=True)``) and taken ids.

The blog's comments need their article. A create that leaves it out, or any write that
sets it to ``null``, is a validation error (422) that points at the nearest member present
in the request (ERR-8), and nothing is written. A model whose foreign key is NOT NULL but
whose schema does not say ``required`` still gets the database's answer (409, UPD-12).
"""

from __future__ import annotations

from typing import Any

import flask
import pytest

from examples.blog import api as blog
from examples.blog.models import Comment
from flask_jsonapi.schema import Schema, fields
from tests.support.atomic import atomic
from tests.support.blog_rows import count_rows
from tests.support.blog_variants import variant_app
from tests.support.client import JsonApiClient
from tests.support.error_checks import assert_error, identifier, snapshot
from tests.support.relationship_rows import Blog, arrange_blog


@pytest.fixture
def rows(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def comment(**relationships: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"type": "comments", "attributes": {"body": "Hello"}}
    if relationships:
        resource["relationships"] = relationships
    return {"data": resource}


@pytest.mark.parametrize(
    ("relationships", "pointer"),
    [
        ({}, "/data"),
        ({"author": {"data": None}}, "/data/relationships"),
        ({"article": {"data": None}}, "/data/relationships/article/data"),
    ],
    ids=["no-relationships", "article-left-out", "article-null"],
)
def test_create_without_required_to_one_is_422_err_8(
    client: JsonApiClient, db_session: Any, rows: Blog, relationships: dict, pointer: str
) -> None:
    """CRT-2, ERR-8: a comment created without its article -> 422 at the nearest member
    present; no comment is written."""
    before = count_rows(db_session, Comment)

    response = client.post("/comments", json=comment(**relationships))

    assert_error(response, 422, pointer)
    assert "article" in response.document["errors"][0]["detail"]
    assert count_rows(db_session, Comment) == before


def test_create_with_required_to_one_is_201_crt_2(
    client: JsonApiClient, db_session: Any, rows: Blog
) -> None:
    """CRT-2: with its article the same comment is created."""
    response = client.post(
        "/comments", json=comment(article={"data": identifier("articles", rows.article)})
    )

    assert response.status_code == 201, response.document
    created = db_session.get(Comment, int(response.document["data"]["id"]))
    assert created.article_id == rows.article


def test_atomic_add_without_required_to_one_points_into_the_operation_atom_18(
    client: JsonApiClient, db_session: Any, rows: Blog
) -> None:
    """ATOM-18, ERR-8: in an atomic request the pointer is the operation's ``data``, and
    nothing of the request is written."""
    before = snapshot(db_session)

    response = atomic(
        client,
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "fresh"}}},
        {"op": "add", "data": comment()["data"]},
    )

    assert_error(response, 422, "/atomic:operations/1/data")
    assert snapshot(db_session) == before


class LooseCommentSchema(blog.CommentSchema):
    """Comments whose schema does not say that the article is required."""

    article = fields.Relationship(type_="articles")

    class Meta:
        type_ = "comments"


class AuthorFirstCommentSchema(Schema):
    """Comments whose optional author is declared before their required article."""

    id = fields.Int()
    body = fields.Str(required=True)
    author = fields.Relationship(type_="authors")
    article = fields.Relationship(type_="articles", required=True)

    class Meta:
        type_ = "comments"


def _comments_client(blog_app: flask.Flask, comment_schema: type) -> JsonApiClient:
    return variant_app(blog_app, schemas={"comments": comment_schema}).test_client()


@pytest.fixture
def loose_client(blog_app: flask.Flask) -> JsonApiClient:
    return _comments_client(blog_app, LooseCommentSchema)


def test_a_required_to_one_after_an_optional_one_is_checked_err_8(
    blog_app: flask.Flask, db_session: Any, rows: Blog
) -> None:
    """CRT-2, ERR-8: the required article is checked whatever relationships the schema
    declares before it: left out, 422 at the nearest member present; nothing written."""
    client = _comments_client(blog_app, AuthorFirstCommentSchema)
    before = count_rows(db_session, Comment)
    author = {"data": identifier("authors", rows.authors[0])}
    response = client.post("/comments", json=comment(author=author))
    assert_error(response, 422, "/data/relationships")
    assert response.document["errors"][0]["detail"] == "'article' is a required relationship."
    assert count_rows(db_session, Comment) == before


def test_not_null_foreign_key_without_required_is_409_upd_12(
    loose_client: JsonApiClient, db_session: Any, rows: Blog
) -> None:
    """UPD-12: without ``required`` in the schema, emptying a NOT NULL foreign key is the
    database constraint's 409, and the comment keeps its article."""
    comment_id = rows.comments[0]
    body = {
        "data": {
            "type": "comments",
            "id": str(comment_id),
            "relationships": {"article": {"data": None}},
        }
    }

    response = loose_client.patch(f"/comments/{comment_id}", json=body)

    assert_error(response, 409)
    db_session.remove()
    assert db_session.get(Comment, comment_id).article_id is not None


@pytest.mark.parametrize(
    "relationships",
    [None, {"author": {"data": None}}],
    ids=["attributes-only", "other-relationship"],
)
def test_patch_may_leave_out_a_required_to_one_upd_3(
    client: JsonApiClient, db_session: Any, rows: Blog, relationships: dict | None
) -> None:
    """UPD-3: a PATCH that leaves a required relationship out keeps it; only ``null``
    is refused. Plain and atomic alike."""
    comment_id = rows.comments[1]
    data: dict[str, Any] = {
        "type": "comments",
        "id": str(comment_id),
        "attributes": {"body": "Edited"},
    }
    if relationships is not None:
        data["relationships"] = relationships

    response = client.patch(f"/comments/{comment_id}", json={"data": data})

    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"]["body"] == "Edited"
    db_session.remove()
    stored = db_session.get(Comment, comment_id)
    assert (stored.body, stored.article_id) == ("Edited", rows.article)
    if relationships is not None:
        assert stored.author_id is None
    db_session.remove()

    data["attributes"] = {"body": "Edited again"}
    response = atomic(client, {"op": "update", "data": data})

    assert response.status_code == 200, response.document
    assert response.document["atomic:results"][0]["data"]["attributes"]["body"] == "Edited again"
    stored = db_session.get(Comment, comment_id)
    assert (stored.body, stored.article_id) == ("Edited again", rows.article)
    db_session.remove()
