"""Sparse fieldsets: fields[TYPE] on primary data, included resources and write responses."""

from __future__ import annotations

import pytest

from tests.support.query_data import blog, error_of


def test_fieldset_limits_attributes_and_relationships_fld_1_fld_2(client, db_session) -> None:
    """FLD-1, FLD-2: fields[articles]=title,views leaves only those two attributes."""
    blog(db_session, 2)
    document = client.get("/articles?fields[articles]=title,views").document
    for article in document["data"]:
        assert set(article["attributes"]) == {"title", "views"}
        assert "relationships" not in article


def test_fieldset_may_name_relationships_fld_1(client, db_session) -> None:
    """FLD-1: a relationship in the fieldset is kept, the others are dropped."""
    blog(db_session, 1)
    article = client.get("/articles?fields[articles]=title,author").document["data"][0]
    assert set(article["attributes"]) == {"title"}
    assert set(article["relationships"]) == {"author"}


def test_fieldset_applies_to_included_resources_fld_5(client, db_session) -> None:
    """FLD-2, FLD-5: fields[authors]=name applies to the included authors."""
    blog(db_session, 2)
    document = client.get("/articles?include=author&fields[authors]=name").document
    assert document["included"]
    for author in document["included"]:
        assert set(author["attributes"]) == {"name"}
        assert "relationships" not in author
    assert set(document["data"][0]["attributes"]) == {
        "title",
        "body",
        "created",
        "views",
        "draft",
    }


def test_fieldsets_of_several_types_at_once_fld_2(client, db_session) -> None:
    """FLD-2: each type gets its own fieldset, in data and in included."""
    blog(db_session, 2)
    url = "/articles?include=comments,author&fields[articles]=title,comments&fields[comments]=body"
    document = client.get(url).document
    assert {frozenset(a["attributes"]) for a in document["data"]} == {frozenset({"title"})}
    for resource in document["included"]:
        expected = {"body"} if resource["type"] == "comments" else {"name", "email"}
        assert set(resource["attributes"]) == expected


def test_empty_fieldset_returns_no_fields_fld_3(client, db_session) -> None:
    """FLD-3: fields[articles]= returns type and id only (and links)."""
    blog(db_session, 2)
    document = client.get("/articles?fields[articles]=").document
    for article in document["data"]:
        assert article.get("attributes", {}) == {}
        assert "relationships" not in article
        assert article["type"] == "articles" and article["id"]


def test_included_resources_are_kept_when_fieldset_drops_the_path_cmp_3(client, db_session) -> None:
    """CMP-3: include=author with fields[articles]=title still includes the authors."""
    rows = blog(db_session, 2)
    document = client.get("/articles?include=author&fields[articles]=title").document
    assert sorted(r["id"] for r in document["included"]) == [str(a) for a in rows.authors]
    assert all("relationships" not in a for a in document["data"])


def test_fieldset_on_single_resource_fld_5(client, db_session) -> None:
    """FLD-5: fields apply to a single resource."""
    rows = blog(db_session, 1)
    document = client.get(f"/articles/{rows.articles[0]}?fields[articles]=views").document
    assert document["data"]["attributes"] == {"views": 0}


def test_fieldset_on_post_response_fld_5(client, db_session) -> None:
    """FLD-5: fields apply to the 201 response of a POST."""
    body = {"data": {"type": "authors", "attributes": {"name": "Eve", "email": "e@x.org"}}}
    response = client.post("/authors?fields[authors]=name", json=body)
    assert response.status_code == 201
    assert response.document["data"]["attributes"] == {"name": "Eve"}


def test_fieldset_on_patch_response_fld_5(client, db_session) -> None:
    """FLD-5: fields apply to the 200 response of a PATCH."""
    rows = blog(db_session, 1)
    author_id = str(rows.authors[0])
    body = {"data": {"type": "authors", "id": author_id, "attributes": {"name": "Zed"}}}
    response = client.patch(f"/authors/{author_id}?fields[authors]=email", json=body)
    assert response.status_code == 200
    assert set(response.document["data"]["attributes"]) == {"email"}


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("fields[articles]", "nope"),
        ("fields[articles]", "title,nope"),
        ("fields[articles]", "author.name"),
        ("fields[nopes]", "title"),
        ("fields[author]", "name"),
    ],
)
def test_unknown_type_or_field_is_400_fld_6(client, parameter: str, value: str) -> None:
    """FLD-6: an unknown field or type (fields are keyed by type, not by relationship)."""
    response = client.get(f"/articles?{parameter}={value}")
    assert error_of(response)["source"] == {"parameter": parameter}


def test_unknown_fields_are_named_in_the_error_fld_6(client) -> None:
    """FLD-6: the 400 names every unknown member of the fieldset, in order, and its type."""
    response = client.get("/articles?fields[articles]=title,zeta,alpha")
    error = error_of(response)
    assert error["source"] == {"parameter": "fields[articles]"}
    assert error["detail"] == "'articles' has no field 'alpha', 'zeta'."


@pytest.mark.parametrize("parameter", ["fields", "fields[articles][title]", "fields[]"])
def test_malformed_fields_parameter_is_400_fld_6(client, parameter: str) -> None:
    """FLD-6, QP-3: fields must be written fields[TYPE]."""
    response = client.get(f"/articles?{parameter}=title")
    assert error_of(response)["source"] == {"parameter": parameter}


def test_repeated_fieldset_is_400_fld_6(client) -> None:
    """FLD-6: fields[articles] given twice is ambiguous."""
    response = client.get("/articles?fields[articles]=title&fields[articles]=views")
    assert error_of(response)["source"] == {"parameter": "fields[articles]"}
