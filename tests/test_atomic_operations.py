"""Atomic Operations that succeed (ATOM-1..3, ATOM-8..15, ATOM-19..25)."""

from __future__ import annotations

from typing import Any

import pytest

from examples.blog.models import Article, Comment, Tag
from tests.support.atomic import ATOMIC, ATOMIC_TYPE, atomic
from tests.support.blog_rows import article_tag_pairs, row
from tests.support.client import JsonApiClient
from tests.support.relationship_rows import Blog, arrange_blog, comment_articles, table_counts


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _tag(name: str, lid: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "tags", "attributes": {"name": name}}
    if lid:
        data["lid"] = lid
    return data


def _results(response: Any, count: int) -> list[dict[str, Any]]:
    """ATOM-1..4/ATOM-14: 200, the atomic media type, results only, one per operation."""
    assert response.status_code == 200, response.document
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    document = response.document
    assert document["jsonapi"]["ext"] == [ATOMIC]
    assert not {"data", "included", "errors", "atomic:operations"} & set(document)
    assert len(document["atomic:results"]) == count
    return document["atomic:results"]


def test_atom_19_add_resource(client: JsonApiClient, db_session: Any) -> None:
    """ATOM-1/ATOM-19/ATOM-20: ``add`` creates; its result holds the created resource."""
    (result,) = _results(atomic(client, {"op": "add", "data": _tag("fresh")}), 1)
    data = result["data"]
    assert (data["type"], data["attributes"]["name"]) == ("tags", "fresh")
    assert data["links"]["self"].endswith(f"/tags/{data['id']}")
    assert row(db_session, Tag, int(data["id"]))["name"] == "fresh"


def test_atom_8_add_through_collection_href(client: JsonApiClient, db_session: Any) -> None:
    """ATOM-8/ATOM-19: ``href`` may target the collection of an ``add``."""
    (result,) = _results(atomic(client, {"op": "add", "href": "/tags", "data": _tag("x")}), 1)
    assert row(db_session, Tag, int(result["data"]["id"]))["name"] == "x"


def _target(how: str, type_: str, id_: int) -> dict[str, Any]:
    """An operation's target: none (data only), a ``ref`` or an ``href``."""
    if how == "ref":
        return {"ref": {"type": type_, "id": str(id_)}}
    if how == "href":
        return {"href": f"/{type_}/{id_}"}
    return {}


@pytest.mark.parametrize("how", ["data", "ref", "href"])
def test_atom_21_update_resource(
    client: JsonApiClient, db_session: Any, blog: Blog, how: str
) -> None:
    """ATOM-21: ``update`` targeted by data, ``ref`` or ``href`` changes the given members."""
    operation = {
        "op": "update",
        **_target(how, "articles", blog.article),
        "data": {"type": "articles", "id": str(blog.article), "attributes": {"title": "Renamed"}},
    }
    (result,) = _results(atomic(client, operation), 1)
    if "data" in result:
        assert result["data"]["attributes"]["title"] == "Renamed"
    stored = row(db_session, Article, blog.article)
    assert (stored["title"], stored["body"]) == ("Renamed", "Body 1")


@pytest.mark.parametrize("how", ["ref", "href"])
def test_atom_22_remove_resource(
    client: JsonApiClient, db_session: Any, blog: Blog, how: str
) -> None:
    """ATOM-22/ATOM-15: ``remove`` deletes; with no data to return the answer is 204."""
    response = atomic(client, {"op": "remove", **_target(how, "tags", blog.tags[0])})
    assert response.status_code == 204
    assert response.get_data() == b""
    assert row(db_session, Tag, blog.tags[0]) is None
    assert article_tag_pairs(db_session) == {(blog.article, blog.tags[1])}


@pytest.mark.parametrize(
    "data", [{"type": "authors", "id": "{author}"}, None], ids=["identifier", "null"]
)
def test_atom_23_update_to_one_relationship(
    client: JsonApiClient, db_session: Any, blog: Blog, data: Any
) -> None:
    """ATOM-23: ``update`` of a to-one sets or clears it; the result has no data."""
    if data is not None:
        data = {**data, "id": str(blog.authors[1])}
    ref = {"type": "articles", "id": str(blog.article), "relationship": "author"}
    operations = [
        {"op": "update", "ref": ref, "data": data},
        {"op": "add", "data": _tag("marker")},
    ]
    first, _ = _results(atomic(client, *operations), 2)
    assert "data" not in first
    expected = blog.authors[1] if data is not None else None
    assert row(db_session, Article, blog.article)["author_id"] == expected


