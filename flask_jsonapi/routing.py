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
in the transaction that then reads), otherwise by the primary. With
``JSONAPI_CONSISTENCY_COOKIE`` the token also travels in a cookie of that name, for
browsers: a write sets it, a GET without the header reads it (the header wins).

A replica that cannot be reached does not fail a GET: the primary answers it, and keeps
answering GETs for ``JSONAPI_READ_ENGINE_RETRY`` seconds before the replica is tried again
(one warning when the replica fails, one when it answers again). The state is the
request's (``flask.g``); the process keeps only the replica's engine (a connection pool)
and whether it answered last, so any worker or host can answer any request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import flask
import sqlalchemy as sa
from flask.globals import _cv_app as _app_context  # read directly: no proxy per call
from flask.globals import _cv_request
from sqlalchemy import orm

from . import exceptions
from .faults import database_faults

__all__ = [
    "HEADER",
    "Positions",
    "PostgresPositions",
    "end_request",
    "note_commit",
    "read_session",
    "route_read",
    "run_read",
    "stamp_response",
]

logger = logging.getLogger("flask_jsonapi")

T = TypeVar("T")

HEADER = "JSONAPI-Consistency"
COOKIE = "JSONAPI_CONSISTENCY_COOKIE"
# Seconds a token cookie lives (JSONAPI_CONSISTENCY_COOKIE_MAX_AGE): long enough for any
# sane replica lag; past it a browser reads whatever the replica has.
COOKIE_MAX_AGE = 60
# Seconds GETs stay on the primary after the replica failed (JSONAPI_READ_ENGINE_RETRY).
RETRY = 5.0
SAFE_METHODS = frozenset({"GET", "HEAD"})
# A PostgreSQL WAL position as text (pg_lsn): two hexadecimal 32-bit halves.
_TOKEN = re.compile(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")
_READ = "_jsonapi_read"  # flask.g: the _Read of a GET when routing is on
_WRITTEN = "_jsonapi_written"  # flask.g: the token of this request's last commit
_REPLICA = "flask_jsonapi.read_replica"  # app.extensions: the _Replica of the config value
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


class _Replica:
    """One ``JSONAPI_READ_ENGINE`` value in this process: its session factory, and whether
    the replica failed to answer its last connection (then GETs go to the primary until
    ``retry_at``)."""

    __slots__ = ("value", "factory", "down", "retry_at")

    def __init__(self, value: Any, factory: Any) -> None:
        self.value = value
        self.factory = factory
        self.down = False
        self.retry_at = 0.0

    def resting(self) -> bool:
        return self.down and time.monotonic() < self.retry_at

    def failed(self, error: BaseException, pause: float) -> None:
        with _lock:
            first, self.down = not self.down, True
            self.retry_at = time.monotonic() + pause
        if first:  # one warning per incident, not one per GET while it lasts
            logger.warning(
                "read replica unavailable, GETs go to the primary (tried again every %gs): %s",
                pause,
                error,
            )

    def answered(self) -> None:
        if not self.down:
            return
        with _lock:
            was, self.down = self.down, False
        if was:
            logger.warning("read replica answers again, GETs go to it")


class _Read:
    """A GET's routing: the replica's session once asked for, or the primary's (None)."""

    __slots__ = ("token", "session", "primary")

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.session: orm.Session | None = None
        self.primary = False

    def replica(self, app: flask.Flask, model: Any) -> orm.Session | None:
        if self.primary:
            return None
        session = self.session
        if session is not None:
            return session
        replica = _replica(app)
        if replica.resting():
            self.primary = True
            return None
        session = replica.factory()
        try:
            # Connecting now, not at the first statement: a replica that cannot answer is
            # found before anything was read from it, and the primary reads instead.
            connection = session.connection(
                bind_arguments=None if model is None else {"mapper": model}
            )
            caught_up = self.token is None or _positions(app).replayed(connection, self.token)
        except database_faults() as error:
            session.close()
            replica.failed(error, _retry(app))
            self.primary = True
            return None
        replica.answered()
        if not caught_up:
            session.close()
            self.primary = True
            return None
        self.session = session
        return session

    def broke(self, app: flask.Flask, error: BaseException) -> bool:
        """Whether ``error`` is the replica's connection lost during this read: then the
        read is the primary's from now on."""
        session = self.session
        if session is None or not getattr(error, "connection_invalidated", False):
            return False
        session.close()
        self.session, self.primary = None, True
        _replica(app).failed(error, _retry(app))
        return True


def route_read(headers: Any) -> None:
    """Route this GET's transaction to the replica (when ``JSONAPI_READ_ENGINE`` is set),
    checking the consistency token it sends: 400 when the header's token is malformed."""
    context = _app_context.get(None)
    if context is None or context.app.config.get("JSONAPI_READ_ENGINE") is None:
        return
    token = headers.get(HEADER)
    if token is None:
        token = _cookie_token(context.app)
    elif not _TOKEN.fullmatch(token):
        raise exceptions.BadRequest(
            {"header": HEADER},
            f"The {HEADER} header must be the token a write's response carried "
            "(a position such as '0/16B3748').",
            title="Invalid consistency token",
        )
    setattr(context.g, _READ, _Read(token))


def _cookie_token(app: flask.Flask) -> str | None:
    name = app.config.get(COOKIE)
    if not name:
        return None
    token = flask.request.cookies.get(name)
    # The cookie is the server's own: one that is no token (an old format, a tampered
    # value) is ignored rather than refused, since a browser cannot clear an HttpOnly cookie.
    return token if token is not None and _TOKEN.fullmatch(token) else None


def read_session(model: Any = None) -> orm.Session | None:
    """The replica's session for this request, or ``None``: use the primary's. ``model``
    (a mapped class) picks the bind of a session factory with several."""
    context = _app_context.get(None)
    if context is None:
        return None
    read = context.g.__dict__.get(_READ)
    return read.replica(context.app, model) if read is not None else None


def run_read(view: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``view(*args, **kwargs)``, called once more (on the primary) when the replica's
    connection was lost while it read."""
    try:
        return view(*args, **kwargs)
    except Exception as error:
        context = _app_context.get(None)
        read = context.g.__dict__.get(_READ) if context is not None else None
        if read is None or not read.broke(context.app, error):
            raise
    return view(*args, **kwargs)


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
    """Give the response the consistency token of the request's commit, if any: in the
    header, and in the ``JSONAPI_CONSISTENCY_COOKIE`` cookie (at the API's URL prefix)
    when that is set."""
    context = _app_context.get(None)
    token = context.g.__dict__.get(_WRITTEN) if context is not None else None
    if token is None:
        return response
    response.headers[HEADER] = token
    name = context.app.config.get(COOKIE)
    if name:
        response.set_cookie(
            name,
            token,
            max_age=context.app.config.get("JSONAPI_CONSISTENCY_COOKIE_MAX_AGE", COOKIE_MAX_AGE),
            path=_cookie_path(context.app),
            secure=flask.request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


def _cookie_path(app: flask.Flask) -> str:
    """The URL prefix of the API that answered this request (the longest that holds its
    path, below the app's script root): where a consistency cookie is sent back."""
    request = flask.request
    path = request.path
    apis = app.extensions.get("flask_jsonapi", [])
    prefixes = [prefix for api in apis for prefix in api.prefixes]
    held = [p for p in prefixes if p and (path == p or path.startswith(p + "/"))]
    return (request.root_path + max(held, key=len, default="")) or "/"


def end_request() -> None:
    """Close the replica's session of this request, if it opened one."""
    context = _app_context.get(None)
    read = context.g.__dict__.pop(_READ, None) if context is not None else None
    if read is not None and read.session is not None:
        read.session.close()


def _positions(app: flask.Flask) -> Positions:
    return app.config.get("JSONAPI_CONSISTENCY_CHECK") or _POSTGRES


def _retry(app: flask.Flask) -> float:
    return float(app.config.get("JSONAPI_READ_ENGINE_RETRY", RETRY))


def _replica(app: flask.Flask) -> _Replica:
    """The replica of ``JSONAPI_READ_ENGINE``, made once per app and value."""
    value = app.config["JSONAPI_READ_ENGINE"]
    cached = app.extensions.get(_REPLICA)
    if cached is not None and cached.value is value:
        return cached
    with _lock:
        cached = app.extensions.get(_REPLICA)
        if cached is not None and cached.value is value:
            return cached
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
        replica = app.extensions[_REPLICA] = _Replica(value, factory)
        return replica
