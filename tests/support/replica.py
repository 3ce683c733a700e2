"""A lagging replica stand-in for the read routing tests (``JSONAPI_READ_ENGINE``).

A second engine over a copy of the primary's tables that the test refreshes when it
chooses (on SQLite a second in-memory database filled by SQLite's backup API, on
PostgreSQL a second schema of the same database). Its position is what the last refresh
copied, kept in a table of the copy, so the check the library makes is one real statement
on the replica, as ``pg_last_wal_replay_lsn()`` is on a standby.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from examples.blog.models import Article, Base

_REPLICA_SCHEMA = "routing_replica"

_positions = sa.MetaData()
_replica_position = sa.Table("replica_position", _positions, sa.Column("position", sa.Integer))


class LaggingReplica:
    """A copy of the primary made only by :meth:`refresh`, and the positions that go with
    it (``JSONAPI_CONSISTENCY_CHECK``): each commit on the primary takes the next number,
    the replica has replayed the numbers taken before its last refresh."""

    def __init__(self, primary: sa.Engine) -> None:
        self.primary = primary
        self.commits = 0
        if primary.dialect.name == "sqlite":
            self.engine = sa.create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            self.engine = sa.create_engine(
                primary.url, execution_options={"schema_translate_map": {None: _REPLICA_SCHEMA}}
            )
        self.refresh()

    def refresh(self) -> None:
        """Copy the primary's tables as they are now: the replica catches up."""
        if self.primary.dialect.name == "sqlite":
            source = self.primary.raw_connection()
            target = self.engine.raw_connection()
            try:
                source.driver_connection.backup(target.driver_connection)
            finally:
                source.close()
                target.close()
        else:
            with self.primary.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_REPLICA_SCHEMA} CASCADE")
                connection.exec_driver_sql(f"CREATE SCHEMA {_REPLICA_SCHEMA}")
                for table in Base.metadata.sorted_tables:
                    connection.exec_driver_sql(
                        f"CREATE TABLE {_REPLICA_SCHEMA}.{table.name} AS TABLE {table.name}"
                    )
        _positions.create_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(_replica_position.delete())
            connection.execute(_replica_position.insert(), {"position": self.commits})

    def drop(self) -> None:
        if self.primary.dialect.name != "sqlite":
            with self.primary.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_REPLICA_SCHEMA} CASCADE")
        self.engine.dispose()

    # -- the positions (routing.Positions) -------------------------------------------

    def written(self, connection: sa.Connection) -> str:
        self.commits += 1
        return f"0/{self.commits:X}"

    def replayed(self, connection: sa.Connection, token: str) -> bool:
        replayed = connection.execute(sa.select(_replica_position.c.position)).scalar_one()
        return replayed >= int(token.split("/")[1], 16)


@contextmanager
def routed_to_lagging_replica(app: flask.Flask) -> Iterator[LaggingReplica]:
    """``app`` routed to a lagging replica of its engine (copied once, now), for the block."""
    lagging = LaggingReplica(app.extensions["blog"]["engine"])
    app.config["JSONAPI_READ_ENGINE"] = lagging.engine
    app.config["JSONAPI_CONSISTENCY_CHECK"] = lagging
    try:
        yield lagging
    finally:
        lagging.drop()


def store_articles(db_session: Any, *titles: str) -> list[int]:
    """Commit one article per title on the primary; their ids."""
    articles = [Article(title=title, body="text") for title in titles]
    db_session.add_all(articles)
    db_session.commit()
    ids = [article.id for article in articles]
    db_session.remove()
    return ids


def titles_of(response: Any) -> list[str]:
    """The sorted titles of a 200 collection response."""
    assert response.status_code == 200, response.document
    return sorted(item["attributes"]["title"] for item in response.document["data"])
