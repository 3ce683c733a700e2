"""The public API at the original's import paths: ``Api``, routes, ViewSets, responses.

Repositories are in ``test_public_repositories.py``, schemas and filters in
``test_public_schema.py``, permissions and allowed actions in their own modules.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import flask
import pytest

import flask_jsonapi
from flask_jsonapi import Api, ResourceDetail, ResourceList, exceptions, response
from flask_jsonapi.decorators import selective_decorator
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.notes import NoteSchema, memory_repository, note_body, notes_app


def test_top_level_names() -> None:
    """Section 1 of the original: the names re-exported by ``flask_jsonapi``."""
    for name in (
        "exceptions", "Api", "FilterField", "FilterSchema", "ListFilterField",
        "ResourceRepository", "ResourceRepositoryDetailView", "ResourceRepositoryListView",
        "ResourceRepositoryViewSet", "ResourceDetail", "ResourceList",
        "AllowedActionsResourceDetailMixin", "AllowedActionsResourceListMixin",
        "AllowedActionsResourceViewSetMixin",
    ):  # fmt: skip
        assert hasattr(flask_jsonapi, name), name
    assert flask_jsonapi.resource_repository_views.ResourceRepositoryViewSet is (
        ResourceRepositoryViewSet
    )
    for name in ("BaseResponse", "EmptyResponse", "BaseJsonApiResponse", "JsonApiResponse",
                 "JsonApiListResponse", "JsonApiErrorResponse"):  # fmt: skip
        assert hasattr(response, name), name


# -- Api(app), Api() + init_app, Blueprint ----------------------------------------------------


class NoteViewSet(ResourceRepositoryViewSet):
    schema = NoteSchema


def test_api_with_app() -> None:
    repository = memory_repository()
    client = notes_app(
        lambda api: api.repository(NoteViewSet(repository=repository), "notes", "/notes")
    ).test_client()
    document = client.get("/notes/1").document
    assert document["data"]["links"]["self"] == "http://localhost/notes/1"


def test_api_init_app_registers_earlier_routes() -> None:
    """Routes declared before ``init_app`` are served once it runs."""
    api = Api()
    repository = memory_repository()  # one type, one repository (Api.validate)
    api.repository(NoteViewSet(repository=repository), "notes", "/notes")
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    api.init_app(app)
    api.repository(NoteViewSet(repository=repository), "more", "/more")
    client = app.test_client()
    assert [n["id"] for n in client.get("/notes").document["data"]] == ["1", "2", "3"]
    assert client.get("/more/2").document["data"]["attributes"]["content"] == "second"
    only_error(client.get("/notes/99"), 404)


def test_api_on_blueprint_with_prefix() -> None:
    """Links and ``Location`` carry the Blueprint's url_prefix; errors are JSON:API."""
    blueprint = flask.Blueprint("v1", __name__, url_prefix="/api/v1")
    api = Api(blueprint)
    api.repository(NoteViewSet(repository=memory_repository()), "notes", "/notes")
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    app.register_blueprint(blueprint)
    client = app.test_client()
    document = client.get("/api/v1/notes").document
    assert document["links"]["self"].startswith("http://localhost/api/v1/notes")
    assert document["data"][0]["links"]["self"] == "http://localhost/api/v1/notes/1"
    created = client.post("/api/v1/notes", json=note_body("new", 1))
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/api/v1/notes/4"
    assert created.document["data"]["links"]["self"] == created.headers["Location"]
    only_error(client.get("/api/v1/notes/99"), 404)
    only_error(client.put("/api/v1/notes"), 405)
    assert client.get("/notes").status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v1/", "/api/v1", "/api/v1/notes-x/1"])
def test_unknown_url_under_the_blueprint_prefix_is_a_jsonapi_404(url: str) -> None:
    """Any URL under the Api's Blueprint prefix is the API's, whatever the Accept header."""
    blueprint = flask.Blueprint("v1", __name__, url_prefix="/api/v1")
    Api(blueprint).repository(NoteViewSet(repository=memory_repository()), "notes", "/notes")
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    app.register_blueprint(blueprint)
    client = app.test_client()
    error = only_error(client.get(url, headers={"Accept": "text/html"}), 404)
    assert error["title"] == "Not Found"
    # Outside the prefix the app's own pages stay Flask's.
    outside = client.get("/api/v2/nope", headers={"Accept": "text/html"})
    assert (outside.status_code, outside.mimetype) == (404, "text/html")


# -- api.route with hand-written views over a dict --------------------------------------------


class ThingSchema(Schema):
    id = fields.Str()
    name = fields.Str(required=True)

    class Meta:
        type_ = "things"


