"""include: compound documents on collections, single resources and write responses."""

from __future__ import annotations

from typing import Any

import pytest

from examples.blog.models import Article
from tests.support.query_data import blog, error_of, ids, query_app


def _identifiers(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["type"], r["id"]) for r in document.get("included", [])]


def _linked(resource: dict[str, Any]) -> set[tuple[str, str]]:
    linked = set()
    for relationship in resource.get("relationships", {}).values():
        data = relationship.get("data")
        for item in data if isinstance(data, list) else [data] if data else []:
            linked.add((item["type"], item["id"]))
    return linked


def _assert_full_linkage(document: dict[str, Any]) -> None:
    """CMP-2: every included resource is reachable from primary data; CMP-4: once each."""
    primary = document["data"] if isinstance(document["data"], list) else [document["data"]]
    included = {(r["type"], r["id"]): r for r in document.get("included", [])}
    assert len(included) == len(document.get("included", [])), "an included resource repeats"
    assert not {(r["type"], r["id"]) for r in primary} & set(included), "primary in included"
    reached, frontier = set(), [link for r in primary for link in _linked(r)]
    while frontier:
        key = frontier.pop()
        if key in reached or key not in included:
            continue
        reached.add(key)
        frontier.extend(_linked(included[key]))
    assert reached == set(included)


def test_include_to_one_on_collection_inc_5_cmp_1(client, db_session) -> None:
    """INC-5, CMP-1: include=author puts each author in `included` with linkage data."""
    rows = blog(db_session, 4)
    response = client.get("/articles?include=author")
    assert response.status_code == 200
    document = response.document
    assert sorted(_identifiers(document)) == [("authors", str(a)) for a in rows.authors]
    for article in document["data"]:
        assert article["relationships"]["author"]["data"]["type"] == "authors"
    _assert_full_linkage(document)


def test_nested_path_includes_intermediate_resources_inc_7_cmp_4(client, db_session) -> None:
    """INC-5, INC-7, CMP-4: comments.author includes comments and their authors, each once."""
    rows = blog(db_session, 3)
    document = client.get("/articles?include=comments.author,author").document
    types = [key[0] for key in _identifiers(document)]
    assert types.count("comments") == len(rows.comments)
    assert types.count("authors") == len(rows.authors)
    _assert_full_linkage(document)


def test_primary_resource_is_not_repeated_in_included_cmp_4(client, db_session) -> None:
    """CMP-4: authors reached again through articles.author are not repeated."""
    blog(db_session, 4)
    document = client.get("/authors?include=articles.author").document
    assert {key[0] for key in _identifiers(document)} == {"articles"}
    _assert_full_linkage(document)


def test_three_level_path_and_to_many_chain_cmp_2(client, db_session) -> None:
    """INC-5, CMP-2: tags.articles.author reaches authors through tags and articles."""
    blog(db_session, 3)
    document = client.get("/tags/1?include=articles.author").document
    assert {key[0] for key in _identifiers(document)} == {"articles", "authors"}
    _assert_full_linkage(document)


def test_include_on_single_resource_inc_9(client, db_session) -> None:
    """INC-9: a single resource with include=author,tags."""
    rows = blog(db_session, 3)
    article_id = rows.articles[2]
    document = client.get(f"/articles/{article_id}?include=author,tags").document
    assert document["data"]["id"] == str(article_id)
    assert sorted(k[0] for k in _identifiers(document)) == ["authors", "tags", "tags", "tags"]
    _assert_full_linkage(document)


def test_empty_to_one_is_null_and_not_included_inc_5(client, db_session) -> None:
    """REL-3, INC-5: an article without author has `data: null`, nothing is included."""
    blog(db_session, 2, authors=[""])
    document = client.get("/articles?include=author").document
    assert [a["relationships"]["author"]["data"] for a in document["data"]] == [None, None]
    assert document["included"] == []


def test_include_in_post_response_inc_9(client, db_session) -> None:
    """INC-9: POST /articles?include=author answers the new article with its author."""
    rows = blog(db_session, 1)
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "New", "body": "x"},
            "relationships": {"author": {"data": {"type": "authors", "id": str(rows.authors[0])}}},
        }
    }
    response = client.post("/articles?include=author", json=body)
    assert response.status_code == 201
    assert _identifiers(response.document) == [("authors", str(rows.authors[0]))]
    _assert_full_linkage(response.document)


def test_include_in_patch_response_inc_9(client, db_session) -> None:
    """INC-9: PATCH /articles/1?include=tags answers the article with its tags."""
    rows = blog(db_session, 3)
    article_id = rows.articles[2]
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"title": "T"}}}
    response = client.patch(f"/articles/{article_id}?include=tags", json=body)
    assert response.status_code == 200
    assert sorted(_identifiers(response.document)) == [("tags", str(t)) for t in rows.tags]
    assert db_session.get(Article, article_id).title == "T"


