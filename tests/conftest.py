"""Shared fixtures.

Database-backed tests run once per URL of :func:`tests.support.database.database_urls`:
in-memory SQLite always, PostgreSQL too when ``JSONAPI_TEST_DATABASE_URL`` is set
(e.g. ``postgresql+psycopg://user:pass@localhost/jsonapi_test``; the database is wiped).

* ``blog_app``: the example blog application (``examples.blog.api.create_app``) on empty
  tables, with ``JsonApiClient`` as its test client class; ``file_blog_app`` the same on
  a database whose connections are each its own (SQLite: a file).
* ``client``: ``blog_app.test_client()`` -- validates every JSON:API response.
* ``db_session``: the app's ``scoped_session``, to arrange rows and check database state.
* ``sql_counter``: ``sql_counter()`` returns ``count_statements(<app engine>)``::

      with sql_counter() as counter:
          client.get("/articles")
      assert counter.count == 1, counter
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import flask
import pytest
from hypothesis import settings

from tests.support.client import JsonApiClient
from tests.support.database import database_id, database_urls, reset_database
from tests.support.sql_counter import StatementCounter, count_statements

# ``pytester`` runs the example tests of docs/testing.md against the library's pytest plugin.
pytest_plugins = ["pytester"]

_DATABASE_URLS = database_urls()
# The backends a test of this session actually used, for the terminal summary.
_DATABASES_USED: set[str] = set()

# `make fuzz`: the property tests with many more examples (pytest --hypothesis-profile=fuzz).
settings.register_profile("fuzz", max_examples=500, deadline=None)


@pytest.fixture(scope="module", params=_DATABASE_URLS, ids=[database_id(u) for u in _DATABASE_URLS])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database URL to test against (``sqlite://``, and PostgreSQL if configured)."""
    _DATABASES_USED.add(database_id(request.param))
    return request.param


@pytest.fixture
def blog_app(database_url: str) -> Iterator[flask.Flask]:
    """The blog example app on a clean database (all tables dropped and recreated)."""
    with _blog_app(database_url) as app:
        yield app


@pytest.fixture
def file_blog_app(database_url: str, tmp_path: Path) -> Iterator[flask.Flask]:
    """``blog_app`` on a database each checkout of whose pool is a connection of its own:
    on SQLite a file, not the in-memory database that every checkout shares."""
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'blog.db'}"
    with _blog_app(database_url) as app:
        yield app


@contextmanager
def _blog_app(database_url: str) -> Iterator[flask.Flask]:
    from examples.blog.api import create_app
    from examples.blog.models import Base

    app = create_app(database_url, seed_data=False)
    app.testing = True
    app.test_client_class = JsonApiClient
    blog = app.extensions["blog"]
    engine = blog["engine"]
    session = blog["session"]
    # Release any connection the app used during start-up before dropping tables (on
    # PostgreSQL an open transaction would block DROP TABLE).
    session.remove()
    reset_database(engine, Base.metadata)
    try:
        yield app
    finally:
        session.remove()
        engine.dispose()


@pytest.fixture
def client(blog_app: flask.Flask) -> JsonApiClient:
    return blog_app.test_client()


@pytest.fixture
def db_session(blog_app: flask.Flask):
    """The app's ``scoped_session`` (``blog_app.extensions['blog']['session']``)."""
    return blog_app.extensions["blog"]["session"]


@pytest.fixture
def sql_counter(
    blog_app: flask.Flask,
) -> Callable[[], AbstractContextManager[StatementCounter]]:
    """A factory: ``with sql_counter() as counter: ...`` counts the app engine's statements."""
    engine = blog_app.extensions["blog"]["engine"]

    def factory() -> AbstractContextManager[StatementCounter]:
        return count_statements(engine)

    return factory


@pytest.fixture
def article_id(db_session) -> int:
    """The id of one stored article (title "Stored", body "text", 3 views)."""
    from examples.blog.models import Article

    article = Article(title="Stored", body="text", views=3)
    db_session.add(article)
    db_session.commit()
    article_id = article.id
    db_session.remove()
    return article_id


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the marshmallow the suite ran on (``make test`` runs it on 4 and on 3) and the
    databases."""
    from tests.support.marshmallow_versions import schema_stack

    terminalreporter.write_line(f"schemas: {schema_stack()}")
    # Which databases the database-backed tests ran on (PostgreSQL only when configured).
    used = [name for name in map(database_id, _DATABASE_URLS) if name in _DATABASES_USED]
    terminalreporter.write_line(f"databases: {', '.join(used) or 'none'}")
