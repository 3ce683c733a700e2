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


def _parameters(operation: dict, where: str = "query") -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", ()) if p["in"] == where}


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
    assert sorted(demo["paths"]["/articles"]["get"]["responses"]) == ["200", "304", "400", "406"]
    assert sorted(demo["paths"]["/articles/{id}"]["delete"]["responses"]) == [
        "204",
        "400",
        "404",
        "406",
        "409",
        "412",
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


# -- conditional requests (ETag, If-None-Match, If-Match) ----------------------------------

ETAG_SCHEMA = {"type": "string"}


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_reads_describe_etag_if_none_match_and_304(demo):
    """Every GET (collection, resource, related, relationship) takes ``If-None-Match``,
    answers 304 with the ETag and no body, and its 200 carries the ETag."""
    gets = [(path, op) for path, method, op in _operations(demo) if method == "get"]
    assert len(gets) == 22
    for path, operation in gets:
        (header,) = _parameters(operation, "header").values()
        assert header["name"] == "If-None-Match" and header["required"] is False, path
        not_modified = operation["responses"]["304"]
        assert "content" not in not_modified, path
        assert not_modified["headers"]["ETag"]["schema"] == ETAG_SCHEMA
        assert operation["responses"]["200"]["headers"]["ETag"]["schema"] == ETAG_SCHEMA


def test_writes_describe_if_match_412_and_the_etag_of_their_answer(demo):
    """PATCH and DELETE of a resource and every relationship write take ``If-Match`` (not
    required here: no 428) and may answer 412; the answers with a document carry the ETag
    (a POST's 201 too, which takes no If-Match); a DELETE's 204 has none."""
    precondition_error = {"$ref": "#/components/schemas/ErrorDocument"}
    writes = [
        ("/articles/{id}", "patch", "200"),
        ("/articles/{id}", "delete", None),
        ("/articles/{id}/relationships/author", "patch", "200"),
        ("/articles/{id}/relationships/tags", "patch", "200"),
        ("/articles/{id}/relationships/tags", "post", "200"),
        ("/articles/{id}/relationships/tags", "delete", "200"),
    ]
    for path, method, tagged in writes:
        operation = demo["paths"][path][method]
        (header,) = _parameters(operation, "header").values()
        assert (header["name"], header["required"]) == ("If-Match", False), (path, method)
        failed = operation["responses"]["412"]["content"][MEDIA_TYPE]["schema"]
        assert failed == precondition_error
        assert "428" not in operation["responses"]
        if tagged:
            assert operation["responses"][tagged]["headers"]["ETag"]["schema"] == ETAG_SCHEMA
    assert "headers" not in demo["paths"]["/articles/{id}"]["delete"]["responses"]["204"]
    create = demo["paths"]["/articles"]["post"]
    assert _parameters(create, "header") == {}
    assert set(create["responses"]["201"]["headers"]) == {"Location", "ETag"}
    assert "412" not in create["responses"]
    atomic_responses = demo["paths"]["/operations"]["post"]["responses"]
    assert "412" in atomic_responses and "428" not in atomic_responses  # meta.ifMatch


def test_required_if_match_is_described_with_428_as_the_app_answers():
    """``JSONAPI_REQUIRE_IF_MATCH``: every write's ``If-Match`` is required and 428 is
    described; a view set's ``require_if_match = False`` wins for its type. The app
    answers what the document says."""

    class OptionalAuthors(AuthorViewSet):
        require_if_match = False

    engine = _create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = scoped_session(sessionmaker(bind=engine))
    app = flask.Flask("required")
    app.config["JSONAPI_REQUIRE_IF_MATCH"] = True
    api = Api(app)
    api.repository(
        ArticleViewSet(repository=ArticleRepository(session=session)), "articles", "/articles"
    )
    api.repository(
        OptionalAuthors(repository=AuthorRepository(session=session)), "authors", "/authors"
    )
    paths = _document(app)["paths"]
    for path, method in [
        ("/articles/{id}", "patch"),
        ("/articles/{id}", "delete"),
        ("/articles/{id}/relationships/tags", "post"),
    ]:
        operation = paths[path][method]
        assert _parameters(operation, "header")["If-Match"]["required"] is True
        assert {"412", "428"} <= set(operation["responses"]), (path, method)
    authors = paths["/authors/{id}"]["patch"]
    assert _parameters(authors, "header")["If-Match"]["required"] is False
    assert "428" not in authors["responses"]

    client = app.test_client()
    for url, type_ in (("/articles", "articles"), ("/authors", "authors")):
        attributes = {"title": "t"} if type_ == "articles" else {"name": "n", "email": "n@x.org"}
        created = client.post(
            url,
            json={"data": {"type": type_, "attributes": attributes}},
            headers={"Content-Type": MEDIA_TYPE},
        )
        assert created.status_code == 201, created.get_json()
    patch = {"data": {"type": "articles", "id": "1", "attributes": {"title": "u"}}}
    refused = client.patch("/articles/1", json=patch, headers={"Content-Type": MEDIA_TYPE})
    assert refused.status_code == 428
    patch = {"data": {"type": "authors", "id": "1", "attributes": {"name": "m"}}}
    allowed = client.patch("/authors/1", json=patch, headers={"Content-Type": MEDIA_TYPE})
    assert allowed.status_code == 200


def test_views_without_etags_describe_none():
    """A detail view class with ``etags = False``: its GETs take no If-None-Match and
    answer no ETag or 304 (the list view, with ETags, still does), and the app answers no
    ETag there."""
    from flask_jsonapi.resource_repository_views import ResourceRepositoryDetailView

    class UntaggedDetail(ResourceRepositoryDetailView):
        etags = False

    class UntaggedAuthors(AuthorViewSet):
        detail_view_cls = UntaggedDetail

    engine = _create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = scoped_session(sessionmaker(bind=engine))
    app = flask.Flask("untagged")
    Api(app).repository(
        UntaggedAuthors(repository=AuthorRepository(session=session)), "authors", "/authors"
    )
    paths = _document(app)["paths"]
    detail = paths["/authors/{id}"]["get"]
    assert _parameters(detail, "header") == {}
    assert "304" not in detail["responses"]
    assert "headers" not in detail["responses"]["200"]
    assert "ETag" not in paths["/authors/{id}"]["patch"]["responses"]["200"].get("headers", {})
    assert "If-Match" in _parameters(paths["/authors/{id}"]["patch"], "header")
    assert "304" in paths["/authors"]["get"]["responses"]

    client = app.test_client()
    client.post(
        "/authors",
        json={"data": {"type": "authors", "attributes": {"name": "n", "email": "n@x.org"}}},
        headers={"Content-Type": MEDIA_TYPE},
    )
    assert "ETag" not in client.get("/authors/1").headers
    assert "ETag" in client.get("/authors").headers
