"""``flask_jsonapi.permissions``: checkers and protected views (the original's section 12, fixed).

Denials are 403 JSON:API documents, a missing object is 404, ``ProtectedViewSet`` has a
working list view without any set-up, and create data without the checked id is 403.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from flask_jsonapi import Policy, exceptions, permissions
from flask_jsonapi.permissions import (
    ObjectLevelPermissionChecker,
    PermissionChecker,
    ProtectedListView,
    ProtectedViewSet,
)
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.notes import NoteSchema, memory_repository, note_body, notes_app


class ParentChecker(ObjectLevelPermissionChecker):
    """Allows everything on notes under parent 1, nothing else; records the calls."""

    object_id_attribute = "parent_id"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, str]] = []

    def has_permission(self, object_id: Any, action: str) -> bool:
        self.calls.append((object_id, action))
        return object_id == 1


class ScopedListView(ProtectedListView):
    def _apply_permission_filter(self, filters: dict[str, Any]) -> dict[str, Any]:
        filters["parent_id"] = 1
        return filters


class Setup:
    """One notes API behind a ``ProtectedViewSet``."""

    def __init__(self, **viewset_attributes: Any) -> None:
        self.repository: MemoryRepository = memory_repository()
        self.checker = ParentChecker()
        viewset = type(
            "NoteViewSet", (ProtectedViewSet,), {"schema": NoteSchema, **viewset_attributes}
        )(repository=self.repository, permission_checker=self.checker)
        self.client: JsonApiClient = notes_app(
            lambda api: api.repository(viewset, "notes", "/notes")
        ).test_client()

    def contents(self) -> dict[int, tuple[str, int]]:
        return {k: (v.content, v.parent_id) for k, v in self.repository.objects.items()}


@pytest.fixture
def setup() -> Setup:
    return Setup()


def test_public_names() -> None:
    """The original's names are importable from ``flask_jsonapi.permissions``."""
    assert (permissions.READ_ACTION, permissions.DESTROY_ACTION, permissions.UPDATE_ACTION) == (
        "read",
        "destroy",
        "update",
    )
    assert (permissions.LIST_ACTION, permissions.CREATE_ACTION) == ("list", "create")
    assert issubclass(permissions.PermissionException, exceptions.JsonApiException)
    assert permissions.PermissionException().status == 403
    with pytest.raises(TypeError):
        PermissionChecker()  # type: ignore[abstract]


def test_default_protected_viewset_lists_only_permitted(setup: Setup) -> None:
    """The fixed defect: without a list view of one's own, the list works (200)."""
    response = setup.client.get("/notes")
    assert response.status_code == 200
    assert [item["id"] for item in response.document["data"]] == ["1", "3"]
    # Unscoped storage cannot count only what the user may see: no misleading total.
    assert "count" not in response.document.get("meta", {})
    assert (2, "read") in setup.checker.calls


def test_scoped_list_view_filters_and_counts() -> None:
    """``_apply_permission_filter`` scopes the list and ``meta.count``."""
    setup = Setup(list_view_cls=ScopedListView)
    response = setup.client.get("/notes")
    assert [item["id"] for item in response.document["data"]] == ["1", "3"]
    assert response.document["meta"]["count"] == 2


def test_read_permitted_and_forbidden(setup: Setup) -> None:
    """Detail: 200 when allowed, 403 document when denied, 404 when missing."""
    assert setup.client.get("/notes/1").document["data"]["attributes"]["content"] == "first"
    error = only_error(setup.client.get("/notes/2"), 403)
    assert error["title"] == "Forbidden"
    assert error["detail"]
    only_error(setup.client.get("/notes/99"), 404)


def test_update_forbidden_object_is_403_and_unchanged(setup: Setup) -> None:
    before = setup.contents()
    response = setup.client.patch("/notes/2", json=note_body("changed", id_="2"))
    only_error(response, 403)
    assert setup.contents() == before


def test_update_moving_to_forbidden_parent_is_403(setup: Setup) -> None:
    """The data's parent is checked too."""
    before = setup.contents()
    only_error(setup.client.patch("/notes/1", json=note_body("moved", 2, id_="1")), 403)
    assert setup.contents() == before


def test_update_permitted(setup: Setup) -> None:
    response = setup.client.patch("/notes/1", json=note_body("changed", id_="1"))
    assert response.status_code == 200
    assert response.document["data"]["attributes"]["content"] == "changed"
    assert setup.contents()[1] == ("changed", 1)


def test_destroy_forbidden_and_permitted(setup: Setup) -> None:
    only_error(setup.client.delete("/notes/2"), 403)
    assert 2 in setup.contents()
    assert setup.client.delete("/notes/3").status_code == 204
    assert 3 not in setup.contents()
    only_error(setup.client.delete("/notes/99"), 404)


def test_create_forbidden_and_permitted(setup: Setup) -> None:
    only_error(setup.client.post("/notes", json=note_body("new", 2)), 403)
    assert len(setup.contents()) == 3
    response = setup.client.post("/notes", json=note_body("new", 1))
    assert response.status_code == 201
    assert setup.contents()[int(response.document["data"]["id"])] == ("new", 1)


def test_create_without_checked_id_is_403_not_500(setup: Setup) -> None:
    """The fixed defect: data without ``parent_id`` cannot be checked -> 403 document."""
    error = only_error(setup.client.post("/notes", json=note_body("orphan")), 403)
    assert "parent_id" in error["detail"]
    assert len(setup.contents()) == 3


def test_protected_read_override_is_used() -> None:
    """``protected_*`` hooks are the extension points; the check still applies after them."""
    seen: list[Any] = []

    class AuditedDetail(permissions.ProtectedDetailView):
        def protected_read(self, id: Any, **kwargs: Any) -> Any:
            seen.append(id)
            return super().protected_read(id, **kwargs)

    setup = Setup(detail_view_cls=AuditedDetail)
    assert setup.client.get("/notes/1").status_code == 200
    only_error(setup.client.get("/notes/2"), 403)
    assert seen == ["1", "2"]  # the URL's strings, as the original gave them


class ParentOnePolicy(Policy):
    """An object check, not a checker: notes under parent 2 are hidden."""

    def visible(self, obj: Any) -> bool:
        return obj.parent_id == 1


def test_writes_through_a_policys_object_check() -> None:
    """A plain view set whose type a policy checks object by object: visible notes are
    written as usual; a hidden one answers exactly as a missing one (404) and is kept."""
    repository = memory_repository()
    attributes = {"schema": NoteSchema, "policy": ParentOnePolicy()}
    viewset = type("CheckedNotes", (ResourceRepositoryViewSet,), attributes)
    client = notes_app(
        lambda api: api.repository(viewset(repository=repository), "notes", "/notes")
    ).test_client()
    response = client.patch("/notes/1", json=note_body("changed", id_="1"))
    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"]["content"] == "changed"
    assert client.delete("/notes/3").status_code == 204
    for method, body in (("get", None), ("patch", note_body("x", id_="2")), ("delete", None)):
        hidden = getattr(client, method)("/notes/2", json=body)
        missing = getattr(client, method)("/notes/99", json=body and note_body("x", id_="99"))
        only_error(hidden, 404)
        assert hidden.document == _with_id(missing.document, "99", "2")
    assert {k: (v.content, v.parent_id) for k, v in repository.objects.items()} == {
        1: ("changed", 1),
        2: ("second", 2),
    }


def _with_id(document: Any, old: str, new: str) -> Any:
    return json.loads(json.dumps(document).replace(old, new))
