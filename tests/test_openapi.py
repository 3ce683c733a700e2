"""The OpenAPI document: valid OpenAPI 3.1 (openapi-spec-validator) for the demo and for
other shapes (a Blueprint prefix, a declared filter_schema, cursor pagination), and what it
says about endpoints, members, query parameters, media types and errors; its URL and the
docs page's are configurable and can be turned off."""

from __future__ import annotations

import flask
import pytest
from marshmallow import fields as ma_fields
from openapi_spec_validator import validate
from sqlalchemy.orm import scoped_session, sessionmaker

from examples.blog.api import (
    ArticleRepository,
    ArticleViewSet,
    AuthorRepository,
    AuthorViewSet,
    _create_engine,
    create_app,
)
from examples.blog.models import Base
from flask_jsonapi import Api, FilterField, FilterSchema, RelationshipFilterField
from flask_jsonapi.filters_schema import Operators

MEDIA_TYPE = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
CURSOR = 'application/vnd.api+json; profile="https://jsonapi.org/profiles/ethanresnick/cursor-pagination"'


def _document(app: flask.Flask, url: str = "/openapi.json") -> dict:
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert response.content_type == "application/json"
    document = response.get_json()
    validate(document)  # raises unless the document is valid OpenAPI 3.1
    assert document["openapi"] == "3.1.0"
    return document


def _parameters(operation: dict) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in operation.get("parameters", ())}


def _schema(document: dict, ref: dict) -> dict:
    return document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


# -- the demo ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> dict:
    return _document(create_app("sqlite://", seed_data=False))


def test_demo_lists_every_endpoint(demo):
    paths = {
        path: sorted(k for k in item if k != "parameters") for path, item in demo["paths"].items()
    }
    assert paths["/articles"] == ["get", "post"]
    assert paths["/articles/{id}"] == ["delete", "get", "patch"]
    assert paths["/articles/{id}/relationships/author"] == ["get", "patch"]  # to-one
    assert paths["/articles/{id}/relationships/tags"] == ["delete", "get", "patch", "post"]
    assert paths["/articles/{id}/comments"] == ["get"]
    assert paths["/operations"] == ["post"]
    assert len(paths) == 23
    assert sum(len(methods) for methods in paths.values()) == 50
    assert [tag["name"] for tag in demo["tags"]] == [
        "articles", "authors", "comments", "tags", "operations"
    ]  # fmt: skip


