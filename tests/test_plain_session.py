"""Transactions over a plain ``Session`` (TX-1), not a ``scoped_session``.

Every other test app uses a ``scoped_session``, whose ``remove()`` at the end of a request
rolls back whatever a failed request left behind and so hides a missing rollback. A plain
``Session`` instance lives across requests: when a write is refused after its flush, only
``begin_transaction``'s rollback keeps the next request's COMMIT from storing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask
import pytest
from sqlalchemy import orm, select

from examples.blog.models import Tag
from flask_jsonapi import exceptions
from flask_jsonapi.resources import ResourceBase
from tests.support.atomic import atomic
from tests.support.blog_variants import variant_app
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error


@pytest.fixture
def plain_session(blog_app: flask.Flask) -> Iterator[orm.Session]:
    """One ``Session`` for every request of the app, as a user may write it."""
    session = orm.Session(blog_app.extensions["blog"]["engine"])
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def plain_client(blog_app: flask.Flask, plain_session: orm.Session) -> JsonApiClient:
    """The blog's four types and ``/operations`` over ``plain_session``."""
    return variant_app(blog_app, operations=True, session=plain_session).test_client()


def _tag_names(db_session: Any) -> list[str]:
    names = list(db_session.scalars(select(Tag.name).order_by(Tag.id)))
    db_session.remove()
    return names


def _refuse_after(original: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise exceptions.ForbiddenError("Refused after the insert.")

    return wrapper


def _new_tag(name: str) -> dict[str, Any]:
    return {"data": {"type": "tags", "attributes": {"name": name}}}


def test_tx_1_refused_create_is_not_committed_by_the_next_request(
    plain_client: JsonApiClient, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TX-1: a POST refused (403) after its INSERT was flushed stores nothing, even when
    the next request on the same plain session commits."""
    monkeypatch.setattr(
        ResourceBase, "resource_document", _refuse_after(ResourceBase.resource_document)
    )
    only_error(plain_client.post("/tags", json=_new_tag("refused")), 403)
    monkeypatch.undo()
    created = plain_client.post("/tags", json=_new_tag("accepted"))
    assert created.status_code == 201, created.document
    assert created.document["data"]["attributes"] == {"name": "accepted"}
    assert _tag_names(db_session) == ["accepted"]
    listed = plain_client.get("/tags")
    assert [t["attributes"]["name"] for t in listed.document["data"]] == ["accepted"]


def test_tx_1_refused_atomic_request_is_not_committed_by_the_next_request(
    plain_client: JsonApiClient, db_session: Any
) -> None:
    """TX-1/ATOM-13: an atomic request whose second operation fails (404, after the first
    one's INSERT) leaves nothing for the next request to commit."""
    add = {"op": "add", "data": {"type": "tags", "attributes": {"name": "first"}}}
    remove = {"op": "remove", "ref": {"type": "tags", "id": "999"}}
    response = atomic(plain_client, add, remove)
    assert response.status_code == 404, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"pointer": "/atomic:operations/1"}
    created = plain_client.post("/tags", json=_new_tag("accepted"))
    assert created.status_code == 201, created.document
    assert _tag_names(db_session) == ["accepted"]


def test_a_session_whose_close_is_final_serves_every_request(blog_app: flask.Flask) -> None:
    """TX-1: a GET that only read ends its transaction without ``close()``, which would end
    a ``Session(close_resets_only=False)`` for good; the next requests are served."""
    session = orm.Session(blog_app.extensions["blog"]["engine"], close_resets_only=False)
    client = variant_app(blog_app, session=session).test_client()
    try:
        body = {"data": {"type": "tags", "attributes": {"name": "kept"}}}
        assert client.post("/tags", json=body).status_code == 201
        for _ in range(2):
            response = client.get("/tags")
            assert response.status_code == 200, response.document
            assert [tag["attributes"]["name"] for tag in response.document["data"]] == ["kept"]
    finally:
        session.close()
