"""Our library: the blog demo (``examples.blog``) exactly as `make run` serves it."""

from __future__ import annotations

import flask

from .common import article_requests


def create_app(database_url: str) -> flask.Flask:
    from examples.blog.api import create_app as create_blog

    return create_blog(database_url, seed_data=False)


REQUESTS = article_requests()
