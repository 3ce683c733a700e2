"""Database faults (docs/limits.md): a database that cannot answer now is 503 with a JSON:API
error document and ``Retry-After``, never 500, and the next requests recover by themselves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from examples.blog.models import Article, Tag
from tests.support.atomic import atomic
from tests.support.blog_rows import add_rows, count_rows, make_article, make_tag
from tests.support.error_checks import only_error, snapshot


def _assert_unavailable(response) -> None:
    error = only_error(response, 503)
    assert error["title"] == "Service unavailable"
    assert error["detail"] == "The database cannot answer now; try again shortly."
    assert response.headers["Retry-After"] == "1"


def _article() -> dict:
    return {"data": {"type": "articles", "attributes": {"title": "After"}}}


@contextmanager
def _bound_to(db_session, engine: sa.Engine) -> Iterator[None]:
    """The app's session bound to ``engine`` for the block."""
    original = db_session.session_factory.kw["bind"]
    db_session.remove()
    db_session.configure(bind=engine)
    try:
        yield
    finally:
        db_session.remove()
        db_session.configure(bind=original)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2",
        "sqlite:////nonexistent-directory/for/jsonapi/blog.db",
    ],
    ids=["closed-port", "unopenable-file"],
)
def test_an_unavailable_database_is_503_then_requests_recover(
    client, db_session, url, blog_app
) -> None:
    add_rows(db_session, make_article(1))
    unreachable = sa.create_engine(url)
    with _bound_to(db_session, unreachable):
        _assert_unavailable(client.get("/articles"))
        _assert_unavailable(client.get("/articles/1"))
        _assert_unavailable(client.get("/articles/1/relationships/tags"))
        _assert_unavailable(client.get("/articles/1/tags"))
        _assert_unavailable(
            client.post(
                "/articles/1/relationships/tags", json={"data": [{"type": "tags", "id": "1"}]}
            )
        )
        _assert_unavailable(client.post("/articles", json=_article()))
        _assert_unavailable(client.delete("/articles/1"))
        response = atomic(client, {"op": "remove", "ref": {"type": "articles", "id": "1"}})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
    unreachable.dispose()
    response = client.get("/articles")
    assert response.status_code == 200
    assert [a["id"] for a in response.document["data"]] == ["1"]


def test_retry_after_is_a_config_key(client, db_session, blog_app) -> None:
    blog_app.config["JSONAPI_RETRY_AFTER"] = 30
    unreachable = sa.create_engine("sqlite:////nonexistent-directory/for/jsonapi/blog.db")
    with _bound_to(db_session, unreachable):
        response = client.get("/articles")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


# -- PostgreSQL: connections killed between requests, statements timed out ---------------


@pytest.fixture
def postgresql(db_session) -> sa.Engine:
    """A separate engine on the test database, to kill the app's connections from outside."""
    engine = db_session.get_bind()
    db_session.remove()
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (JSONAPI_TEST_DATABASE_URL)")
    killer = sa.create_engine(engine.url, poolclass=NullPool)
    yield killer
    killer.dispose()


def _kill_app_connections(app_engine: sa.Engine, killer: sa.Engine) -> int:
    """Terminate the server process of every connection in the app's pool."""
    pids = []
    checked_out = [app_engine.raw_connection() for _ in range(app_engine.pool.checkedin())]
    for connection in checked_out:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
        cursor.close()
        connection.rollback()
    for connection in checked_out:
        connection.close()
    with killer.connect() as sql:
        for pid in pids:
            assert sql.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    return len(pids)


def test_killed_connections_without_pre_ping_are_503_once_then_recover(
    client, db_session, postgresql, blog_app
) -> None:
    """Without pool_pre_ping a dead pooled connection fails the request that uses it: 503,
    nothing written; SQLAlchemy drops the dead pool, and the next request succeeds."""
    add_rows(db_session, make_article(1))
    engine = blog_app.extensions["blog"]["engine"]
    engine.pool._pre_ping = False  # the demo pre-pings; this is an engine that does not
    assert client.get("/articles").status_code == 200
    assert _kill_app_connections(engine, postgresql) >= 1
    _assert_unavailable(client.post("/articles", json=_article()))
    assert count_rows(db_session, Article) == 1
    assert _kill_app_connections(engine, postgresql) >= 1
    _assert_unavailable(client.get("/articles"))
    response = client.post("/articles", json=_article())
    assert response.status_code == 201, response.document
    assert count_rows(db_session, Article) == 2