def test_empty_include_returns_no_related_resources_inc_8(client, db_session) -> None:
    """INC-8: include= (empty) returns no related resources."""
    blog(db_session, 2)
    document = client.get("/articles?include=").document
    assert document.get("included", []) == []
    assert ids(document) == ["1", "2"]


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("nope", "'nope' in 'nope' is not a relationship of 'articles'."),
        ("author.nope", "'nope' in 'author.nope' is not a relationship of 'authors'."),
        ("title", "'title' in 'title' is not a relationship of 'articles'."),
        ("author.", "'author.' is not a valid include list."),
        (".author", "'.author' is not a valid include list."),
        ("author,,tags", "'author,,tags' is not a valid include list."),
        ("comments..author", "'comments..author' is not a valid include list."),
        ("Author", "'Author' in 'Author' is not a relationship of 'articles'."),
    ],
)
def test_unknown_include_path_is_400_inc_6(client, db_session, value: str, detail: str) -> None:
    """INC-6: a path that names no relationship is 400 with source.parameter include, and
    says which member is unknown, or that the list itself is malformed."""
    error = error_of(client.get(f"/articles?include={value}"))
    assert error["source"] == {"parameter": "include"}
    assert error["detail"] == detail


def test_unknown_include_path_on_single_resource_is_400_inc_6(client, db_session) -> None:
    """INC-6: the same rule on a single resource."""
    blog(db_session, 1)
    assert error_of(client.get("/articles/1?include=nope"))["source"] == {"parameter": "include"}


def test_repeated_include_parameter_is_400_inc_6(client) -> None:
    """INC-6: include given twice is ambiguous."""
    response = client.get("/articles?include=author&include=tags")
    assert error_of(response)["source"] == {"parameter": "include"}


def test_include_deeper_than_default_maximum_is_400_inc_6(client, db_session) -> None:
    """INC-6: the default maximum depth is 3; a fourth level is 400."""
    blog(db_session, 1)
    assert client.get("/articles?include=comments.article.author").status_code == 200
    response = client.get("/articles?include=comments.article.comments.author")
    assert error_of(response)["source"] == {"parameter": "include"}


def test_max_include_depth_from_app_config_inc_6(blog_app, db_session) -> None:
    """INC-6: JSONAPI_MAX_INCLUDE_DEPTH lowers the maximum for every resource."""
    blog(db_session, 1)
    client = query_app(blog_app, {"JSONAPI_MAX_INCLUDE_DEPTH": 1}).test_client()
    assert client.get("/articles?include=author,tags").status_code == 200
    response = client.get("/articles?include=comments.author")
    assert error_of(response)["source"] == {"parameter": "include"}


def test_max_include_depth_per_view_set_inc_6(blog_app, db_session) -> None:
    """INC-6: a view set's max_include_depth overrides the global one for its resource."""
    blog(db_session, 1)
    client = query_app(
        blog_app, {"JSONAPI_MAX_INCLUDE_DEPTH": 1}, max_include_depth=2
    ).test_client()
    assert client.get("/articles?include=comments.author").status_code == 200
    assert client.get("/comments?include=article.author").status_code == 400


def test_resource_reached_again_with_deeper_path_gets_its_linkage_cmp_2(client, db_session) -> None:
    """CMP-2, INC-7: an author reached by `author` (no further path) and again by
    `comments.author.articles` carries linkage for `articles`, and its articles are included."""
    rows = blog(db_session, 3)
    ada, bob = rows.authors
    first, second, third = rows.articles  # by Ada, Bob, Ada
    url = f"/articles/{first}?include=author,comments.author.articles"
    document = client.get(url).document
    included = {(r["type"], r["id"]): r for r in document["included"]}
    assert set(included) == {
        ("authors", str(ada)),
        ("authors", str(bob)),
        ("articles", str(second)),
        ("articles", str(third)),
        *(("comments", str(c)) for c in rows.comments[:2]),
    }
    ada_articles = included[("authors", str(ada))]["relationships"]["articles"]["data"]
    assert sorted(int(a["id"]) for a in ada_articles) == [first, third]
    bob_articles = included[("authors", str(bob))]["relationships"]["articles"]["data"]
    assert [a["id"] for a in bob_articles] == [str(second)]
    _assert_full_linkage(document)


def test_primary_resource_reached_again_leaves_nothing_after_it_out_cmp_4(
    client, db_session
) -> None:
    """CMP-4, INC-7: the primary article reached again through author.articles is not
    repeated, and everything the path reaches after it (other articles, their comments)
    is still included."""
    rows = blog(db_session, 3)
    first, _, third = rows.articles  # Ada's
    document = client.get(f"/articles/{first}?include=author.articles.comments").document
    assert sorted(_identifiers(document)) == sorted(
        [
            ("authors", str(rows.authors[0])),
            ("articles", str(third)),
            *(("comments", str(c)) for c in rows.comments[:2] + rows.comments[4:6]),
        ]
    )
    _assert_full_linkage(document)
