"""Transaction conflicts: concurrent requests that collide in the database, run again or
answered 409, never 500.

The database's serialization failure and deadlock (SQLSTATE ``40001``, ``40P01``) and the
ORM's ``StaleDataError`` (a row it loaded was changed or deleted by another transaction
before its flush) say nothing wrong about the request: run again from the start, in a new
transaction, it sees the other transaction's outcome. A view runs its request again, up
to ``JSONAPI_TRANSACTION_ATTEMPTS`` times in all with a short jittered pause, when only
the library's own hooks and repositories write in its transaction (a rollback undoes all
they did, so running them twice is safe). Otherwise, or when every attempt collides, the
client gets a 409 saying so.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask.globals import _cv_app as _app_context

from .exceptions import Conflict

__all__ = ["ATTEMPTS", "is_conflict", "is_stale", "run"]

logger = logging.getLogger("flask_jsonapi")

T = TypeVar("T")

# Tries of one request, the first included (JSONAPI_TRANSACTION_ATTEMPTS).
ATTEMPTS = 3
# The pause before try n+1 is random, up to _PAUSE * 2**(n-1) seconds: colliding requests
# that start again at once would collide again.
_PAUSE = 0.02
# PostgreSQL's (and the SQL standard's) serialization failure, PostgreSQL's deadlock.
_SQLSTATES = frozenset({"40001", "40P01"})


def is_stale(error: BaseException) -> bool:
    """Whether ``error`` is the ORM's ``StaleDataError``: a versioned ``UPDATE`` or
    ``DELETE`` found another version (or no row) than the one it loaded."""
    orm_exc = sys.modules.get("sqlalchemy.orm.exc")
    return orm_exc is not None and isinstance(error, orm_exc.StaleDataError)


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` says that another transaction got in the way of this one."""
    orm_exc = sys.modules.get("sqlalchemy.orm.exc")
    if orm_exc is not None and isinstance(error, orm_exc.StaleDataError):
        return True
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(error, sa_exc.DBAPIError):
        return False
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code in _SQLSTATES


def run(attempt: Callable[[], T], safe: Callable[[], bool]) -> T:
    """``attempt()``, called again after a transaction conflict while tries are left and
    ``safe()`` says that it may; 409 when it may not, or after the last try."""
    tried = 0
    while True:
        tried += 1
        try:
            return attempt()
        except Exception as error:
            if not is_conflict(error):
                raise
            if tried >= _attempts() or not safe():
                logger.info("transaction conflict, answered 409 after %d tries: %s", tried, error)
                raise Conflict(
                    None,
                    "Another request changed the same data at the same time, and this one "
                    "was not applied. Send it again.",
                    title="Concurrent update",
                    code="concurrent-update",
                ) from error
            logger.info("transaction conflict, trying again (%d done): %s", tried, error)
            time.sleep(random.uniform(0, _PAUSE * 2 ** (tried - 1)))  # noqa: S311 - jitter


def _attempts() -> int:
    context = _app_context.get(None)
    value: Any = (
        ATTEMPTS
        if context is None
        else context.app.config.get("JSONAPI_TRANSACTION_ATTEMPTS", ATTEMPTS)
    )
    return max(1, int(value))
