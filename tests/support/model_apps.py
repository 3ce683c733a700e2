"""An app serving a few test models through the library's stock repository and view set."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import flask

from flask_jsonapi import Api
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from tests.support.client import JsonApiClient


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
