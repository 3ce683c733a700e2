"""A GET's row reads on a connection of their own, outside the ``Session`` (private API).

A ``Session`` transaction costs as much Python as the SELECT of a small GET: the session's
transaction object and its snapshot, the connection taken through it, closing it twice
(at the end of the unit of work and at teardown). The row reads (``row_reads.py``) need
none of it when the session holds nothing and has begun nothing: they then take
``engine.connect()`` as a hand-written app does, one connection per bind and request,
closed when the repository's unit of work ends.

Only where nothing can tell the difference: a GET or HEAD, no read routing (it has its
own sessions), the session not in a transaction, holding no unflushed change, with no
listener of the application's on its transaction events (say, one that sets a
row-level-security variable in ``after_begin``), and bound to an engine (not to a
connection of a test's outer transaction) whose pool gives each checkout a connection of
its own (not SQLite's in-memory ``StaticPool``). Should the session begin a transaction after
all (an ORM read, the application's code), the direct connections are closed and the
reads that follow join the session's transaction; writing closes them too.

On PostgreSQL, ``JSONAPI_READ_AUTOCOMMIT`` (default on) reads in autocommit: no
``BEGIN``/``ROLLBACK`` round trips. Under READ COMMITTED, PostgreSQL's default, every
statement takes its own snapshot inside a transaction too, so the answers are the same;
it is not used when the engine runs another isolation level (where a transaction would
give the page and its count one snapshot) or when ``JSONAPI_STATEMENT_TIMEOUT`` is set
(``SET LOCAL`` needs a transaction, so those GETs take the session's).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.globals import _cv_app, _cv_request  # read directly: no proxy per call
from sqlalchemy import orm
from sqlalchemy.pool import AssertionPool, SingletonThreadPool, StaticPool

from .row_reads import listened

__all__ = [
    "SAFE_METHODS",
    "adopt",
    "bypass_allowed",
    "close_direct",
    "connect",
    "direct_connection",
    "shares_connections",
]

# Session.info: {bind: Connection} of the row reads taken outside the session this request.
_DIRECT = "flask_jsonapi.direct_reads"
SAFE_METHODS = frozenset({"GET", "HEAD"})
_READ_COMMITTED = (None, "READ COMMITTED")
_SHARED_POOLS = (StaticPool, SingletonThreadPool, AssertionPool)


def direct_connection(session: orm.Session, mapper: Any) -> sa.Connection | None:
    """A connection for the row reads of ``mapper`` outside ``session``, or ``None``: read
    in the session's transaction."""
    opened = session.info.get(_DIRECT)
    if session.in_transaction():
        if opened is not None:
            close_direct(session)  # the session began: what follows reads in its transaction
        return None
    if opened is None and not _may_bypass(session):
        return None
    bind = session.get_bind(mapper=mapper)
    connection = opened.get(bind) if opened is not None else None
    if connection is None:
        # A pool of one shared connection would hand the session the very connection that
        # closing ours rolls back.
        if not isinstance(bind, sa.Engine) or shares_connections(bind):
            return None
        connection = connect(bind)
        if opened is None:
            opened = session.info[_DIRECT] = {}
        opened[bind] = connection
    return connection


def close_direct(session: orm.Session) -> bool:
    """Close the direct connections of ``session``'s request; whether there were any."""
    opened = session.info.pop(_DIRECT, None)
    if opened is None:
        return False
    for connection in opened.values():
        connection.close()
    return True


def adopt(session: orm.Session, bind: sa.Engine, connection: sa.Connection) -> None:
    """Make ``connection`` (of ``bind``), opened for this request's reads before ``session``
    was made (``sessionless.py``), one of ``session``'s direct connections."""
    opened = session.info.setdefault(_DIRECT, {})
    if bind in opened:
        connection.close()
    else:
        opened[bind] = connection


def shares_connections(engine: sa.Engine) -> bool:
    """Whether ``engine``'s pool hands every checkout one shared connection (SQLite's
    in-memory ``StaticPool``, say), so that a connection of one's own is the session's too."""
    return isinstance(engine.pool, _SHARED_POOLS)


def bypass_allowed() -> bool:
    """Whether this request's reads may leave the session aside at all: a GET or HEAD, and
    no read routing (which chooses the session's bind per request)."""
    request = _cv_request.get(None)
    if request is None or request.request.method not in SAFE_METHODS:
        return False
    return _cv_app.get().app.config.get("JSONAPI_READ_ENGINE") is None


def _may_bypass(session: orm.Session) -> bool:
    if not bypass_allowed():
        return False
    if session.new or session.deleted or (len(session.identity_map) and session.dirty):
        return False
    dispatch = session.dispatch
    return not listened(
        dispatch.after_begin,
        dispatch.after_transaction_create,
        dispatch.after_transaction_end,
        dispatch.after_rollback,
    )


def connect(engine: sa.Engine) -> sa.Connection:
    """A connection of ``engine`` for a GET's reads (in autocommit where that answers the
    same: see the module's docstring)."""
    connection = engine.connect()
    if connection.dialect.name != "postgresql":
        return connection
    config = _cv_app.get().app.config
    if not config.get("JSONAPI_READ_AUTOCOMMIT", True) or config.get("JSONAPI_STATEMENT_TIMEOUT"):
        return connection
    dialect = engine.dialect
    levels = (
        engine.get_execution_options().get("isolation_level"),
        # create_engine(isolation_level=...) is kept here only; the server's default next.
        getattr(dialect, "_on_connect_isolation_level", None),
        dialect.default_isolation_level,
    )
    if any(level not in _READ_COMMITTED for level in levels):
        return connection
    return connection.execution_options(isolation_level="AUTOCOMMIT")
