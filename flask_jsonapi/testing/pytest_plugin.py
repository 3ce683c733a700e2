"""The pytest plugin of flask-jsonapi (entry point ``pytest11``; loaded automatically).

Fixtures:

* ``jsonapi_client``: a :class:`~flask_jsonapi.testing.JsonApiClient` for the Flask app
  your own ``app`` fixture returns (the same convention as pytest-flask). It sends and
  accepts ``application/vnd.api+json`` and validates every JSON:API response.

Nothing here runs unless a test asks for the fixture, so the plugin costs nothing in
projects that do not use it.
"""

from __future__ import annotations

import flask
import pytest

from .client import JsonApiClient


@pytest.fixture
def jsonapi_client(app: flask.Flask) -> JsonApiClient:
    """A JSON:API test client for the app of your ``app`` fixture."""
    return JsonApiClient(app)
