"""Filtering with filter[...]: schema attributes, operators, relationships, FilterSchema."""

from __future__ import annotations

import pytest
from marshmallow import fields as ma_fields

from flask_jsonapi import FilterField, FilterSchema, ListFilterField
from flask_jsonapi.filters_schema import Operators, RelationshipFilterField
from tests.support.query_data import blog, error_of, query_app

TITLES = ["Alpha", "alphabet", "Beta", "gamma_1", "50% off", "gammaX1"]
ALL = set(TITLES)


def _titles(response) -> set[str]:
    assert response.status_code == 200, response.document
    return {a["attributes"]["title"] for a in response.document["data"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[title]=Alpha", {"Alpha"}),
        ("filter[title][eq]=alpha", set()),
        ("filter[title][ne]=Alpha", ALL - {"Alpha"}),
        ("filter[title][in]=Alpha,Beta,nope", {"Alpha", "Beta"}),
        ("filter[title][notin]=Alpha,Beta", ALL - {"Alpha", "Beta"}),
        ("filter[title][contains]=lpha", {"Alpha", "alphabet"}),
        ("filter[title][contains]=Alph", {"Alpha"}),
        ("filter[title][contains]=a_1", {"gamma_1"}),
        ("filter[title][icontains]=ALPH", {"Alpha", "alphabet"}),
        ("filter[title][icontains]=A_1", {"gamma_1"}),
        ("filter[title][icontains]=%25", {"50% off"}),
        ("filter[title][startswith]=al", {"alphabet"}),
        ("filter[title][istartswith]=AL", {"Alpha", "alphabet"}),
        ("filter[title][endswith]=ta", {"Beta"}),
        ("filter[title][endswith]=TA", set()),
        ("filter[title][iendswith]=TA", {"Beta"}),
        ("filter[title][isnull]=true", set()),
        ("filter[title][isnull]=false", ALL),
        ("filter[views][lt]=30", {"Alpha", "alphabet"}),
        ("filter[views][lte]=30", {"Alpha", "alphabet", "Beta"}),
        ("filter[views][gt]=50", {"gammaX1"}),
        ("filter[views][gte]=50", {"50% off", "gammaX1"}),
        ("filter[views][in]=10,60", {"Alpha", "gammaX1"}),
        ("filter[views]=20", {"alphabet"}),
        ("filter[created][gt]=2024-01-01T15:30:00", {"50% off", "gammaX1"}),
        ("filter[id][lte]=2", {"Alpha", "alphabet"}),
    ],
)
def test_operators_mean_the_same_on_every_database_flt_1(
    client, db_session, query: str, expected: set[str]
) -> None:
    """FLT-1: each operator, case-sensitive unless prefixed with i, LIKE wildcards literal."""
    blog(db_session, 6, titles=TITLES, views=[10, 20, 30, 40, 50, 60])
    assert _titles(client.get(f"/articles?{query}")) == expected


def test_a_backslash_in_an_i_operator_value_is_literal_flt_1(client, db_session) -> None:
    """FLT-1: a backslash (LIKE's escape character here) matches itself, as % and _ do."""
    blog(db_session, 3, titles=["C:\\Temp", "C:Temp", "C:\\\\Temp"])
    assert _titles(client.get("/articles?filter[title][icontains]=c:%5Ct")) == {"C:\\Temp"}
    assert _titles(client.get("/articles?filter[title][iendswith]=%5C%5Ctemp")) == {"C:\\\\Temp"}


def test_an_i_operator_value_with_an_accented_letter_flt_1(client, db_session) -> None:
    """FLT-1: ``icontains`` of ``CAFÉ`` finds the title written ``Café``, not ``Cafe``."""
    blog(db_session, 3, titles=["Café crème", "Cafe creme", "Tea"])
    assert _titles(client.get("/articles?filter[title][icontains]=CAF%C3%89")) == {"Café crème"}


def test_contains_finds_a_redaction_mark_flt_1(client, db_session) -> None:
    """FLT-1: case-sensitive ``contains`` of a value of one repeated letter (a redaction
    mark, ``XXXX``) finds the titles holding it, not those with fewer or lower-case ones."""
    blog(db_session, 3, titles=["Case XXXX closed", "Case xxxx closed", "Case XXX closed"])
    assert _titles(client.get("/articles?filter[title][contains]=XXXX")) == {"Case XXXX closed"}


def test_filters_combine_with_and_and_count_the_matches_flt_1(client, db_session) -> None:
    """FLT-1: several filters all apply; meta.count counts the filtered total."""
    blog(db_session, 6, titles=TITLES, views=[10, 20, 30, 40, 50, 60])
    response = client.get("/articles?filter[title][icontains]=a&filter[views][gte]=30")
    assert _titles(response) == {"Beta", "gamma_1", "gammaX1"}
    assert response.document["meta"] == {"count": 3}


def test_to_one_relationship_filters_the_related_column_flt_2(client, db_session) -> None:
    """FLT-2: filter[author][id] compares the author's id, not the article's."""
    rows = blog(db_session, 6, titles=TITLES, authors=["Ada", "Bob", "Cy"])
    bob = rows.authors[1]
    assert _titles(client.get(f"/articles?filter[author][id]={bob}")) == {"alphabet", "50% off"}
    assert _titles(client.get("/articles?filter[author][name]=Cy")) == {"Beta", "gammaX1"}


def test_dotted_relationship_path_flt_2(client, db_session) -> None:
    """FLT-2: filter[author.name] is the same as filter[author][name]."""
    blog(db_session, 4, titles=TITLES[:4], authors=["Ada", "Bob"])
    assert _titles(client.get("/articles?filter[author.name][istartswith]=b")) == {
        "alphabet",
        "gamma_1",
    }


