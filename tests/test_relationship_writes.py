"""Relationships in POST and PATCH bodies (CRT-2, CRT-11, CRT-13, UPD-3, UPD-4, UPD-11)."""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa

from examples.blog import api as blog_api
from examples.blog.models import Article, Comment
from flask_jsonapi.schema import fields
from tests.support.blog_rows import article_tag_pairs, row
from tests.support.blog_variants import NoReplaceArticleSchema, variant_app
from tests.support.client import JsonApiClient
from tests.support.error_checks import assert_error
from tests.support.relationship_rows import Blog, arrange_blog, comment_articles, table_counts


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _one(type_: str, id_: int | str) -> dict[str, Any]:
    return {"data": {"type": type_, "id": str(id_)}}


def _many(type_: str, *ids: int | str) -> dict[str, Any]:
    return {"data": [{"type": type_, "id": str(id_)} for id_ in ids]}


def _new_article(**relationships: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "articles",
            "attributes": {"title": "New"},
            "relationships": relationships,
        }
    }


def _patch_article(article: int, **relationships: Any) -> dict[str, Any]:
    return {"data": {"type": "articles", "id": str(article), "relationships": relationships}}


def _state(db_session: Any) -> tuple[Any, ...]:
    articles = db_session.execute(sa.select(Article.id, Article.author_id)).all()
    db_session.remove()
    return (
        table_counts(db_session),
        set(articles),
        article_tag_pairs(db_session),
        comment_articles(db_session),
    )


# -- POST (CRT-2) ---------------------------------------------------------------------------


