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
    Policy,
    ResourceDetail,
    ResourceList,
    ResourceRepositoryViewSet,
    exceptions,
    response,
)
from flask_jsonapi import schema as jsonapi_schema
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryListView
from tests.support.blog_variants import variant_app
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
    method is called with the original's arguments (URL ids as strings, ``{}`` for a list
    the client asks no page of); PATCH answers 204 as the original's view set did."""
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
    repository.get_list.assert_called_with({}, ("body",), {})
    assert client.get(f"/examples/{UUID_1}/").document["data"]["attributes"] == {"body": "text"}
    repository.get_detail.assert_called_with(UUID_1)
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "made"}}}
    assert client.post("/examples/", json=body).status_code == 201
    repository.create.assert_called_with({"id": uuid.UUID(UUID_1), "body": "made"})
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "changed"}}}
    assert client.patch(f"/examples/{UUID_1}/", json=body).status_code == 204
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
    ``get_count``): a paged list answers without a total; an unpaged one (the default
    for a repository of the user's) counts what it holds."""

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
    assert document["meta"] == {"count": 1}
    assert document["links"] == {"self": "http://localhost/examples/"}
    paged = client.get("/examples/?page[size]=1").document
    assert "meta" not in paged
    assert paged["links"]["last"] is None
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


# -- the original's contract for storage of the user's (its own test suite's failures) --------


class CreatedList(ResourceList):
    """The original's tests' list: ``create`` reads ``kwargs['data']``."""

    schema = ExampleSchema

    def create(self, *args, **kwargs):
        return example(str(kwargs["data"]["id"]), kwargs["data"]["body"])


def test_client_generated_id_reaches_a_hand_written_create() -> None:
    """CRT-4: the user's ``create`` gets ``data=`` with the client's id, as the schema
    loads it (the original accepted any id its schema loaded); 201 with that id."""
    app = app_with(lambda api: api.route(CreatedList, "example_list", "/examples/"))
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    answer = app.test_client().post("/examples/", json=body)
    assert answer.status_code == 201
    assert answer.document["data"]["id"] == UUID_1


def test_client_generated_id_through_a_mock_repository() -> None:
    """A ``mock.Mock()`` repository whose ``create`` answers a Mock: 201, the Mock is a
    resource object, not a response (the original's permissions tests)."""
    repository = mock.Mock()
    repository.create.return_value = example(body="made")

    class PlainViewSet(ResourceRepositoryViewSet):
        schema = ExampleSchema

    app = app_with(
        lambda api: api.repository(PlainViewSet(repository=repository), "example", "/examples/")
    )
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "made"}}}
    assert app.test_client().post("/examples/", json=body).status_code == 201
    repository.create.assert_called_with({"id": uuid.UUID(UUID_1), "body": "made"})
    repository.create.return_value = mock.Mock()  # attributes are Mocks too
    repository.create.return_value.id = uuid.UUID(UUID_1)
    repository.create.return_value.body = "x"
    assert app.test_client().post("/examples/", json=body).status_code == 201


def test_client_generated_id_refused_by_a_dump_only_id_or_the_option() -> None:
    """CRT-5: an ``id`` the schema does not load (``dump_only``, the original's 422) and a
    view with ``client_generated_ids = False`` answer 403 pointing at ``/data/id``."""

    class ReadOnlyIdSchema(marshmallow_jsonapi.Schema):
        id = fields.Str(dump_only=True)
        body = fields.Str()

        class Meta:
            type_ = "example"

    class ReadOnlyIdList(CreatedList):
        schema = ReadOnlyIdSchema

    class RefusingList(CreatedList):
        client_generated_ids = False

    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    for view in (ReadOnlyIdList, RefusingList):
        app = app_with(lambda api, view=view: api.route(view, "example_list", "/examples/"))
        error = only_error(app.test_client().post("/examples/", json=body), 403)
        assert error["source"] == {"pointer": "/data/id"}


