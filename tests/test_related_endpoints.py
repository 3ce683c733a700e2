"""Related endpoints ``/articles/<id>/<name>`` (FET-1, FET-4, FET-5, FET-12, SRT-7, INC-9)."""

from __future__ import annotations

from typing import Any

import flask
import pytest

from flask_jsonapi import FilterField, FilterSchema
from tests.support.blog_variants import variant_app
from tests.support.client import JsonApiClient
from tests.support.relationship_rows import Blog, arrange_blog


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _ids(document: dict[str, Any], type_: str) -> list[int]:
    assert all(resource["type"] == type_ for resource in document["data"]), document["data"]
    return [int(resource["id"]) for resource in document["data"]]


def test_fet_4_to_one_related_resource(client: JsonApiClient, blog: Blog) -> None:
    """FET-1/FET-4: ``/articles/1/author`` answers the author as a resource object."""
    response = client.get(f"/articles/{blog.article}/author")
    assert response.status_code == 200
    data = response.document["data"]
    assert (data["type"], data["id"]) == ("authors", str(blog.authors[0]))
    assert data["attributes"]["name"] == "Author 1"
    assert data["links"]["self"].endswith(f"/authors/{blog.authors[0]}")


def test_fet_4_empty_to_one_is_null(client: JsonApiClient, blog: Blog) -> None:
    """FET-4/REL-4: the related URL of an empty to-one answers ``data: null``."""
    response = client.get(f"/articles/{blog.empty_article}/author")
    assert response.status_code == 200
    assert response.document["data"] is None


def test_fet_12_empty_to_many_is_empty_list(client: JsonApiClient, blog: Blog) -> None:
    """FET-12: the related URL of an empty to-many answers ``data: []``."""
    response = client.get(f"/articles/{blog.empty_article}/comments")
    assert response.status_code == 200
    assert response.document["data"] == []
    assert response.document["meta"]["count"] == 0


@pytest.mark.parametrize("member", ["comments", "tags"], ids=["one-to-many", "many-to-many"])
def test_fet_3_to_many_related_collection(client: JsonApiClient, blog: Blog, member: str) -> None:
    """FET-3: a to-many related URL answers the related collection, no one else's members."""
    response = client.get(f"/articles/{blog.article}/{member}")
    assert response.status_code == 200
    ids = list(blog.comments) if member == "comments" else list(blog.tags[:2])
    assert _ids(response.document, member) == ids
    assert response.document["meta"]["count"] == len(ids)


def test_srt_7_sort_applies_to_related_collection(client: JsonApiClient, blog: Blog) -> None:
    """SRT-7/SRT-2: ``sort=-body`` orders the article's comments descending."""
    response = client.get(f"/articles/{blog.article}/comments", query_string={"sort": "-body"})
    assert response.status_code == 200
    assert _ids(response.document, "comments") == list(reversed(blog.comments))


def test_pag_1_page_applies_to_related_collection(client: JsonApiClient, blog: Blog) -> None:
    """PAG-1/PAG-6: pages of the related collection, links keep the other parameters."""
    url = f"/articles/{blog.article}/comments"
    response = client.get(url, query_string={"sort": "-body", "page[size]": "2"})
    assert response.status_code == 200
    assert _ids(response.document, "comments") == [blog.comments[2], blog.comments[1]]
    assert response.document["meta"]["count"] == 3
    links = response.document["links"]
    assert "sort=-body" in links["next"]
    following = client.get(links["next"])
    assert _ids(following.document, "comments") == [blog.comments[0]]
    assert following.document["links"].get("next") is None


def test_inc_9_include_and_fields_on_related_collection(client: JsonApiClient, blog: Blog) -> None:
    """INC-9/FLD-5: include and sparse fieldsets apply to the related collection."""
    response = client.get(
        f"/articles/{blog.article}/comments",
        query_string={"include": "author", "fields[comments]": "body,author"},
    )
    assert response.status_code == 200
    document = response.document
    for resource in document["data"]:
        assert set(resource["attributes"]) == {"body"}
        assert set(resource["relationships"]) == {"author"}
    linkage = {c["id"]: c["relationships"]["author"]["data"] for c in document["data"]}
    assert linkage[str(blog.comments[1])] == {"type": "authors", "id": str(blog.authors[1])}
    assert linkage[str(blog.comments[0])] is None
    included = [(r["type"], r["id"]) for r in document["included"]]
    assert included == [("authors", str(blog.authors[1]))]


def test_inc_9_include_on_to_one_related(client: JsonApiClient, blog: Blog) -> None:
    """INC-9: ``/articles/1/author?include=articles`` includes the author's articles."""
    response = client.get(f"/articles/{blog.article}/author", query_string={"include": "articles"})
    assert response.status_code == 200
    assert [(r["type"], r["id"]) for r in response.document["included"]] == [
        ("articles", str(blog.article))
    ]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/articles/{article}/comments?include=nothing", "include"),
        ("/articles/{article}/comments?sort=nothing", "sort"),
        ("/articles/{article}/comments?fields[comments]=nothing", "fields[comments]"),
        ("/articles/{article}/comments?page[size]=0", "page[size]"),
        ("/articles/{article}/author?sort=name", "sort"),
    ],
    ids=["include", "sort", "fields", "page", "sort-on-to-one"],
)
def test_query_errors_on_related_endpoint(
    client: JsonApiClient, blog: Blog, url: str, parameter: str
) -> None:
    """INC-6/SRT-3/FLD-6/PAG-7: the query language validates the related type's fields."""
    response = client.get(url.format(article=blog.article))
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"parameter": parameter}


class CommentFilters(FilterSchema):
    body = FilterField()


class TagFilters(FilterSchema):
    name = FilterField()


@pytest.fixture
def filtering_client(blog_app: flask.Flask) -> JsonApiClient:
    """A client of an API whose comments and tags have filters."""
    filters = {"comments": CommentFilters(), "tags": TagFilters()}
    return variant_app(blog_app, filter_schemas=filters).test_client()


def test_flt_1_filter_applies_to_related_collection(
    filtering_client: JsonApiClient, blog: Blog
) -> None:
    """FLT-1: ``filter[...]`` narrows the related collection and its meta.count."""
    response = filtering_client.get(
        f"/articles/{blog.article}/comments", query_string={"filter[body]": "Comment 2"}
    )
    assert response.status_code == 200
    assert _ids(response.document, "comments") == [blog.comments[1]]
    assert response.document["meta"]["count"] == 1


def test_flt_1_filter_never_leaves_the_relationship(
    filtering_client: JsonApiClient, blog: Blog
) -> None:
    """FLT-1: a filter matching a tag outside the relationship finds nothing."""
    response = filtering_client.get(
        f"/articles/{blog.article}/tags", query_string={"filter[name]": "tag-3"}
    )
    assert response.status_code == 200
    assert response.document["data"] == []
    assert response.document["meta"]["count"] == 0


@pytest.mark.parametrize(
    "url",
    ["/articles/{article}/nothing", "/articles/999/comments", "/articles/999/author"],
    ids=["unknown-relationship", "missing-parent-to-many", "missing-parent-to-one"],
)
def test_fet_5_fet_12_missing_is_404(client: JsonApiClient, blog: Blog, url: str) -> None:
    """FET-5/FET-12: an unknown relationship or a missing parent is 404."""
    response = client.get(url.format(article=blog.article))
    assert response.status_code == 404
    error = response.document["errors"][0]
    assert error["status"] == "404"
    if "nothing" in url:
        assert "nothing" in error["detail"]
        assert "parameter" not in error.get("source", {})
