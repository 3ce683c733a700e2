"""``AllowedActions*`` mixins and ``resources.Actions`` (the original's section 3.4).

A denied action is 405 with a JSON:API error document and an ``Allow`` header listing
only the allowed methods; the default allows nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

import flask_jsonapi
from flask_jsonapi import ResourceRepositoryViewSet
from flask_jsonapi.resource_repository_views import (
    ResourceRepositoryDetailView,
    ResourceRepositoryListView,
)
from flask_jsonapi.resources import (
    Actions,
    AllowedActionsResourceDetailMixin,
    AllowedActionsResourceListMixin,
    AllowedActionsResourceViewSetMixin,
)
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.notes import NoteSchema, memory_repository, note_body, notes_app


def allow_set(response: Any) -> set[str]:
    return {method.strip() for method in response.headers["Allow"].split(",")}


def viewset_client(allowed: tuple[str, ...], **attributes: Any) -> tuple[JsonApiClient, Any]:
    class NoteViewSet(AllowedActionsResourceViewSetMixin, ResourceRepositoryViewSet):
        schema = NoteSchema
        allowed_actions = allowed

    for name, value in attributes.items():
        setattr(NoteViewSet, name, value)
    repository = memory_repository()
    viewset = NoteViewSet(repository=repository)
    app = notes_app(lambda api: api.repository(viewset, "notes", "/notes"))
    return app.test_client(), repository


def test_names_and_action_values() -> None:
    """The original's action strings and top-level re-exports."""
    assert (Actions.create, Actions.read, Actions.read_many) == ("create", "fetch", "fetch list")
    assert (Actions.update, Actions.destroy) == ("update", "delete")
    assert flask_jsonapi.AllowedActionsResourceListMixin is AllowedActionsResourceListMixin
    assert flask_jsonapi.AllowedActionsResourceDetailMixin is AllowedActionsResourceDetailMixin
    assert flask_jsonapi.AllowedActionsResourceViewSetMixin is AllowedActionsResourceViewSetMixin


def test_denied_list_read_is_405_with_the_original_detail() -> None:
    client, repository = viewset_client((Actions.create,))
    response = client.get("/notes")
    error = only_error(response, 405)
    assert error["title"] == "Method not allowed"
    assert error["detail"] == "Fetch list is not allowed for this resource"
    assert allow_set(response) == {"OPTIONS", "POST"}
    assert client.post("/notes", json=note_body("new", 1)).status_code == 201
    assert len(repository.objects) == 4


def test_denied_create_is_405_and_stores_nothing() -> None:
    client, repository = viewset_client((Actions.read_many, Actions.read))
    error = only_error(client.post("/notes", json=note_body("new", 1)), 405)
    assert error["detail"] == "Create is not allowed for this resource"
    assert len(repository.objects) == 3
    assert len(client.get("/notes").document["data"]) == 3


@pytest.mark.parametrize(
    ("method", "detail"),
    [("PATCH", "Update is not allowed"), ("DELETE", "Delete is not allowed")],
    ids=["update", "delete"],
)
def test_read_only_detail_refuses_writes(method: str, detail: str) -> None:
    client, repository = viewset_client((Actions.read,))
    body = note_body("changed", id_="1") if method == "PATCH" else None
    response = client.open("/notes/1", method=method, json=body)
    error = only_error(response, 405)
    assert error["detail"] == f"{detail} for this resource"
    assert allow_set(response) == {"GET", "HEAD", "OPTIONS"}
    assert repository.objects[1].content == "first"


def test_read_only_detail_answers_get_head_and_options() -> None:
    client, _ = viewset_client((Actions.read,))
    assert client.get("/notes/1").status_code == 200
    assert client.head("/notes/1").status_code == 200
    options = client.options("/notes/1")
    assert options.status_code == 204
    assert allow_set(options) == {"GET", "HEAD", "OPTIONS"}


def test_default_allows_nothing() -> None:
    """``allowed_actions = ()``: every action is 405; OPTIONS still answers."""
    client, _ = viewset_client(())
    assert only_error(client.get("/notes"), 405)["detail"].startswith("Fetch list")
    assert only_error(client.get("/notes/1"), 405)["detail"].startswith("Fetch is")
    assert allow_set(client.options("/notes")) == {"OPTIONS"}


def test_all_actions_allowed() -> None:
    everything = (Actions.create, Actions.read, Actions.read_many, Actions.update, Actions.destroy)
    client, repository = viewset_client(everything)
    assert client.get("/notes").status_code == 200
    assert client.patch("/notes/1", json=note_body("x", id_="1")).status_code == 200
    assert client.delete("/notes/2").status_code == 204
    assert sorted(repository.objects) == [1, 3]


def test_documented_pattern_with_explicit_view_classes() -> None:
    """PR #59's pattern: mixin view classes set on a ViewSet with the ViewSet mixin."""

    class Detail(AllowedActionsResourceDetailMixin, ResourceRepositoryDetailView):
        pass

    class List(AllowedActionsResourceListMixin, ResourceRepositoryListView):
        pass

    client, _ = viewset_client((Actions.read,), detail_view_cls=Detail, list_view_cls=List)
    assert client.get("/notes/1").status_code == 200
    only_error(client.get("/notes"), 405)


def test_route_with_allowed_actions_in_view_kwargs() -> None:
    """``api.route(..., view_kwargs={'allowed_actions': ...})`` on a hand-written list."""

    class NoteList(AllowedActionsResourceListMixin, ResourceRepositoryListView):
        schema = NoteSchema

    repository = memory_repository()
    app = notes_app(
        lambda api: api.route(
            NoteList,
            "notes",
            "/notes",
            view_kwargs={"repository": repository, "allowed_actions": [Actions.read_many]},
        )
    )
    client = app.test_client()
    assert len(client.get("/notes").document["data"]) == 3
    only_error(client.post("/notes", json=note_body("new", 1)), 405)
    assert len(repository.objects) == 3
