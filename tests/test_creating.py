"""Creating resources in the blog app: POST rules, relationships, atomicity (CRT-*, TX-1)."""

from __future__ import annotations

from typing import Any

import pytest

from examples.blog.models import Article, Author, Comment, Tag, article_tags
from tests.support.blog_rows import (
    add_rows,
    article_tag_pairs,
    count_rows,
    make_article,
    make_author,
    make_comment,
    make_tag,
    row,
)
from tests.support.client import JsonApiClient
from tests.support.database import replaced_during
from tests.support.error_checks import assert_error, identifier

MEDIA_TYPE = "application/vnd.api+json"


def article_document(**members: Any) -> dict[str, Any]:
    """A POST /articles document; ``members`` are added to the resource object."""
    return {"data": {"type": "articles", "attributes": {"title": "Hello"}, **members}}


def assert_nothing_written(db_session: Any) -> None:
    assert count_rows(db_session, Article) == 0
    assert count_rows(db_session, article_tags) == 0


def test_create_answers_201_with_the_created_resource(
    client: JsonApiClient, db_session: Any
) -> None:
    """CRT-1, CRT-5, CRT-6, CRT-7, ID-1: 201, Location = links.self, server-set attributes."""
    response = client.post("/articles", json=article_document())

    assert response.status_code == 201
    assert response.mimetype == MEDIA_TYPE
    data = response.document["data"]
    assert data["type"] == "articles"
    assert isinstance(data["id"], str)
    stored = row(db_session, Article, int(data["id"]))
    assert stored is not None
    assert stored["title"] == "Hello"
    # Server-set values (defaults) are part of the answer.
    assert data["attributes"]["title"] == "Hello"
    assert data["attributes"]["body"] == "" == stored["body"]
    assert data["attributes"]["views"] == 0 == stored["views"]
    assert data["attributes"]["created"] == stored["created"].isoformat()
    assert response.headers["Location"] == data["links"]["self"]
    assert data["links"]["self"] == f"http://localhost/articles/{data['id']}"


def test_created_resource_location_resolves(client: JsonApiClient) -> None:
    """RES-9, CRT-6: GET on the Location header answers the created resource."""
    created = client.post("/articles", json=article_document())

    response = client.get(created.headers["Location"])

    assert response.status_code == 200
    assert response.document["data"] == created.document["data"]


def test_create_stores_to_one_and_to_many_relationships(
    client: JsonApiClient, db_session: Any
) -> None:
    """CRT-2, REL-3: author (to-one) and tags (many-to-many) set the foreign key and link rows."""
    (author_id,) = add_rows(db_session, make_author())
    tag_ids = add_rows(db_session, make_tag(1), make_tag(2))
    relationships = {
        "author": {"data": identifier("authors", author_id)},
        "tags": {"data": [identifier("tags", tag_id) for tag_id in tag_ids]},
    }

    response = client.post(
        "/articles?include=author,tags", json=article_document(relationships=relationships)
    )

    assert response.status_code == 201
    data = response.document["data"]
    article_id = int(data["id"])
    assert row(db_session, Article, article_id)["author_id"] == author_id
    assert article_tag_pairs(db_session) == {(article_id, tag_id) for tag_id in tag_ids}
    assert data["relationships"]["author"]["data"] == identifier("authors", author_id)
    assert data["relationships"]["tags"]["data"] == [identifier("tags", t) for t in tag_ids]


def test_create_stores_one_to_many_relationship(client: JsonApiClient, db_session: Any) -> None:
    """CRT-2: comments (one-to-many) given on create move to the new article."""
    (old_article_id,) = add_rows(db_session, make_article())
    comment_ids = add_rows(
        db_session,
        make_comment(1, article_id=old_article_id),
        make_comment(2, article_id=old_article_id),
    )
    relationships = {"comments": {"data": [identifier("comments", comment_ids[0])]}}

    response = client.post("/articles", json=article_document(relationships=relationships))

    assert response.status_code == 201
    new_article_id = int(response.document["data"]["id"])
    assert row(db_session, Comment, comment_ids[0])["article_id"] == new_article_id
    assert row(db_session, Comment, comment_ids[1])["article_id"] == old_article_id


def test_create_with_wrong_type_is_409(client: JsonApiClient) -> None:
    """CRT-13, CRT-14: a type the endpoint does not hold -> 409 at /data/type."""
    document = {"data": {"type": "authors", "attributes": {"title": "Hello"}}}

    assert_error(client.post("/articles", json=document), 409, "/data/type")


def test_create_with_wrong_type_writes_nothing(client: JsonApiClient, db_session: Any) -> None:
    """CRT-13, TX-1: nothing is stored for a type conflict."""
    document = {"data": {"type": "authors", "attributes": {"name": "A", "email": "a@b.org"}}}

    client.post("/articles", json=document)

    assert_nothing_written(db_session)
    assert count_rows(db_session, Author) == 0


def test_create_with_client_id_is_403(client: JsonApiClient, db_session: Any) -> None:
    """CRT-4: the blog does not accept client-generated ids -> 403 at /data/id, nothing written."""
    response = client.post("/articles", json=article_document(id="5"))

    assert_error(response, 403, "/data/id")
    assert_nothing_written(db_session)


