"""Code written for the original flask-jsonapi 1.4.1 keeps working (issue 11, a1-a9).

Each test is written the way the original's users wrote their code: marshmallow_jsonapi
schemas, ``ResourceList``/``ResourceDetail`` subclasses, ``ResourceRepositoryViewSet``
with duck-typed or ``unittest.mock`` repositories, ``SqlAlchemyModelRepository``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from unittest import mock

import flask
import marshmallow_jsonapi
import pytest
import sqlalchemy as sa
from marshmallow_jsonapi import fields
from sqlalchemy import orm

from flask_jsonapi import (
    Api,
    FilterSchema,
    ResourceDetail,
    ResourceList,
    ResourceRepositoryViewSet,
    exceptions,
    response,
)
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error

UUID_1 = "f60717a3-7dc2-4f1a-bdf4-f2804c3127a4"


class ExampleSchema(marshmallow_jsonapi.Schema):
    id = fields.UUID(required=True)
    body = fields.Str()

    class Meta:
        type_ = "example"


def app_with(register: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    register(Api(app))
    return app


def example(id_: str = UUID_1, body: str = "text") -> SimpleNamespace:
    return SimpleNamespace(id=uuid.UUID(id_), body=body)


# -- a1: fields[...] with id -----------------------------------------------------------------


def test_a1_fieldset_naming_id_is_accepted_and_id_ignored() -> None:
    """The original required ``id`` in every fieldset; its clients still send it."""

    class ExampleList(ResourceList):
        schema = ExampleSchema

        def read_many(self, filters, sorting, pagination):
            return [example()]

    app = app_with(lambda api: api.route(ExampleList, "example_list", "/examples/"))
    document = app.test_client().get("/examples/?fields[example]=id,body").document
    assert document["data"][0]["id"] == UUID_1
    assert document["data"][0]["attributes"] == {"body": "text"}
    document = app.test_client().get("/examples/?fields[example]=id,type").document
    assert not document["data"][0].get("attributes")


# -- a2, a3: what update/read/destroy receive ------------------------------------------------


def test_a2_a3_detail_hooks_get_the_url_string_and_data_id() -> None:
    """``read``/``update``/``destroy`` get the URL's id string (user code calls
    ``uuid.UUID(id)`` on it), and ``update``'s data holds the body's id as loaded."""
    calls: list[tuple] = []

    class ExampleDetail(ResourceDetail):
        schema = ExampleSchema

        def read(self, id):
            calls.append(("read", id))
            return example(str(uuid.UUID(id)))

        def update(self, id, data, **kwargs):
            calls.append(("update", id, data["id"], data["body"]))
            return example(id, data["body"])

        def destroy(self, id):
            calls.append(("destroy", id))

    app = app_with(lambda api: api.route(ExampleDetail, "example_detail", "/examples/<id>/"))
    client = app.test_client()
    assert client.get(f"/examples/{UUID_1}/").document["data"]["id"] == UUID_1
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "new"}}}
    patched = client.patch(f"/examples/{UUID_1}/", json=body)
    assert patched.document["data"]["attributes"] == {"body": "new"}
    assert client.delete(f"/examples/{UUID_1}/").status_code == 204
    assert calls == [
        ("read", UUID_1),
        ("update", UUID_1, uuid.UUID(UUID_1), "new"),
        ("destroy", UUID_1),
    ]


def test_a3_an_id_the_user_code_refuses_is_its_own_answer() -> None:
    """An id that does not parse reaches the hook, which decides (here: 404)."""

    class ExampleDetail(ResourceDetail):
        schema = ExampleSchema

        def read(self, id):
            try:
                return example(str(uuid.UUID(id)))
            except ValueError:
                raise exceptions.ObjectNotFound({"parameter": "id"}, f"No {id}.") from None

    app = app_with(lambda api: api.route(ExampleDetail, "example_detail", "/examples/<id>/"))
    error = only_error(app.test_client().get("/examples/not-a-uuid/"), 404)
    assert error["detail"] == "No not-a-uuid."


# -- a4: duck-typed and mock repositories ----------------------------------------------------


class ExampleViewSet(ResourceRepositoryViewSet):
    schema = ExampleSchema
    client_generated_ids = True


def test_a4_mock_repository_gets_the_original_calls() -> None:
    """A ``mock.Mock()`` repository: no transaction or count is asked of it, and each
    method is called with the original's arguments (URL ids as strings)."""
    repository = mock.Mock()
    repository.get_list.return_value = [example()]
    repository.get_detail.return_value = example()
    repository.create.return_value = example(body="made")
    repository.update.return_value = None
    app = app_with(
        lambda api: api.repository(ExampleViewSet(repository=repository), "example", "/examples/")
    )
    client = app.test_client()

    assert client.get("/examples/?sort=body").document["data"][0]["id"] == UUID_1
    repository.get_list.assert_called_with({}, ("body",), {"size": 50, "number": 1})
    assert client.get(f"/examples/{UUID_1}/").document["data"]["attributes"] == {"body": "text"}
    repository.get_detail.assert_called_with(UUID_1)
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "made"}}}
    assert client.post("/examples/", json=body).status_code == 201
    repository.create.assert_called_with({"id": uuid.UUID(UUID_1), "body": "made"})
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "changed"}}}
    assert client.patch(f"/examples/{UUID_1}/", json=body).status_code == 200
    repository.update.assert_called_with({"id": UUID_1, "body": "changed"})
    assert client.delete(f"/examples/{UUID_1}/").status_code == 204
    repository.delete.assert_called_with(UUID_1)
    repository.begin_transaction.assert_not_called()
    repository.get_count.assert_not_called()