def test_to_many_relationship_filter_never_duplicates_rows_flt_2(client, db_session) -> None:
    """FLT-2: articles with both tags 1 and 2 appear once; the count agrees."""
    blog(db_session, 6, titles=TITLES)
    response = client.get("/articles?filter[tags][id][in]=1,2")
    assert [a["attributes"]["title"] for a in response.document["data"]] == TITLES
    assert response.document["meta"] == {"count": 6}
    only_sql = client.get("/articles?filter[tags][name]=sql")
    assert _titles(only_sql) == {"Beta", "gammaX1"}


def test_nested_relationship_path_flt_2(client, db_session) -> None:
    """FLT-2: comments whose article's author is Ada."""
    blog(db_session, 2, authors=["Ada", "Bob"], comments_per_article=2)
    response = client.get("/comments?filter[article][author][name]=Ada")
    assert [c["attributes"]["body"] for c in response.document["data"]] == [
        "Comment 0 on 0",
        "Comment 1 on 0",
    ]


def test_filter_on_related_endpoint_flt_1(client, db_session) -> None:
    """FLT-1: filters apply to related collections."""
    rows = blog(db_session, 4, titles=TITLES[:4], authors=["Ada"])
    url = f"/authors/{rows.authors[0]}/articles?filter[title][startswith]=gamma"
    assert _titles(client.get(url)) == {"gamma_1"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[nope]=1", "filter[nope]"),
        ("filter[author_id]=1", "filter[author_id]"),
        ("filter[title][nope]=x", "filter[title][nope]"),
        ("filter[title][gt]=x", "filter[title][gt]"),
        ("filter[views][icontains]=1", "filter[views][icontains]"),
        ("filter[views]=many", "filter[views]"),
        ("filter[views][in]=1,x", "filter[views][in]"),
        ("filter[created][gt]=yesterday", "filter[created][gt]"),
        ("filter[title]=", "filter[title]"),
        ("filter[title][isnull]=perhaps", "filter[title][isnull]"),
        ("filter[title][eq][x]=a", "filter[title][eq][x]"),
        ("filter[author]=1", "filter[author]"),
        ("filter[author][nope]=1", "filter[author][nope]"),
        ("filter[author][email_address]=x", "filter[author][email_address]"),
        ("filter[]=x", "filter[]"),
        ("filter[title]x=1", "filter[title]x"),
        ("filter[title]=a&filter[title]=b", "filter[title]"),
        ("filter=[]", "filter"),
    ],
)
def test_invalid_filter_is_400_naming_the_parameter_flt_3(client, query, parameter) -> None:
    """FLT-3: unknown fields, operators, values and malformed names are 400."""
    assert error_of(client.get(f"/articles?{query}"))["source"] == {"parameter": parameter}


def test_filter_on_single_resource_is_400_flt_3(client, db_session) -> None:
    """FLT-3: a single resource is not filtered."""
    blog(db_session, 1)
    response = client.get("/articles/1?filter[title]=x")
    assert error_of(response)["source"] == {"parameter": "filter[title]"}


class AuthorFilters(FilterSchema):
    name = FilterField(operators=[None, Operators.ICONTAINS])


class ArticleFilters(FilterSchema):
    title = FilterField(operators=[None, Operators.ISTARTSWITH])
    popular = FilterField(attribute="views", type_=ma_fields.Int, default_operator="gte")
    ids = ListFilterField(attribute="id__in", type_=ma_fields.Int)
    writer = RelationshipFilterField(AuthorFilters, attribute="author")
    seen = FilterField(attribute="views", type_=ma_fields.Int, operators=[Operators.RANGE])
    # The relationship itself compared: its related primary key.
    author = FilterField(type_=ma_fields.Int, operators=[None, Operators.IN])


@pytest.fixture
def declared_client(blog_app):
    """Articles with a declared FilterSchema (the original flask-jsonapi API)."""
    return query_app(blog_app, filter_schema=ArticleFilters()).test_client()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[title]=Beta", {"Beta"}),
        ("filter[title][istartswith]=GAMMA", {"gamma_1", "gammaX1"}),
        ("filter[popular]=50", {"50% off", "gammaX1"}),
        ("filter[ids]=1,3", {"Alpha", "Beta"}),
        ("filter[writer][name][icontains]=OB", {"alphabet", "gamma_1", "gammaX1"}),
        ("filter[seen][range]=20,40", {"alphabet", "Beta", "gamma_1"}),
        ("filter[author]=2", {"alphabet", "gamma_1", "gammaX1"}),
        ("filter[author][in]=1,3", {"Alpha", "Beta", "50% off"}),
    ],
)
def test_declared_filter_schema_keeps_working(declared_client, db_session, query, expected):
    """The original API: FilterField, ListFilterField, RelationshipFilterField, operators."""
    blog(db_session, 6, titles=TITLES, views=[10, 20, 30, 40, 50, 60], authors=["Ada", "Bob"])
    assert _titles(declared_client.get(f"/articles?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[views]=1", "filter[views]"),
        ("filter[title][icontains]=a", "filter[title][icontains]"),
        ("filter[popular][lt]=3", "filter[popular][lt]"),
        ("filter[writer][email]=x", "filter[writer][email]"),
        ("filter[writer]=1", "filter[writer]"),
        ("filter[ids]=1,a", "filter[ids]"),
    ],
)
def test_declared_filter_schema_allows_only_its_filters_flt_3(declared_client, query, parameter):
    """FLT-3: a declared FilterSchema is the whitelist: nothing else is filterable."""
    response = declared_client.get(f"/articles?{query}")
    assert error_of(response)["source"] == {"parameter": parameter}
