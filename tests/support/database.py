"""Database helpers for tests that run against SQLite and, optionally, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, event, inspect
from sqlalchemy.engine import Engine, make_url

DATABASE_URL_ENV = "JSONAPI_TEST_DATABASE_URL"
# (database URL, metadata) whose tables this process created: only those may be emptied
# instead of recreated (tables left by an earlier run may have other columns).
_CREATED: set[tuple[str, int]] = set()


def database_urls() -> list[str]:
    """``['sqlite://']`` plus ``$JSONAPI_TEST_DATABASE_URL`` when it is set (non-empty)."""
    urls = ["sqlite://"]
    extra = os.environ.get(DATABASE_URL_ENV, "").strip()
    if extra and extra not in urls:
        urls.append(extra)
    return urls


def database_id(url: str) -> str:
    """A short test id for ``url``: its backend name (``sqlite``, ``postgresql``, ...)."""
    return make_url(url).get_backend_name()


def reset_database(engine: Engine, metadata: MetaData) -> None:
    """Drop and recreate all tables of ``metadata`` so that they exist and are empty.

    On PostgreSQL, leftovers from earlier runs are dropped first: every table of the
    current schema is dropped with ``DROP TABLE ... CASCADE``, so tables that are no
    longer in ``metadata`` (or views) referencing ours cannot block the drop. Then
    ``metadata.drop_all`` (which also drops the named types, e.g. ENUMs, that belong to
    ``metadata``, and tables in explicit schemas) and ``metadata.create_all``. Everything
    runs in one transaction.

    When the database already holds exactly the tables of ``metadata``, created by this
    process, they are emptied with ``DELETE`` and their sequences restarted instead.

    On other databases: ``metadata.drop_all`` then ``metadata.create_all``.

    No other connection may hold locks on these tables: remove sessions first.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            preparer = connection.dialect.identifier_preparer
            existing = set(inspect(connection).get_table_names())
            wanted = {table.name for table in metadata.sorted_tables if table.schema is None}
            fresh = (str(engine.url), id(metadata)) in _CREATED
            if fresh and existing == wanted and wanted:
                # Same tables as last time: emptying them is much faster than DDL (and than
                # TRUNCATE, which rewrites files); sequences restart so ids begin at 1.
                for table in reversed(metadata.sorted_tables):
                    connection.execute(table.delete())
                connection.exec_driver_sql(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
                return
            for name in existing:
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS {preparer.quote(name)} CASCADE")
        metadata.drop_all(bind=connection)
        metadata.create_all(bind=connection)
    _CREATED.add((str(engine.url), id(metadata)))


@contextmanager
def replaced_during(engine: Engine, statement: str, delete: str, insert: str) -> Iterator[None]:
    """Another writer, simulated in the same transaction so that it is deterministic: the
    SQL ``delete`` runs just before each statement starting with ``statement`` and
    ``insert`` (the row stored again) just after it."""

    def before(conn: Any, cursor: Any, sent: str, *args: Any) -> None:
        if sent.startswith(statement):
            cursor.execute(delete)

    def after(conn: Any, cursor: Any, sent: str, *args: Any) -> None:
        if sent.startswith(statement):
            other = conn.connection.dbapi_connection.cursor()
            other.execute(insert)
            other.close()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
