"""Read routing: GET requests on a read-only replica, everything else on the primary, and
the consistency token that lets a client read its own writes.

``JSONAPI_READ_ENGINE`` names the replica: an SQLAlchemy ``Engine``, a database URL, or a
callable answering a ``Session`` (a ``sessionmaker``). Then the one transaction of a GET
or HEAD request runs on a session of the replica; writes and Atomic Operations stay on the
repository's own session (the primary), and so does every read of a transaction that
wrote, since such a transaction is never a GET's.

A request whose transaction committed on the primary answers the primary's position after
the commit in the ``JSONAPI-Consistency`` header. A GET that sends it back is served by the
replica only once the replica has replayed that position (one statement on the replica,
in the transaction that then reads), otherwise by the primary. The state is the
request's (``flask.g``); the process keeps only the replica's engine (a connection pool),
so any worker or host can answer any request.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Protocol

import flask
import sqlalchemy as sa
from flask.globals import _cv_app as _app_context  # read directly: no proxy per call
from flask.globals import _cv_request
from sqlalchemy import orm

from . import exceptions

__all__ = [
    "HEADER",
    "Positions",
    "PostgresPositions",
    "end_request",
    "note_commit",
    "read_session",
    "route_read",
    "stamp_response",
]

HEADER = "JSONAPI-Consistency"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# A PostgreSQL WAL position as text (pg_lsn): two hexadecimal 32-bit halves.
_TOKEN = re.compile(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")
_READ = "_jsonapi_read"  # flask.g: the _Read of a GET when routing is on
_WRITTEN = "_jsonapi_written"  # flask.g: the token of this request's last commit
_FACTORY = "flask_jsonapi.read_factory"  # app.extensions: (config value, session factory)
_lock = threading.Lock()


class Positions(Protocol):
    """How the primary's position after a commit is read and a replica's is compared with
    it (``JSONAPI_CONSISTENCY_CHECK``; tests plug in their own to simulate lag)."""

    def written(self, connection: sa.Connection) -> str | None:
        """The primary's position after the commit just made (``None``: no token)."""

    def replayed(self, connection: sa.Connection, token: str) -> bool:
        """Whether the replica behind ``connection`` has replayed up to ``token``."""


class PostgresPositions:
    """PostgreSQL's WAL positions (the default).

    The primary answers ``pg_current_wal_insert_lsn()`` after the commit: the commit record
    is inserted by then, while ``pg_current_wal_lsn()`` (the write position) may still be
    before it under ``synchronous_commit = off``, which would hand out a token the replica
    can reach before it shows the write. The insert position may be a few records ahead of
    the commit (other sessions' work); a client then waits for them too, which is safe.
    The replica answers ``pg_last_wal_replay_lsn()``, NULL on a server that is no standby:
    such a "replica" never counts as caught up, so the primary answers.
    """

    def written(self, connection: sa.Connection) -> str | None:
        if connection.dialect.name != "postgresql":
            return None
        return connection.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar()

    def replayed(self, connection: sa.Connection, token: str) -> bool:
        if connection.dialect.name != "postgresql":
            return False
        statement = sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:token AS pg_lsn)")
        return bool(connection.execute(statement, {"token": token}).scalar())


_POSTGRES = PostgresPositions()


class _Read:
    """A GET's routing: the replica's session once asked for, or the primary's (None)."""

    __slots__ = ("token", "session", "primary")

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.session: orm.Session | None = None
        self.primary = False

    def replica(self, app: flask.Flask) -> orm.Session | None:
        if self.primary:
            return None
        session = self.session
        if session is None:
            session = self.session = _factory(app)()
            if self.token is not None and not _positions(app).replayed(
                session.connection(), self.token
            ):
                session.close()
                self.session, self.primary = None, True
                return None
        return session


def route_read(headers: Any) -> None:
    """Route this GET's transaction to the replica (when ``JSONAPI_READ_ENGINE`` is set),
    checking the consistency token it sends: 400 when the token is malformed."""
    context = _app_context.get(None)
    if context is None or context.app.config.get("JSONAPI_READ_ENGINE") is None:
        return
    token = headers.get(HEADER)
    if token is not None and not _TOKEN.fullmatch(token):
        raise exceptions.BadRequest(
            {"header": HEADER},
            f"The {HEADER} header must be the token a write's response carried "
            "(a position such as '0/16B3748').",
            title="Invalid consistency token",
        )
    setattr(context.g, _READ, _Read(token))


def read_session() -> orm.Session | None:
    """The replica's session for this request, or ``None``: use the primary's."""
    context = _app_context.get(None)
    if context is None:
        return None
    read = context.g.__dict__.get(_READ)
    return read.replica(context.app) if read is not None else None


def note_commit(bind: sa.Engine | sa.Connection) -> None:
    """A transaction on ``bind`` (the primary) committed: remember the primary's position
    for the response's consistency token (when routing is on and this is no GET)."""
    context = _app_context.get(None)
    if context is None or context.app.config.get("JSONAPI_READ_ENGINE") is None:
        return
    if _READ in context.g.__dict__:
        return  # a GET the primary answered: it wrote nothing to wait for
    positions = _positions(context.app)
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            token = positions.written(connection)
    else:
        token = positions.written(bind)
    if token is not None:
        if _WRITTEN not in context.g.__dict__ and _cv_request.get(None) is not None:
            flask.after_this_request(stamp_response)  # only the requests that committed
        setattr(context.g, _WRITTEN, token)


def stamp_response(response: flask.Response) -> flask.Response:
    """Give the response the consistency token of the request's commit, if any."""
    context = _app_context.get(None)
    token = context.g.__dict__.get(_WRITTEN) if context is not None else None
    if token is not None:
        response.headers[HEADER] = token
    return response


def end_request() -> None:
    """Close the replica's session of this request, if it opened one."""
    context = _app_context.get(None)
    read = context.g.__dict__.pop(_READ, None) if context is not None else None
    if read is not None and read.session is not None:
        read.session.close()


def _positions(app: flask.Flask) -> Positions:
    return app.config.get("JSONAPI_CONSISTENCY_CHECK") or _POSTGRES


def _factory(app: flask.Flask) -> Any:
    """The session factory of ``JSONAPI_READ_ENGINE``, made once per app and value."""
    value = app.config["JSONAPI_READ_ENGINE"]
    cached = app.extensions.get(_FACTORY)
    if cached is not None and cached[0] is value:
        return cached[1]
    with _lock:
        cached = app.extensions.get(_FACTORY)
        if cached is not None and cached[0] is value:
            return cached[1]
        if isinstance(value, (str, sa.URL)):
            factory: Any = orm.sessionmaker(bind=sa.create_engine(value, pool_pre_ping=True))
        elif isinstance(value, sa.Engine):
            factory = orm.sessionmaker(bind=value)
        elif callable(value):
            factory = value
        else:
            raise exceptions.ConfigurationError(
                "JSONAPI_READ_ENGINE must be an Engine, a database URL or a session factory."
            )
        app.extensions[_FACTORY] = (value, factory)
        return factory