def test_atom_24_to_many_add_update_remove(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-24: add (idempotent), remove and update (replace) of to-many members, in order."""
    ref = {"type": "articles", "id": str(blog.article), "relationship": "tags"}
    href = f"/articles/{blog.empty_article}/relationships/tags"
    tags = [{"type": "tags", "id": str(tag)} for tag in blog.tags]
    operations = [
        {"op": "add", "ref": ref, "data": [tags[0], tags[2]]},
        {"op": "remove", "ref": ref, "data": [tags[1]]},
        {"op": "update", "href": href, "data": [tags[1], tags[2]]},
        {"op": "add", "data": _tag("marker")},
    ]
    results = _results(atomic(client, *operations), 4)
    assert results[:3] == [{}, {}, {}]
    assert article_tag_pairs(db_session) == {
        (blog.article, blog.tags[0]),
        (blog.article, blog.tags[2]),
        (blog.empty_article, blog.tags[1]),
        (blog.empty_article, blog.tags[2]),
    }


def test_atom_24_one_to_many_add_moves_comments(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-24: adding comments to another article's ``comments`` moves them (their FK)."""
    ref = {"type": "articles", "id": str(blog.empty_article), "relationship": "comments"}
    data = [{"type": "comments", "id": str(blog.comments[2])}]
    response = atomic(client, {"op": "add", "ref": ref, "data": data})
    assert response.status_code == 204, response.document
    assert response.get_data() == b""
    moved = comment_articles(db_session)
    assert moved[blog.comments[2]] == blog.empty_article
    assert [moved[c] for c in blog.comments[:2]] == [blog.article, blog.article]


def test_atom_25_article_with_comments_and_tags_by_lid(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-25/ATOM-12/ATOM-14: one request creates an article, its tags and comments by lid."""
    before = table_counts(db_session)
    article_ref = {"type": "articles", "lid": "post"}
    operations = [
        {"op": "add", "data": _tag("lid-tag-1", "t1")},
        {"op": "add", "data": _tag("lid-tag-2", "t2")},
        {
            "op": "add",
            "data": {
                "type": "articles",
                "lid": "post",
                "attributes": {"title": "By lid"},
                "relationships": {
                    "author": {"data": {"type": "authors", "id": str(blog.authors[0])}},
                    "tags": {"data": [{"type": "tags", "lid": "t1"}]},
                },
            },
        },
        *(
            {
                "op": "add",
                "data": {
                    "type": "comments",
                    "lid": f"c{n}",
                    "attributes": {"body": f"Reply {n}"},
                    "relationships": {"article": {"data": article_ref}},
                },
            }
            for n in (1, 2)
        ),
        {"op": "add", "ref": {**article_ref, "relationship": "tags"},
         "data": [{"type": "tags", "lid": "t2"}, {"type": "tags", "id": str(blog.tags[2])}]},
        {"op": "update", "ref": article_ref,
         "data": {"type": "articles", "lid": "post", "attributes": {"views": 3}}},
        {"op": "update", "ref": {"type": "comments", "lid": "c2", "relationship": "author"},
         "data": {"type": "authors", "id": str(blog.authors[1])}},
    ]  # fmt: skip
    results = _results(atomic(client, *operations), len(operations))
    tag1, tag2, article = (int(results[i]["data"]["id"]) for i in (0, 1, 2))
    comments = [int(results[i]["data"]["id"]) for i in (3, 4)]
    assert [r["data"]["type"] for r in results[:5]] == [
        "tags",
        "tags",
        "articles",
        *["comments"] * 2,
    ]
    assert results[5] == {} and results[7] == {}
    assert results[6]["data"]["id"] == str(article)
    stored = row(db_session, Article, article)
    assert (stored["title"], stored["views"], stored["author_id"]) == ("By lid", 3, blog.authors[0])
    pairs = {tag for art, tag in article_tag_pairs(db_session) if art == article}
    assert pairs == {tag1, tag2, blog.tags[2]}
    assert [row(db_session, Comment, c)["article_id"] for c in comments] == [article, article]
    assert row(db_session, Comment, comments[1])["author_id"] == blog.authors[1]
    after = table_counts(db_session)
    assert after["articles"] == before["articles"] + 1
    assert after["comments"] == before["comments"] + 2
    assert after["tags"] == before["tags"] + 2


def test_atom_25_lid_remove(client: JsonApiClient, db_session: Any) -> None:
    """ATOM-25/ATOM-22: a resource added by lid can be removed by lid in the same request."""
    before = table_counts(db_session)
    response = atomic(
        client,
        {"op": "add", "data": _tag("short-lived", "tmp")},
        {"op": "remove", "ref": {"type": "tags", "lid": "tmp"}},
    )
    results = _results(response, 2)
    assert results[1] == {}
    assert row(db_session, Tag, int(results[0]["data"]["id"])) is None
    assert table_counts(db_session) == before


def test_atom_11_only_post(client: JsonApiClient) -> None:
    """ATOM-11: the operations URL answers POST only."""
    response = client.get("/operations", headers={"Accept": ATOMIC_TYPE})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_atom_22_19_remove_then_add_of_the_same_unique_name(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-22, ATOM-19: operations apply in order: a tag removed, then one added under the
    name it had (unique), succeeds; the new tag holds the name, the old row is gone."""
    name = row(db_session, Tag, blog.tags[0])["name"]
    operations = [{"op": "remove", "ref": {"type": "tags", "id": str(blog.tags[0])}}]
    operations.append({"op": "add", "data": _tag(name)})
    results = _results(atomic(client, *operations), 2)
    created = int(results[1]["data"]["id"])
    assert row(db_session, Tag, blog.tags[0]) is None
    assert row(db_session, Tag, created)["name"] == name


def test_atom_17_an_update_the_database_refuses_points_at_its_operation(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ATOM-17: an update that breaks a unique constraint (a tag renamed to another's name)
    is a 409 pointing at its operation; no operation of the request is kept."""
    first, second = (row(db_session, Tag, tag)["name"] for tag in blog.tags[:2])
    operations = [{"op": "add", "data": _tag("kept?")}]
    operations.append(
        {
            "op": "update",
            "data": {"type": "tags", "id": str(blog.tags[0]), "attributes": {"name": second}},
        }
    )
    response = atomic(client, *operations)
    assert response.status_code == 409, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"pointer": "/atomic:operations/1"}
    assert row(db_session, Tag, blog.tags[0])["name"] == first
    assert db_session.query(Tag).filter_by(name="kept?").count() == 0
