"""An application written for the original flask-jsonapi runs on marshmallow 3 (issue 11 a0).

The same two ``marshmallow_jsonapi`` schemas in four spellings, each served end to end
over SQLAlchemy (POST, GET, PATCH, filters, 422s):

* ``marshmallow3`` and ``marshmallow3-flask``: as the original's users wrote them for
  marshmallow 3 and upstream marshmallow-jsonapi 0.24 (``missing=``, ``default=``,
  ``Meta.self_url``, or ``Meta.self_view`` with ``marshmallow_jsonapi.flask``); marshmallow 4
  refuses them at import, so they run in ``.venv-mm3`` only.
* ``marshmallow4``: marshmallow-4 spelling (``load_default=``, ``@validates`` receiving
  ``data_key``) on the minfork, in ``.venv`` only.
* ``portable-flask``: ``marshmallow_jsonapi.flask`` in the spelling both accept, in both.

``make test`` runs both environments, so every spelling is tested.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from marshmallow import ValidationError, validate, validates
from sqlalchemy import orm

import flask_jsonapi
from flask_jsonapi.filters_schema import Operators
from flask_jsonapi.resource_repositories import sqlalchemy_repositories
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.schema import Schema, fields
from flask_jsonapi.schema.compat import MARSHMALLOW_MAJOR
from tests.support.client import JsonApiClient
from tests.support.database import reset_database
from tests.support.marshmallow_versions import only_marshmallow3, only_marshmallow4
from tests.support.notes import notes_app

# marshmallow 3 warns about the very spelling these tests keep (`missing=`, `default=`).
pytestmark = pytest.mark.filterwarnings(
    "ignore:The '(missing|default)' argument to fields is deprecated:DeprecationWarning"
)


class Base(orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "mm_authors"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)


class Article(Base):
    __tablename__ = "mm_articles"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(100), nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    view_count = sa.Column(sa.Integer, nullable=False)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("mm_authors.id"))
    author = orm.relationship(Author)


def dasherize(text: str) -> str:
    return text.replace("_", "-")


@functools.cache
def marshmallow3_schemas() -> tuple[type, type]:
    """The schemas as written for flask-jsonapi 1.x (marshmallow 3, marshmallow-jsonapi 0.24)."""
    from marshmallow_jsonapi import Schema, fields

    class AuthorSchema(Schema):
        id = fields.Int()
        name = fields.Str(required=True)

        class Meta:
            type_ = "authors"
            self_url = "/authors/{id}"
            self_url_kwargs = {"id": "<id>"}
            self_url_many = "/authors/"
            strict = True

    class ArticleSchema(Schema):
        id = fields.Int()
        title = fields.Str(required=True, validate=validate.Length(min=1, max=100))
        status = fields.Str(missing="draft", default="draft")
        view_count = fields.Int(missing=0)
        author = fields.Relationship(
            related_url="/authors/{author_id}",
            related_url_kwargs={"author_id": "<author.id>"},
            include_resource_linkage=True,
            type_="authors",
            # A class, not the name "AuthorSchema": other test modules define one too.
            schema=AuthorSchema,
        )

        @validates("title")
        def validate_title(self, value):
            if value.lower() == "untitled":
                raise ValidationError("Give the article a title.")

        class Meta:
            type_ = "articles"
            self_url = "/articles/{id}"
            self_url_kwargs = {"id": "<id>"}
            self_url_many = "/articles/"
            inflect = dasherize
            strict = True

    return AuthorSchema, ArticleSchema


@functools.cache
def marshmallow4_schemas() -> tuple[type, type]:
    """The same schemas in marshmallow-4 spelling (the minfork)."""
    from marshmallow_jsonapi import Schema, fields

    class AuthorSchema(Schema):
        id = fields.Int()
        name = fields.Str(required=True)

        class Meta:
            type_ = "authors"

    class ArticleSchema(Schema):
        id = fields.Int()
        title = fields.Str(required=True, validate=validate.Length(min=1, max=100))
        status = fields.Str(load_default="draft", dump_default="draft")
        view_count = fields.Int(load_default=0)
        author = fields.Relationship(include_resource_linkage=True, type_="authors")

        @validates("title")
        def validate_title(self, value: str, data_key: str) -> None:
            if value.lower() == "untitled":
                raise ValidationError("Give the article a title.")

        class Meta:
            type_ = "articles"
            inflect = dasherize

    return AuthorSchema, ArticleSchema


@functools.cache
def marshmallow3_flask_schemas() -> tuple[type, type]:
    """As written for flask-jsonapi 1.x with ``marshmallow_jsonapi.flask`` (view names)."""
    from marshmallow_jsonapi import fields
    from marshmallow_jsonapi.flask import Relationship, Schema

    class AuthorSchema(Schema):
        id = fields.Int()
        name = fields.Str(required=True)

        class Meta:
            type_ = "authors"
            self_view = "authors_detail"
            self_view_kwargs = {"id": "<id>"}
            self_view_many = "authors_list"

    class ArticleSchema(Schema):
        id = fields.Int()
        title = fields.Str(required=True, validate=validate.Length(min=1, max=100))
        status = fields.Str(missing="draft", default="draft")
        view_count = fields.Int(missing=0)
        author = Relationship(
            related_view="authors_detail",
            related_view_kwargs={"id": "<author.id>"},
            include_resource_linkage=True,
            type_="authors",
        )

        @validates("title")
        def validate_title(self, value):
            if value.lower() == "untitled":
                raise ValidationError("Give the article a title.")

        class Meta:
            type_ = "articles"
            self_view = "articles_detail"
            self_view_kwargs = {"id": "<id>"}
            self_view_many = "articles_list"
            inflect = dasherize

    return AuthorSchema, ArticleSchema


@functools.cache
def portable_flask_schemas() -> tuple[type, type]:
    """``marshmallow_jsonapi.flask`` schemas in the spelling marshmallow 3.13+ and 4 accept."""
    from marshmallow_jsonapi import fields
    from marshmallow_jsonapi.flask import Relationship, Schema

    class AuthorSchema(Schema):
        id = fields.Int()
        name = fields.Str(required=True)

        class Meta:
            type_ = "authors"
            self_view = "authors_detail"
            self_view_kwargs = {"id": "<id>"}

    class ArticleSchema(Schema):
        id = fields.Int()
        title = fields.Str(required=True, validate=validate.Length(min=1, max=100))
        status = fields.Str(load_default="draft", dump_default="draft")
        view_count = fields.Int(load_default=0)
        author = Relationship(
            related_view="authors_detail",
            related_view_kwargs={"id": "<author.id>"},
            include_resource_linkage=True,
            type_="authors",
        )

        @validates("title")
        def validate_title(self, value: str, **kwargs: Any) -> None:
            if value.lower() == "untitled":
                raise ValidationError("Give the article a title.")

        class Meta:
            type_ = "articles"
            self_view = "articles_detail"
            self_view_kwargs = {"id": "<id>"}
            inflect = dasherize

    return AuthorSchema, ArticleSchema


SPELLINGS = {
    "marshmallow3": marshmallow3_schemas,
    "marshmallow3-flask": marshmallow3_flask_schemas,
    "marshmallow4": marshmallow4_schemas,
    "portable-flask": portable_flask_schemas,
}


@pytest.fixture(
    params=[
        pytest.param("marshmallow3", marks=only_marshmallow3),
        pytest.param("marshmallow3-flask", marks=only_marshmallow3),
        pytest.param("marshmallow4", marks=only_marshmallow4),
        "portable-flask",
    ]
)
def app(request: pytest.FixtureRequest, database_url: str) -> Iterator[flask.Flask]:
    """The application of a user of the original, with the schemas of one spelling."""
    author_schema, article_schema = SPELLINGS[request.param]()
    engine = sa.create_engine(database_url, poolclass=sa.pool.StaticPool)
    session = orm.scoped_session(orm.sessionmaker(bind=engine))

    class AuthorRepository(sqlalchemy_repositories.SqlAlchemyModelRepository):
        model = Author
        instance_name = "authors"

    class ArticleRepository(sqlalchemy_repositories.SqlAlchemyModelRepository):
        model = Article
        instance_name = "articles"

    AuthorRepository.session = session
    ArticleRepository.session = session

    class ArticleFilters(flask_jsonapi.FilterSchema):
        title = flask_jsonapi.FilterField(operators=[None, Operators.ICONTAINS])
        view_count = flask_jsonapi.FilterField(
            type_=article_schema._declared_fields["view_count"].__class__,
            operators=[Operators.GT, Operators.LT],
        )

    class AuthorViewSet(flask_jsonapi.resource_repository_views.ResourceRepositoryViewSet):
        schema = author_schema
        repository = AuthorRepository()

    class ArticleViewSet(flask_jsonapi.resource_repository_views.ResourceRepositoryViewSet):
        schema = article_schema
        repository = ArticleRepository()
        filter_schema = ArticleFilters()

    reset_database(engine, Base.metadata)
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = flask_jsonapi.Api(app)
    api.repository(AuthorViewSet(), "authors", "/authors/")
    api.repository(ArticleViewSet(), "articles", "/articles/")
    app.extensions["test_session"] = session
    try:
        yield app
    finally:
        session.remove()
        engine.dispose()


@pytest.fixture
def client(app: flask.Flask) -> JsonApiClient:
    return app.test_client()


def stored_articles(app: flask.Flask) -> list[tuple[Any, ...]]:
    session = app.extensions["test_session"]
    columns = (Article.id, Article.title, Article.status, Article.view_count, Article.author_id)
    rows = [tuple(row) for row in session.execute(sa.select(*columns).order_by(Article.id))]
    session.remove()
    return rows


def create_author(client: JsonApiClient, name: str) -> str:
    body = {"data": {"type": "authors", "attributes": {"name": name}}}
    response = client.post("/authors/", json=body)
    assert response.status_code == 201, response.document
    return response.document["data"]["id"]


def create_article(client: JsonApiClient, attributes: dict[str, Any], author_id: str = "") -> str:
    data: dict[str, Any] = {"type": "articles", "attributes": attributes}
    if author_id:
        data["relationships"] = {"author": {"data": {"type": "authors", "id": author_id}}}
    response = client.post("/articles/", json={"data": data})
    assert response.status_code == 201, response.document
    return response.document["data"]["id"]


def test_each_environment_has_its_schema_module() -> None:
    """marshmallow 3 comes with upstream marshmallow-jsonapi 0.24, 4 with the minfork."""
    installed = importlib.metadata.packages_distributions()["marshmallow_jsonapi"]
    if MARSHMALLOW_MAJOR == 3:
        assert installed == ["marshmallow-jsonapi"]
        assert importlib.metadata.version("marshmallow-jsonapi").startswith("0.24.")
    else:
        assert MARSHMALLOW_MAJOR == 4
        assert installed == ["marshmallow-jsonapi-minfork"]


def test_post_fills_load_defaults_and_stores_the_row(
    app: flask.Flask, client: JsonApiClient
) -> None:
    author_id = create_author(client, "Ada")
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "Hello"},
            "relationships": {"author": {"data": {"type": "authors", "id": author_id}}},
        }
    }

    response = client.post("/articles/", json=body)

    assert response.status_code == 201, response.document
    data = response.document["data"]
    assert data["type"] == "articles"
    assert data["attributes"] == {"title": "Hello", "status": "draft", "view-count": 0}
    assert data["relationships"]["author"]["data"] == {"type": "authors", "id": author_id}
    assert response.headers["Location"] == data["links"]["self"]
    assert stored_articles(app) == [(int(data["id"]), "Hello", "draft", 0, int(author_id))]


def test_get_renders_inflected_members_linkage_and_included(client: JsonApiClient) -> None:
    author_id = create_author(client, "Grace")
    attributes = {"title": "Compilers", "status": "published", "view-count": 7}
    article_id = create_article(client, attributes, author_id)

    response = client.get(f"/articles/{article_id}/?include=author")

    assert response.status_code == 200
    data = response.document["data"]
    assert list(data["attributes"]) == ["title", "status", "view-count"]
    assert data["attributes"] == attributes
    assert data["relationships"]["author"]["data"] == {"type": "authors", "id": author_id}
    assert response.document["included"] == [
        {
            "type": "authors",
            "id": author_id,
            "attributes": {"name": "Grace"},
            "links": {"self": f"http://localhost/authors/{author_id}/"},
        }
    ]


def test_collection_with_sparse_fieldset_and_declared_filters(client: JsonApiClient) -> None:
    create_article(client, {"title": "Often read", "view-count": 10})
    create_article(client, {"title": "Rarely read", "view-count": 1})

    busy = client.get("/articles/?filter[view_count][gt]=5&fields[articles]=view-count")
    rarely = client.get("/articles/?filter[title][icontains]=RARELY")
    bad = client.get("/articles/?filter[view_count][gt]=many")

    assert busy.status_code == 200
    assert [r["attributes"] for r in busy.document["data"]] == [{"view-count": 10}]
    assert [r["attributes"]["title"] for r in rarely.document["data"]] == ["Rarely read"]
    assert bad.status_code == 400
    assert [e["source"] for e in bad.document["errors"]] == [
        {"parameter": "filter[view_count][gt]"}
    ]


def test_patch_changes_only_the_given_members(app: flask.Flask, client: JsonApiClient) -> None:
    article_id = create_article(client, {"title": "Draft"})
    body = {"data": {"type": "articles", "id": article_id, "attributes": {"view-count": 3}}}

    response = client.patch(f"/articles/{article_id}/", json=body)

    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"] == {
        "title": "Draft",
        "status": "draft",
        "view-count": 3,
    }
    # A load default fills absent members on create only: PATCH keeps what is stored.
    assert stored_articles(app) == [(int(article_id), "Draft", "draft", 3, None)]


@pytest.mark.parametrize(
    ("attributes", "pointer", "detail"),
    [
        ({"title": "untitled"}, "/data/attributes/title", "Give the article a title."),
        ({"title": ""}, "/data/attributes/title", "Length must be between 1 and 100."),
        (
            {"title": "x", "view-count": "many"},
            "/data/attributes/view-count",
            "Not a valid integer.",
        ),
        ({"view-count": 1}, "/data/attributes", "'title': Missing data for required field."),
    ],
    ids=["validates-hook", "validate-argument", "wrong-type", "missing-required"],
)
def test_invalid_input_is_422_at_the_member(
    app: flask.Flask,
    client: JsonApiClient,
    attributes: dict[str, Any],
    pointer: str,
    detail: str,
) -> None:
    body = {"data": {"type": "articles", "attributes": attributes}}

    response = client.post("/articles/", json=body)

    assert response.status_code == 422
    errors = response.document["errors"]
    assert [(e["source"]["pointer"], e["detail"]) for e in errors] == [(pointer, detail)]
    assert stored_articles(app) == []


# -- member order ------------------------------------------------------------------------------

MEMBERS = ["zeta", "alpha", "mu", "beta", "omega", "gamma", "kappa", "delta"]


class UnorderedSchema(Schema):
    """Fields built through a ``set``, as marshmallow 3 before 3.20 does without ``ordered``."""

    set_class = set

    id = fields.Int()
    zeta = fields.Int()
    alpha = fields.Int()
    mu = fields.Int()
    beta = fields.Int()
    omega = fields.Int()
    gamma = fields.Int()
    kappa = fields.Int()
    delta = fields.Int()

    class Meta:
        type_ = "counters"


@pytest.fixture
def counters() -> JsonApiClient:
    row = SimpleNamespace(id=1, **{name: index for index, name in enumerate(MEMBERS)})

    class Counters(flask_jsonapi.ResourceRepositoryViewSet):
        schema = UnorderedSchema

    viewset = Counters(repository=MemoryRepository([row]))
    return notes_app(lambda api: api.repository(viewset, "counters", "/counters")).test_client()


def test_attributes_are_rendered_in_declaration_order(counters: JsonApiClient) -> None:
    response = counters.get("/counters/1")

    assert response.status_code == 200
    assert list(response.document["data"]["attributes"]) == MEMBERS


def test_validation_errors_come_in_declaration_order(counters: JsonApiClient) -> None:
    attributes = {name: "not a number" for name in sorted(MEMBERS)}

    response = counters.post(
        "/counters", json={"data": {"type": "counters", "attributes": attributes}}
    )

    assert response.status_code == 422
    pointers = [error["source"]["pointer"] for error in response.document["errors"]]
    assert pointers == [f"/data/attributes/{name}" for name in MEMBERS]
