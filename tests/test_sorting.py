"""Sorting: several keys, descending, to-one relationship attributes, primary-key ties."""

from __future__ import annotations

import pytest

from tests.support.query_data import blog, error_of, ids, query_app

TITLES = ["delta", "alpha", "charlie", "bravo", "echo"]


def _titles(document: dict) -> list[str]:
    return [a["attributes"]["title"] for a in document["data"]]


def test_sort_ascending_srt_1_srt_4(client, db_session) -> None:
    """SRT-1, SRT-4: sort=title orders the data by title."""
    blog(db_session, 5, titles=TITLES)
    assert _titles(client.get("/articles?sort=title").document) == sorted(TITLES)


def test_sort_descending_srt_2(client, db_session) -> None:
    """SRT-2: a leading - sorts descending."""
    blog(db_session, 5, titles=TITLES)
    assert _titles(client.get("/articles?sort=-title").document) == sorted(TITLES, reverse=True)


def test_several_sort_keys_in_order_srt_1(client, db_session) -> None:
    """SRT-1: sort=-views,title: views descending, then title for equal views."""
    blog(db_session, 5, titles=TITLES, views=[1, 2, 1, 2, 1])
    document = client.get("/articles?sort=-views,title").document
    assert _titles(document) == ["alpha", "bravo", "charlie", "delta", "echo"]


def test_sort_by_id_srt_1(client, db_session) -> None:
    """SRT-1: sort=-id orders by the primary key, descending."""
    rows = blog(db_session, 3)
    assert ids(client.get("/articles?sort=-id").document) == [str(i) for i in rows.articles[::-1]]


def test_default_order_is_primary_key_srt_5(client, db_session) -> None:
    """SRT-5: without sort, the order is deterministic: by primary key."""
    rows = blog(db_session, 4, titles=["d", "c", "b", "a"])
    assert ids(client.get("/articles").document) == [str(i) for i in rows.articles]


@pytest.mark.parametrize("sort", ["views", "-views"])
def test_ties_are_broken_by_primary_key_srt_5(client, db_session, sort: str) -> None:
    """SRT-5: equal sort values come in primary-key order, ascending or descending."""
    rows = blog(db_session, 4, views=[7, 7, 7, 7])
    assert ids(client.get(f"/articles?sort={sort}").document) == [str(i) for i in rows.articles]


def test_pages_of_equal_values_never_overlap_srt_5_pag_4(client, db_session) -> None:
    """SRT-5, PAG-4: with equal keys, consecutive pages hold every article once."""
    rows = blog(db_session, 5, views=[3, 3, 3, 3, 3])
    seen = []
    for number in (1, 2, 3):
        seen += ids(client.get(f"/articles?sort=views&page[size]=2&page[number]={number}").document)
    assert seen == [str(i) for i in rows.articles]


def test_sort_by_to_one_relationship_attribute_srt_6(client, db_session) -> None:
    """SRT-6: sort=author.name,-views sorts by the related author's name."""
    blog(db_session, 4, authors=["bob", "ada"], views=[1, 2, 3, 4])
    document = client.get("/articles?sort=author.name,-views&include=author").document
    authors = {a["id"]: a["attributes"]["name"] for a in document["included"]}
    names = [authors[a["relationships"]["author"]["data"]["id"]] for a in document["data"]]
    assert names == ["ada", "ada", "bob", "bob"]
    assert [a["attributes"]["views"] for a in document["data"]] == [4, 2, 3, 1]


@pytest.mark.parametrize(("sort", "expected"), [("author.name", 0), ("-author.name", -1)])
def test_missing_related_value_sorts_first_ascending_srt_6(
    client, db_session, sort: str, expected: int
) -> None:
    """SRT-6: an article without author sorts first ascending, last descending (both DBs)."""
    rows = blog(db_session, 3, authors=["bob", "", "ada"])
    document = client.get(f"/articles?sort={sort}").document
    assert ids(document)[expected] == str(rows.articles[1])


def test_sort_on_related_endpoint_srt_7(client, db_session) -> None:
    """SRT-7: sort applies to a to-many related collection."""
    rows = blog(db_session, 4, titles=["d", "c", "b", "a"], authors=["ada"])
    document = client.get(f"/authors/{rows.authors[0]}/articles?sort=title").document
    assert _titles(document) == ["a", "b", "c", "d"]


def test_sortable_fields_declared_per_view_set_srt_3(blog_app, db_session) -> None:
    """SRT-3: a view set's sortable_fields allow those sorts and refuse the others."""
    blog(db_session, 3, titles=["b", "c", "a"])
    client = query_app(blog_app, sortable_fields=["title", "author.name"]).test_client()
    assert _titles(client.get("/articles?sort=-title").document) == ["c", "b", "a"]
    assert client.get("/articles?sort=author.name").status_code == 200
    assert error_of(client.get("/articles?sort=views"))["source"] == {"parameter": "sort"}


@pytest.mark.parametrize(
    "value",
    [
        "nope",
        "author",
        "comments.body",
        "author.nope",
        "author.articles",
        "tags.name",
        "",
        "-",
        "title,,views",
        "title,title",
        "title,-title",
        "Title",
        "%2Btitle",
    ],
)
def test_unsupported_sort_is_400_srt_3(client, value: str) -> None:
    """SRT-3: unknown fields, relationships, to-many paths, malformed lists are 400."""
    response = client.get(f"/articles?sort={value}")
    assert error_of(response)["source"] == {"parameter": "sort"}


@pytest.mark.parametrize("value", ["title,,views", "-", "title,"])
def test_malformed_sort_list_says_so_srt_3(client, value: str) -> None:
    """SRT-3: an empty member of the sort list is a 400 that quotes the list it refuses."""
    error = error_of(client.get(f"/articles?sort={value}"))
    assert error["source"] == {"parameter": "sort"}
    assert error["detail"] == f"'{value}' is not a valid sort list."


def test_repeated_sort_parameter_is_400_srt_3(client) -> None:
    """SRT-3: sort given twice is ambiguous."""
    response = client.get("/articles?sort=title&sort=views")
    assert error_of(response)["source"] == {"parameter": "sort"}


def test_sort_on_single_resource_is_400_srt_3(client, db_session) -> None:
    """SRT-3: a single resource cannot be sorted."""
    blog(db_session, 1)
    assert error_of(client.get("/articles/1?sort=title"))["source"] == {"parameter": "sort"}