def test_library_storage_refuses_client_ids_unless_asked() -> None:
    """This library's repositories keep its default (403), and take ids with
    ``client_generated_ids = True``."""

    class StoredViewSet(ResourceRepositoryViewSet):
        schema = ExampleSchema

    class AcceptingViewSet(StoredViewSet):
        client_generated_ids = True

    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    for viewset, status in ((StoredViewSet, 403), (AcceptingViewSet, 201)):
        repository = MemoryRepository([], factory=SimpleNamespace)
        app = app_with(
            lambda api, vs=viewset, r=repository: api.repository(vs(repository=r), "e", "/e/")
        )
        assert app.test_client().post("/e/", json=body).status_code == status


def test_lists_of_user_storage_are_paged_only_when_asked() -> None:
    """PAG-*: pagination is optional. ``read_many`` gets ``{}`` when the client sends no
    ``page`` parameters (the whole list, ``links.self`` only, ``meta.count`` its length)
    and the page when it does; ``paginate = True`` pages every request."""
    received: list[dict] = []

    class ExampleList(ResourceList):
        schema = ExampleSchema

        def read_many(self, filters, sorting, pagination):
            received.append(pagination)
            return [example(), example("f60717a3-7dc2-4f1a-bdf4-f2804c3127a5")]

        def get_count(self, filters):
            return 5

    class PagedList(ExampleList):
        paginate = True

    app = app_with(lambda api: api.route(ExampleList, "example_list", "/examples/"))
    document = app.test_client().get("/examples/").document
    assert len(document["data"]) == 2
    assert document["links"] == {"self": "http://localhost/examples/"}
    assert document["meta"] == {"count": 2}
    document = app.test_client().get("/examples/?page[size]=2&page[number]=1").document
    assert document["meta"] == {"count": 5}
    assert document["links"]["next"].endswith("page%5Bnumber%5D=2&page%5Bsize%5D=2")
    app = app_with(lambda api: api.route(PagedList, "example_list", "/examples/"))
    app.test_client().get("/examples/")
    assert received == [{}, {"size": 2, "number": 1}, {"size": 50, "number": 1}]


def test_lists_of_library_storage_are_paged_unless_turned_off() -> None:
    """This library's repositories page every list (``JSONAPI_PAGE_SIZE``); a view set
    with ``paginate = False`` answers the whole collection when no page is asked."""
    items = [example(str(uuid.UUID(int=n)), f"b{n}") for n in range(1, 4)]

    class StoredViewSet(ResourceRepositoryViewSet):
        schema = ExampleSchema

    class WholeViewSet(StoredViewSet):
        paginate = False

    def client(viewset: type) -> JsonApiClient:
        repository = MemoryRepository(list(items))
        app = app_with(lambda api: api.repository(viewset(repository=repository), "e", "/e/"))
        app.config["JSONAPI_PAGE_SIZE"] = 2
        return app.test_client()

    paged = client(StoredViewSet).get("/e/").document
    assert (len(paged["data"]), paged["meta"]) == (2, {"count": 3})
    whole = client(WholeViewSet).get("/e/").document
    assert (len(whole["data"]), whole["meta"]) == (3, {"count": 3})
    assert whole["links"] == {"self": "http://localhost/e/"}
    assert len(client(WholeViewSet).get("/e/?page[size]=1").document["data"]) == 1


