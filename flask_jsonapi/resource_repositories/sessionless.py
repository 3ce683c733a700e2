"""A GET's unit of work that makes no ``Session`` while nothing needs one (private API).

A GET served by the direct reads (``direct_reads.py``) reads nothing through the scoped
session's ``Session``, yet made one, asked it for its transaction, its unflushed changes
and its listeners, and removed it at teardown: as many Python calls as the SELECT itself.
When the scoped session holds no ``Session`` for this request yet, the unit of work starts
without one, and the reads take a connection of the sessionmaker's engine. Whoever needs
the session later (the application's code, an ORM read of the library) makes it through
the scoped session as always; the library's next read sees it and hands it the connection
opened so far, and from there on everything runs as in ``direct_reads.py``.

Only where a ``Session`` made now would answer the same: a GET or HEAD, no read routing,
no statement timeout; a plain ``scoped_session`` over a plain ``sessionmaker`` bound to
one ``Engine`` (no ``binds``) whose pool gives each checkout its own connection; a session
class that keeps ``Session.__init__`` and ``get_bind``, with no listener on the events the
row reads and direct reads check (``do_orm_execute``, the transaction events). A new
``Session`` has no listener but its class's, so those are asked at class level (the
sessionmaker's and the scoped session's listeners are its class's too).
"""

from __future__ import annotations

import functools
import operator
from contextvars import ContextVar, Token
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from .direct_reads import adopt, bypass_allowed, connect, shares_connections
from .row_reads import listened

__all__ = ["Unit", "begin", "end", "unit"]

# The events a new Session is asked about by the row reads (do_orm_execute) and the direct
# reads (the transaction events).
_EVENTS = (
    "do_orm_execute",
    "after_begin",
    "after_transaction_create",
    "after_transaction_end",
    "after_rollback",
)
_STOCK_NAMES = ("__init__", "get_bind")
_stock_of = operator.attrgetter(*_STOCK_NAMES)
_STOCK = _stock_of(orm.Session)


class Unit:
    """The session-less unit of work of one scoped session in this request."""

    __slots__ = ("scoped", "bind", "connection", "session")

    def __init__(self, scoped: orm.scoped_session, bind: sa.Engine) -> None:
        self.scoped = scoped
        self.bind = bind
        self.connection: sa.Connection | None = None
        self.session: orm.Session | None = None  # made meanwhile: the unit is its now

    def get_bind(self, mapper: Any = None, **_kwargs: Any) -> sa.Engine:
        """The bind of every mapper, as the sessionmaker's ``Session`` would answer."""
        return self.bind

    def read_connection(self) -> sa.Connection:
        """The connection of this unit's reads, opened on first use."""
        connection = self.connection
        if connection is None:
            connection = self.connection = connect(self.bind)
        return connection


_CURRENT: ContextVar[Unit | None] = ContextVar("flask_jsonapi.sessionless", default=None)


def begin(scoped: Any) -> Token | None:
    """Start a session-less unit of work for ``scoped`` (the repository's ``session``), or
    ``None``: take the session (see the module's docstring for when)."""
    if type(scoped) is not orm.scoped_session or _CURRENT.get() is not None:
        return None
    if not bypass_allowed() or scoped.registry.has():
        return None
    bind = _bind_of(scoped.session_factory)
    if bind is None:
        return None
    return _CURRENT.set(Unit(scoped, bind))


def unit(scoped: Any) -> Unit | None:
    """The session-less unit of work of ``scoped``, or ``None``. Once a ``Session`` has been
    made meanwhile, it is given the unit's connection and the unit ends: ``None``."""
    current = _CURRENT.get()
    if current is None or current.scoped is not scoped or current.session is not None:
        return None
    if scoped.registry.has():
        _hand_over(current)
        return None
    return current


def end(token: Token) -> orm.Session | None:
    """End the unit of work begun with ``token``: its connection closed, unless a
    ``Session`` made meanwhile took it; that session (its unit of work to end), or
    ``None``."""
    current = _CURRENT.get()
    _CURRENT.reset(token)
    if current is None:
        return None
    if current.session is not None:
        return current.session
    if current.scoped.registry.has():
        return _hand_over(current)
    if current.connection is not None:
        current.connection.close()
    return None


def _hand_over(current: Unit) -> orm.Session:
    session = current.session = current.scoped.registry()
    if current.connection is not None:
        adopt(session, current.bind, current.connection)
        current.connection = None
    return session


def _bind_of(factory: Any) -> sa.Engine | None:
    """The one ``Engine`` every ``Session`` of ``factory`` reads, if one made now would not
    tell: ``None`` otherwise."""
    if type(factory) is not orm.sessionmaker:
        return None
    kw = factory.kw
    bind = kw.get("bind")
    if kw.get("binds") or not isinstance(bind, sa.Engine) or shares_connections(bind):
        return None
    cls = factory.class_
    if not all(map(operator.is_, _stock_of(cls), _STOCK)):
        return None
    events = _class_events(cls)
    if events is None or listened(*events):
        return None
    return bind


@functools.lru_cache(maxsize=64)
def _class_events(cls: type) -> tuple | None:
    """The listener collections of ``cls``'s class-level events in ``_EVENTS`` (live: a
    listener added later is in them), or ``None`` when SQLAlchemy keeps them otherwise."""
    try:
        dispatch = orm.Session.dispatch._for_class(cls)
        return tuple(getattr(dispatch, name).parent_listeners for name in _EVENTS)
    except AttributeError:  # another SQLAlchemy's internals: take the session
        return None
