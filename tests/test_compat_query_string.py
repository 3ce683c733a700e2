"""The original's ``flask_jsonapi.query_string`` parsers, ``ResourceList.get_pagination_links``
and the opt-in ``X-Original-Path`` header, for code migrating from flask-jsonapi 1.4.

The parsers answer the original's shapes and raise this library's 400s (source.parameter);
a view written in the original's style calls them and lets the errors propagate.
"""

from __future__ import annotations

from typing import Any

import flask
import orjson
import pytest

from examples.blog.api import ArticleSchema, ArticleViewSet, AuthorSchema
from flask_jsonapi import Api, ResourceRepositoryListView
from flask_jsonapi.exceptions import JsonApiException
from flask_jsonapi.query_string import (
    IncludeParser,
    Pagination,
    QueryStringParser,
    SizeNumberPagination,
    SortParser,
    SparseFieldsParser,
)
from flask_jsonapi.schema import Schema, fields
from tests.support.blog_rows import add_rows, make_article
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error

MEDIA_TYPE = "application/vnd.api+json"


def parsed(app: flask.Flask, query_string: str) -> dict[str, Any]:
    """What each parser answers for ``GET /articles?<query_string>``."""
    with app.test_request_context("/articles?" + query_string):
        return {
            "include": IncludeParser(ArticleSchema).parse(),
            "fields": SparseFieldsParser(ArticleSchema).parse(),
            "sort": SortParser(ArticleSchema).parse(),
            "page": SizeNumberPagination().parse(),
        }


def test_no_parameters_give_the_originals_empty_values(blog_app: flask.Flask) -> None:
    assert parsed(blog_app, "") == {"include": (), "fields": None, "sort": (), "page": {}}


def test_inc_include_parser_answers_a_tuple_of_paths(blog_app: flask.Flask) -> None:
    """INC-1: paths in request order, each once, validated through the related types."""
    result = parsed(blog_app, "include=comments.author,author,comments.author")
    assert result["include"] == ("comments.author", "author")


def test_include_paths_are_schema_field_names() -> None:
    """A member renamed on the wire (``data_key``) comes back as the schema's field name,
    which is what marshmallow-jsonapi's ``include_data=`` takes."""

    class Writer(Schema):
        id = fields.Int()
        best_friend = fields.Relationship(type_="writers", data_key="bestFriend")

        class Meta:
            type_ = "writers"

    app = flask.Flask(__name__)
    with app.test_request_context("/writers?include=bestFriend.bestFriend"):
        assert IncludeParser(Writer).parse() == ("best_friend.best_friend",)
    with app.test_request_context("/writers?include=best_friend"):
        with pytest.raises(JsonApiException) as raised:
            IncludeParser(Writer).parse()
    assert raised.value.status == 400
    assert raised.value.source == {"parameter": "include"}


def test_fld_sparse_fields_of_the_primary_and_a_related_type(blog_app: flask.Flask) -> None:
    """FLD-1: keyed by type; ``id`` is always listed (marshmallow-jsonapi's ``only=``
    needs it); a related type's fields are ``<relationship>.<field>``."""
    result = parsed(blog_app, "fields[articles]=title,author&fields[authors]=name")
    assert result["fields"] == ("id", "title", "author", "author.id", "author.name")


def test_sparse_fields_of_a_related_type_only_keep_every_primary_field(
    blog_app: flask.Flask,
) -> None:
    """``fields[authors]`` alone does not restrict the articles (as on the wire)."""
    assert parsed(blog_app, "fields[authors]=email")["fields"] == (
        "id",
        "title",
        "body",
        "created",
        "views",
        "draft",
        "author",
        "comments",
        "tags",
        "author.id",
        "author.email",
    )


def test_sparse_fields_of_a_relationship_left_out_are_not_listed(blog_app: flask.Flask) -> None:
    """``fields[articles]=title`` drops ``author``, so ``author.*`` is not listed either
    (a dotted name would bring the relationship back in marshmallow's ``only=``)."""
    result = parsed(blog_app, "fields[articles]=title&fields[authors]=name")
    assert result["fields"] == ("id", "title")


def test_srt_sort_parser_maps_to_attributes(blog_app: flask.Flask) -> None:
    """SRT-1: the original's ``('name', '-age')`` form, plus to-one paths."""
    assert parsed(blog_app, "sort=-views,title,author.name,id")["sort"] == (
        "-views",
        "title",
        "author__name",
        "id",
    )


