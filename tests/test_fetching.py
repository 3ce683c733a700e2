"""Fetching resources of the blog app: collections, single resources, 404s (FET-*, ID-*, RES-*)."""

from __future__ import annotations

from typing import Any

import pytest

from examples.blog.models import Article
from tests.support.blog_rows import (
    add_rows,
    link_tags,
    make_article,
    make_author,
    make_tag,
    row,
)
from tests.support.client import JsonApiClient
from tests.support.error_checks import assert_error

MEDIA_TYPE = "application/vnd.api+json"


def test_empty_collection_is_an_empty_array(client: JsonApiClient) -> None:
    """FET-2, FET-3, DOC-8: no rows -> 200 with ``data: []`` and ``meta.count`` = 0."""
    response = client.get("/articles")

    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    assert response.document["data"] == []
    assert response.document["meta"]["count"] == 0
    assert response.document["links"]["self"].startswith("http://localhost/articles")


def test_collection_pages_and_counts_all_matching(client: JsonApiClient, db_session: Any) -> None:
    """FET-3, LNK-7: 60 articles -> the first 50 (default page size) and ``meta.count`` = 60."""
    ids = add_rows(db_session, *(make_article(n) for n in range(60)))

    response = client.get("/articles")

    assert response.status_code == 200
    data = response.document["data"]
    assert [resource["id"] for resource in data] == [str(id_) for id_ in sorted(ids)[:50]]
    assert response.document["meta"]["count"] == 60
    assert response.document["links"]["self"].startswith("http://localhost/articles")


def test_collection_ids_are_strings_and_attributes_match_rows(
    client: JsonApiClient, db_session: Any
) -> None:
    """ID-1, RES-3: every resource has a string id, its type, and the stored attributes."""
    (author_id,) = add_rows(db_session, make_author())
    ids = add_rows(db_session, make_article(1, views=3, author_id=author_id), make_article(2))

    data = client.get("/articles?include=author").document["data"]

    assert [(r["type"], r["id"]) for r in data] == [("articles", str(id_)) for id_ in ids]
    first = data[0]
    stored = row(db_session, Article, ids[0])
    assert first["attributes"]["title"] == stored["title"]
    assert first["attributes"]["body"] == stored["body"]
    assert first["attributes"]["views"] == 3
    assert first["relationships"]["author"]["data"] == {"type": "authors", "id": str(author_id)}


def test_every_resource_self_link_resolves(client: JsonApiClient, db_session: Any) -> None:
    """RES-9, FET-1, LNK-1: each ``links.self`` in a collection answers 200 with that resource."""
    add_rows(db_session, *(make_article(n) for n in range(3)), make_tag(1))

    for path in ("/articles", "/tags"):
        for resource in client.get(path).document["data"]:
            response = client.get(resource["links"]["self"])
            assert response.status_code == 200
            assert response.document["data"]["type"] == resource["type"]
            assert response.document["data"]["id"] == resource["id"]


def test_collection_self_link_resolves(client: JsonApiClient, db_session: Any) -> None:
    """FET-1, LNK-7: the top-level ``links.self`` of a collection answers the same page."""
    add_rows(db_session, *(make_article(n) for n in range(3)))
    first = client.get("/articles")

    again = client.get(first.document["links"]["self"])

    assert again.status_code == 200
    assert again.document["data"] == first.document["data"]


def test_fetch_one_resource(client: JsonApiClient, db_session: Any) -> None:
    """FET-2, FET-4, ID-1, LNK-7, REL-3: GET /articles/<id> -> 200 with that resource object."""
    (author_id,) = add_rows(db_session, make_author())
    tag_ids = add_rows(db_session, make_tag(1), make_tag(2))
    (article_id,) = add_rows(db_session, make_article(7, views=9, author_id=author_id))
    link_tags(db_session, article_id, tag_ids)

    response = client.get(f"/articles/{article_id}?include=author,tags")

    assert response.status_code == 200
    data = response.document["data"]
    assert (data["type"], data["id"]) == ("articles", str(article_id))
    assert data["attributes"]["title"] == "Article 7"
    assert data["attributes"]["views"] == 9
    assert data["relationships"]["author"]["data"] == {"type": "authors", "id": str(author_id)}
    assert data["relationships"]["tags"]["data"] == [
        {"type": "tags", "id": str(tag_id)} for tag_id in tag_ids
    ]
    assert data["links"]["self"] == f"http://localhost/articles/{article_id}"
    assert response.document["links"]["self"].startswith(data["links"]["self"])


def test_missing_resource_is_404(client: JsonApiClient, db_session: Any) -> None:
    """FET-5: an id that names no row -> 404 with an error object."""
    (article_id,) = add_rows(db_session, make_article())

    assert_error(client.get(f"/articles/{article_id + 1}"), 404)


@pytest.mark.parametrize(
    "raw_id",
    ["abc", "1.5", "%20", "2147483648", "99999999999999999999", "-99999999999999999999"],
    ids=["letters", "decimal", "blank", "above-int32", "above-int64", "below-int64"],
)
def test_id_the_key_cannot_hold_is_404(client: JsonApiClient, db_session: Any, raw_id: str) -> None:
    """FET-5: an id the integer key cannot hold names nothing -> 404, never 400 or 500."""
    add_rows(db_session, make_article())

    assert_error(client.get(f"/articles/{raw_id}"), 404)
    # The failed lookup left the database usable (no aborted transaction).
    assert client.get("/articles").document["meta"]["count"] == 1


def test_unknown_collection_is_404(client: JsonApiClient) -> None:
    """FET-11: a URL that is no resource of the API -> 404 error document."""
    assert_error(client.get("/nothing-here"), 404)
