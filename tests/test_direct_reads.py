"""A GET's row reads on a connection of their own (``direct_reads.py``): the same
documents and statements as through the session, every connection given back, the
session's transaction events still seen by an application that listens to them, and
PostgreSQL's autocommit only where it changes nothing (``JSONAPI_READ_AUTOCOMMIT``).

On a file (SQLite) or a server (PostgreSQL): the in-memory SQLite of the other tests
shares one connection, where the reads stay in the session.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import event, orm

from examples.blog.models import Article, Author
from tests.support.sql_counter import count_statements


@pytest.fixture
def app(file_blog_app: flask.Flask) -> flask.Flask:
    """The blog demo on a database each checkout of whose pool is a connection of its own,
    with one author and two articles."""
    session = file_blog_app.extensions["blog"]["session"]
    author = Author(name="Ada", email="ada@example.org")
    session.add_all(
        [author, *(Article(title=f"A{i}", body="x", views=i, author=author) for i in (1, 2))]
    )
    session.commit()
    session.remove()
    return file_blog_app


def _engine(app: flask.Flask) -> sa.Engine:
    return app.extensions["blog"]["engine"]


def _autocommit_of_selects(app: flask.Flask) -> Any:
    """A context manager collecting, per SELECT, whether its connection was in autocommit."""
    seen: list[bool] = []

    def before(conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            # psycopg's autocommit: no BEGIN before the statement, no ROLLBACK after.
            seen.append(bool(conn.connection.dbapi_connection.autocommit))

    class Watch:
        def __enter__(self) -> list[bool]:
            event.listen(_engine(app), "before_cursor_execute", before)
            return seen

        def __exit__(self, *_: Any) -> None:
            event.remove(_engine(app), "before_cursor_execute", before)

    return Watch()


@pytest.mark.parametrize(
    ("url", "statements"),
    [("/articles/1", 1), ("/articles?page[size]=1", 2), ("/articles?include=author", 3)],
)
def test_get_answers_as_through_the_session_and_gives_connections_back(
    app: flask.Flask, url: str, statements: int
) -> None:
    """FET-1, INC-5: the documents, the statement counts, and no connection left out."""
    client = app.test_client()
    with count_statements(_engine(app)) as counter:
        response = client.get(url)
    assert response.status_code == 200
    assert counter.count == statements, counter
    assert _engine(app).pool.checkedout() == 0
    if url == "/articles/1":
        assert response.document["data"]["attributes"]["title"] == "A1"
    else:
        assert response.document["data"][0]["id"] == "1"


def test_a_write_is_read_back_by_the_next_get(app: flask.Flask) -> None:
    """UPD-1: a PATCH then a GET (the GET's own connection sees the committed write)."""
    client = app.test_client()
    patch = {"data": {"type": "articles", "id": "2", "attributes": {"title": "New"}}}
    assert client.patch("/articles/2", json=patch).status_code == 200
    response = client.get("/articles/2")
    assert response.document["data"]["attributes"]["title"] == "New"
    assert _engine(app).pool.checkedout() == 0


def test_session_transaction_listeners_still_run(app: flask.Flask) -> None:
    """An application that sets per-transaction state in ``after_begin`` (say, a
    row-level-security variable) sees every GET begin a transaction of its session."""
    session = app.extensions["blog"]["session"]
    begun: list[Any] = []

    def after_begin(_session: orm.Session, _transaction: Any, connection: Any) -> None:
        begun.append(connection)

    event.listen(orm.Session, "after_begin", after_begin)
    try:
        response = app.test_client().get("/articles/1")
    finally:
        event.remove(orm.Session, "after_begin", after_begin)
    assert response.status_code == 200
    assert len(begun) == 1
    assert session.registry.has() is False  # removed at teardown as before


def test_postgresql_reads_in_autocommit_by_default(app: flask.Flask) -> None:
    """On PostgreSQL under READ COMMITTED a GET's SELECTs run without BEGIN/ROLLBACK;
    ``JSONAPI_READ_AUTOCOMMIT = False`` or a statement timeout (``SET LOCAL``) keeps them
    in a transaction."""
    if _engine(app).dialect.name != "postgresql":
        pytest.skip("autocommit reads are PostgreSQL's")
    client = app.test_client()
    with _autocommit_of_selects(app) as seen:
        assert client.get("/articles?page[size]=1").status_code == 200
    assert seen == [True, True]

    app.config["JSONAPI_READ_AUTOCOMMIT"] = False
    with _autocommit_of_selects(app) as seen:
        assert client.get("/articles?page[size]=1").status_code == 200
    assert seen == [False, False]

    app.config["JSONAPI_READ_AUTOCOMMIT"] = True
    app.config["JSONAPI_STATEMENT_TIMEOUT"] = 5000
    with _autocommit_of_selects(app) as seen:
        assert client.get("/articles?page[size]=1").status_code == 200
    assert seen == [False, False]
    # The connections go back to the pool in their default mode.
    with _engine(app).connect() as connection:
        assert connection.connection.dbapi_connection.autocommit is False


def test_postgresql_other_isolation_levels_keep_one_transaction(
    database_url: str,
) -> None:
    """Under REPEATABLE READ a page and its count come from one snapshot: no autocommit."""
    if not database_url.startswith("postgresql"):
        pytest.skip("isolation levels are PostgreSQL's here")
    from examples.blog.api import create_app

    app = create_app(database_url, seed_data=False)
    engine = app.extensions["blog"]["engine"]
    app.extensions["blog"]["engine"] = engine.execution_options(isolation_level="REPEATABLE READ")
    session = app.extensions["blog"]["session"]
    session.configure(bind=app.extensions["blog"]["engine"])
    session.remove()
    try:
        with _autocommit_of_selects(app) as seen:
            response = app.test_client().get("/articles?page[size]=1")
        assert response.status_code == 200
        assert seen and not any(seen)
    finally:
        session.remove()
        engine.dispose()