def test_sort_parser_uses_the_field_attribute() -> None:
    class Person(Schema):
        id = fields.Int()
        email_address = fields.Str(attribute="email")

        class Meta:
            type_ = "people"

    app = flask.Flask(__name__)
    with app.test_request_context("/people?sort=-email_address"):
        assert SortParser(Person).parse() == ("-email",)
    with app.test_request_context("/people?sort=email_address"):
        with pytest.raises(JsonApiException) as raised:
            SortParser(Person, sortable={"id"}).parse()
    assert (raised.value.status, raised.value.source) == (400, {"parameter": "sort"})


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        ("page[size]=3&page[number]=2", {"size": 3, "number": 2}),
        ("page[count]=false", {}),
    ],
)
def test_pag_size_number_pagination_shapes(
    blog_app: flask.Flask, query_string: str, expected: dict[str, int]
) -> None:
    """PAG-5: ``{}`` without size and number, both when both are given."""
    assert parsed(blog_app, query_string)["page"] == expected


@pytest.mark.parametrize(
    ("query_string", "missing"),
    [("page[size]=3", "page[number]"), ("page[number]=4", "page[size]")],
)
def test_pag_size_number_pagination_needs_both(
    blog_app: flask.Flask, query_string: str, missing: str
) -> None:
    """As the original's parser: one of the two alone is a 400 naming the other (the views
    of this library accept it alone; this parser serves code written for the original)."""
    with blog_app.test_request_context(f"/articles?{query_string}"):
        with pytest.raises(JsonApiException) as raised:
            SizeNumberPagination().parse()
    assert (raised.value.status, raised.value.source) == (400, {"parameter": missing})


def test_size_number_pagination_get_links(blog_app: flask.Flask) -> None:
    """PAG-2/PAG-6: the original's ``get_links(size, number, total)`` answers this
    library's links (``prev``, percent-encoded, other parameters kept)."""
    with blog_app.test_request_context("/articles?sort=title&page[size]=3&page[number]=2"):
        links = SizeNumberPagination().get_links(3, 2, 10)
    base = "http://localhost/articles?sort=title&page%5Bnumber%5D={}&page%5Bsize%5D=3"
    assert links == {
        "self": base.format(2),
        "first": base.format(1),
        "prev": base.format(1),
        "next": base.format(3),
        "last": base.format(4),
    }


def test_base_classes_are_abstract(blog_app: flask.Flask) -> None:
    with blog_app.test_request_context("/articles"):
        with pytest.raises(NotImplementedError):
            QueryStringParser().parse()
        with pytest.raises(NotImplementedError):
            Pagination().get_links(1, 1, 1)
    assert issubclass(SizeNumberPagination, Pagination)


# -- a view in the original's style: errors become 400 documents ---------------------------


@pytest.fixture
def compat_client(blog_app: flask.Flask) -> JsonApiClient:
    """``GET /compat/articles``: a plain Flask view that calls the four parsers and
    answers their results in ``meta`` (as a user's own view would use them)."""

    def view() -> flask.Response:
        meta = {
            "include": IncludeParser(ArticleSchema).parse(),
            "fields": SparseFieldsParser(ArticleSchema).parse(),
            "sort": SortParser(ArticleSchema).parse(),
            "page": SizeNumberPagination().parse(),
        }
        return flask.Response(orjson.dumps({"meta": meta}), content_type=MEDIA_TYPE)

    blog_app.add_url_rule("/compat/articles", "compat_articles", view)
    return blog_app.test_client()


def test_parsers_in_a_plain_view(compat_client: JsonApiClient) -> None:
    response = compat_client.get(
        "/compat/articles?include=author&fields[authors]=name&fields[articles]=title,author"
        "&sort=-title&page[size]=2&page[number]=3"
    )
    assert response.status_code == 200
    assert response.document["meta"] == {
        "include": ["author"],
        "fields": ["id", "title", "author", "author.id", "author.name"],
        "sort": ["-title"],
        "page": {"size": 2, "number": 3},
    }


