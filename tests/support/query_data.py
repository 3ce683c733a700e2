"""Rows and app variants for the query-language tests (include, fields, sort, page, filter).

``blog(db_session, ...)`` arranges a small blog whose rows the tests then query;
``query_app(blog_app, **options)`` serves the blog types with view set options for
``articles`` (pagination style, counting, sortable fields, filter expressions, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import flask

from examples.blog import api as blog_api
from examples.blog.models import Article, Author, Comment, Tag
from tests.support.blog_variants import variant_app

__all__ = ["Blog", "blog", "error_of", "ids", "query_app"]

START = datetime(2024, 1, 1, 12, 0, 0)


@dataclass
class Blog:
    """Primary keys of the arranged rows."""

    authors: list[int] = field(default_factory=list)
    articles: list[int] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)


def blog(
    db_session: Any,
    articles: int = 3,
    *,
    titles: list[str] | None = None,
    views: list[int] | None = None,
    authors: list[str] | None = None,
    comments_per_article: int = 2,
) -> Blog:
    """``articles`` articles; article i has author ``i % len(authors)`` (``None`` for the
    name ``""``), ``views[i]``, tags 1..(i % 3 + 1) of three, and comments by the authors."""
    names = authors if authors is not None else ["Ada", "Bob"]
    author_rows = [
        Author(name=name, email=f"{i}-{name.lower() or 'x'}@example.org")
        for i, name in enumerate(names)
        if name
    ]
    tags = [Tag(name=name) for name in ("python", "flask", "sql")]
    db_session.add_all([*author_rows, *tags])
    db_session.flush()
    by_name = {a.name: a for a in author_rows}
    rows = []
    for i in range(articles):
        name = names[i % len(names)] if names else ""
        article = Article(
            title=titles[i] if titles else f"Article {i:03d}",
            body=f"Body {i}",
            views=views[i] if views else i,
            created=START + timedelta(hours=i),
            author=by_name.get(name),
            tags=tags[: i % 3 + 1],
        )
        rows.append(article)
        db_session.add(article)
        for j in range(comments_per_article):
            commenter = author_rows[j % len(author_rows)] if author_rows else None
            db_session.add(Comment(body=f"Comment {j} on {i}", article=article, author=commenter))
    db_session.flush()
    result = Blog(
        authors=[a.id for a in author_rows],
        articles=[a.id for a in rows],
        comments=[c.id for a in rows for c in a.comments],
        tags=[t.id for t in tags],
    )
    db_session.commit()
    db_session.remove()
    return result


def query_app(blog_app: flask.Flask, config: dict[str, Any] | None = None, **options: Any):
    """The blog API on ``blog_app``'s session, ``articles`` with the view set ``options``
    (``pagination``, ``count``, ``sortable_fields``, ``filter_expressions``, ``page_size``,
    ``max_page_size``, ``max_include_depth``, ``filter_schema``) and Flask ``config``."""
    article_viewset = type("ArticleOptionsViewSet", (blog_api.ArticleViewSet,), dict(options))
    app = variant_app(blog_app, viewsets={"articles": article_viewset})
    app.config.update(config or {})
    return app


def ids(document: dict[str, Any]) -> list[str]:
    """The ids of the primary data, in order."""
    return [resource["id"] for resource in document["data"]]


def error_of(response: Any) -> dict[str, Any]:
    """The one error object of a 400 response."""
    assert response.status_code == 400, (response.status_code, response.document)
    errors = response.document["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["status"] == "400"
    return errors[0]
