"""A small blog with every kind of relationship filled and empty, for relationship tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from examples.blog.models import Article, Author, Comment, Tag, article_tags
from tests.support.blog_rows import add_rows, make_article, make_author, make_comment, make_tag

__all__ = ["Blog", "arrange_blog", "comment_articles", "table_counts"]


@dataclass(frozen=True)
class Blog:
    """Ids of the arranged rows.

    ``article`` has author ``authors[0]``, tags ``tags[0]``, ``tags[1]`` and comments
    ``comments`` (the second one written by ``authors[1]``); ``empty_article`` has no author,
    no tags and no comments; ``tags[2]`` is on no article.
    """

    authors: tuple[int, int]
    tags: tuple[int, int, int]
    article: int
    empty_article: int
    comments: tuple[int, int, int]


def arrange_blog(db_session: Any) -> Blog:
    """Insert the rows described by :class:`Blog` and return their ids."""
    author1, author2 = make_author(1), make_author(2)
    tag1, tag2, tag3 = make_tag(1), make_tag(2), make_tag(3)
    article = make_article(1, author=author1, tags=[tag1, tag2])
    empty = make_article(2)
    comments = [
        make_comment(1, article=article),
        make_comment(2, article=article, author=author2),
        make_comment(3, article=article),
    ]
    add_rows(db_session, author1, author2, tag1, tag2, tag3, article, empty, *comments)
    ids = [
        db_session.scalars(sa.select(model.id).order_by(model.id)).all()
        for model in (Author, Tag, Article, Comment)
    ]
    db_session.remove()
    authors, tags, articles, comment_ids = ids
    return Blog(tuple(authors), tuple(tags), articles[0], articles[1], tuple(comment_ids))


def comment_articles(db_session: Any) -> dict[int, int]:
    """``comment id -> article_id`` for every stored comment."""
    rows = db_session.execute(sa.select(Comment.id, Comment.article_id)).all()
    db_session.remove()
    return dict(rows)


def table_counts(db_session: Any) -> dict[str, int]:
    """The number of rows of every blog table."""
    counts = {}
    for table in (
        Author.__table__,
        Article.__table__,
        Comment.__table__,
        Tag.__table__,
        article_tags,
    ):
        counts[table.name] = db_session.scalar(sa.select(sa.func.count()).select_from(table))
    db_session.remove()
    return counts
