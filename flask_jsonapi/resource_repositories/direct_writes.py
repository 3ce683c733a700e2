"""A POST's or PATCH's row write on a connection of its own, outside the ``Session``
(private API).

A row write (``row_writes.py``) is one ``INSERT``/``UPDATE ... RETURNING``; through the
session it also pays a ``SessionTransaction`` and ``Session.commit()`` (its events, the
flush check, expiring the identity map, releasing the connection): about as much Python
as the statement itself. A hand-written app takes ``engine.begin()``; so does this module,
where nothing can tell the difference:

- the unit of work is a view's own POST or PATCH, every method of the view and of the
  repository that runs in it being the library's (the view asks for it:
  ``begin_transaction(direct_writes=True)``; Atomic Operations never do) and no schema of
  the document has dump hooks (``RowWriter.alone``), so nothing but the library's code runs
  between the write and the commit;
- the session has begun nothing (no read of an ``If-Match`` check, no statement timeout,
  nothing of the application's), holds no object and no change, and nobody listens to its
  transaction events (``after_begin``, ``before_commit``, ``after_commit``, ...: those
  applications keep the session's transaction and see their events);
- it is bound to an engine whose pool gives each checkout a connection of its own (not
  SQLite's in-memory ``StaticPool``, nor a test's outer connection).

The request's policies are asked for all their criteria before the write, so that no code
of the application's runs while the write is uncommitted. The repository's reads and
writes that follow in the unit of work use the same connection; the unit of work commits
it (:func:`commit_direct`) or closes it, which rolls the write back (:func:`close_written`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from .. import scopes
from .direct_reads import shares_connections

__all__ = [
    "ALLOWED",
    "close_written",
    "commit_direct",
    "direct_write",
    "holds_writes",
    "written_connection",
]

# Session.info: set by begin_transaction(direct_writes=True) for its unit of work.
ALLOWED = "flask_jsonapi.direct_writes"
# Session.info: (bind, Connection) holding this unit of work's row writes.
_WRITTEN = "flask_jsonapi.direct_written"
_TRANSACTION_EVENTS = (
    "after_transaction_create",
    "after_begin",
    "before_commit",
    "after_commit",
    "after_transaction_end",
    "after_rollback",
    "after_soft_rollback",
)


def direct_write(session: orm.Session, mapper: Any) -> sa.Connection | None:
    """The connection for a row write of ``mapper`` outside ``session``, or ``None``: write
    in the session's transaction."""
    info = session.info
    written = info.get(_WRITTEN)
    if written is not None:
        bind = session.get_bind(mapper=mapper)
        return written[1] if written[0] is bind else None
    if not info.get(ALLOWED) or session.in_transaction():
        return None
    if session.identity_map or session.new or session.deleted:  # (dirty ones are in the map)
        return None
    dispatch = session.dispatch
    for name in _TRANSACTION_EVENTS:
        # SQLAlchemy listens to none of these itself: any listener is the application's.
        if getattr(dispatch, name):
            return None
    bind = session.get_bind(mapper=mapper)
    if not isinstance(bind, sa.Engine) or shares_connections(bind):
        return None
    current = scopes.current()
    if current is not None:
        current.criteria()  # the policies' code runs now, before anything is uncommitted
    connection = bind.connect()
    info[_WRITTEN] = (bind, connection)
    return connection


def written_connection(session: orm.Session, mapper: Any) -> sa.Connection | None:
    """The connection holding this unit of work's row writes, if ``mapper``'s bind is its
    (the reads and writes that follow them must see them)."""
    written = session.info.get(_WRITTEN)
    if written is None or written[0] is not session.get_bind(mapper=mapper):
        return None
    return written[1]


def holds_writes(session: orm.Session) -> bool:
    """Whether row writes of this unit of work wait on a connection of their own."""
    return _WRITTEN in session.info


def commit_direct(session: orm.Session) -> sa.Engine | None:
    """Commit and close the connection of the row writes; the engine it belonged to, or
    ``None`` when there was none."""
    written = session.info.get(_WRITTEN)
    if written is None:
        return None
    bind, connection = written
    connection.commit()
    del session.info[_WRITTEN]
    connection.close()
    return bind


def close_written(session: orm.Session) -> None:
    """Close the connection of the row writes, if any, rolling them back."""
    written = session.info.pop(_WRITTEN, None)
    if written is not None:
        written[1].close()