def test_patch_through_user_storage_answering_nothing_is_204() -> None:
    """UPD-*: 204 is allowed when the server changes nothing beyond the request; the
    user's storage decides, as in the original. A view set over a repository of the
    user's answers 204 whatever its ``update`` returns (the original's view set dropped
    it); a ``ResourceDetail`` whose ``update`` answers nothing is 204 even with a
    ``read``; one answering the object is 200 with it."""
    repository = mock.Mock()
    repository.get_detail.return_value = example()

    class PlainViewSet(ResourceRepositoryViewSet):
        schema = ExampleSchema

    app = app_with(
        lambda api: api.repository(PlainViewSet(repository=repository), "example", "/examples/")
    )
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "new"}}}
    answer = app.test_client().patch(f"/examples/{UUID_1}/", json=body)
    assert (answer.status_code, answer.data) == (204, b"")
    repository.update.assert_called_once_with({"id": UUID_1, "body": "new"})

    class ExampleDetail(ResourceDetail):
        schema = ExampleSchema
        answer: Any = None

        def read(self, id):
            return example(id, "read")

        def update(self, id, data, **kwargs):
            return self.answer

    class AnsweringDetail(ExampleDetail):
        answer = example(UUID_1, "answered")

    for view, status in ((ExampleDetail, 204), (AnsweringDetail, 200)):
        app = app_with(lambda api, v=view: api.route(v, "example_detail", "/examples/<id>/"))
        assert app.test_client().patch(f"/examples/{UUID_1}/", json=body).status_code == status


def test_patch_through_library_storage_is_200_with_the_resource() -> None:
    """UPD-*: this library's repositories answer 200 with the stored resource."""

    class StoredViewSet(ResourceRepositoryViewSet):
        schema = ExampleSchema

    repository = MemoryRepository([example()])
    app = app_with(lambda api: api.repository(StoredViewSet(repository=repository), "e", "/e/"))
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "new"}}}
    answer = app.test_client().patch(f"/e/{UUID_1}/", json=body)
    assert answer.status_code == 200
    assert answer.document["data"]["attributes"] == {"body": "new"}


def test_filter_fields_compare_by_value() -> None:
    """``FilterSchema.base_filters`` compares with freshly built fields, as the
    original's (its ``EqualityMixin``)."""
    from flask_jsonapi.filters_schema import FilterField, ListFilterField

    class ExampleFilters(FilterSchema):
        title = ListFilterField()

        class Meta:
            schema = ExampleSchema
            fields = ["id", "body"]

    assert ExampleFilters.base_filters == {
        "title": ListFilterField(),
        "id": FilterField(attribute="id", type_=fields.UUID),
        "body": FilterField(attribute="body", type_=fields.Str),
    }
    assert FilterField() != ListFilterField(attribute="x")


def test_unknown_filter_keys_raise_value_error_from_get_list() -> None:
    """Code calling ``SqlAlchemyModelRepository.get_list`` itself catches ``ValueError``
    for a key naming no column or operator (the original's messages lead)."""
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)

    class AuthorRepository(SqlAlchemyModelRepository):
        model = Author
        session = orm.scoped_session(orm.sessionmaker(engine))

    repository = AuthorRepository()
    for key, message in (
        ("last_name", 'Could not find column for filter "last_name"'),
        ("books__title", 'Could not find column for filter "books__title"'),
        ("name__exactly", "No idea what to do with 'exactly'"),
    ):
        with pytest.raises(ValueError, match=message) as raised:
            repository.get_list(filters={key: "x"})
        assert isinstance(raised.value, exceptions.InvalidFilters)  # a 400 in a request


def test_sparse_fieldset_errors_are_key_and_value_errors() -> None:
    """The original's parser let marshmallow raise ``KeyError``/``ValueError`` for a bad
    fieldset; code catching those keeps working, and a request still gets a 400."""
    from flask_jsonapi.query_string import SparseFieldsParser

    app = app_with(lambda api: None)
    for query, error in (("fields[nope]=id", KeyError), ("fields[example]=bad", ValueError)):
        with app.test_request_context(f"/examples/?{query}"):
            with pytest.raises(error) as raised:
                SparseFieldsParser(ExampleSchema).parse()
        assert isinstance(raised.value, exceptions.InvalidField)


