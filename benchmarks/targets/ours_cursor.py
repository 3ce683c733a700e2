"""Our library, the blog demo with cursor pagination (``JSONAPI_PAGINATION = "cursor"``):
the pagination table's first, second and deep page of the 50,000 comments. ``ours`` gives
the same three pages by number."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import flask

from .common import DEEP_PAGE, page_requests
from .ours import demo


def create_app(database_url: str) -> flask.Flask:
    app = demo(database_url)
    app.config["JSONAPI_PAGINATION"] = "cursor"
    return app


def prepare(app: flask.Flask, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The cursors of the second and the deep page, found as a client finds them: following
    ``next`` links. The second page's is page 1's ``next``; the deep page's, that of pages of
    1,000, then one of 950, to the 49,950th comment, kept with ``page[size]=50``."""
    client = app.test_client()

    def follow(url: str) -> str:
        document = client.get(url, headers={"Accept": "application/vnd.api+json"}).get_json()
        parts = urlsplit(document["links"]["next"])
        return f"{parts.path}?{parts.query}"

    def fifty_after(url: str) -> str:
        after = [(k, v) for k, v in parse_qsl(urlsplit(url).query) if k == "page[after]"]
        return urlencode([("page[size]", "50"), *after], safe="[]")

    second = fifty_after(follow("/comments?page[size]=50"))
    url = "/comments?page[size]=1000"
    for size in [1000] * (DEEP_PAGE * 50 // 1000 - 1) + [950]:
        url = follow(url.replace("page%5Bsize%5D=1000", f"page%5Bsize%5D={size}"))
    return {
        **requests,
        "comments_page_2": {**requests["comments_page_2"], "query": second},
        "comments_page_deep": {**requests["comments_page_deep"], "query": fifty_after(url)},
    }


# the second and the deep page's queries are found by prepare()
REQUESTS = page_requests("", "")
