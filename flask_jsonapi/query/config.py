"""Per-resource query settings, with defaults taken from the Flask config (JSONAPI_*)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULTS = {
    "JSONAPI_PAGE_SIZE": 50,
    "JSONAPI_MAX_PAGE_SIZE": 1000,
    "JSONAPI_MAX_INCLUDE_DEPTH": 3,
    "JSONAPI_PAGINATION": "number",
}


@dataclass(frozen=True)
class QueryConfig:
    """Page sizes, pagination style and include depth for one resource."""

    page_size: int = 50
    max_page_size: int = 1000
    max_include_depth: int = 3
    pagination: str = "number"  # "number" | "offset"

    @classmethod
    def from_app_config(cls, config: Any, **overrides: Any) -> QueryConfig:
        base = cls(
            page_size=config.get("JSONAPI_PAGE_SIZE", DEFAULTS["JSONAPI_PAGE_SIZE"]),
            max_page_size=config.get("JSONAPI_MAX_PAGE_SIZE", DEFAULTS["JSONAPI_MAX_PAGE_SIZE"]),
            max_include_depth=config.get(
                "JSONAPI_MAX_INCLUDE_DEPTH", DEFAULTS["JSONAPI_MAX_INCLUDE_DEPTH"]
            ),
            pagination=config.get("JSONAPI_PAGINATION", DEFAULTS["JSONAPI_PAGINATION"]),
        )
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})
