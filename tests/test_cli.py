"""``flask jsonapi routes``: the command an Api registers on its app lists every type."""

from __future__ import annotations

import flask

from flask_jsonapi import Api, FilterField, FilterSchema
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from tests.support.notes import NoteSchema, memory_repository

TEXT_OPERATORS = (
    "eq, ne, in, notin, contains, icontains, startswith, istartswith, endswith, iendswith, isnull"
)
ORDERED_OPERATORS = "eq, ne, lt, lte, gt, gte, in, notin, isnull"


def routes_output(app: flask.Flask) -> list[str]:
    result = app.test_cli_runner().invoke(args=["jsonapi", "routes"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_routes_of_the_blog_demo(blog_app: flask.Flask) -> None:
    """Each type: its URLs with methods, attributes, relationships with targets, filters."""
    lines = routes_output(blog_app)
    articles = lines[: lines.index("")]
    assert articles == [
        "articles",
        "  endpoints:",
        "    GET, POST                /articles",
        "    DELETE, GET, PATCH       /articles/<id>",
        "    DELETE, GET, PATCH, POST /articles/<id>/relationships/<relationship>",
        "    GET                      /articles/<id>/<relationship>",
        "  attributes: title, body, created (read-only), views, draft",
        "  relationships: author -> authors (to-one), comments -> comments (to-many), "
        "tags -> tags (to-many)",
        "  filters:",
        f"    filter[id]  operators: {ORDERED_OPERATORS}",
        f"    filter[title]  operators: {TEXT_OPERATORS}",
        f"    filter[body]  operators: {TEXT_OPERATORS}",
        f"    filter[created]  operators: {ORDERED_OPERATORS}",
        f"    filter[views]  operators: {ORDERED_OPERATORS}",
        "    filter[draft]  operators: eq, ne, isnull",
        "    filter[author][...]  the filters of authors",
        "    filter[comments][...]  the filters of comments",
        "    filter[tags][...]  the filters of tags",
    ]
    assert [line for line in lines if line and not line.startswith(" ")] == [
        "articles",
        "authors",
        "comments",
        "tags",
        "atomic operations",
    ]
    assert lines[-1] == "  POST                     /operations"


class NoteFilters(FilterSchema):
    content = FilterField(operators=["icontains"])


class NoteViewSet(ResourceRepositoryViewSet):
    schema = NoteSchema
    filter_schema = NoteFilters()


def test_routes_on_a_blueprint_with_declared_filters() -> None:
    """URLs carry the Blueprint prefix; a FilterSchema's filters and operators are listed."""
    blueprint = flask.Blueprint("v1", __name__, url_prefix="/api/v1")
    Api(blueprint).repository(NoteViewSet(repository=memory_repository()), "notes", "/notes")
    app = flask.Flask(__name__)
    app.register_blueprint(blueprint)
    assert routes_output(app) == [
        "notes",
        "  endpoints:",
        "    GET, POST                /api/v1/notes",
        "    DELETE, GET, PATCH       /api/v1/notes/<id>",
        "    DELETE, GET, PATCH, POST /api/v1/notes/<id>/relationships/<relationship>",
        "    GET                      /api/v1/notes/<id>/<relationship>",
        "  attributes: content, parentId",
        "  relationships: -",
        "  filters:",
        "    filter[content][OP]  operators: icontains",
    ]


def test_an_app_without_an_api_has_no_jsonapi_command() -> None:
    result = flask.Flask(__name__).test_cli_runner().invoke(args=["jsonapi", "routes"])
    assert result.exit_code == 2
    assert "No such command 'jsonapi'" in result.output