def test_sqlalchemy_view_set_with_paginate_off_lists_every_row() -> None:
    """``paginate = False`` on a ``SqlAlchemyModelRepository`` view set: the original's
    whole-table list (one SELECT without LIMIT, ``include`` too), a page when asked."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    Base.metadata.create_all(engine)
    session = orm.scoped_session(orm.sessionmaker(engine))
    with session() as setup:
        setup.add_all([Author(id=n, name=f"a{n}") for n in range(1, 4)])
        setup.add_all([Book(id=n, title=f"b{n}", author_id=n) for n in range(1, 4)])
        setup.commit()

    class BookRepository(SqlAlchemyModelRepository):
        model = Book

    class AuthorRepository(SqlAlchemyModelRepository):
        model = Author

    class WholeBookViewSet(ResourceRepositoryViewSet):
        schema = BookSchema
        repository = BookRepository(session=session)
        paginate = False

    class AuthorViewSet(ResourceRepositoryViewSet):
        schema = AuthorSchema
        repository = AuthorRepository(session=session)

    def register(api: Api) -> None:
        api.repository(WholeBookViewSet(), "books", "/books")
        api.repository(AuthorViewSet(), "authors", "/authors")

    app = app_with(register)
    app.config["JSONAPI_PAGE_SIZE"] = 2
    client = app.test_client()
    document = client.get("/books?include=author&sort=-title").document
    assert [book["id"] for book in document["data"]] == ["3", "2", "1"]
    assert len(document["included"]) == 3
    assert (document["meta"], document["links"]) == (
        {"count": 3},
        {"self": "http://localhost/books?include=author&sort=-title"},
    )
    assert [b["id"] for b in client.get("/books?page[number]=2").document["data"]] == ["3"]
    session.remove()
    engine.dispose()


def test_size_number_pagination_of_a_view_of_ones_own_needs_both_parameters() -> None:
    """A view written for the original calls ``SizeNumberPagination().parse()``: ``{}``
    without page parameters, both when both are given, and a 400 naming the missing one
    when one comes alone (the original's ``InvalidPage``)."""
    from flask_jsonapi import query_string

    class ExampleList(ResourceList):
        schema = ExampleSchema

        def get(self, *args, **kwargs):
            pagination = query_string.SizeNumberPagination().parse()
            data = {"data": [], "meta": {"pagination": pagination}}
            return response.JsonApiResponse(data)

    client = app_with(
        lambda api: api.route(ExampleList, "example_list", "/examples/")
    ).test_client()
    assert client.get("/examples/").document["meta"] == {"pagination": {}}
    both = client.get("/examples/?page[size]=3&page[number]=2").document["meta"]
    assert both == {"pagination": {"size": 3, "number": 2}}
    error = only_error(client.get("/examples/?page[size]=3"), 400)
    assert error["source"] == {"parameter": "page[number]"}


# -- linkage to types of the user's storage ----------------------------------------------------


class _Letter(jsonapi_schema.Schema):
    id = jsonapi_schema.fields.Int()
    text = jsonapi_schema.fields.Str()
    to = jsonapi_schema.fields.Relationship(type_="people")

    class Meta:
        type_ = "letters"


class _Person(jsonapi_schema.Schema):
    id = jsonapi_schema.fields.Str()
    name = jsonapi_schema.fields.Str()

    class Meta:
        type_ = "people"


class _People:
    """The original's duck-typed repository: any object with the CRUD methods."""

    def get_detail(self, id: Any) -> Any:
        if id not in ("ada", "bob"):
            raise exceptions.ObjectNotFound(None, f"Nobody called {id}.")
        return SimpleNamespace(id=id, name=id.title())


class _PersonDetail(ResourceDetail):
    schema = _Person

    def read(self, id: Any, **kwargs: Any) -> Any:
        return _People().get_detail(id)


@pytest.mark.parametrize("people", ["repository", "views"])
def test_crt_2_linkage_to_a_type_of_the_users_storage(people: str) -> None:
    """CRT-2: a letter to a person whose type is served by a duck-typed repository (the
    create gets that repository's object for the id) or by hand-written views only (it
    gets the id); 201 with the linkage, and an unknown person is 404 for the repository."""
    letters = MemoryRepository()

    def register(api: Api) -> None:
        api.repository(
            ResourceRepositoryViewSet(schema=_Letter, repository=letters), "letters", "/letters"
        )
        if people == "repository":
            api.repository(
                ResourceRepositoryViewSet(schema=_Person, repository=_People()), "people", "/people"
            )
        else:
            api.route(_PersonDetail, "person_detail", "/people/<id>")

    client = app_with(register).test_client()
    to = {"data": {"type": "people", "id": "bob"}}
    body = {"data": {"type": "letters", "attributes": {"text": "hi"}, "relationships": {"to": to}}}
    created = client.post("/letters", json=body)
    assert created.status_code == 201, created.document
    (letter,) = letters.objects.values()
    if people == "repository":
        assert (letter.to.id, letter.to.name) == ("bob", "Bob")
        to["data"]["id"] = "cy"
        only_error(client.post("/letters", json=body), 404)
        assert len(letters.objects) == 1
    else:
        assert letter.to == "bob"


class _NoSecrets(Policy):
    """An object check: examples whose body is "secret" are hidden."""

    def visible(self, obj: Any) -> bool:
        return obj.body != "secret"


def test_a7_prepare_response_of_a_type_with_a_policy() -> None:
    """The original's ``prepare_response`` answering its own response object, on a type a
    policy checks object by object: that response is the answer (it is no resource the
    policy could check), and the example is stored."""
    repository = MemoryRepository()

    class AnsweringList(ResourceRepositoryListView):
        def prepare_response(self, data):
            obj = self.create(data=data)
            document = {"data": {"type": "example", "id": str(obj.id), "attributes": {"body": "!"}}}
            return response.JsonApiResponse(document, status=201)

    viewset = ExampleViewSet(repository=repository, policy=_NoSecrets())
    viewset.list_view_cls = AnsweringList
    app = app_with(lambda api: api.repository(viewset, "example", "/examples/"))
    body = {"data": {"type": "example", "id": UUID_1, "attributes": {"body": "b"}}}
    answer = app.test_client().post("/examples/", json=body)
    assert answer.status_code == 201, answer.document
    assert answer.document["data"]["attributes"] == {"body": "!"}
    assert [obj.body for obj in repository.objects.values()] == ["b"]


def test_upd_crt_a_to_one_to_a_type_of_hand_written_views(blog_app, db_session) -> None:
    """UPD-*, CRT-2: articles (the stock repository, written in one statement where it
    can) whose authors are served by a hand-written view only (no repository): their
    author is set by PATCH and by POST, as the rows show."""
    from examples.blog import api as blog_api
    from examples.blog.models import Article, Author

    session = blog_app.extensions["blog"]["session"]
    ada = Author(name="Ada", email="ada@example.org")
    bob = Author(name="Bob", email="bob@example.org")
    article = Article(title="T", body="B", author=ada)
    session.add_all([ada, bob, article])
    session.commit()
    article_id, bob_id = article.id, bob.id

    class AuthorDetail(ResourceDetail):
        schema = blog_api.AuthorSchema

        def read(self, id: Any, **kwargs: Any) -> Any:
            return session.get(Author, int(id))

    app = variant_app(blog_app, omit=("authors",))
    app.extensions["flask_jsonapi"][0].route(AuthorDetail, "author_detail", "/authors/<id>")
    client = app.test_client()
    author = {"author": {"data": {"type": "authors", "id": str(bob_id)}}}
    patched = client.patch(
        f"/articles/{article_id}",
        json={"data": {"type": "articles", "id": str(article_id), "relationships": author}},
    )
    assert patched.status_code == 200, patched.document
    body = {"type": "articles", "attributes": {"title": "N", "body": "B"}, "relationships": author}
    created = client.post("/articles", json={"data": body})
    assert created.status_code == 201, created.document
    session.remove()
    stored = db_session.execute(sa.select(Article.id, Article.author_id).order_by(Article.id))
    assert stored.all() == [(article_id, bob_id), (int(created.document["data"]["id"]), bob_id)]
