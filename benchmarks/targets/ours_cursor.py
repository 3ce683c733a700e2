"""Our library, the blog demo with cursor pagination (``JSONAPI_PAGINATION = "cursor"``):
the pagination table's first and deep page of the 50,000 comments. ``ours`` gives the same
two pages by number."""

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
    """The deep page's cursor, found as a client finds it: following ``next`` links (in
    pages of 1,000, then one of 950, to the 49,950th comment), the last one's cursor kept
    with ``page[size]=50``."""
    client = app.test_client()
    url = "/comments?page[size]=1000"
    for size in [1000] * (DEEP_PAGE * 50 // 1000 - 1) + [950]:
        url = url.replace("page%5Bsize%5D=1000", f"page%5Bsize%5D={size}")
        document = client.get(url, headers={"Accept": "application/vnd.api+json"}).get_json()
        parts = urlsplit(document["links"]["next"])
        url = f"{parts.path}?{parts.query}"
    after = [(k, v) for k, v in parse_qsl(urlsplit(url).query) if k == "page[after]"]
    deep = urlencode([("page[size]", "50"), *after], safe="[]")
    return {**requests, "comments_page_deep": {**requests["comments_page_deep"], "query": deep}}


REQUESTS = page_requests("")  # the deep page's query is found by prepare()
