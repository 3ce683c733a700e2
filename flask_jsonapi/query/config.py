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
PAGINATION_STYLES = frozenset({"number", "offset", "cursor"})


@dataclass(frozen=True)
class QueryConfig:
    """Page sizes, pagination style, include depth, sorting and filtering of one resource.

    ``sortable_fields``: the sort fields a client may use (``None``: every attribute, ``id``
    and the attributes of to-one relationships, ``author.name``). ``count``: ``True`` counts
    every page, ``False`` never counts, ``None`` counts ``number``/``offset`` pages but not
    cursor pages; a client may ask otherwise with ``page[count]`` unless it is ``False``.
    ``filter_expressions``: accept ``filter=[...]`` (JSON conditions with and/or/not).
    ``paginate``: ``True`` pages every list (``page_size`` when the client asks none);
    ``False`` pages a list only when the request has ``page`` parameters, as the original.
    """

    page_size: int = 50
    max_page_size: int = 1000
    max_include_depth: int = 3
    pagination: str = "number"  # "number" | "offset" | "cursor"
    sortable_fields: frozenset[str] | None = None
    count: bool | None = None
    filter_expressions: bool = False
    paginate: bool = True

    def __post_init__(self) -> None:
        if self.pagination not in PAGINATION_STYLES:
            raise ValueError(f"pagination must be one of {sorted(PAGINATION_STYLES)}")
        if not 1 <= self.page_size <= self.max_page_size:
            raise ValueError("page_size must be between 1 and max_page_size")
        if self.sortable_fields is not None and not isinstance(self.sortable_fields, frozenset):
            object.__setattr__(self, "sortable_fields", frozenset(self.sortable_fields))

    @classmethod
    def from_app_config(cls, config: Any, **overrides: Any) -> QueryConfig:
        """The settings for one resource: the app's ``JSONAPI_*`` keys, then ``overrides``."""
        app_values = tuple(map(config.get, DEFAULTS, DEFAULTS.values()))  # no Python frames
        try:
            key = (app_values, tuple(sorted(overrides.items())))
            return _CACHE[key]
        except TypeError:  # an unhashable override (a list of fields): no caching
            return cls._build(config, overrides)
        except KeyError:
            _CACHE[key] = config = cls._build(config, overrides)
            return config

    @classmethod
    def _build(cls, config: Any, overrides: dict[str, Any]) -> QueryConfig:
        base = cls(
            page_size=config.get("JSONAPI_PAGE_SIZE", DEFAULTS["JSONAPI_PAGE_SIZE"]),
            max_page_size=config.get("JSONAPI_MAX_PAGE_SIZE", DEFAULTS["JSONAPI_MAX_PAGE_SIZE"]),
            max_include_depth=config.get(
                "JSONAPI_MAX_INCLUDE_DEPTH", DEFAULTS["JSONAPI_MAX_INCLUDE_DEPTH"]
            ),
            pagination=config.get("JSONAPI_PAGINATION", DEFAULTS["JSONAPI_PAGINATION"]),
        )
        values = {k: v for k, v in overrides.items() if v is not None}
        if "page_size" not in values and values.get("max_page_size", base.page_size) < (
            base.page_size
        ):
            values["page_size"] = values["max_page_size"]
        return replace(base, **values)


# Settings are computed per request from values that rarely change: remember them.
_CACHE: dict[Any, QueryConfig] = {}
