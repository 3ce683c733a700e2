"""What the targets share: the requests in the JSON:API dialect of our library, and the
fixed ids they touch (chosen so that writes never change what the reads return)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dataset import FILTER_NAME, N_ARTICLES

__all__ = [
    "FILTER_NAME",
    "N_ARTICLES",
    "POST_AUTHOR",
    "READ_ID",
    "SCOPE_HEADER",
    "SEED_AUTHOR",
    "WRITE_ID",
    "article_requests",
    "more_requests",
    "page_requests",
]

READ_ID = 1234  # GET one article
WRITE_ID = 9999  # PATCHed (not among the first 1,000 articles nor the filtered ones)
POST_AUTHOR = 5
SEED_AUTHOR = 5  # the seed-style filter: filter[author_id]=5 (10 articles)
RELATED_ID = 1  # GET /articles/1/relationships/tags and /articles/1/comments
#: The hand-written app's switch for its row-scoped handlers (`draft = false`, the demo's
#: policy for an anonymous client); our library's demo scopes by its policy instead.
SCOPE_HEADER = "X-Bench-Scope"
DEEP_PAGE = 1000  # the deep page of the pagination table (50 comments a page)

POST_BODY = {
    "data": {
        "type": "articles",
        "attributes": {"title": "A benchmark article", "body": "x" * 500},
        "relationships": {"author": {"data": {"type": "authors", "id": str(POST_AUTHOR)}}},
    }
}
PATCH_BODY = {"data": {"type": "articles", "id": str(WRITE_ID), "attributes": {"title": "?"}}}


def request(
    method: str,
    path: str,
    query: str = "",
    body: Any = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "query": query,
        "body": body,
        "status": status,
        "headers": headers or {},
    }


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


def more_requests(
    *, scoped: bool = True, scope_headers: dict[str, str] | None = None, scope_query: str = ""
) -> dict[str, dict[str, Any]]:
    """The requests of the second issue: the seed-style FilterSchema filter, the row-scoped
    list and include (only where the app can scope: ``scoped``), a relationship and a
    related endpoint."""
    pre = f"{scope_query}&" if scope_query else ""
    found = {
        "sparse_filter_seed": request(
            "GET",
            "/articles",
            f"{pre}fields[articles]=title,created&sort=-created&filter[author_id]={SEED_AUTHOR}"
            "&page[size]=50",
        ),
        "relationship_tags": request("GET", f"/articles/{RELATED_ID}/relationships/tags"),
        "related_comments": request("GET", f"/articles/{RELATED_ID}/comments"),
    }
    if scoped:
        found["list_50_scoped"] = request(
            "GET", "/articles", f"{pre}page[size]=50", headers=scope_headers
        )
        found["include_50_scoped"] = request(
            "GET", "/articles", f"{pre}include=author,comments&page[size]=50", headers=scope_headers
        )
    return found


def page_requests(second_query: str, deep_query: str) -> dict[str, dict[str, Any]]:
    """The pagination table's requests: the first, the second and the deep page of the
    comments."""
    return {
        "comments_page_1": request("GET", "/comments", "page[size]=50"),
        "comments_page_2": request("GET", "/comments", second_query),
        "comments_page_deep": request("GET", "/comments", deep_query),
    }
