"""Arrange and inspect rows of the blog example's database from tests.

The helpers take the app's ``scoped_session`` (the ``db_session`` fixture). Arranging
commits and removes the session, so a request never sees a half-finished test
transaction; inspecting always runs a fresh query (the app removes the session after
each request, so objects loaded before a request are stale).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from examples.blog.models import Article, Author, Comment, Tag, article_tags

__all__ = [
    "add_rows",
    "article_tag_pairs",
    "count_rows",
    "link_tags",
    "make_article",
    "make_author",
    "make_comment",
    "make_tag",
    "row",
]


def add_rows(db_session: Any, *objects: Any) -> list[int]:
    """Insert ``objects`` in one transaction, commit, and return their primary keys."""
    db_session.add_all(objects)
    db_session.commit()
    ids = [obj.id for obj in objects]
    db_session.remove()
    return ids


def link_tags(db_session: Any, article_id: int, tag_ids: list[int]) -> None:
    """Set an article's tags (rows of the association table) and commit."""
    article = db_session.get(Article, article_id)
    article.tags = [db_session.get(Tag, tag_id) for tag_id in tag_ids]
    db_session.commit()
    db_session.remove()


def make_author(number: int = 1, **values: Any) -> Author:
    return Author(**{"name": f"Author {number}", "email": f"author{number}@example.org", **values})


def make_article(number: int = 1, **values: Any) -> Article:
    return Article(**{"title": f"Article {number}", "body": f"Body {number}", **values})


def make_tag(number: int = 1, **values: Any) -> Tag:
    return Tag(**{"name": f"tag-{number}", **values})


def make_comment(number: int = 1, **values: Any) -> Comment:
    return Comment(**{"body": f"Comment {number}", **values})


def count_rows(db_session: Any, table: Any) -> int:
    """The number of rows of a model's table (or of a ``Table``)."""
    table = getattr(table, "__table__", table)
    count = db_session.scalar(sa.select(sa.func.count()).select_from(table))
    db_session.remove()
    return count


def row(db_session: Any, model: Any, id_: int) -> dict[str, Any] | None:
    """The stored columns of one row as a dict, ``None`` when there is no such row."""
    table = model.__table__
    found = db_session.execute(sa.select(table).where(table.c.id == id_)).mappings().one_or_none()
    db_session.remove()
    return dict(found) if found is not None else None


def article_tag_pairs(db_session: Any) -> set[tuple[int, int]]:
    """All ``(article_id, tag_id)`` rows of the association table."""
    pairs = db_session.execute(sa.select(article_tags.c.article_id, article_tags.c.tag_id)).all()
    db_session.remove()
    return {(article_id, tag_id) for article_id, tag_id in pairs}
