"""An app serving a few test models through the library's stock repository and view set,
over fresh tables of their own."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import flask
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.pool import StaticPool

from flask_jsonapi import Api
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from tests.support.client import JsonApiClient
from tests.support.database import reset_database


def model_app(
    session: Any,
    resources: Iterable[tuple[type, type, str]],
    configure: Callable[[ResourceRepositoryViewSet, type], None] | None = None,
) -> flask.Flask:
    """A Flask app (tested with ``JsonApiClient``) serving each ``(schema, model, type)`` at
    ``/<type>`` over ``session``; ``configure(viewset, model)`` adjusts a view set first."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    for schema, model, name in resources:
        repository = type(f"{model.__name__}Repository", (SqlAlchemyModelRepository,), {})
        viewset = ResourceRepositoryViewSet(
            schema=schema, repository=repository(model=model, session=session)
        )
        if configure is not None:
            configure(viewset, model)
        api.repository(viewset, name, f"/{name}")
    return app


@contextlib.contextmanager
def model_tables(
    database_url: str, metadata: sa.MetaData, *, foreign_keys: bool = False
) -> Iterator[tuple[Any, Any]]:
    """The tables of ``metadata``, fresh and empty on the test database, with an engine and
    a ``scoped_session`` over it; dropped afterwards. ``foreign_keys``: enforced on SQLite
    too (PostgreSQL always enforces them)."""
    options = {"poolclass": StaticPool} if database_url == "sqlite://" else {}
    engine = sa.create_engine(database_url, **options)
    if foreign_keys and engine.dialect.name == "sqlite":
        sa.event.listen(
            engine, "connect", lambda connection, _: connection.execute("PRAGMA foreign_keys=ON")
        )
    reset_database(engine, metadata)
    session = orm.scoped_session(orm.sessionmaker(bind=engine))
    try:
        yield engine, session
    finally:
        session.remove()
        with engine.begin() as connection:
            metadata.drop_all(connection)
        engine.dispose()
