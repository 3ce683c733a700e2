"""Test-local variants of the blog API: other schemas and URL styles over the same tables.

``variant_app(blog_app, ...)`` builds a second Flask app on the blog app's session (so the
database fixtures, and PostgreSQL when configured, apply unchanged) with the blog's four
types registered under ``/<type>`` or ``/<type>/`` and with schemas the test chooses.
"""

from __future__ import annotations

from typing import Any

import flask

from examples.blog import api as blog
from flask_jsonapi import Api
from flask_jsonapi.schema import fields
from tests.support.client import JsonApiClient

__all__ = ["LinkedArticleSchema", "NoReplaceArticleSchema", "variant_app"]


class LinkedArticleSchema(blog.ArticleSchema):
    """Articles whose ``author`` and ``tags`` always carry ``data`` linkage."""

    author = fields.Relationship(type_="authors", include_resource_linkage=True)
    tags = fields.Relationship(type_="tags", many=True, include_resource_linkage=True)

    class Meta:
        type_ = "articles"


class NoReplaceArticleSchema(blog.ArticleSchema):
    """Articles whose ``tags`` may gain or lose members but not be replaced as a whole."""

    tags = fields.Relationship(type_="tags", many=True, allow_replace=False)

    class Meta:
        type_ = "articles"


def variant_app(
    blog_app: flask.Flask,
    *,
    article_schema: type = blog.ArticleSchema,
    trailing_slash: bool = False,
    operations: bool = False,
    filter_schemas: dict[str, Any] | None = None,
    schemas: dict[str, type] | None = None,
    viewsets: dict[str, type] | None = None,
    omit: tuple[str, ...] = (),
    session: Any = None,
) -> flask.Flask:
    """A blog API on ``blog_app``'s session (or ``session``) with another article schema
    and URL style.

    ``filter_schemas``, ``schemas`` and ``viewsets`` map a type to the ``FilterSchema``
    instance, the schema and the view set class it gets instead of the blog's; the types
    in ``omit`` get no view set (a test routes them its own way).
    """
    session = session if session is not None else blog_app.extensions["blog"]["session"]
    schemas = {"articles": article_schema, **(schemas or {})}
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    slash = "/" if trailing_slash else ""
    resources: list[tuple[Any, Any, str]] = [
        (blog.AuthorViewSet, blog.AuthorRepository, "authors"),
        (blog.ArticleViewSet, blog.ArticleRepository, "articles"),
        (blog.CommentViewSet, blog.CommentRepository, "comments"),
        (blog.TagViewSet, blog.TagRepository, "tags"),
    ]
    for viewset_cls, repository_cls, name in resources:
        if name in omit:
            continue
        viewset_cls = (viewsets or {}).get(name, viewset_cls)
        viewset = viewset_cls(
            repository=repository_cls(session=session),
            schema=schemas.get(name, viewset_cls.schema),
            filter_schema=(filter_schemas or {}).get(name),
        )
        api.repository(viewset, name, f"/{name}{slash}")
    if operations:
        api.operations("/operations")
    return app