@pytest.mark.parametrize(
    ("query_string", "parameter"),
    [
        ("include=bogus", "include"),
        ("include=author.nothing", "include"),
        ("include=author&include=comments", "include"),
        ("include=" + ".".join(["comments", "article"] * 2), "include"),
        ("fields[articles]=nope", "fields[articles]"),
        ("fields[nothing]=id", "fields[nothing]"),
        ("fields=title", "fields"),
        ("sort=nope", "sort"),
        ("sort=comments.body", "sort"),
        ("sort=author", "sort"),
        ("page[size]=0&page[number]=1", "page[size]"),
        ("page[size]=x", "page[size]"),
        ("page[number]=-1", "page[number]"),
        ("page[size]=1001", "page[size]"),
        ("page[size]=2&page[offset]=4", "page[offset]"),
    ],
)
def test_parser_errors_are_400_documents(
    compat_client: JsonApiClient, query_string: str, parameter: str
) -> None:
    """INC-/FLD-/SRT-/PAG-7: each bad parameter is a 400 naming it, never a 500 (the
    original answered 500 for bad fields and ``page[size]=0``)."""
    error = only_error(compat_client.get("/compat/articles?" + query_string), 400)
    assert error["source"] == {"parameter": parameter}


# -- ResourceList.get_pagination_links ----------------------------------------------------


def links_app(db_session: Any, list_view_cls: type) -> JsonApiClient:
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    from examples.blog.api import ArticleRepository

    viewset = ArticleViewSet(repository=ArticleRepository(session=db_session))
    viewset.list_view_cls = list_view_cls
    Api(app).repository(viewset, "articles", "/articles")
    return app.test_client()


def test_pag_get_pagination_links_override_replaces_links(db_session: Any) -> None:
    """PAG-1: the override's dict is the document's top-level ``links``; it receives the
    page and filters as ``read_many`` does."""
    add_rows(db_session, *(make_article(n, views=n) for n in range(1, 6)))
    calls = []

    class Links(ResourceRepositoryListView):
        def get_pagination_links(self, parsed_pagination: dict, parsed_filters: dict) -> dict:
            calls.append((parsed_pagination, parsed_filters))
            return {"self": "https://example.org/articles", "next": None}

    client = links_app(db_session, Links)
    document = client.get("/articles?page[size]=2&page[number]=2&filter[views]=3").document
    assert document["links"] == {"self": "https://example.org/articles", "next": None}
    assert calls == [({"size": 2, "number": 2}, {"views": 3})]


def test_get_pagination_links_super_answers_the_default_links(db_session: Any) -> None:
    add_rows(db_session, *(make_article(n) for n in range(1, 6)))

    class Extended(ResourceRepositoryListView):
        def get_pagination_links(self, parsed_pagination: dict, parsed_filters: dict) -> dict:
            links = super().get_pagination_links(parsed_pagination, parsed_filters)
            return {**links, "describedby": "https://example.org/docs"}

    document = links_app(db_session, Extended).get("/articles?page[size]=2").document
    base = "http://localhost/articles?page%5Bnumber%5D={}&page%5Bsize%5D=2"
    assert document["links"] == {
        "self": base.format(1),
        "first": base.format(1),
        "prev": None,
        "next": base.format(2),
        "last": base.format(3),
        "describedby": "https://example.org/docs",
    }
    assert document["meta"] == {"count": 5}


def test_get_pagination_links_empty_answer_keeps_the_default(db_session: Any) -> None:
    add_rows(db_session, make_article(1))

    class Empty(ResourceRepositoryListView):
        def get_pagination_links(self, parsed_pagination: dict, parsed_filters: dict) -> dict:
            return {}

    document = links_app(db_session, Empty).get("/articles").document
    base = "http://localhost/articles?page%5Bnumber%5D=1&page%5Bsize%5D=50"
    assert document["links"] == {
        "self": base,
        "first": base,
        "prev": None,
        "next": None,
        "last": base,
    }


def test_default_links_unchanged_without_override(
    client: JsonApiClient, db_session: Any, sql_counter: Any
) -> None:
    """Without an override the links are this library's, and nothing more is queried."""
    add_rows(db_session, *(make_article(n) for n in range(1, 4)))
    with sql_counter() as counter:
        document = client.get("/articles?page[size]=2&page[number]=2").document
    base = "http://localhost/articles?page%5Bnumber%5D={}&page%5Bsize%5D=2"
    assert document["links"] == {
        "self": base.format(2),
        "first": base.format(1),
        "prev": base.format(1),
        "next": None,
        "last": base.format(2),
    }
    assert counter.count == 2, counter


