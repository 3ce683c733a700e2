"""Our library, the blog demo without its article policy: the unscoped baseline that the
demo as served (``ours``, drafts visible only to their author) is compared with."""

from __future__ import annotations

import flask

from .common import article_requests, more_requests
from .ours import demo


def create_app(database_url: str) -> flask.Flask:
    return demo(database_url, policy=False)


REQUESTS = {**article_requests(), **more_requests(scoped=False)}