def test_the_demo_pre_pings_so_killed_connections_cost_no_request(
    client, db_session, postgresql, blog_app
) -> None:
    add_rows(db_session, make_article(1))
    engine = blog_app.extensions["blog"]["engine"]
    assert client.get("/articles").status_code == 200
    for _ in range(3):
        assert _kill_app_connections(engine, postgresql) >= 1
        assert client.get("/articles").status_code == 200
        response = client.post("/articles", json=_article())
        assert response.status_code == 201, response.document


def _slow_articles(blog_app, seconds: float) -> None:
    """Make every read of articles sleep on the server (a runaway statement)."""
    api = blog_app.extensions["flask_jsonapi"][0]
    repository = api.registry.get("articles").repository
    repository.get_query = lambda: sa.select(Article).where(
        sa.text(f"(SELECT 1 FROM pg_sleep({seconds})) = 1")
    )


def test_statement_timeout_turns_a_runaway_query_into_503(
    client, db_session, postgresql, blog_app
) -> None:
    add_rows(db_session, make_article(1), make_tag(1))
    blog_app.config["JSONAPI_STATEMENT_TIMEOUT"] = 200
    _slow_articles(blog_app, 5)
    started = time.monotonic()
    _assert_unavailable(client.get("/articles"))
    assert time.monotonic() - started < 3
    # The worker is free and the connection usable: other types answer at once.
    response = client.get("/tags")
    assert response.status_code == 200
    assert [t["id"] for t in response.document["data"]] == ["1"]
    # Writes still commit under the timeout.
    before = snapshot(db_session)
    response = client.patch("/tags/1", json={"data": {"type": "tags", "id": "1"}})
    assert response.status_code == 200
    assert snapshot(db_session) == before
    response = client.post("/tags", json={"data": {"type": "tags", "attributes": {"name": "n"}}})
    assert response.status_code == 201
    assert count_rows(db_session, Tag) == 2


def test_the_timeout_is_set_only_when_configured_and_only_on_postgresql(
    client, db_session, blog_app, sql_counter
) -> None:
    add_rows(db_session, make_article(1))
    with sql_counter() as counter:
        assert client.get("/articles/1").status_code == 200
    assert not any("statement_timeout" in s for s in counter.statements), counter
    blog_app.config["JSONAPI_STATEMENT_TIMEOUT"] = 1500
    with sql_counter() as counter:
        assert client.get("/articles/1").status_code == 200
    expected = ["SET LOCAL statement_timeout = 1500"]
    if db_session.get_bind().dialect.name != "postgresql":
        expected = []
    db_session.remove()
    assert [s for s in counter.statements if "statement_timeout" in s] == expected, counter


def test_a_fault_in_an_api_decorator_is_503_too(blog_app, db_session) -> None:
    """An Api-wide decorator (authentication, say) that reads the database outside the view
    gets the same 503 when the database cannot answer."""
    import flask

    from examples.blog import api as blog_api
    from flask_jsonapi import Api
    from tests.support.client import JsonApiClient

    unreachable = sa.create_engine("sqlite:////nonexistent-directory/for/jsonapi/blog.db")

    def authenticate(view):
        def wrapper(*args, **kwargs):
            with unreachable.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return view(*args, **kwargs)

        return wrapper

    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    api = Api(app, decorators=[authenticate])
    session = blog_app.extensions["blog"]["session"]
    api.repository(
        blog_api.TagViewSet(repository=blog_api.TagRepository(session=session)), "tags", "/tags"
    )
    _assert_unavailable(app.test_client().get("/tags"))
    unreachable.dispose()
