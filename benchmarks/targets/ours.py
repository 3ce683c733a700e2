"""Our library: the blog demo (``examples.blog``) as `make run` serves it, with one addition:
the articles declare a seed-style ``FilterSchema`` (the original flask-jsonapi's filter API,
``FilterField(attribute='author_id', type_=fields.Int)``), which allows exactly the filters
the benchmark's requests send."""

from __future__ import annotations

import flask

from .common import DEEP_PAGE, article_requests, more_requests, page_requests


def seed_filters() -> type:
    """The articles' FilterSchema as a seed-era application declares it."""
    from marshmallow import fields

    from flask_jsonapi.filters_schema import FilterField, FilterSchema, RelationshipFilterField

    class AuthorFilters(FilterSchema):
        name = FilterField()

    class ArticleFilters(FilterSchema):
        author_id = FilterField(attribute="author_id", type_=fields.Int)
        author = RelationshipFilterField(AuthorFilters)
        draft = FilterField(type_=fields.Bool)

    return ArticleFilters


def demo(database_url: str, *, policy: bool = True) -> flask.Flask:
    """The demo app on `database_url`, with the seed-style filters (and without its
    article policy unless `policy`)."""
    from examples.blog import api

    # This worker process serves this app only: the class attributes are the demo's.
    api.ArticleViewSet.filter_schema = seed_filters()()
    if not policy:
        api.ArticleViewSet.policy = None
    return api.create_app(database_url, seed_data=False)


def create_app(database_url: str) -> flask.Flask:
    return demo(database_url)


#: list_50 and include_50 here are scoped (the demo's policy): their unscoped counterparts
#: are ``ours_unscoped``'s.
REQUESTS = {**article_requests(), **more_requests()}
REQUESTS.update(
    page_requests("page[number]=2&page[size]=50", f"page[number]={DEEP_PAGE}&page[size]=50")
)
