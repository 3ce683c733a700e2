"""Filter expressions: filter=[...] with and/or/not (Flask-REST-JSONAPI syntax), opt-in."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.query_data import blog, error_of, query_app

TITLES = ["Alpha", "alphabet", "Beta", "gamma_1", "50% off", "gammaX1"]


@pytest.fixture
def expr_client(blog_app, db_session):
    """Articles that accept filter expressions, over six articles by Ada and Bob."""
    blog(db_session, 6, titles=TITLES, views=[10, 20, 30, 40, 50, 60], authors=["Ada", "Bob"])
    return query_app(blog_app, filter_expressions=True).test_client()


def _get(client, expression, extra: str = ""):
    value = expression if isinstance(expression, str) else json.dumps(expression)
    return client.get(f"/articles?filter={quote(value)}{extra}")


def _titles(response) -> set[str]:
    assert response.status_code == 200, response.document
    return {a["attributes"]["title"] for a in response.document["data"]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ([{"name": "title", "op": "eq", "val": "Beta"}], {"Beta"}),
        ({"name": "views", "op": "ge", "val": 50}, {"50% off", "gammaX1"}),
        (
            [
                {"name": "title", "op": "icontains", "val": "a"},
                {"name": "views", "op": "le", "val": 20},
            ],
            {"Alpha", "alphabet"},
        ),
        (
            [
                {
                    "or": [
                        {"name": "title", "op": "eq", "val": "Beta"},
                        {"name": "views", "op": "lt", "val": 20},
                    ]
                }
            ],
            {"Alpha", "Beta"},
        ),
        (
            [
                {"not": {"name": "title", "op": "istartswith", "val": "gamma"}},
                {"name": "views", "op": "gt", "val": 20},
            ],
            {"Beta", "50% off"},
        ),
        (
            [
                {
                    "and": [
                        {"name": "views", "op": "in_", "val": [10, 30, 50]},
                        {"not": {"name": "id", "op": "eq", "val": 1}},
                    ]
                }
            ],
            {"Beta", "50% off"},
        ),
        ([{"name": "author__name", "op": "eq", "val": "Bob"}], {"alphabet", "gamma_1", "gammaX1"}),
        (
            [{"name": "author", "op": "has", "val": {"name": "name", "op": "eq", "val": "Ada"}}],
            {"Alpha", "Beta", "50% off"},
        ),
        (
            [{"name": "tags", "op": "any", "val": {"name": "name", "op": "eq", "val": "sql"}}],
            {"Beta", "gammaX1"},
        ),
    ],
)
def test_expression_combines_conditions_flt_1(expr_client, expression, expected) -> None:
    """FLT-1: and (the list), or, not, has/any and name paths, with our operators."""
    assert _titles(_get(expr_client, expression)) == expected


def test_expression_and_bracket_filters_combine_flt_1(expr_client) -> None:
    """FLT-1: filter=[...] and filter[...] both apply; meta.count agrees."""
    expression = [
        {"or": [{"name": "views", "op": "lt", "val": 25}, {"name": "views", "op": "gt", "val": 55}]}
    ]
    response = _get(expr_client, expression, "&filter[title][contains]=ph")
    assert _titles(response) == {"Alpha", "alphabet"}
    assert response.document["meta"] == {"count": 2}


@pytest.mark.parametrize(
    "expression",
    [
        "not json",
        "{}",
        "[]",
        "3",
        '"title"',
        [1],
        [{"name": "nope", "op": "eq", "val": 1}],
        [{"name": "author_id", "op": "eq", "val": 1}],
        [{"name": "title", "op": "like", "val": "%a%"}],
        [{"name": "title", "op": "gt", "val": "a"}],
        [{"name": "title", "op": "eq"}],
        [{"name": "title", "op": "eq", "val": 5}],
        [{"name": "views", "op": "eq", "val": "many"}],
        [{"name": "views", "op": "in", "val": 5}],
        [{"name": "views", "op": "eq", "val": [5]}],
        [{"name": "title", "op": "eq", "val": "x", "field": "body"}],
        [{"name": "", "op": "eq", "val": "x"}],
        [{"name": "title", "op": 3, "val": "x"}],
        [{"or": []}],
        [{"or": {"name": "title", "op": "eq", "val": "x"}}],
        [{"not": {"name": "title", "op": "eq", "val": "x"}, "name": "title"}],
        [{"not": [1]}],
        [{"name": "author", "op": "has", "val": "Ada"}],
        [{"name": "author", "op": "eq", "val": "1"}],
        [{"or": [{"name": "title", "op": "eq", "val": "x"}] * 120}],
    ],
)
def test_invalid_expression_is_400_flt_3(expr_client, expression) -> None:
    """FLT-3: each malformed expression, unknown name, operator or value is 400 on filter."""
    assert error_of(_get(expr_client, expression))["source"] == {"parameter": "filter"}


def test_repeated_expression_is_400_flt_3(expr_client) -> None:
    """FLT-3: filter given twice is ambiguous."""
    value = quote(json.dumps([{"name": "title", "op": "eq", "val": "x"}]))
    response = expr_client.get(f"/articles?filter={value}&filter={value}")
    assert error_of(response)["source"] == {"parameter": "filter"}


def test_expressions_are_off_unless_the_view_set_allows_them_flt_3(client, db_session) -> None:
    """FLT-3: without filter_expressions, filter=[...] is 400."""
    response = _get(client, [{"name": "title", "op": "eq", "val": "Beta"}])
    assert error_of(response)["source"] == {"parameter": "filter"}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            {"not": {"name": "author__name", "op": "eq", "val": "Ada"}},
            {"Article 001", "Article 002", "Article 004", "Article 005"},
        ),
        (
            {"not": {"name": "comments__body", "op": "startswith", "val": "Comment"}},
            set(),
        ),
    ],
    ids=["to-one, articles without author kept", "to-many"],
)
def test_not_through_a_relationship_means_no_related_row_matches(
    blog_app, db_session, expression, expected
) -> None:
    """FLT-1: NOT (relationship condition) keeps the rows with no related row at all.

    Articles 2 and 5 have no author ("" in the author list); the filter through the
    relationship must keep them, as NOT EXISTS does (a NULL foreign key is no match).
    """
    blog(db_session, 6, authors=["Ada", "Bob", ""])
    client = query_app(blog_app, filter_expressions=True).test_client()
    assert _titles(_get(client, expression)) == expected
