"""A filter the repository refuses is a 400 that points at what the client sent (FLT, QP):
``source.parameter`` is the query parameter the client wrote, and the detail names the
filter in the client's terms, never the model path a declared filter maps it to
(``filter[writer][id]`` declared over the ``author`` relationship is not ``author__id``).
On SQLite and PostgreSQL; the model shapes of test_filter_shapes.py are tested there."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from marshmallow import fields as ma_fields

from flask_jsonapi.filters_schema import FilterField, FilterSchema, RelationshipFilterField
from tests.support.query_data import error_of, ids, query_app

HUGE = 2**70


class WriterFilters(FilterSchema):
    """The author's id, declared without a type (its text reaches the repository)."""

    id = FilterField(operators=[None, "in"])


class TypedWriterFilters(FilterSchema):
    id = FilterField(type_=ma_fields.Integer, operators=[None, "gt"])


class RenamedFilters(FilterSchema):
    """Filters whose client names differ from the model's: ``writer`` is ``author``,
    ``seen`` is ``views``; ``ghost`` names a column the model lacks."""

    writer = RelationshipFilterField(WriterFilters, attribute="author")
    typed_writer = RelationshipFilterField(TypedWriterFilters, attribute="author")
    seen = FilterField(attribute="views", operators=[None, "in", "range"])
    ghost = FilterField(attribute="nope")


def _renamed(blog_app, expressions: bool = False):
    return query_app(
        blog_app, filter_schema=RenamedFilters(), filter_expressions=expressions
    ).test_client()


@pytest.mark.parametrize(
    ("query", "number"),
    [
        (f"filter[writer][id]={HUGE}", HUGE),
        (f"filter[writer][id][in]=1,{HUGE}", HUGE),
        (f"filter[seen]={HUGE}", HUGE),
        (f"filter[seen][in]=-{HUGE},3", -HUGE),
    ],
)
def test_flt_an_untyped_declared_filter_past_its_column_names_the_clients_parameter(
    blog_app, article_id, query, number
):
    """An untyped declared filter under another name than the model's: the 400 names the
    parameter the client wrote (it named ``filter[author][id]`` and ``filter[views]``)."""
    parameter = query.split("=")[0]
    error = error_of(_renamed(blog_app).get(f"/articles?{query}"))
    assert error["source"] == {"parameter": parameter}
    assert error["detail"].startswith(f"'{parameter}': {number} is out of range for its column")
    assert "author" not in error["detail"] and "views" not in error["detail"]


def test_flt_a_typed_declared_filter_past_a_32_bit_column_names_the_clients_parameter(
    blog_app, article_id, database_url
):
    """A typed declared filter: a value past PostgreSQL's 32-bit column is refused by the
    repository, naming the client's parameter; SQLite's 64-bit column compares it."""
    query = f"filter[typed_writer][id][gt]={2**40}"
    response = _renamed(blog_app).get(f"/articles?{query}")
    if not database_url.startswith("postgresql"):
        assert response.status_code == 200, response.document
        assert ids(response.document) == []
        return
    error = error_of(response)
    assert error["source"] == {"parameter": "filter[typed_writer][id][gt]"}
    assert error["detail"] == (
        f"'filter[typed_writer][id][gt]': {2**40} is out of range for its column "
        "(-2147483648 to 2147483647)."
    )


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("filter[seen]=three", "'filter[seen]': 'three' is not an integer."),
        ("filter[writer][id]=x", "'filter[writer][id]': 'x' is not an integer."),
    ],
)
def test_flt_untyped_text_that_is_no_integer_names_the_clients_parameter(
    blog_app, article_id, query, detail
):
    """Untyped text that is no integer, for an integer column: the client's parameter."""
    parameter = query.split("=")[0]
    error = error_of(_renamed(blog_app).get(f"/articles?{query}"))
    assert error["source"] == {"parameter": parameter}
    assert error["detail"] == detail


