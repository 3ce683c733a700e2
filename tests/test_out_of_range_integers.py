"""Integers beyond 64 bits (found by schemathesis against the demo): a filter value is a
400 that names its parameter, an attribute value a 422, never a 500, and nothing is stored.

SQLite's driver cannot even send such a number (``OverflowError``); PostgreSQL reports it
as a data error. Either way the client gets an error document.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from examples.blog.models import Article
from flask_jsonapi.filters_schema import FilterField, FilterSchema, RelationshipFilterField
from tests.support.query_data import query_app

HUGE = 2**70


@pytest.mark.parametrize(
    "query",
    [
        f"filter[id]={HUGE}",
        f"filter[views][gt]={HUGE}",
        f"filter[views][in]=1,{HUGE}",
        f"filter[author][id]={HUGE}",
    ],
)
def test_filter_value_beyond_64_bits_is_400(client, query):
    parameter = query.split("=")[0]
    response = client.get(f"/articles?{query}")
    assert response.status_code == 400, response.json
    (error,) = response.json["errors"]
    assert error["source"] == {"parameter": parameter}
    assert "out of range" in error["detail"]


@pytest.mark.parametrize(
    "query, found",
    [
        (f"filter[views][lt]={2**63 - 1}", True),
        (f"filter[views][gt]={2**40}", False),
        (f"filter[views][in]=3,{2**40}", True),
        (f"filter[views][gte]={-(2**63)}", True),
        (f"filter[id]={2**40}", False),
        (f"filter[author][id]={2**40}", False),
    ],
)
def test_filter_value_beyond_32_bits_compares_with_an_integer_column(
    client, article_id, database_url, query, found
):
    """SQLite stores every integer in 64 bits: the comparison holds. On PostgreSQL the
    column is 32 bits: the value is refused before the database sees it (400, naming the
    parameter; docs/limits.md), where a cast would fail the query."""
    response = client.get(f"/articles?{query}")
    if database_url.startswith("postgresql"):
        assert response.status_code == 400, response.json
        assert response.json["errors"][0]["source"] == {"parameter": query.split("=")[0]}
        return
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["data"]] == ([str(article_id)] if found else [])


def test_create_with_attribute_beyond_64_bits_is_422(client, db_session):
    body = {"data": {"type": "articles", "attributes": {"title": "Big", "views": HUGE}}}
    response = client.post("/articles", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["source"] == {"pointer": "/data/attributes/views"}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_update_with_attribute_beyond_64_bits_is_422(client, db_session, article_id):
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"views": HUGE}}}
    response = client.patch(f"/articles/{article_id}", json=body)
    assert response.status_code == 422, response.json
    db_session.remove()
    assert db_session.get(Article, article_id).views == 3


class TextAuthorFilters(FilterSchema):
    id = FilterField()


class TextFilters(FilterSchema):
    """``views`` declared without a type: its values reach the repository as text (the
    original flask-jsonapi's default ``FilterField``); the same for the ``id`` of the
    ``author`` relationship."""

    views = FilterField(operators=[None, "in"])
    author = RelationshipFilterField(TextAuthorFilters)


@pytest.mark.parametrize(
    "query, number",
    [
        (f"filter[views]={HUGE}", HUGE),
        (f"filter[views][in]=1,{HUGE}", HUGE),
        (f"filter[views][in]=-{HUGE},1", -HUGE),
        (f"filter[views]={2**63}", 2**63),
        (f"filter[views]={-(2**63) - 1}", -(2**63) - 1),
        (f"filter[author][id]={HUGE}", HUGE),
    ],
    ids=[
        "one",
        "after-one-that-fits",
        "before-one-that-fits",
        "just-past-64-bits",
        "just-below",
        "through-a-relationship",
    ],
)
def test_integer_text_beyond_the_column_is_400_naming_its_parameter(
    blog_app, article_id, query, number
):
    """A declared filter of text on an integer column: the text of an integer that no
    column holds, alone or beside one that fits, is a 400 naming the parameter the client
    sent, not a comparison of text with the column that matches nothing (SQLite) or a
    database error (PostgreSQL)."""
    client = query_app(blog_app, filter_schema=TextFilters()).test_client()
    response = client.get(f"/articles?{query}")
    assert response.status_code == 400, response.json
    (error,) = response.json["errors"]
    assert error["source"] == {"parameter": query.split("=")[0]}
    assert f"{number} is out of range for its column" in error["detail"]


@pytest.mark.parametrize(
    "expression",
    [
        {"name": "views", "op": "eq", "val": str(HUGE)},
        {
            "not": {
                "or": [
                    {"name": "views", "op": "eq", "val": "1"},
                    {"name": "views", "op": "in", "val": ["3", str(-HUGE)]},
                ]
            }
        },
    ],
    ids=["top", "nested"],
)
def test_integer_text_beyond_the_column_in_a_filter_expression_is_400_naming_filter(
    blog_app, article_id, expression
):
    """The same in a filter expression, at its top or nested in and/or/not: a 400 naming
    the ``filter`` parameter the client sent, not a comparison of text with the column or a
    database error."""
    client = query_app(blog_app, filter_schema=TextFilters(), filter_expressions=True).test_client()
    response = client.get(f"/articles?filter={quote(json.dumps(expression))}")
    assert response.status_code == 400, response.json
    (error,) = response.json["errors"]
    assert error["source"] == {"parameter": "filter"}
    assert f"{HUGE} is out of range for its column" in error["detail"]


class UntypedFilters(FilterSchema):
    """Filters declared as the original flask-jsonapi's users declare them, without a type:
    every value reaches the repository as the text of the query string."""

    views = FilterField(operators=[None, "in", "gt", "contains", "startswith"])
    draft = FilterField()
    created = FilterField(operators=["gte"])


@pytest.mark.parametrize(
    "query, found",
    [
        ("filter[views]=3", True),
        ("filter[views]=4", False),
        ("filter[views]=+3", True),
        ("filter[views][in]=2,3", True),
        ("filter[views][gt]=2", True),
        ("filter[views][gt]=3", False),
        ("filter[views][contains]=3", True),
        ("filter[views][startswith]=4", False),
        ("filter[draft]=false", True),
        ("filter[draft]=true", False),
        ("filter[draft]=0", True),
        ("filter[created][gte]=2000-01-01T00:00:00", True),
        ("filter[created][gte]=2999-01-01", False),
    ],
)
def test_flt_untyped_filter_text_compares_in_the_column_type(blog_app, article_id, query, found):
    """FLT: the text of an untyped filter is read as the column's type (integer, boolean,
    date and time) before it reaches SQL: the right rows on SQLite and PostgreSQL, where
    text compared with an integer column was a database error (a 500)."""
    client = query_app(blog_app, filter_schema=UntypedFilters()).test_client()
    response = client.get(f"/articles?{query}")
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["data"]] == ([str(article_id)] if found else [])


@pytest.mark.parametrize(
    "query",
    [
        "filter[views]=three",
        "filter[views]=3.5",
        "filter[views][in]=3,x",
        "filter[draft]=maybe",
        "filter[created][gte]=yesterday",
    ],
)
def test_flt_untyped_filter_text_that_is_not_of_the_column_type_is_400(blog_app, article_id, query):
    """FLT: text that is no value of the column's type is a 400 naming the parameter."""
    client = query_app(blog_app, filter_schema=UntypedFilters()).test_client()
    response = client.get(f"/articles?{query}")
    assert response.status_code == 400, response.json
    (error,) = response.json["errors"]
    assert error["source"] == {"parameter": query.split("=")[0]}
    assert query.split("=")[1].split(",")[-1] in error["detail"]
