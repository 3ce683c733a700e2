"""Database faults as answers: a database that cannot answer now is 503, not 500.

A lost or refused connection, a server shutting down, or a statement cancelled by its
timeout (``JSONAPI_STATEMENT_TIMEOUT``) is temporary: the client gets a JSON:API error
document with ``Retry-After``. SQLAlchemy has already invalidated the broken connection,
so the next request gets a new one (``pool_pre_ping=True`` finds dead ones before use).
"""

from __future__ import annotations

import logging
import sys

from . import limits
from .exceptions import ServiceUnavailable

__all__ = ["database_faults", "unavailable"]

logger = logging.getLogger("flask_jsonapi")


def database_faults() -> tuple[type[BaseException], ...]:
    """The exception classes that may stand for a database fault (none without SQLAlchemy)."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return () if sa_exc is None else (sa_exc.OperationalError, sa_exc.TimeoutError)


def unavailable(error: BaseException) -> ServiceUnavailable | None:
    """The 503 for ``error`` when it says the database cannot answer now, else ``None``."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None:  # SQLAlchemy never imported: the error cannot come from it
        return None
    temporary = isinstance(error, (sa_exc.OperationalError, sa_exc.TimeoutError)) or (
        isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated
    )
    if not temporary:
        return None
    logger.warning("database unavailable: %s", error)
    return ServiceUnavailable(
        "The database cannot answer now; try again shortly.",
        retry_after=limits.get("JSONAPI_RETRY_AFTER"),
    )
