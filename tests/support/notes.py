"""A small in-memory resource (``notes``, each under a ``parentId``) for API-level tests."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import flask

from flask_jsonapi import Api
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient


class NoteSchema(Schema):
    id = fields.Int()
    content = fields.Str(required=True)
    parent_id = fields.Int(data_key="parentId")

    class Meta:
        type_ = "notes"


def note_rows() -> list[SimpleNamespace]:
    """Three notes: two under parent 1, one under parent 2."""
    return [
        SimpleNamespace(id=1, content="first", parent_id=1),
        SimpleNamespace(id=2, content="second", parent_id=2),
        SimpleNamespace(id=3, content="third", parent_id=1),
    ]


def notes_app(register: Callable[[Api], None]) -> flask.Flask:
    """A Flask app whose ``Api`` is set up by ``register``, tested with ``JsonApiClient``."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    register(Api(app))
    return app


def note_body(content: str, parent_id: int | None = None, id_: str | None = None) -> dict:
    """A request document for one note."""
    attributes: dict[str, Any] = {"content": content}
    if parent_id is not None:
        attributes["parentId"] = parent_id
    data: dict[str, Any] = {"type": "notes", "attributes": attributes}
    if id_ is not None:
        data["id"] = id_
    return {"data": data}


def memory_repository() -> MemoryRepository:
    return MemoryRepository(note_rows())
