"""A GET that makes no ``Session`` while nothing needs one (``sessionless.py``): the same
status, headers, documents and statements as when the request's session exists; every
connection given back; listeners of the session's class, its sessionmaker or the scoped
session still run where they ran; a session made in the middle of the unit of work takes
over its reads; session classes and sessionmakers the library cannot see through keep
the session.

On a file (SQLite) or a server (PostgreSQL): the in-memory SQLite of the other tests
shares one connection, where the reads stay in the session.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import event, orm

from examples.blog.models import Article, Author, Base, Comment
from tests.support.sql_counter import count_statements

URLS = [
    "/articles/1",
    "/articles?page[size]=1",
    "/articles?include=author,comments",
    "/articles/1/relationships/comments",
    "/articles/1/comments",
    "/articles/99",
]


@pytest.fixture
def app(file_blog_app: flask.Flask) -> flask.Flask:
    """The blog demo on a database each checkout of whose pool is a connection of its own,
    with one author, two articles and a comment; ``made`` records, after each request,
    whether the scoped session held a ``Session`` (what the application's code sees)."""
    app = file_blog_app
    session = app.extensions["blog"]["session"]
    author = Author(name="Ada", email="ada@example.org")
    first = Article(title="A1", body="x", views=1, author=author)
    session.add_all([author, first, Article(title="A2", body="x", views=2, author=author)])
    session.add(Comment(body="c", article=first, author=author))
    session.commit()
    session.remove()
    made: list[bool] = []
    app.extensions["made"] = made

    @app.before_request
    def make_session() -> None:
        if app.config.get("MAKE_SESSION"):
            session()  # what an application's before_request reading the session does

    @app.after_request
    def record(response: flask.Response) -> flask.Response:
        made.append(session.registry.has())
        return response

    return app


def _scoped(app: flask.Flask) -> orm.scoped_session:
    return app.extensions["blog"]["session"]


def _engine(app: flask.Flask) -> sa.Engine:
    return app.extensions["blog"]["engine"]


def _repository(app: flask.Flask) -> Any:
    """The articles' repository, as the demo built it."""
    from examples.blog.api import ArticleRepository

    return ArticleRepository(session=_scoped(app))


def _answer(app: flask.Flask, url: str) -> tuple[Any, ...]:
    with count_statements(_engine(app)) as counter:
        response = app.test_client().get(url)
    assert _engine(app).pool.checkedout() == 0
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, headers, response.get_data(), counter.count


@pytest.mark.parametrize("url", URLS)
def test_get_without_a_session_answers_as_with_one_fet_1(app: flask.Flask, url: str) -> None:
    """FET-1, INC-5, REL-1: no Session made; status, headers (ETag), body and statement
    count as when the application made the session before the view (``before_request``)."""
    made = app.extensions["made"]
    sessionless = _answer(app, url)
    assert made == [False]

    app.config["MAKE_SESSION"] = True
    with_session = _answer(app, url)
    assert made == [False, True]
    assert sessionless == with_session
    assert sessionless[0] in (200, 404)


@pytest.mark.parametrize("target", ["sessionmaker", "scoped", "class"])
def test_transaction_listeners_added_later_still_run(app: flask.Flask, target: str) -> None:
    """A listener on ``after_begin`` added after a session-less GET, on the sessionmaker,
    the scoped session or the Session class, runs on the next GET as before (the GET then
    reads through its session)."""
    client = app.test_client()
    assert client.get("/articles/1").status_code == 200
    scoped = _scoped(app)
    listened_on = {
        "sessionmaker": scoped.session_factory,
        "scoped": scoped,
        "class": orm.Session,
    }[target]
    begun: list[Any] = []

    def after_begin(_session: orm.Session, _transaction: Any, connection: Any) -> None:
        begun.append(connection)

    event.listen(listened_on, "after_begin", after_begin)
    try:
        response = client.get("/articles/1")
    finally:
        event.remove(listened_on, "after_begin", after_begin)
    assert response.status_code == 200
    assert response.document["data"]["attributes"]["title"] == "A1"
    assert len(begun) == 1
    assert app.extensions["made"] == [False, True]
    assert client.get("/articles/1").status_code == 200  # removed again: no Session
    assert app.extensions["made"][-1] is False


def test_orm_execute_listener_on_the_sessionmaker_sees_the_reads(app: flask.Flask) -> None:
    """FET-1: a ``do_orm_execute`` listener (one that may rewrite statements) on the
    sessionmaker sees the GET's read, through the session."""
    factory = _scoped(app).session_factory
    seen: list[Any] = []

    def on_execute(state: orm.ORMExecuteState) -> None:
        seen.append(state.statement)

    event.listen(factory, "do_orm_execute", on_execute)
    try:
        response = app.test_client().get("/articles/2")
    finally:
        event.remove(factory, "do_orm_execute", on_execute)
    assert response.document["data"]["attributes"]["title"] == "A2"
    assert seen
    assert app.extensions["made"] == [True]


def test_a_session_made_during_the_unit_of_work_takes_over_its_reads(
    app: flask.Flask,
) -> None:
    """The application's code makes the session and begins its transaction between two
    reads of the unit of work: the next read runs in that transaction, the first read's
    connection is given back, and the transaction is committed at the end as before."""
    repository = _repository(app)
    scoped = _scoped(app)
    with app.test_request_context("/articles/1"):
        with repository.begin_transaction():
            first = repository.connection()
            assert not scoped.registry.has()
            assert _engine(app).pool.checkedout() == 1
            scoped.execute(sa.select(Article.id).limit(1))  # the application's ORM read
            second = repository.connection()
            assert second is not first
            assert second is scoped.connection()
            assert _engine(app).pool.checkedout() == 1  # the first one given back
        assert not scoped().in_transaction()
        scoped.remove()
    assert _engine(app).pool.checkedout() == 0


def test_a_failed_unit_of_work_gives_its_connection_back(app: flask.Flask) -> None:
    """An error after a session-less read closes the read's connection (nothing begun)."""
    repository = _repository(app)
    with app.test_request_context("/articles/1"):
        with pytest.raises(RuntimeError), repository.begin_transaction():
            repository.connection()
            raise RuntimeError
        assert not _scoped(app).registry.has()
    assert _engine(app).pool.checkedout() == 0


class _RoutingSession(orm.Session):
    """A session class of the application's that picks binds itself."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_bind(*args, **kwargs)


@pytest.mark.parametrize("change", ["get_bind", "binds"])
def test_sessions_the_library_cannot_see_through_are_made(app: flask.Flask, change: str) -> None:
    """FET-1: a session class overriding ``get_bind``, or a sessionmaker with ``binds``,
    keeps the session (same document)."""
    factory = _scoped(app).session_factory
    if change == "get_bind":
        factory.class_ = _RoutingSession
    else:
        factory.configure(binds={Base: _engine(app)})
    response = app.test_client().get("/articles/1")
    assert response.document["data"]["attributes"]["title"] == "A1"
    assert app.extensions["made"] == [True]
    assert _engine(app).pool.checkedout() == 0
