"""Prove that the SQL statement counter and the database helpers work.

These use their own small metadata (not the blog example) and run against every URL of
``database_urls()``, i.e. PostgreSQL too when ``JSONAPI_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    inspect,
    select,
    text,
)

from tests.support.database import DATABASE_URL_ENV, database_id, database_urls, reset_database
from tests.support.sql_counter import count_statements

metadata = MetaData()
authors = Table(
    "harness_authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
)
books = Table(
    "harness_books",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author_id", ForeignKey("harness_authors.id"), nullable=False),
)


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _row_count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_database_urls(monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert database_urls() == ["sqlite://"]
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg://u:p@localhost/db")
    assert database_urls() == ["sqlite://", "postgresql+psycopg://u:p@localhost/db"]
    assert [database_id(url) for url in database_urls()] == ["sqlite", "postgresql"]


def test_reset_database_empties_and_recreates(engine):
    reset_database(engine, metadata)
    with engine.begin() as connection:
        connection.execute(authors.insert(), [{"id": 1, "name": "a"}])
        connection.execute(books.insert(), [{"id": 1, "author_id": 1}])
    assert _row_count(engine, books) == 1

    reset_database(engine, metadata)
    assert _row_count(engine, authors) == 0
    assert _row_count(engine, books) == 0


def test_reset_database_survives_leftovers(engine):
    reset_database(engine, metadata)
    with engine.begin() as connection:
        connection.execute(authors.insert(), [{"id": 1, "name": "a"}])
        # A table from an "older schema" that references one of ours.
        connection.execute(
            text(
                "CREATE TABLE harness_leftover (id INTEGER PRIMARY KEY, "
                "author_id INTEGER REFERENCES harness_authors (id))"
            )
        )
        connection.execute(text("INSERT INTO harness_leftover VALUES (1, 1)"))
        # And one of our tables missing.
        books.drop(connection)

    reset_database(engine, metadata)
    names = set(inspect(engine).get_table_names())
    assert {"harness_authors", "harness_books"} <= names
    assert _row_count(engine, authors) == 0
    if engine.dialect.name == "postgresql":
        assert "harness_leftover" not in names
    else:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE harness_leftover"))


def test_count_statements(engine):
    reset_database(engine, metadata)
    with count_statements(engine) as counter:
        with engine.begin() as connection:
            connection.execute(authors.insert(), [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
            connection.execute(select(authors)).all()
            with connection.begin_nested():
                connection.execute(select(books)).all()
    statements = [sql.split()[0].upper() for sql in counter.statements]
    # executemany counts once; SAVEPOINT and RELEASE SAVEPOINT are counted too.
    assert statements == ["INSERT", "SELECT", "SAVEPOINT", "SELECT", "RELEASE"]
    assert counter.count == 5
    assert len(counter.parameters) == 5
    assert "5 statement(s)" in str(counter)

    # The listener is gone after the block.
    with engine.connect() as connection:
        connection.execute(select(authors)).all()
    assert counter.count == 5

    counter.reset()
    assert counter.count == 0


def test_count_statements_removes_listener_on_error(engine):
    with pytest.raises(RuntimeError):
        with count_statements(engine) as counter:
            raise RuntimeError
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert counter.count == 0
