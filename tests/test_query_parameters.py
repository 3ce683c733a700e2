"""Query parameter names (JSON:API 1.1): reserved a-z names, implementation-specific names."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from flask_jsonapi.query import QueryConfig, parse_query
from tests.support.query_data import blog, error_of, ids


@pytest.mark.parametrize("name", ["foo", "includes", "sorting", "q", "limit", "offset"])
def test_unknown_all_lowercase_name_is_400_qp_2_qp_7(client, name: str) -> None:
    """QP-2, QP-7: a made-up name of only a-z letters is reserved, so 400 naming it."""
    assert error_of(client.get(f"/articles?{name}=1"))["source"] == {"parameter": name}


@pytest.mark.parametrize("name", ["foo[bar]", "x[Y]"])
def test_unknown_lowercase_family_is_400_qp_3(client, name: str) -> None:
    """QP-3: a family whose base name is all a-z and not JSON:API's is 400."""
    assert error_of(client.get(f"/articles?{name}=1"))["source"] == {"parameter": name}


@pytest.mark.parametrize("name", ["include[author]", "sort[]", "sort[title]"])
def test_include_and_sort_take_no_brackets_qp_3(client, name: str) -> None:
    """QP-3: include and sort are single parameters, not families."""
    assert error_of(client.get(f"/articles?{name}=x"))["source"] == {"parameter": name}


@pytest.mark.parametrize(
    "name", ["fooBar", "foo_bar", "foo-bar", "foo1", "Include", "X[y]", "page2[x]"]
)
def test_implementation_specific_names_are_allowed_qp_1(client, db_session, name: str) -> None:
    """QP-1: a name with a character outside a-z is implementation-specific: allowed."""
    rows = blog(db_session, 2)
    response = client.get(f"/articles?{name}=1")
    assert response.status_code == 200
    assert ids(response.document) == [str(i) for i in rows.articles]


def test_unknown_name_on_single_resource_is_400_qp_2(client, db_session) -> None:
    """QP-2: the rule holds on single resources."""
    blog(db_session, 1)
    assert error_of(client.get("/articles/1?foo=1"))["source"] == {"parameter": "foo"}


def test_unknown_name_on_post_is_400_and_writes_nothing_qp_2(client, db_session) -> None:
    """QP-2: a POST with ?foo=1 is refused before anything is written."""
    body = {"data": {"type": "tags", "attributes": {"name": "new"}}}
    assert error_of(client.post("/tags?foo=1", json=body))["source"] == {"parameter": "foo"}
    assert client.get("/tags").document["data"] == []


def test_encoded_and_raw_brackets_are_the_same_parameter_qp_6(client, db_session) -> None:
    """QP-6: page%5Bsize%5D and page[size] mean the same."""
    blog(db_session, 3)
    raw = client.get("/articles?page[size]=1").document
    encoded = client.get("/articles?page%5Bsize%5D=1").document
    assert ids(raw) == ids(encoded) == ["1"]
    assert raw["links"] == encoded["links"]


# -- the query language called from code (flask_jsonapi.query) -----------------------------


def test_query_config_from_code_keeps_sortable_fields_as_a_set(blog_app) -> None:
    """``QueryConfig`` built by code: a list of sortable fields is kept as a set (the
    config stays hashable), also through ``from_app_config``, where a list override is
    applied though it cannot be cached."""
    direct = QueryConfig(sortable_fields=["title", "views"])
    assert direct.sortable_fields == frozenset({"title", "views"})
    assert hash(direct) == hash(QueryConfig(sortable_fields=("views", "title")))
    built = QueryConfig.from_app_config(blog_app.config, sortable_fields=["title"], page_size=7)
    assert (built.sortable_fields, built.page_size) == (frozenset({"title"}), 7)


def test_parse_query_from_code_filters_by_the_schemas_fields_flt_1(blog_app) -> None:
    """FLT-1: ``parse_query`` called by code with no filter parser reads the schema's
    filters, through relationships to the related type's fields."""
    registry = blog_app.extensions["flask_jsonapi"][0].registry
    args = MultiDict({"filter[author][name]": "Ada", "filter[views][gt]": "3"})
    query = parse_query(
        args, registry.schema("articles"), registry.schema, QueryConfig(), collection=True
    )
    assert query.filters == {"author__name": "Ada", "views__gt": 3}
    assert [key.parameter for key in query.filters] == ["filter[author][name]", "filter[views][gt]"]
