"""Updating resources of the blog app with PATCH: partial updates, relationships, errors (UPD-*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from examples.blog.models import Article, Tag
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
from tests.support.database import replaced_during
from tests.support.error_checks import assert_error, identifier

MEDIA_TYPE = "application/vnd.api+json"


@dataclass(frozen=True)
class Stored:
    """Ids of the arranged rows: an article by ``authors[0]`` tagged ``tags[0:2]``."""

    article: int
    authors: list[int]
    tags: list[int]


@pytest.fixture
def stored(db_session: Any) -> Stored:
    authors = add_rows(db_session, make_author(1), make_author(2))
    tags = add_rows(db_session, make_tag(1), make_tag(2), make_tag(3))
    (article,) = add_rows(db_session, make_article(1, views=5, author_id=authors[0]))
    link_tags(db_session, article, tags[:2])
    return Stored(article, authors, tags)


def patch_document(article_id: Any, **members: Any) -> dict[str, Any]:
    return {"data": {"type": "articles", "id": str(article_id), **members}}


def assert_unchanged(db_session: Any, stored: Stored, before: dict[str, Any]) -> None:
    assert row(db_session, Article, stored.article) == before
    assert article_tag_pairs(db_session) == {(stored.article, tag) for tag in stored.tags[:2]}


def test_patch_changes_only_given_attributes(
    client: JsonApiClient, db_session: Any, stored: Stored
) -> None:
    """UPD-2, UPD-3, UPD-6: only ``title`` changes; other columns and links stay; 200 + resource."""
    before = row(db_session, Article, stored.article)

    response = client.patch(
        f"/articles/{stored.article}",
        json=patch_document(stored.article, attributes={"title": "New title"}),
    )

    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    data = response.document["data"]
    assert (data["type"], data["id"]) == ("articles", str(stored.article))
    assert data["attributes"] == {
        "title": "New title",
        "body": before["body"],
        "created": before["created"].isoformat(),
        "views": 5,
        "draft": False,
    }
    assert row(db_session, Article, stored.article) == {**before, "title": "New title"}
    assert article_tag_pairs(db_session) == {(stored.article, tag) for tag in stored.tags[:2]}


def test_patch_relationship_only_keeps_attributes(
    client: JsonApiClient, db_session: Any, stored: Stored
) -> None:
    """UPD-2, UPD-4: a new author is stored; attributes and tags stay as they were."""
    before = row(db_session, Article, stored.article)
    new_author = stored.authors[1]

    response = client.patch(
        f"/articles/{stored.article}?include=author",
        json=patch_document(
            stored.article, relationships={"author": {"data": identifier("authors", new_author)}}
        ),
    )

    assert response.status_code == 200
    linkage = response.document["data"]["relationships"]["author"]["data"]
    assert linkage == identifier("authors", new_author)
    assert row(db_session, Article, stored.article) == {**before, "author_id": new_author}
    assert article_tag_pairs(db_session) == {(stored.article, tag) for tag in stored.tags[:2]}


def test_patch_to_one_to_null(client: JsonApiClient, db_session: Any, stored: Stored) -> None:
    """UPD-4, REL-3: ``data: null`` clears a to-one relationship."""
    response = client.patch(
        f"/articles/{stored.article}?include=author",
        json=patch_document(stored.article, relationships={"author": {"data": None}}),
    )

    assert response.status_code == 200
    assert response.document["data"]["relationships"]["author"]["data"] is None
    assert row(db_session, Article, stored.article)["author_id"] is None
    assert row(db_session, Article, stored.article)["title"] == "Article 1"


@pytest.mark.parametrize("new_tags", [[1, 2], [], [0]], ids=["replace", "empty", "subset"])
def test_patch_to_many_replaces_all_members(
    client: JsonApiClient, db_session: Any, stored: Stored, new_tags: list[int]
) -> None:
    """UPD-4, REL-3: a to-many in PATCH replaces the whole set of association rows."""
    tag_ids = [stored.tags[i] for i in new_tags]

    response = client.patch(
        f"/articles/{stored.article}?include=tags",
        json=patch_document(
            stored.article,
            relationships={"tags": {"data": [identifier("tags", t) for t in tag_ids]}},
        ),
    )

    assert response.status_code == 200
    linkage = response.document["data"]["relationships"]["tags"]["data"]
    assert linkage == [identifier("tags", t) for t in tag_ids]
    assert article_tag_pairs(db_session) == {(stored.article, t) for t in tag_ids}


def test_patch_id_not_matching_url_is_409(
    client: JsonApiClient, db_session: Any, stored: Stored
) -> None:
    """UPD-13, UPD-14: body id differs from the URL id -> 409 at /data/id, nothing changed."""
    before = row(db_session, Article, stored.article)

    response = client.patch(
        f"/articles/{stored.article}",
        json=patch_document(stored.article + 1, attributes={"title": "New"}),
    )

    assert_error(response, 409, "/data/id")
    assert_unchanged(db_session, stored, before)


def test_patch_type_mismatch_is_409(client: JsonApiClient, db_session: Any, stored: Stored) -> None:
    """UPD-13, UPD-14: body type differs from the endpoint -> 409 at /data/type."""
    before = row(db_session, Article, stored.article)
    document = {"data": {"type": "tags", "id": str(stored.article), "attributes": {"name": "x"}}}

    response = client.patch(f"/articles/{stored.article}", json=document)

    assert_error(response, 409, "/data/type")
    detail = "Type 'tags' does not match this endpoint's type 'articles'."
    assert response.document["errors"][0]["detail"] == detail
    assert_unchanged(db_session, stored, before)


def test_patch_without_id_is_400(client: JsonApiClient, db_session: Any, stored: Stored) -> None:
    """UPD-1: a resource object without ``id`` -> 400, nothing changed."""
    before = row(db_session, Article, stored.article)
    document = {"data": {"type": "articles", "attributes": {"title": "New"}}}

    response = client.patch(f"/articles/{stored.article}", json=document)

    assert_error(response, 400, "/data")
    detail = "The resource object of an update needs its 'id'."
    assert response.document["errors"][0]["detail"] == detail
    assert_unchanged(db_session, stored, before)


@pytest.mark.parametrize(
    "raw_id", ["999", "abc", "99999999999999999999"], ids=["missing", "letters", "out-of-range"]
)
def test_patch_missing_resource_is_404(
    client: JsonApiClient, db_session: Any, stored: Stored, raw_id: str
) -> None:
    """UPD-10: PATCH of a resource that does not exist -> 404."""
    before = row(db_session, Article, stored.article)

    response = client.patch(
        f"/articles/{raw_id}", json=patch_document(raw_id, attributes={"title": "New"})
    )

    assert_error(response, 404)
    assert_unchanged(db_session, stored, before)


@pytest.mark.parametrize(
    ("relationships", "status"),
    [
        ({"author": {"data": identifier("authors", 999)}}, 404),
        ({"tags": {"data": [identifier("tags", 999)]}}, 404),
        ({"author": {"data": identifier("tags", 1)}}, 409),
        ({"tags": {"data": [identifier("authors", 1)]}}, 409),
    ],
    ids=["missing-author", "missing-tag", "to-one-wrong-type", "to-many-wrong-type"],
)
def test_patch_with_bad_linkage_changes_nothing(
    client: JsonApiClient, db_session: Any, stored: Stored, relationships: dict, status: int
) -> None:
    """UPD-11, UPD-13, TX-1: bad linkage -> 404/409; the attributes sent with it are not kept."""
    before = row(db_session, Article, stored.article)

    response = client.patch(
        f"/articles/{stored.article}",
        json=patch_document(
            stored.article, attributes={"title": "New"}, relationships=relationships
        ),
    )

    assert_error(response, status)
    assert response.document["errors"][0]["source"]["pointer"].startswith("/data/relationships/")
    assert_unchanged(db_session, stored, before)


def test_patch_with_invalid_attribute_changes_nothing(
    client: JsonApiClient, db_session: Any, stored: Stored
) -> None:
    """TX-1: one invalid attribute -> 422, the valid attribute and relationship sent with it
    are not kept."""
    before = row(db_session, Article, stored.article)

    response = client.patch(
        f"/articles/{stored.article}",
        json=patch_document(
            stored.article,
            attributes={"title": "New", "views": -1},
            relationships={"tags": {"data": []}},
        ),
    )

    assert_error(response, 422, "/data/attributes/views")
    assert_unchanged(db_session, stored, before)


def test_patch_of_a_row_replaced_during_its_update_is_409(
    blog_app: Any, client: JsonApiClient, db_session: Any, stored: Stored
) -> None:
    """UPD-*: another writer deletes the tag just before this PATCH's UPDATE and stores it
    again just after (simulated in the same transaction, so that it is deterministic): the
    UPDATE changed no row, yet the tag exists: 409 saying so, and nothing is written."""
    tag = stored.tags[2]
    before = row(db_session, Tag, tag)
    with replaced_during(
        blog_app.extensions["blog"]["engine"],
        "UPDATE tags",
        f"DELETE FROM tags WHERE id = {tag}",
        f"INSERT INTO tags (id, name) VALUES ({tag}, '{before['name']}')",
    ):
        response = client.patch(
            f"/tags/{tag}",
            json={"data": {"type": "tags", "id": str(tag), "attributes": {"name": "renamed"}}},
        )
    assert_error(response, 409)
    assert response.document["errors"][0]["detail"] == "The resource changed while it was updated."
    assert row(db_session, Tag, tag) == before


@pytest.mark.parametrize(
    ("relationships", "detail"),
    [
        (
            {"tags": {"data": {"type": "tags", "id": "1"}}},
            "Relationship 'tags' takes an array of resource identifiers.",
        ),
        (
            {"author": {"data": [{"type": "authors", "id": "1"}]}},
            "Relationship 'author' takes one identifier or null.",
        ),
    ],
)
def test_patch_linkage_of_the_wrong_shape_is_400_saying_what_it_takes(
    client: JsonApiClient, db_session: Any, stored: Stored, relationships: dict, detail: str
) -> None:
    """UPD-4, ERR-8: an identifier object for a to-many, an array for a to-one: 400 that
    says what the relationship takes, pointing at its data; nothing written."""
    before = row(db_session, Article, stored.article)
    response = client.patch(
        f"/articles/{stored.article}",
        json=patch_document(
            stored.article, attributes={"title": "New"}, relationships=relationships
        ),
        validate=False,
    )
    member = next(iter(relationships))
    assert_error(response, 400, f"/data/relationships/{member}/data")
    assert response.document["errors"][0]["detail"] == detail
    assert_unchanged(db_session, stored, before)
