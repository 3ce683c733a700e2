"""Our library, the blog demo without its article policy but asked for the rows the policy
would show (``filter[draft]=false`` on every collection): the same SQL as the scoped
demo, so the difference between the two is what the policy itself costs."""

from __future__ import annotations

from .common import article_requests, more_requests
from .ours_unscoped import create_app

__all__ = ["REQUESTS", "create_app"]

REQUESTS = {
    name: (
        {**spec, "query": "&".join(filter(None, ["filter[draft]=false", spec["query"]]))}
        if spec["method"] == "GET" and spec["path"] == "/articles"
        else spec
    )
    for name, spec in {**article_requests(), **more_requests()}.items()
}