def test_resource_object_shows_attributes_relationships_and_read_only_members(demo):
    article = demo["components"]["schemas"]["articles.resource"]
    assert article["required"] == ["type", "id"]
    assert article["properties"]["type"] == {"type": "string", "const": "articles"}
    attributes = article["properties"]["attributes"]["properties"]
    assert attributes["title"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert attributes["views"] == {"type": "integer", "minimum": 0}
    assert attributes["created"]["readOnly"] is True
    author = article["properties"]["relationships"]["properties"]["author"]
    assert author["properties"]["data"] == {
        "anyOf": [{"$ref": "#/components/schemas/authors.identifier"}, {"type": "null"}]
    }
    tags = article["properties"]["relationships"]["properties"]["tags"]["properties"]["data"]
    assert tags == {"type": "array", "items": {"$ref": "#/components/schemas/tags.identifier"}}
    email = demo["components"]["schemas"]["authors.resource"]["properties"]["attributes"]
    assert email["properties"]["email"]["format"] == "email"


def test_request_bodies_for_create_and_update(demo):
    create = demo["paths"]["/comments"]["post"]["requestBody"]["content"][MEDIA_TYPE]["schema"]
    data = _schema(demo, create)["properties"]["data"]
    assert data["required"] == ["type", "attributes", "relationships"]
    assert data["properties"]["attributes"]["required"] == ["body"]
    assert "created" not in data["properties"]["attributes"]["properties"]  # read-only
    assert data["properties"]["relationships"]["required"] == ["article"]
    assert "id" not in data["properties"]  # no client-generated ids
    update = demo["paths"]["/comments/{id}"]["patch"]["requestBody"]["content"][MEDIA_TYPE]
    data = _schema(demo, update["schema"])["properties"]["data"]
    assert data["required"] == ["type", "id"]
    assert "required" not in data["properties"]["attributes"]


def test_collection_query_parameters(demo):
    parameters = _parameters(demo["paths"]["/articles"]["get"])
    include = parameters["include"]
    assert (include["style"], include["explode"]) == ("form", False)
    assert {"author", "comments.author", "tags.articles.author"} <= set(
        include["schema"]["items"]["enum"]
    )
    members = parameters["fields[articles]"]["schema"]["items"]["enum"]
    assert {"title", "body", "created", "views", "author", "comments", "tags"} <= set(members)
    assert "id" not in members  # not a field: fields[TYPE]=id is refused
    assert {"fields[authors]", "fields[comments]", "fields[tags]"} <= set(parameters)
    sort = parameters["sort"]["schema"]["items"]["enum"]
    assert {"title", "-views", "author.name", "-author.email", "id"} <= set(sort)
    assert "comments.body" not in sort  # to-many relationships do not sort
    assert parameters["page[number]"]["schema"]["minimum"] == 1
    assert parameters["page[size]"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["filter[views][gte]"]["schema"] == {"type": "integer"}
    assert parameters["filter[title][in]"]["schema"]["type"] == "array"
    assert parameters["filter[created][isnull]"]["schema"] == {"type": "boolean"}
    assert "filter[author][name]" in parameters
    assert "page[after]" not in parameters


def test_single_resource_and_relationship_parameters(demo):
    detail = _parameters(demo["paths"]["/articles/{id}"]["get"])
    assert set(detail) == {
        "include",
        "fields[articles]",
        "fields[authors]",
        "fields[comments]",
        "fields[tags]",
    }
    path = demo["paths"]["/articles/{id}"]["parameters"]
    assert path == [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    linkage = _parameters(demo["paths"]["/articles/{id}/relationships/tags"]["get"])
    assert set(linkage) == {"page[number]", "page[size]", "page[count]"}
    related = _parameters(demo["paths"]["/articles/{id}/comments"]["get"])
    assert "filter[body][icontains]" in related and "sort" in related


def test_media_types_and_error_responses(demo):
    create = demo["paths"]["/articles"]["post"]
    assert list(create["requestBody"]["content"]) == [MEDIA_TYPE]
    assert sorted(create["responses"]) == [
        "201",
        "400",
        "403",
        "404",
        "406",
        "409",
        "413",
        "415",
        "422",
    ]
    assert "Location" in create["responses"]["201"]["headers"]
    error = create["responses"]["422"]["content"][MEDIA_TYPE]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorDocument"}
    assert sorted(demo["paths"]["/articles"]["get"]["responses"]) == ["200", "400", "406"]
    assert sorted(demo["paths"]["/articles/{id}"]["delete"]["responses"]) == [
        "204",
        "400",
        "404",
        "406",
        "409",
    ]
    operations = demo["paths"]["/operations"]["post"]
    assert list(operations["requestBody"]["content"]) == [ATOMIC]
    assert list(operations["responses"]["200"]["content"]) == [ATOMIC]
    assert list(operations["responses"]["400"]["content"]) == [ATOMIC]


# -- other shapes --------------------------------------------------------------------------


class AuthorFilters(FilterSchema):
    name = FilterField(operators=[None, Operators.ICONTAINS])


class ArticleFilters(FilterSchema):
    title = FilterField(operators=[None, Operators.ISTARTSWITH])
    popular = FilterField(attribute="views", type_=ma_fields.Int, default_operator="gte")
    writer = RelationshipFilterField(AuthorFilters, attribute="author")


class CursorArticles(ArticleViewSet):
    pagination = "cursor"
    filter_schema = ArticleFilters
    filter_expressions = True


def _shaped_app(**config) -> flask.Flask:
    engine = _create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = scoped_session(sessionmaker(bind=engine))
    app = flask.Flask("shapes")
    app.config.update(config)
    blueprint = flask.Blueprint("v1", __name__)
    api = Api(blueprint)
    api.repository(
        CursorArticles(repository=ArticleRepository(session=session)), "articles", "/articles"
    )
    api.repository(
        AuthorViewSet(repository=AuthorRepository(session=session)), "authors", "/authors"
    )
    app.register_blueprint(blueprint, url_prefix="/api")
    return app


def test_blueprint_prefix_filter_schema_and_cursor_pagination():
    document = _document(
        _shaped_app(JSONAPI_OPENAPI_INFO={"title": "Shapes", "version": "2.1"}), "/api/openapi.json"
    )
    assert document["info"] == {"title": "Shapes", "version": "2.1"}
    assert set(document["paths"]) >= {
        "/api/articles",
        "/api/articles/{id}",
        "/api/authors/{id}/articles",
    }
    assert not any(path.startswith("/articles") for path in document["paths"])
    articles = document["paths"]["/api/articles"]["get"]
    parameters = _parameters(articles)
    filters = sorted(name for name in parameters if name.startswith("filter"))
    assert filters == [
        "filter", "filter[popular]", "filter[title]", "filter[title][istartswith]",
        "filter[writer][name]",
    ]  # fmt: skip
    assert parameters["filter[popular]"]["schema"] == {"type": "integer"}
    assert {"page[after]", "page[before]", "page[size]", "page[count]"} <= set(parameters)
    assert "page[number]" not in parameters
    assert list(articles["responses"]["200"]["content"]) == [CURSOR]
    # Authors are number-paginated: their related articles still page by cursor.
    related = document["paths"]["/api/authors/{id}/articles"]["get"]
    assert list(related["responses"]["200"]["content"]) == [CURSOR]
    assert "/api/operations" not in document["paths"]


def test_the_document_answers_the_application(blog_app):
    """The document's URL serves it whatever Accept says, and it is the app's own."""
    response = blog_app.test_client().get("/openapi.json", headers={"Accept": MEDIA_TYPE})
    assert response.status_code == 200
    assert "/articles" in response.get_json()["paths"]


def test_urls_are_configurable():
    app = _shaped_app(JSONAPI_OPENAPI_URL="/spec.json", JSONAPI_DOCS_URL="/reference")
    client = app.test_client()
    assert client.get("/api/openapi.json").status_code == 404
    _document(app, "/api/spec.json")
    page = client.get("/api/reference/")
    assert page.status_code == 200
    assert b'"url": "/api/spec.json"' in page.data
    assert client.get("/api/docs/").status_code == 404


def test_document_and_page_can_be_turned_off():
    app = _shaped_app(JSONAPI_OPENAPI_URL=None)
    client = app.test_client()
    assert client.get("/api/openapi.json").status_code == 404
    assert client.get("/api/docs/").status_code == 404
    app = _shaped_app(JSONAPI_DOCS_URL=None)
    assert app.test_client().get("/api/docs/").status_code == 404
    _document(app, "/api/openapi.json")


def test_docs_page_assets_are_served_locally():
    client = create_app("sqlite://", seed_data=False).test_client()
    page = client.get("/docs/")
    assert page.status_code == 200
    assert b"http" not in page.data.split(b"<script>")[0]  # no asset from another host
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f'"/docs/{asset}"'.encode() in page.data
        response = client.get(f"/docs/{asset}")
        assert response.status_code == 200
        assert len(response.data) > 10_000


def test_allowed_actions_limit_the_methods_described():
    from flask_jsonapi import AllowedActionsResourceViewSetMixin
    from flask_jsonapi.resources import Actions

    class ReadOnlyAuthors(AllowedActionsResourceViewSetMixin, AuthorViewSet):
        allowed_actions = (Actions.read, Actions.read_many)

    engine = _create_engine("sqlite://")
    session = scoped_session(sessionmaker(bind=engine))
    app = flask.Flask("read_only")
    api = Api(app)
    api.repository(
        ReadOnlyAuthors(repository=AuthorRepository(session=session)), "authors", "/authors"
    )
    paths = _document(app)["paths"]
    assert [m for m in paths["/authors"] if m != "parameters"] == ["get"]
    assert [m for m in paths["/authors/{id}"] if m != "parameters"] == ["get"]
    assert [m for m in paths["/authors/{id}/relationships/articles"] if m != "parameters"] == [
        "get"
    ]
    response = app.test_client().post("/authors", data="{}", content_type=MEDIA_TYPE)
    assert response.status_code == 405  # what the document leaves out is refused
