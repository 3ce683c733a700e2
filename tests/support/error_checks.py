"""Helpers for error tests: the single error object of a response, a database snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from examples.blog.models import Article, Author, Comment, Tag, article_tags

MEDIA_TYPE = "application/vnd.api+json"


def snapshot(db_session: Any) -> list[tuple]:
    """Every row of the blog tables, to compare the database before and after a request."""
    rows: list[tuple] = []
    for columns in (
        (Article.id, Article.title, Article.body, Article.views, Article.author_id),
        (Author.id, Author.name, Author.email),
        (Comment.id, Comment.body, Comment.article_id, Comment.author_id),
        (Tag.id, Tag.name),
        (article_tags.c.article_id, article_tags.c.tag_id),
    ):
        table_rows = sorted(tuple(row) for row in db_session.execute(select(*columns)))
        rows.append((columns[0].table.name, *table_rows))
    db_session.remove()
    return [table for table in rows if len(table) > 1]


def only_error(response: Any, status: int) -> dict[str, Any]:
    """The single error object of a JSON:API error response with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers.getlist("Content-Type") == [MEDIA_TYPE]
    assert "data" not in response.document
    assert "included" not in response.document
    (error,) = response.document["errors"]
    assert error["status"] == str(status)
    return error


def assert_error(response: Any, status: int, pointer: str | None = None) -> None:
    """A JSON:API error document with one error of ``status`` (and ``source.pointer``)."""
    assert response.status_code == status
    assert response.mimetype == MEDIA_TYPE
    errors = response.document["errors"]
    assert [error["status"] for error in errors] == [str(status)]
    if pointer is not None:
        assert errors[0]["source"]["pointer"] == pointer


def identifier(type_: str, id_: Any) -> dict[str, str]:
    """A resource identifier object."""
    return {"type": type_, "id": str(id_)}
