"""What the targets share: the requests in the JSON:API dialect of our library, and the
fixed ids they touch (chosen so that writes never change what the reads return)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dataset import FILTER_NAME, N_ARTICLES

__all__ = ["FILTER_NAME", "N_ARTICLES", "POST_AUTHOR", "READ_ID", "WRITE_ID", "article_requests"]

READ_ID = 1234  # GET one article
WRITE_ID = 9999  # PATCHed (not among the first 1,000 articles nor the filtered ones)
POST_AUTHOR = 5

POST_BODY = {
    "data": {
        "type": "articles",
        "attributes": {"title": "A benchmark article", "body": "x" * 500},
        "relationships": {"author": {"data": {"type": "authors", "id": str(POST_AUTHOR)}}},
    }
}
PATCH_BODY = {"data": {"type": "articles", "id": str(WRITE_ID), "attributes": {"title": "?"}}}


def request(
    method: str, path: str, query: str = "", body: Any = None, status: int = 200
) -> dict[str, Any]:
    return {"method": method, "path": path, "query": query, "body": body, "status": status}


def article_requests(
    *,
    detail: str = "/articles/{id}",
    collection: str = "/articles",
    page: str = "page[size]={size}",
    sparse_filter: str | None = None,
    patch_status: int = 200,
) -> dict[str, dict[str, Any]]:
    """The benchmark's requests; the keyword arguments give a peer's own dialect."""
    name = quote(FILTER_NAME)
    if sparse_filter is None:
        sparse_filter = (
            f"fields[articles]=title,views,author&sort=-views&filter[author][name]={name}&"
            + page.format(size=50)
        )
    return {
        "get_one": request("GET", detail.format(id=READ_ID)),
        "list_50": request("GET", collection, page.format(size=50)),
        "include_50": request("GET", collection, "include=author,comments&" + page.format(size=50)),
        "sparse_filter_50": request("GET", collection, sparse_filter),
        "post": request("POST", collection, body=POST_BODY, status=201),
        "patch": {
            **request("PATCH", detail.format(id=WRITE_ID), body=PATCH_BODY, status=patch_status),
            "write_id": WRITE_ID,
        },
        "deep_include_100": request(
            "GET", collection, "include=author,comments.author,tags&" + page.format(size=100)
        ),
        "memory_1000": request(
            "GET", collection, "include=author,comments&" + page.format(size=1000)
        ),
    }
