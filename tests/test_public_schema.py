"""Schemas written with ``marshmallow_jsonapi`` or ``flask_jsonapi.schema`` give the same API.

Also the original's filter declarations (``FilterSchema``, ``FilterField``,
``ListFilterField``) on a ViewSet.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import marshmallow_jsonapi
import pytest
from marshmallow import validate

from flask_jsonapi import FilterField, FilterSchema, ListFilterField, ResourceRepositoryViewSet
from flask_jsonapi.filters_schema import Operators
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.notes import notes_app


class OurPost(Schema):
    id = fields.Int()
    title = fields.Str(required=True, validate=validate.Length(min=1))
    word_count = fields.Int(data_key="wordCount")
    published = fields.Bool()
    tags = fields.Relationship(type_="tags", many=True, include_resource_linkage=True)

    class Meta:
        type_ = "posts"


class TheirPost(marshmallow_jsonapi.Schema):
    id = marshmallow_jsonapi.fields.Int()
    title = marshmallow_jsonapi.fields.Str(required=True, validate=validate.Length(min=1))
    word_count = marshmallow_jsonapi.fields.Int(data_key="wordCount")
    published = marshmallow_jsonapi.fields.Bool()
    tags = marshmallow_jsonapi.fields.Relationship(
        type_="tags", many=True, include_resource_linkage=True
    )

    class Meta:
        type_ = "posts"


def posts() -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            id=1, title="One", word_count=10, published=True, tags=[SimpleNamespace(id=5)]
        ),
        SimpleNamespace(id=2, title="Two", word_count=20, published=False, tags=[]),
    ]


def client_for(schema: type) -> JsonApiClient:
    class Posts(ResourceRepositoryViewSet):
        pass

    viewset = Posts(schema=schema, repository=MemoryRepository(posts()))
    return notes_app(lambda api: api.repository(viewset, "posts", "/posts")).test_client()


@pytest.fixture
def pair() -> tuple[JsonApiClient, JsonApiClient]:
    return client_for(OurPost), client_for(TheirPost)


@pytest.mark.parametrize(
    "url", ["/posts", "/posts/1", "/posts/2", "/posts?sort=-title", "/posts?fields[posts]=title"]
)
def test_same_documents_for_reads(pair: tuple[JsonApiClient, JsonApiClient], url: str) -> None:
    ours, theirs = pair
    first, second = ours.get(url), theirs.get(url)
    assert first.status_code == second.status_code == 200
    assert first.document == second.document
    assert first.document["data"]


NEW_POST = {
    "data": {
        "type": "posts",
        "attributes": {"title": "Three", "wordCount": 3, "published": True},
        "relationships": {"tags": {"data": [{"type": "tags", "id": "9"}]}},
    }
}


def test_same_document_for_create(pair: tuple[JsonApiClient, JsonApiClient]) -> None:
    ours, theirs = pair
    first, second = ours.post("/posts", json=NEW_POST), theirs.post("/posts", json=NEW_POST)
    assert first.status_code == second.status_code == 201
    assert first.document == second.document
    assert first.document["data"]["attributes"]["wordCount"] == 3


@pytest.mark.parametrize(
    "attributes",
    [{"wordCount": 3}, {"title": ""}, {"title": "x", "wordCount": "many"}, {"title": "x", "no": 1}],
    ids=["missing", "invalid", "wrong-type", "unknown"],
)
def test_same_errors_for_invalid_input(
    pair: tuple[JsonApiClient, JsonApiClient], attributes: dict[str, Any]
) -> None:
    body = {"data": {"type": "posts", "attributes": attributes}}
    ours, theirs = pair
    first, second = ours.post("/posts", json=body), theirs.post("/posts", json=body)
    assert first.status_code == second.status_code == 422
    assert first.document == second.document


# -- FilterSchema, FilterField, ListFilterField ------------------------------------------------


class PostFilters(FilterSchema):
    title = FilterField(operators=[None, Operators.ICONTAINS])
    word_count = FilterField(type_=fields.Int, operators=[Operators.GT, Operators.LT])
    id = ListFilterField(type_=fields.Int, default_operator=Operators.IN)


@pytest.fixture
def filtered() -> JsonApiClient:
    class Posts(ResourceRepositoryViewSet):
        schema = OurPost
        filter_schema = PostFilters()

    viewset = Posts(repository=MemoryRepository(posts()))
    return notes_app(lambda api: api.repository(viewset, "posts", "/posts")).test_client()


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("filter[title]=One", ["1"]),
        ("filter[title][icontains]=TW", ["2"]),
        ("filter[word_count][gt]=15", ["2"]),
        ("filter[word_count][lt]=15", ["1"]),
        ("filter[id]=2,1", ["1", "2"]),
        ("filter[id]=2", ["2"]),
    ],
)
def test_declared_filters(filtered: JsonApiClient, query: str, ids: list[str]) -> None:
    document = filtered.get(f"/posts?{query}").document
    assert [p["id"] for p in document["data"]] == ids
    assert document["meta"]["count"] == len(ids)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[title][gt]=x", "filter[title][gt]"),
        ("filter[word_count]=3", "filter[word_count]"),
        ("filter[word_count][gt]=many", "filter[word_count][gt]"),
        ("filter[published]=true", "filter[published]"),
    ],
    ids=["forbidden-operator", "no-default-operator", "bad-value", "undeclared"],
)
def test_declared_filters_reject_the_rest(
    filtered: JsonApiClient, query: str, parameter: str
) -> None:
    response = filtered.get(f"/posts?{query}")
    assert response.status_code == 400
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": parameter}


# -- Meta.inflect ------------------------------------------------------------------------------


def dasherize(text: str) -> str:
    return text.replace("_", "-")


class OurInflectedPost(Schema):
    id = fields.Int()
    title = fields.Str(required=True)
    word_count = fields.Int()

    class Meta:
        type_ = "posts"
        inflect = dasherize


class TheirInflectedPost(marshmallow_jsonapi.Schema):
    id = marshmallow_jsonapi.fields.Int()
    title = marshmallow_jsonapi.fields.Str(required=True)
    word_count = marshmallow_jsonapi.fields.Int()

    class Meta:
        type_ = "posts"
        inflect = dasherize


def test_inflected_members_are_accepted_as_they_are_rendered() -> None:
    ours, theirs = client_for(OurInflectedPost), client_for(TheirInflectedPost)
    body = {"data": {"type": "posts", "attributes": {"title": "Three", "word-count": 3}}}

    first, second = ours.post("/posts", json=body), theirs.post("/posts", json=body)
    patched = ours.patch(
        "/posts/1", json={"data": {"type": "posts", "id": "1", "attributes": {"word-count": 11}}}
    )

    assert first.status_code == second.status_code == 201, first.document
    assert first.document == second.document
    assert first.document["data"]["attributes"] == {"title": "Three", "word-count": 3}
    assert patched.status_code == 200, patched.document
    assert patched.document["data"]["attributes"] == {"title": "One", "word-count": 11}