# -- X-Original-Path ------------------------------------------------------------------------


def test_original_path_header_ignored_by_default(client: JsonApiClient, db_session: Any) -> None:
    """A client-supplied header must not rewrite links unless the deployer opts in."""
    add_rows(db_session, make_article(1))
    document = client.get(
        "/articles?page[size]=1", headers={"X-Original-Path": "/api/v1/articles"}
    ).document
    assert document["links"]["self"].startswith("http://localhost/articles?")


def test_original_path_header_opt_in(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any
) -> None:
    """With ``JSONAPI_ORIGINAL_PATH_HEADER``, pagination and top-level ``self`` links use
    the header's path on the request's host; resource links stay with the app's routes."""
    blog_app.config["JSONAPI_ORIGINAL_PATH_HEADER"] = True
    (article_id,) = add_rows(db_session, make_article(1))
    headers = {"X-Original-Path": "/api/v1/articles"}
    document = client.get("/articles?page[size]=1&sort=title", headers=headers).document
    base = "http://localhost/api/v1/articles?sort=title&page%5Bnumber%5D=1&page%5Bsize%5D=1"
    assert document["links"] == {
        "self": base,
        "first": base,
        "prev": None,
        "next": None,
        "last": base,
    }
    assert document["data"][0]["links"]["self"] == f"http://localhost/articles/{article_id}"

    headers = {"X-Original-Path": f"/api/v1/articles/{article_id}"}
    document = client.get(f"/articles/{article_id}", headers=headers).document
    assert document["links"]["self"] == f"http://localhost/api/v1/articles/{article_id}"


@pytest.mark.parametrize(
    "header", ["//evil.example/articles", "https://evil.example/articles", "articles", "/\\evil"]
)
def test_original_path_header_must_be_a_path(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any, header: str
) -> None:
    """Even when enabled, only an absolute path is used: links never move to another host."""
    blog_app.config["JSONAPI_ORIGINAL_PATH_HEADER"] = True
    add_rows(db_session, make_article(1))
    document = client.get("/articles", headers={"X-Original-Path": header}).document
    assert document["links"]["self"].startswith("http://localhost/articles?")


def test_original_path_header_is_percent_encoded(
    blog_app: flask.Flask, client: JsonApiClient
) -> None:
    blog_app.config["JSONAPI_ORIGINAL_PATH_HEADER"] = True
    document = client.get(
        "/articles?page[size]=1", headers={"X-Original-Path": "/my api/articles?x=1"}
    ).document
    assert document["links"]["first"].startswith("http://localhost/my%20api/articles?page")


def test_original_path_header_keeps_what_is_already_a_valid_path(
    blog_app: flask.Flask, client: JsonApiClient
) -> None:
    """Sub-delimiters and percent-escapes of the header's path are kept as they are (not
    encoded twice), and its query ends at the first ``?``."""
    blog_app.config["JSONAPI_ORIGINAL_PATH_HEADER"] = True
    headers = {"X-Original-Path": "/api/v1;v=2/a%20b/articles?x=1?y=2"}
    document = client.get("/articles?page[size]=1", headers=headers).document
    assert document["links"]["first"] == (
        "http://localhost/api/v1;v=2/a%20b/articles?page%5Bnumber%5D=1&page%5Bsize%5D=1"
    )


def test_parsers_use_the_app_registry_for_related_types(blog_app: flask.Flask) -> None:
    """A parser built for a schema also resolves the related types of the app's Api."""
    with blog_app.test_request_context("/authors?include=articles.comments.author"):
        assert IncludeParser(AuthorSchema).parse() == ("articles.comments.author",)


@pytest.mark.parametrize("header", ["/api/v1/articles#top", "/api/v1/articles#a#b?x=1"])
def test_original_path_header_ends_at_its_fragment(
    blog_app: flask.Flask, client: JsonApiClient, header: str
) -> None:
    """A fragment of the header's path (from its first ``#``) is no part of the links."""
    blog_app.config["JSONAPI_ORIGINAL_PATH_HEADER"] = True
    document = client.get("/articles?page[size]=1", headers={"X-Original-Path": header}).document
    assert document["links"]["first"] == (
        "http://localhost/api/v1/articles?page%5Bnumber%5D=1&page%5Bsize%5D=1"
    )