class ThingList(ResourceList):
    schema = ThingSchema

    def __init__(self, *, store: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store

    def read_many(self, filters: dict, sorting: tuple, pagination: dict) -> list[Any]:
        items = [self.store[key] for key in sorted(self.store)]
        start = pagination["size"] * (pagination["number"] - 1)
        return items[start : start + pagination["size"]]

    def get_count(self, filters: dict) -> int:
        return len(self.store)

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        if data["name"] == "forbidden":
            raise exceptions.ForbiddenError("Things may not be called that.")
        key = f"t{len(self.store) + 1}"
        self.store[key] = SimpleNamespace(id=key, **data)
        return self.store[key]


class ThingDetail(ResourceDetail):
    schema = ThingSchema

    def __init__(self, *, store: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store

    def read(self, id: str) -> Any:
        return self.store.get(id)

    def update(self, id: str, data: dict[str, Any], **kwargs: Any) -> Any:
        thing = self.read(id)
        if thing is None:
            raise exceptions.ObjectNotFound({"parameter": "id"}, f"Thing {id} not found.")
        vars(thing).update(data)
        return thing

    def destroy(self, id: str) -> None:
        if self.store.pop(id, None) is None:
            raise exceptions.ObjectNotFound({"parameter": "id"}, f"Thing {id} not found.")


@pytest.fixture
def things() -> tuple[JsonApiClient, dict[str, Any]]:
    store = {"t1": SimpleNamespace(id="t1", name="one"), "t2": SimpleNamespace(id="t2", name="two")}

    def register(api: Api) -> None:
        api.route(ThingList, "thing_list", "/things", view_kwargs={"store": store})
        api.route(ThingDetail, "thing_detail", "/things/<id>", view_kwargs={"store": store})

    return notes_app(register).test_client(), store


def test_route_hand_written_list(things: tuple[JsonApiClient, dict]) -> None:
    client, _ = things
    document = client.get("/things?page[size]=1&page[number]=2").document
    assert [t["id"] for t in document["data"]] == ["t2"]
    assert document["meta"]["count"] == 2
    assert document["data"][0]["links"]["self"] == "http://localhost/things/t2"


def test_route_hand_written_crud(things: tuple[JsonApiClient, dict]) -> None:
    client, store = things
    created = client.post("/things", json={"data": {"type": "things", "attributes": {"name": "3"}}})
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/things/t3"
    assert store["t3"].name == "3"
    patch = {"data": {"type": "things", "id": "t1", "attributes": {"name": "uno"}}}
    assert client.patch("/things/t1", json=patch).document["data"]["attributes"] == {"name": "uno"}
    assert store["t1"].name == "uno"
    assert client.delete("/things/t2").status_code == 204
    assert sorted(store) == ["t1", "t3"]
    only_error(client.get("/things/t2"), 404)
    only_error(client.delete("/things/t2"), 404)


def test_forbidden_error_from_a_hook_is_403(things: tuple[JsonApiClient, dict]) -> None:
    client, store = things
    body = {"data": {"type": "things", "attributes": {"name": "forbidden"}}}
    error = only_error(client.post("/things", json=body), 403)
    assert error["title"] == "Operation forbidden."
    assert error["detail"] == "Things may not be called that."
    assert sorted(store) == ["t1", "t2"]


def test_hand_written_view_returning_a_response_object() -> None:
    """A handler may return the original's ``response`` objects: one JSON:API Content-Type."""

    class Ping(ResourceDetail):
        schema = ThingSchema

        def get(self, *args: Any, **kwargs: Any) -> Any:
            data = {"data": {"type": "things", "id": kwargs["id"], "attributes": {"name": "p"}}}
            return response.JsonApiResponse(data, status=200)

        def delete(self, *args: Any, **kwargs: Any) -> Any:
            return response.EmptyResponse()

    client = notes_app(lambda api: api.route(Ping, "ping", "/ping/<id>")).test_client()
    got = client.get("/ping/x")
    assert got.headers.getlist("Content-Type") == ["application/vnd.api+json"]
    assert got.headers["Vary"] == "Accept"
    assert got.document["data"]["id"] == "x"
    assert got.document["jsonapi"]["version"] == "1.1"
    assert client.delete("/ping/x").status_code == 204


# -- ViewSet attributes -----------------------------------------------------------------------


def test_viewset_view_decorators_run() -> None:
    calls: list[str] = []

    def tag(view: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append(flask.request.method)
            result = view(*args, **kwargs)
            result.headers["X-Decorated"] = "yes"
            return result

        return wrapper

    class Decorated(NoteViewSet):
        view_decorators = (tag,)

    viewset = Decorated(repository=memory_repository())
    client = notes_app(lambda api: api.repository(viewset, "notes", "/notes")).test_client()
    assert client.get("/notes").headers["X-Decorated"] == "yes"
    assert client.get("/notes/1").headers["X-Decorated"] == "yes"
    assert calls == ["GET", "GET"]


def test_selective_decorator_only_for_listed_methods() -> None:
    def deny(view: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raise exceptions.ForbiddenError("Writes need a login.")

        return wrapper

    repository = memory_repository()
    viewset = NoteViewSet(
        repository=repository, view_decorators=(selective_decorator(deny, ["POST", "PATCH"]),)
    )
    client = notes_app(lambda api: api.repository(viewset, "notes", "/notes")).test_client()
    assert client.get("/notes").status_code == 200
    assert client.delete("/notes/2").status_code == 204
    error = only_error(client.post("/notes", json=note_body("new", 1)), 403)
    assert error["detail"] == "Writes need a login."
    assert sorted(repository.objects) == [1, 3]


def test_viewset_constructor_options_and_view_kwargs() -> None:
    """``schema``, ``repository``, ``view_kwargs``, ``detail_view_cls``, ``list_view_cls``."""
    seen: dict[str, Any] = {}
    ids = itertools.count(1)

    class Detail(flask_jsonapi.ResourceRepositoryDetailView):
        def __init__(self, *, marker: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            seen[f"detail{next(ids)}"] = marker

    class List(flask_jsonapi.ResourceRepositoryListView):
        def __init__(self, *, marker: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            seen["list"] = marker

    viewset = ResourceRepositoryViewSet(
        schema=NoteSchema,
        repository=memory_repository(),
        detail_view_cls=Detail,
        list_view_cls=List,
        view_kwargs={"marker": "m"},
    )
    client = notes_app(lambda api: api.repository(viewset, "notes", "/notes")).test_client()
    assert client.get("/notes").status_code == 200
    assert client.get("/notes/3").document["data"]["attributes"]["content"] == "third"
    assert seen["list"] == "m"
    assert "m" in [v for k, v in seen.items() if k.startswith("detail")]
