"""Our library, the blog demo without its article policy: the unscoped baseline that the
demo as served (``ours``, drafts visible only to their author) is compared with."""

from __future__ import annotations

import flask

from .common import article_requests


def create_app(database_url: str) -> flask.Flask:
    from examples.blog import api

    # This worker process serves this app only: the class attribute is the demo's policy.
    api.ArticleViewSet.policy = None
    return api.create_app(database_url, seed_data=False)


REQUESTS = article_requests()
