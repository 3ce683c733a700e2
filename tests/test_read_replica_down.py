"""A replica that cannot answer (``JSONAPI_READ_ENGINE``): its GETs are the primary's, with
one warning per incident and no 503; the replica is tried again after
``JSONAPI_READ_ENGINE_RETRY`` seconds and takes the GETs back once it answers. A primary
that cannot answer is still a 503 with ``Retry-After`` (docs/deployment.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.replica import routed_to_lagging_replica, store_articles, titles_of
from tests.support.sql_counter import count_statements

UNREACHABLE = [
    "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2",
    "sqlite:////nonexistent-directory/for/jsonapi/replica.db",
]
_IDS = ["closed-port", "unopenable-file"]
_DOWN = "read replica unavailable"
_BACK = "read replica answers again"


def _messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(text)]


@contextmanager
def _attempts(engine: sa.Engine) -> Iterator[list[int]]:
    """The connection attempts made on ``engine`` in the block, as a growing list."""
    attempts: list[int] = []

    def attempt(*args: Any) -> None:
        attempts.append(1)

    sa.event.listen(engine, "do_connect", attempt)
    try:
        yield attempts
    finally:
        sa.event.remove(engine, "do_connect", attempt)


@pytest.mark.parametrize("url", UNREACHABLE, ids=_IDS)
def test_gets_fall_back_to_the_primary_with_one_warning(
    blog_app: flask.Flask,
    client: JsonApiClient,
    db_session: Any,
    caplog: pytest.LogCaptureFixture,
    url: str,
) -> None:
    """Every kind of GET is answered by the primary, right and whole; the warning is
    logged once, and within the pause the replica is not even tried."""
    (id_,) = store_articles(db_session, "stored")
    replica = sa.create_engine(url)
    blog_app.config["JSONAPI_READ_ENGINE"] = replica
    caplog.set_level(logging.WARNING, logger="flask_jsonapi")
    try:
        with _attempts(replica) as attempts:
            assert titles_of(client.get("/articles")) == ["stored"]
            one = client.get(f"/articles/{id_}?include=author")
            assert one.status_code == 200
            assert one.document["data"]["attributes"]["title"] == "stored"
            assert client.get(f"/articles/{id_}/comments").document["data"] == []
            assert client.get(f"/articles/{id_}/relationships/tags").document["data"] == []
            assert client.head("/articles").status_code == 200
        assert len(attempts) == 1  # the first GET; the others were within the pause
        assert len(_messages(caplog, _DOWN)) == 1
        assert "503" not in caplog.text
    finally:
        replica.dispose()


def test_the_replica_is_tried_again_and_takes_the_gets_back(
    blog_app: flask.Flask,
    client: JsonApiClient,
    db_session: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With no pause every GET tries the replica; failures after the first log nothing
    more (one incident); when the replica answers again the GETs are its own, with one
    message saying so."""
    broken = sa.create_engine(UNREACHABLE[1])
    blog_app.config["JSONAPI_READ_ENGINE_RETRY"] = 0
    caplog.set_level(logging.WARNING, logger="flask_jsonapi")
    with routed_to_lagging_replica(blog_app) as lagging:  # copied empty
        store_articles(db_session, "stored")
        healthy = orm.sessionmaker(bind=lagging.engine)
        bind = {"engine": broken}

        def sessions() -> orm.Session:
            return orm.Session(bind=bind["engine"]) if bind["engine"] is broken else healthy()

        blog_app.config["JSONAPI_READ_ENGINE"] = sessions
        with _attempts(broken) as attempts:
            for _ in range(3):
                assert titles_of(client.get("/articles")) == ["stored"]  # the primary's
        assert len(attempts) == 3
        assert len(_messages(caplog, _DOWN)) == 1

        bind["engine"] = lagging.engine
        with count_statements(lagging.primary) as primary:
            assert titles_of(client.get("/articles")) == []  # the (empty) replica's
            assert titles_of(client.get("/articles")) == []
        assert primary.count == 0, primary
        assert len(_messages(caplog, _BACK)) == 1
        assert len(_messages(caplog, _DOWN)) == 1
    broken.dispose()


def test_a_token_read_falls_back_too(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any
) -> None:
    """A GET with a consistency token whose replica cannot be asked reads the primary,
    which has the write."""
    with routed_to_lagging_replica(blog_app):
        created = client.post(
            "/articles",
            json={"data": {"type": "articles", "attributes": {"title": "mine", "body": "b"}}},
        )
        token = created.headers["JSONAPI-Consistency"]
        broken = sa.create_engine(UNREACHABLE[1])
        blog_app.config["JSONAPI_READ_ENGINE"] = broken
        response = client.get("/articles", headers={"JSONAPI-Consistency": token})
        assert titles_of(response) == ["mine"]
        broken.dispose()


@pytest.mark.parametrize("url", UNREACHABLE, ids=_IDS)
def test_a_failing_primary_is_still_503_with_retry_after(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any, url: str
) -> None:
    """Replica and primary both unreachable: the GET falls back, and the primary's
    failure is the 503 it is without routing."""
    store_articles(db_session, "stored")
    replica = sa.create_engine(url)
    primary = sa.create_engine(url)
    blog_app.config["JSONAPI_READ_ENGINE"] = replica
    original = db_session.session_factory.kw["bind"]
    db_session.remove()
    db_session.configure(bind=primary)
    try:
        response = client.get("/articles")
        error = only_error(response, 503)
        assert error["title"] == "Service unavailable"
        assert response.headers["Retry-After"] == "1"
    finally:
        db_session.remove()
        db_session.configure(bind=original)
        replica.dispose()
        primary.dispose()
    assert titles_of(client.get("/articles")) == ["stored"]  # the primary is back


def test_a_replica_statement_timeout_is_not_retried_on_the_primary(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any
) -> None:
    """A statement the replica cancels (PostgreSQL's statement_timeout) is no replica
    outage: 503, and the primary never runs it."""
    engine = blog_app.extensions["blog"]["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    with routed_to_lagging_replica(blog_app) as lagging:

        @sa.event.listens_for(lagging.engine, "before_cursor_execute", retval=True)
        def slow(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> Any:
            if statement.lstrip().upper().startswith("SELECT") and "articles" in statement:
                statement = statement.replace("FROM", "FROM pg_sleep(1), ", 1)
            return statement, parameters

        blog_app.config["JSONAPI_STATEMENT_TIMEOUT"] = 50
        with count_statements(lagging.primary) as primary:
            response = client.get("/articles")
        assert response.status_code == 503, response.document
        assert primary.count == 0, primary


def test_a_connection_the_replica_closed_mid_get_is_read_again_on_the_primary(
    blog_app: flask.Flask,
    client: JsonApiClient,
    db_session: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The replica's pooled connection was terminated (a restart; its engine does no
    pre-ping): the GET's first statement fails, and the GET is run again on the primary."""
    engine = blog_app.extensions["blog"]["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("terminating a backend is PostgreSQL's")
    caplog.set_level(logging.WARNING, logger="flask_jsonapi")
    with routed_to_lagging_replica(blog_app) as lagging:  # copied empty
        store_articles(db_session, "stored")
        assert titles_of(client.get("/articles")) == []  # pools one replica connection
        with lagging.engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        assert titles_of(client.get("/articles")) == ["stored"]  # the primary's
        assert len(_messages(caplog, _DOWN)) == 1
