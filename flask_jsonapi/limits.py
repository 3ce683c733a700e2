"""Limits on what a client controls, each a Flask config key (``JSONAPI_*``) with a default.

Every limit is read only where its input is seen (one config lookup), so requests that
stay under the limits pay nothing more. ``docs/limits.md`` lists them all.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask.globals import _cv_app as _app_context  # read directly: no proxy per limit

__all__ = ["DEFAULTS", "DATABASE_PARAMETERS", "INT64", "get", "int64_fits"]

DEFAULTS: dict[str, Any] = {
    "JSONAPI_MAX_BODY_SIZE": 10 * 1024 * 1024,  # bytes of a request body
    "JSONAPI_MAX_OPERATIONS": 1000,  # operations in one Atomic Operations request
    "JSONAPI_MAX_RELATIONSHIP_IDENTIFIERS": 10_000,  # identifiers of one to-many linkage
    "JSONAPI_MAX_FILTER_VALUES": 10_000,  # values of the filters of one request, together
    "JSONAPI_MAX_FILTER_CONDITIONS": 100,  # conditions of a filter expression (filter=[...])
    "JSONAPI_MAX_FILTER_DEPTH": 10,  # nesting of and/or/not in a filter expression
    "JSONAPI_STATEMENT_TIMEOUT": None,  # milliseconds per request on PostgreSQL; None: none
    "JSONAPI_RETRY_AFTER": 1,  # seconds, the Retry-After of a 503 (database unavailable)
}

# Bind parameters one statement may carry: PostgreSQL allows 65,535, SQLite 32,766 since
# 3.32 (999 before). Lists longer than this are sent in chunks or refused.
DATABASE_PARAMETERS = 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 900

INT64 = (-(2**63), 2**63 - 1)


def get(name: str) -> Any:
    """The app's value of limit ``name`` (its default outside an app context)."""
    context = _app_context.get(None)
    if context is None:
        return DEFAULTS[name]
    return context.app.config.get(name, DEFAULTS[name])


def int64_fits(value: Any) -> bool:
    """Whether ``value`` is not an integer, or one that a 64-bit column can hold (the widest
    integer column of every supported database)."""
    if type(value) is not int:
        return True
    return INT64[0] <= value <= INT64[1]