def test_flt_a_declared_filter_over_a_missing_column_names_the_clients_parameter(
    blog_app, article_id
):
    """A declared filter mapped to no column: the 400 names the client's parameter and
    filter, not the model attribute it was declared over."""
    error = error_of(_renamed(blog_app).get("/articles?filter[ghost]=x"))
    assert error["source"] == {"parameter": "filter[ghost]"}
    assert error["detail"] == "'filter[ghost]' cannot be filtered: the resource has no such field."


@pytest.mark.parametrize(
    ("condition", "name"),
    [
        ({"name": "writer.id", "op": "eq", "val": str(HUGE)}, "writer.id"),
        ({"not": {"name": "seen", "op": "in", "val": ["3", str(HUGE)]}}, "seen"),
    ],
)
def test_flt_a_filter_expression_past_its_column_names_the_condition_as_written(
    blog_app, article_id, condition, name
):
    """In a filter expression the parameter is ``filter`` and the detail names the
    condition as the client wrote it (``writer.id``, not ``author__id``)."""
    client = _renamed(blog_app, expressions=True)
    error = error_of(client.get(f"/articles?filter={quote(json.dumps(condition))}"))
    assert error["source"] == {"parameter": "filter"}
    assert error["detail"].startswith(f"'{name}': {HUGE} is out of range for its column")


@pytest.mark.parametrize(
    "query", [f"filter[author][id]={HUGE}", f"filter[views][in]=1,{HUGE}", f"filter[id]={HUGE}"]
)
def test_flt_a_default_filter_past_its_column_names_the_clients_parameter(client, query):
    """Without a declared FilterSchema: the parameter as written."""
    error = error_of(client.get(f"/articles?{query}"))
    assert error["source"] == {"parameter": query.split("=")[0]}
    assert "out of range" in error["detail"]


class GhostRelationshipFilters(RenamedFilters):
    """``haunt`` is declared as a relationship over an attribute the model lacks, ``hollow``
    over a path with an empty step."""

    haunt = RelationshipFilterField(WriterFilters, attribute="nope")
    hollow = FilterField(attribute="author____name")


def test_flt_a_declared_relationship_filter_the_model_lacks_names_the_clients_parameter(
    blog_app, article_id
):
    """FLT-1: a declared filter over an attribute the model lacks, or over a path with an
    empty step, is a 400 in the client's words and parameter, not the model's."""
    client = query_app(blog_app, filter_schema=GhostRelationshipFilters()).test_client()
    error = error_of(client.get("/articles?filter[haunt][id]=1"))
    assert error["source"] == {"parameter": "filter[haunt][id]"}
    assert error["detail"] == (
        "'filter[haunt][id]' cannot be filtered: the resource has no such field."
    )
    error = error_of(client.get("/articles?filter[hollow]=Ada"))
    assert error["source"] == {"parameter": "filter[hollow]"}
    assert error["detail"] == "'filter[hollow]' names no attribute"


class FloatViewFilters(FilterSchema):
    """A number filter declared over the integer ``views`` column."""

    views = FilterField(type_=ma_fields.Float, operators=["gt", "lt"])


@pytest.mark.parametrize(("query", "found"), [("gt]=1e30", False), ("lt]=1e30", True)])
def test_flt_a_float_past_every_integer_compares_with_an_integer_column(
    blog_app, article_id, query, found
):
    """FLT-1: a float beyond any integer column's range is no integer the column could not
    hold: compared in SQL as it is, not refused as out of range."""
    client = query_app(blog_app, filter_schema=FloatViewFilters()).test_client()
    response = client.get(f"/articles?filter[views][{query}")
    assert response.status_code == 200, response.json
    assert ids(response.json) == ([str(article_id)] if found else [])


def test_flt_integer_text_for_a_text_column_is_text(blog_app, article_id) -> None:
    """FLT-1: digits past any integer's range, for a text column, are text compared as
    such, not an integer out of range."""
    response = query_app(blog_app).test_client().get(f"/articles?filter[title]={HUGE}")
    assert response.status_code == 200, response.document
    assert ids(response.document) == []