def test_a4_magic_mock_side_effect_is_honoured() -> None:
    """A ``MagicMock`` offers every attribute, yet its ``get_detail`` is what answers:
    ``side_effect=ObjectNotFound`` is a 404, not a 200 of MagicMock reprs."""
    repository = mock.MagicMock()
    repository.get_detail.side_effect = exceptions.ObjectNotFound(source={}, detail="gone")
    app = app_with(
        lambda api: api.repository(ExampleViewSet(repository=repository), "example", "/examples/")
    )
    assert only_error(app.test_client().get(f"/examples/{UUID_1}/"), 404)["detail"] == "gone"
    repository.get_detail.assert_called_once_with(UUID_1)


def test_a4_duck_typed_repository_without_optional_methods() -> None:
    """A plain class with the CRUD methods only (no ``begin_transaction``, no
    ``get_count``): lists answer without a total."""

    class Repository:
        def get_list(self, filters=None, sorting=None, pagination=None):
            return [example()]

        def get_detail(self, id):
            return example(id)

    app = app_with(
        lambda api: api.repository(ExampleViewSet(repository=Repository()), "example", "/examples/")
    )
    client = app.test_client()
    document = client.get("/examples/").document
    assert [item["id"] for item in document["data"]] == [UUID_1]
    assert "meta" not in document
    assert client.get(f"/examples/{UUID_1}/").document["data"]["id"] == UUID_1


def test_a3_memory_repository_finds_uuid_keys_by_the_url_string() -> None:
    repository = MemoryRepository([example()])
    app = app_with(
        lambda api: api.repository(ExampleViewSet(repository=repository), "example", "/examples/")
    )
    client = app.test_client()
    assert client.get(f"/examples/{UUID_1}/").document["data"]["attributes"] == {"body": "text"}
    assert client.delete(f"/examples/{UUID_1}/").status_code == 204
    assert repository.objects == {}


# -- a5: Relationship(attribute='author_id') over SQLAlchemy ---------------------------------


class Base(orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "upgrade_authors"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String)


class Book(Base):
    __tablename__ = "upgrade_books"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String)
    author_id = sa.Column(sa.ForeignKey("upgrade_authors.id"))
    author = orm.relationship(Author)