@pytest.mark.parametrize(
    ("relationships", "pointer"),
    [
        ({"author": {"data": identifier("authors", 1)}}, "/data/relationships/author/data"),
        ({"author": {"data": identifier("authors", "abc")}}, "/data/relationships/author/data"),
        (
            {"author": {"data": identifier("authors", 2**40)}},
            "/data/relationships/author/data",
        ),
        ({"tags": {"data": [identifier("tags", 1)]}}, "/data/relationships/tags/data"),
        ({"comments": {"data": [identifier("comments", 1)]}}, "/data/relationships/comments/data"),
    ],
    ids=["to-one", "to-one-not-an-integer", "to-one-out-of-range", "to-many", "one-to-many"],
)
def test_create_with_missing_related_resource_is_404(
    client: JsonApiClient, db_session: Any, relationships: dict, pointer: str
) -> None:
    """CRT-11, TX-1: a related resource that does not exist -> 404, nothing written."""
    response = client.post("/articles", json=article_document(relationships=relationships))

    assert_error(response, 404)
    assert response.document["errors"][0]["source"]["pointer"].startswith(pointer)
    assert_nothing_written(db_session)


@pytest.mark.parametrize(
    ("id_", "detail"),
    [("1", "Author 1 not found."), ("abc", "A related 'authors' does not exist.")],
    ids=["missing", "not-an-integer"],
)
def test_create_with_missing_related_resource_says_which(
    client: JsonApiClient, db_session: Any, id_: str, detail: str
) -> None:
    """CRT-11: the 404 of a missing related resource says what is missing."""
    relationships = {"author": {"data": identifier("authors", id_)}}
    response = client.post("/articles", json=article_document(relationships=relationships))

    assert_error(response, 404)
    assert response.document["errors"][0]["detail"] == detail
    assert_nothing_written(db_session)


def test_create_with_one_missing_tag_among_existing_is_404(
    client: JsonApiClient, db_session: Any
) -> None:
    """CRT-11, TX-1: one missing member of a to-many -> 404, no link row for the others."""
    (tag_id,) = add_rows(db_session, make_tag())
    tags = [identifier("tags", tag_id), identifier("tags", tag_id + 1)]

    response = client.post(
        "/articles", json=article_document(relationships={"tags": {"data": tags}})
    )

    assert_error(response, 404)
    assert_nothing_written(db_session)
    assert count_rows(db_session, Tag) == 1


@pytest.mark.parametrize(
    ("member", "linkage", "pointer"),
    [
        ("author", lambda ids: identifier("tags", ids["tag"]), "author/data/type"),
        ("tags", lambda ids: [identifier("authors", ids["author"])], "tags/data/0/type"),
    ],
    ids=["to-one", "to-many"],
)
def test_create_with_wrong_related_type_is_409(
    client: JsonApiClient, db_session: Any, member: str, linkage: Any, pointer: str
) -> None:
    """CRT-13, CRT-14, TX-1: linkage of a type the relationship does not hold -> 409."""
    (author_id,) = add_rows(db_session, make_author())
    (tag_id,) = add_rows(db_session, make_tag())
    data = linkage({"author": author_id, "tag": tag_id})

    response = client.post(
        "/articles", json=article_document(relationships={member: {"data": data}})
    )

    assert_error(response, 409, f"/data/relationships/{pointer}")
    assert_nothing_written(db_session)


def test_create_with_invalid_attribute_writes_nothing(
    client: JsonApiClient, db_session: Any
) -> None:
    """TX-1: a failed validation (negative views) with valid relationships stores nothing."""
    (tag_id,) = add_rows(db_session, make_tag())
    document = {
        "data": {
            "type": "articles",
            "attributes": {"title": "Hello", "views": -1},
            "relationships": {"tags": {"data": [identifier("tags", tag_id)]}},
        }
    }

    response = client.post("/articles", json=document)

    assert_error(response, 422, "/data/attributes/views")
    assert_nothing_written(db_session)


def test_create_whose_author_was_replaced_during_its_insert_is_409(
    blog_app: Any, client: JsonApiClient, db_session: Any
) -> None:
    """CRT-*: another writer deletes the author just before this POST's INSERT and stores it
    again just after (simulated in the same transaction, so that it is deterministic): the
    INSERT found no author, yet the author exists: 409 saying so, nothing written."""
    (author,) = add_rows(db_session, make_author(1))
    with replaced_during(
        blog_app.extensions["blog"]["engine"],
        "INSERT INTO articles",
        f"DELETE FROM authors WHERE id = {author}",
        "INSERT INTO authors (id, name, email) "
        f"VALUES ({author}, 'Author 1', 'author1@example.org')",
    ):
        linkage = {"author": {"data": {"type": "authors", "id": str(author)}}}
        response = client.post("/articles", json=article_document(relationships=linkage))
    assert_error(response, 409)
    assert response.document["errors"][0]["detail"] == (
        "A related resource changed while this one was written."
    )
    assert_nothing_written(db_session)
    assert row(db_session, Author, author)["name"] == "Author 1"


@pytest.mark.parametrize(
    ("members", "pointer"),
    [({"attributes": {"body": "text"}}, "/data/attributes"), ({}, "/data")],
    ids=["attributes-without-title", "no-attributes"],
)
def test_create_without_a_required_attribute_is_422_err_8(
    client: JsonApiClient, db_session: Any, members: dict, pointer: str
) -> None:
    """CRT-*, ERR-8: the schema's required ``title`` left out of a create: 422 naming it,
    pointing at the nearest member present; nothing written."""
    document = {"data": {"type": "articles", **members}}
    response = client.post("/articles", json=document)
    assert_error(response, 422, pointer)
    assert response.document["errors"][0]["detail"] == "'title': Missing data for required field."
    assert_nothing_written(db_session)