def test_crt_2_post_with_to_one_many_to_many_and_one_to_many(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """CRT-2: author (FK), tags (association rows) and comments (their FK) are all set."""
    body = _new_article(
        author=_one("authors", blog.authors[1]),
        tags=_many("tags", blog.tags[1], blog.tags[2]),
        comments=_many("comments", blog.comments[2]),
    )
    response = client.post("/articles", json=body)
    assert response.status_code == 201
    new_id = int(response.document["data"]["id"])
    assert row(db_session, Article, new_id)["author_id"] == blog.authors[1]
    pairs = article_tag_pairs(db_session)
    assert {(new_id, blog.tags[1]), (new_id, blog.tags[2])} <= pairs
    assert (blog.article, blog.tags[1]) in pairs
    assert comment_articles(db_session)[blog.comments[2]] == new_id
    included = client.get(f"/articles/{new_id}", query_string={"include": "author,tags,comments"})
    relationships = included.document["data"]["relationships"]
    assert relationships["author"]["data"]["id"] == str(blog.authors[1])
    assert [t["id"] for t in relationships["tags"]["data"]] == [
        str(blog.tags[1]),
        str(blog.tags[2]),
    ]
    assert [c["id"] for c in relationships["comments"]["data"]] == [str(blog.comments[2])]


def test_crt_2_post_with_empty_relationships(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """CRT-2/REL-3: ``null`` and ``[]`` create an article without author or tags."""
    response = client.post("/articles", json=_new_article(author={"data": None}, tags={"data": []}))
    assert response.status_code == 201
    new_id = int(response.document["data"]["id"])
    assert row(db_session, Article, new_id)["author_id"] is None
    assert all(article != new_id for article, _ in article_tag_pairs(db_session))


def test_crt_2_post_comment_with_required_to_one(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """CRT-2: a comment created with its article and author relationships stores both FKs."""
    body = {
        "data": {
            "type": "comments",
            "attributes": {"body": "Hi"},
            "relationships": {
                "article": _one("articles", blog.empty_article),
                "author": _one("authors", blog.authors[0]),
            },
        }
    }
    response = client.post("/comments", json=body)
    assert response.status_code == 201
    stored = row(db_session, Comment, int(response.document["data"]["id"]))
    assert (stored["article_id"], stored["author_id"]) == (blog.empty_article, blog.authors[0])


# -- PATCH (UPD-3, UPD-4) -------------------------------------------------------------------


def test_upd_4_patch_replaces_relationships(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-4: relationships in a PATCH body replace the stored ones."""
    body = _patch_article(
        blog.article, author=_one("authors", blog.authors[1]), tags=_many("tags", blog.tags[2])
    )
    response = client.patch(f"/articles/{blog.article}", json=body)
    assert response.status_code == 200
    assert row(db_session, Article, blog.article)["author_id"] == blog.authors[1]
    assert article_tag_pairs(db_session) == {(blog.article, blog.tags[2])}


def test_upd_4_patch_clears_relationships(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-4/REL-3: ``null`` clears a to-one and ``[]`` empties a many-to-many."""
    body = _patch_article(blog.article, author={"data": None}, tags={"data": []})
    response = client.patch(f"/articles/{blog.article}", json=body)
    assert response.status_code == 200
    assert row(db_session, Article, blog.article)["author_id"] is None
    assert article_tag_pairs(db_session) == set()


def test_upd_4_patch_moves_comments_between_articles(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-4: a one-to-many in a PATCH body sets the comments' foreign keys."""
    body = _patch_article(blog.empty_article, comments=_many("comments", blog.comments[0]))
    response = client.patch(f"/articles/{blog.empty_article}", json=body)
    assert response.status_code == 200
    articles = comment_articles(db_session)
    assert articles[blog.comments[0]] == blog.empty_article
    assert articles[blog.comments[1]] == blog.article


def test_upd_3_omitted_relationships_are_kept(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-3: a PATCH of attributes only keeps author, tags and comments."""
    before = _state(db_session)
    body = {"data": {"type": "articles", "id": str(blog.article), "attributes": {"views": 7}}}
    response = client.patch(f"/articles/{blog.article}", json=body)
    assert response.status_code == 200
    assert row(db_session, Article, blog.article)["views"] == 7
    assert _state(db_session) == before


# -- errors: 404 (CRT-11, UPD-11), 409 (CRT-13), 400 (CRT-2, UPD-4) ---------------------------

BAD_RELATIONSHIPS = {
    "to-one-missing": ({"author": _one("authors", 999)}, 404, "/data/relationships/author/data"),
    "many-to-many-missing": (
        {"tags": _many("tags", 1, 999)},
        404,
        "/data/relationships/tags/data",
    ),
    "one-to-many-missing": (
        {"comments": _many("comments", 999)},
        404,
        "/data/relationships/comments/data",
    ),
    "to-one-wrong-type": (
        {"author": _one("tags", 1)},
        409,
        "/data/relationships/author/data/type",
    ),
    "to-many-wrong-type": (
        {"tags": _many("authors", 1)},
        409,
        "/data/relationships/tags/data/0/type",
    ),
    "no-data": ({"tags": {"links": {}}}, 400, "/data/relationships/tags"),
    "array-for-to-one": ({"author": _many("authors", 1)}, 400, "/data/relationships/author/data"),
    "object-for-to-many": ({"tags": _one("tags", 1)}, 400, "/data/relationships/tags/data"),
}


@pytest.mark.parametrize(
    ("relationships", "status", "pointer"), BAD_RELATIONSHIPS.values(), ids=BAD_RELATIONSHIPS.keys()
)
def test_crt_11_crt_13_post_with_bad_relationship(
    client: JsonApiClient,
    db_session: Any,
    blog: Blog,
    relationships: Any,
    status: int,
    pointer: str,
) -> None:
    """CRT-2/CRT-11/CRT-13: 400/404/409 with a pointer, and no article is created."""
    before = _state(db_session)
    response = client.post("/articles", json=_new_article(**relationships))
    assert response.status_code == status
    assert response.document["errors"][0]["source"]["pointer"].startswith(pointer)
    assert _state(db_session) == before


@pytest.mark.parametrize(
    ("relationships", "status", "pointer"), BAD_RELATIONSHIPS.values(), ids=BAD_RELATIONSHIPS.keys()
)
def test_upd_11_patch_with_bad_relationship(
    client: JsonApiClient,
    db_session: Any,
    blog: Blog,
    relationships: Any,
    status: int,
    pointer: str,
) -> None:
    """UPD-4/UPD-11: 400/404/409 with a pointer, and the article is unchanged."""
    before = _state(db_session)
    body = _patch_article(blog.article, **relationships)
    body["data"]["attributes"] = {"title": "Changed"}
    response = client.patch(f"/articles/{blog.article}", json=body)
    assert response.status_code == status
    assert response.document["errors"][0]["source"]["pointer"].startswith(pointer)
    assert _state(db_session) == before
    assert row(db_session, Article, blog.article)["title"] == "Article 1"


def test_required_to_one_cannot_be_emptied(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ERR-8: a PATCH setting a comment's article (``required=True`` in the schema) to null
    is 422 pointing at that linkage, and nothing changes."""
    before = _state(db_session)
    body = {
        "data": {
            "type": "comments",
            "id": str(blog.comments[0]),
            "relationships": {"article": {"data": None}},
        }
    }
    response = client.patch(f"/comments/{blog.comments[0]}", json=body)
    assert_error(response, 422, "/data/relationships/article/data")
    assert _state(db_session) == before


def test_unknown_relationship_in_body_is_rejected(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-15: a relationship the type does not have is refused with a pointer to it."""
    before = _state(db_session)
    response = client.post("/articles", json=_new_article(editor=_one("authors", 1)))
    assert response.status_code in (400, 422)
    assert response.document["errors"][0]["source"]["pointer"] == "/data/relationships/editor"
    assert _state(db_session) == before


@pytest.fixture
def no_replace_client(blog_app: flask.Flask) -> JsonApiClient:
    """A client of an API whose article ``tags`` refuse full replacement."""
    return variant_app(blog_app, article_schema=NoReplaceArticleSchema).test_client()


def test_upd_5_patch_body_cannot_replace_protected_to_many(
    no_replace_client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-5: a PATCH replacing a to-many with ``allow_replace=False`` is 403 as a whole."""
    before = _state(db_session)
    body = _patch_article(blog.article, tags=_many("tags", blog.tags[2]))
    body["data"]["attributes"] = {"title": "Changed"}
    response = no_replace_client.patch(f"/articles/{blog.article}", json=body)
    assert response.status_code == 403
    assert response.document["errors"][0]["source"] == {"pointer": "/data/relationships/tags"}
    assert response.document["errors"][0]["detail"] == (
        "Relationship 'tags' cannot be replaced as a whole; "
        "add or remove members at its relationship URL instead."
    )
    assert _state(db_session) == before


def test_crt_2_create_may_set_protected_to_many(
    no_replace_client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """CRT-2: creating sets the first members, which replaces nothing, so it is allowed."""
    response = no_replace_client.post(
        "/articles", json=_new_article(tags=_many("tags", blog.tags[2]))
    )
    assert response.status_code == 201
    new_id = int(response.document["data"]["id"])
    assert (new_id, blog.tags[2]) in article_tag_pairs(db_session)


class ReadOnlyAuthorArticleSchema(blog_api.ArticleSchema):
    """Articles whose ``author`` is shown but never loaded (``dump_only``)."""

    author = fields.Relationship(type_="authors", dump_only=True)

    class Meta:
        type_ = "articles"


def test_crt_2_upd_4_a_relationship_the_schema_does_not_load_is_403(
    blog_app: flask.Flask, db_session: Any, blog: Blog
) -> None:
    """CRT-2, UPD-4: linkage for a ``dump_only`` relationship is refused with 403 pointing
    at it, on POST and PATCH, and nothing is written; GET still shows it."""
    client = variant_app(blog_app, article_schema=ReadOnlyAuthorArticleSchema).test_client()
    before = _state(db_session)
    writes = [
        client.post("/articles", json=_new_article(author=_one("authors", blog.authors[1]))),
        client.patch(
            f"/articles/{blog.article}",
            json=_patch_article(blog.article, author=_one("authors", blog.authors[1])),
        ),
    ]
    for response in writes:
        assert_error(response, 403, "/data/relationships/author")
        assert response.document["errors"][0]["detail"] == "Relationship 'author' is read-only."
    assert _state(db_session) == before
    shown = client.get(f"/articles/{blog.article}?include=author").document
    assert shown["included"][0]["id"] == str(blog.authors[0])