class AuthorSchema(marshmallow_jsonapi.Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "authors"


class BookSchema(marshmallow_jsonapi.Schema):
    id = fields.Int()
    title = fields.Str()
    author = fields.Relationship(
        attribute="author_id", type_="authors", schema=AuthorSchema, include_resource_linkage=True
    )

    class Meta:
        type_ = "books"


class BookFilters(FilterSchema):
    class Meta:
        schema = BookSchema
        fields = ["title", "author"]


@pytest.fixture
def books_app() -> Iterator[flask.Flask]:
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    Base.metadata.create_all(engine)
    session = orm.scoped_session(orm.sessionmaker(engine))
    with session() as setup:
        setup.add_all([Author(id=1, name="Ann"), Author(id=2, name="Bob")])
        setup.add_all([Book(id=1, title="x", author_id=1), Book(id=2, title="y", author_id=2)])
        setup.commit()

    class BookRepository(SqlAlchemyModelRepository):
        model = Book

    class AuthorRepository(SqlAlchemyModelRepository):
        model = Author

    class BookViewSet(ResourceRepositoryViewSet):
        schema = BookSchema
        filter_schema = BookFilters()
        repository = BookRepository(session=session)

    class AuthorViewSet(ResourceRepositoryViewSet):
        schema = AuthorSchema
        repository = AuthorRepository(session=session)

    def register(api: Api) -> None:
        api.repository(BookViewSet(), "books", "/books")
        api.repository(AuthorViewSet(), "authors", "/authors")

    yield app_with(register)
    session.remove()
    engine.dispose()


def test_a5_relationship_over_a_foreign_key_filters_and_includes(books_app) -> None:
    client = books_app.test_client()
    document = client.get("/books?filter[author]=2").document
    assert [book["id"] for book in document["data"]] == ["2"]
    document = client.get("/books/1?include=author").document
    assert document["data"]["relationships"]["author"]["data"] == {"type": "authors", "id": "1"}
    assert document["included"] == [
        {
            "type": "authors",
            "id": "1",
            "attributes": {"name": "Ann"},
            "links": {"self": "http://localhost/authors/1"},
        }
    ]
    document = client.get("/books?include=author").document
    assert sorted(item["attributes"]["name"] for item in document["included"]) == ["Ann", "Bob"]


# -- a6: a required UUID id ------------------------------------------------------------------


def test_a6_required_id_field_with_client_generated_ids() -> None:
    created: list[dict] = []

    class ExampleList(ResourceList):
        schema = ExampleSchema
        client_generated_ids = True

        def create(self, data, **kwargs):
            created.append(data)
            return SimpleNamespace(**data)

    app = app_with(lambda api: api.route(ExampleList, "example_list", "/examples/"))
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    assert app.test_client().post("/examples/", json=body).status_code == 201
    assert created == [{"id": uuid.UUID(UUID_1), "body": "b"}]


# -- a7: prepare_response --------------------------------------------------------------------


def test_a7_prepare_response_override_gets_the_data() -> None:
    """The original's override: create from the data, answer a response object."""

    class ExampleList(ResourceList):
        schema = ExampleSchema
        client_generated_ids = True

        def create(self, data, **kwargs):
            return SimpleNamespace(**data)

        def prepare_response(self, data):
            obj = self.create(data=data)
            return response.JsonApiResponse(
                {"data": {"type": "example", "id": str(obj.id), "attributes": {"body": "!"}}},
                status=201,
            )

    app = app_with(lambda api: api.route(ExampleList, "example_list", "/examples/"))
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    answer = app.test_client().post("/examples/", json=body)
    assert answer.status_code == 201
    assert answer.document["data"] == {"type": "example", "id": UUID_1, "attributes": {"body": "!"}}


# -- a8: a string source ---------------------------------------------------------------------


def test_a8_exception_with_a_string_source_is_its_status() -> None:
    class ExampleList(ResourceList):
        schema = ExampleSchema

        def read_many(self, filters, sorting, pagination):
            raise exceptions.JsonApiException("authors", "custom failure", status=400)

    app = app_with(lambda api: api.route(ExampleList, "example_list", "/examples/"))
    error = only_error(app.test_client().get("/examples/"), 400)
    assert error["detail"] == "custom failure"
    assert error["meta"] == {"source": "authors"}


# -- a9: update() answering nothing, no read() -----------------------------------------------


def test_a9_patch_without_read_is_204_and_applied() -> None:
    store = {UUID_1: "old"}

    class ExampleDetail(ResourceDetail):
        schema = ExampleSchema

        def update(self, id, data, **kwargs):
            store[id] = data["body"]

    app = app_with(lambda api: api.route(ExampleDetail, "example_detail", "/examples/<id>/"))
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "new"}}}
    answer = app.test_client().patch(f"/examples/{UUID_1}/", json=body)
    assert answer.status_code == 204
    assert store == {UUID_1: "new"}


# -- several view sets for one type ----------------------------------------------------------


def test_links_and_location_follow_the_view_set_that_served() -> None:
    """Two view sets of one type (say a v1 and a v2 URL): each request's ``links.self``
    and ``Location`` point at the endpoint that served it."""
    repository = mock.Mock()
    repository.get_detail.return_value = example()
    repository.get_list.return_value = [example()]
    repository.create.return_value = example()
    viewset = ExampleViewSet(repository=repository)

    def register(api: Api) -> None:
        api.repository(viewset, "example", "/examples/")
        api.repository(viewset, "example_v2", "/v2/examples/")

    client = app_with(register).test_client()
    v2 = f"http://localhost/v2/examples/{UUID_1}/"
    assert client.get(f"/v2/examples/{UUID_1}/").document["data"]["links"]["self"] == v2
    assert client.get("/v2/examples/").document["data"][0]["links"]["self"] == v2
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    assert client.post("/v2/examples/", json=body).headers["Location"] == v2
    v1 = f"http://localhost/examples/{UUID_1}/"
    assert client.post("/examples/", json=body).headers["Location"] == v1
    assert client.get(f"/examples/{UUID_1}/").document["data"]["links"]["self"] == v1
