"""Cursor (keyset) pagination after the Cursor Pagination profile (PROF-3, PROF-4)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from examples.blog.models import Article, Author, Comment
from tests.support.query_data import blog, error_of, ids, query_app

PROFILE = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination"


@pytest.fixture
def cursor_client(blog_app):
    """The blog API with cursor pagination on articles."""
    return query_app(blog_app, pagination="cursor").test_client()


def _walk(client, url: str, direction: str = "next") -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.document
        pages.append(ids(response.document))
        url = response.document["links"][direction]
    return pages


def test_cursor_pages_cover_every_item_once_prof_4(cursor_client, db_session) -> None:
    """PROF-4, PAG-4: following next visits each article once, in primary-key order."""
    rows = blog(db_session, 7, comments_per_article=0)
    pages = _walk(cursor_client, "/articles?page[size]=3")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == [str(i) for i in rows.articles]


@pytest.mark.parametrize(
    "sort", ["-views,title", "author.name,-created", "-author.name", "draft,-views"]
)
def test_cursor_pages_follow_the_sort_pag_4(cursor_client, client, db_session, sort) -> None:
    """PAG-4: cursor pages follow the sort, NULL authors, ties and booleans included."""
    blog(db_session, 9, authors=["bo", "", "al"], views=[3, 1, 3, 2, 1, 3, 2, 2, 1])
    expected = ids(client.get(f"/articles?sort={sort}").document)
    pages = _walk(cursor_client, f"/articles?sort={sort}&page[size]=2")
    assert sum(pages, []) == expected
    assert all(len(page) == 2 for page in pages[:-1])


def test_before_goes_back_to_the_previous_page_prof_4(cursor_client, db_session) -> None:
    """PROF-4: prev links walk the same pages backwards, first page's prev is null."""
    blog(db_session, 7, comments_per_article=0, views=[5, 1, 4, 1, 3, 2, 2])
    forward = _walk(cursor_client, "/articles?sort=-views&page[size]=3")
    last = cursor_client.get("/articles?sort=-views&page[size]=3").document["links"]["next"]
    last = cursor_client.get(last).document["links"]["next"]
    backward = _walk(cursor_client, last, "prev")
    assert backward == forward[::-1]


def test_cursor_links_and_profile_media_type_prof_1(cursor_client, db_session) -> None:
    """PROF-1, PROF-4, CN-5: prev/next always present, the profile named in Content-Type."""
    blog(db_session, 3, comments_per_article=0)
    response = cursor_client.get("/articles?sort=title&page[size]=2")
    assert response.headers["Content-Type"] == f'application/vnd.api+json; profile="{PROFILE}"'
    links = response.document["links"]
    assert links["prev"] is None and links["last"] is None
    assert dict(parse_qsl(urlsplit(links["first"]).query)) == {
        "sort": "title",
        "page[size]": "2",
    }
    following = dict(parse_qsl(urlsplit(links["next"]).query))
    assert set(following) == {"sort", "page[size]", "page[after]"}
    last = cursor_client.get(links["next"]).document
    assert last["links"]["next"] is None and last["links"]["prev"] is not None
    assert "meta" not in last


def test_cursor_is_opaque_base64(cursor_client, db_session) -> None:
    """The cursor is URL-safe base64 of the item's sort-key values."""
    blog(db_session, 3, comments_per_article=0)
    links = cursor_client.get("/articles?page[size]=1").document["links"]
    cursor = dict(parse_qsl(urlsplit(links["next"]).query))["page[after]"]
    content = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert content == {"s": "", "v": [1]}


def test_count_on_request_prof_4(cursor_client, db_session) -> None:
    """Cursor pages are not counted unless page[count]=true asks for meta.count."""
    blog(db_session, 3, comments_per_article=0)
    assert "meta" not in cursor_client.get("/articles").document
    assert cursor_client.get("/articles?page[count]=true").document["meta"] == {"count": 3}


def test_cursor_page_is_one_keyset_query(cursor_client, db_session, sql_counter) -> None:
    """Constant cost: a deep page is one SELECT with a WHERE on the keys, never OFFSET."""
    blog(db_session, 6, comments_per_article=0)
    next_link = cursor_client.get("/articles?sort=-views&page[size]=2").document["links"]["next"]
    with sql_counter() as counter:
        document = cursor_client.get(next_link).document
    assert ids(document) == ["4", "3"]
    assert counter.count == 1, counter
    sql, parameters = counter.statements[0].upper(), counter.parameters[0]
    assert "WHERE" in sql and "LIMIT" in sql
    # SQLite's dialect always writes OFFSET after LIMIT; it must then be 0.
    assert "OFFSET" not in sql or list(parameters)[-1] == 0, counter


def test_invalid_cursor_is_400_prof_4(cursor_client) -> None:
    """PROF-4: a value that is not a cursor."""
    response = cursor_client.get("/articles?page[after]=not-a-cursor")
    assert error_of(response)["source"] == {"parameter": "page[after]"}


def test_cursor_of_another_sort_is_400_prof_4(cursor_client, db_session) -> None:
    """PROF-4: a cursor made for sort=title is refused with sort=-views."""
    blog(db_session, 3, comments_per_article=0)
    link = cursor_client.get("/articles?sort=title&page[size]=1").document["links"]["next"]
    cursor = dict(parse_qsl(urlsplit(link).query))["page[after]"]
    response = cursor_client.get(f"/articles?sort=-views&page[before]={cursor}")
    assert error_of(response)["source"] == {"parameter": "page[before]"}


def test_cursor_with_wrong_value_type_is_400_prof_4(cursor_client) -> None:
    """PROF-4: a well-formed cursor whose value does not fit the column."""
    raw = base64.urlsafe_b64encode(b'{"s":"-created","v":["yesterday",1]}').decode()
    response = cursor_client.get(f"/articles?sort=-created&page[after]={raw}")
    assert error_of(response)["source"] == {"parameter": "page[after]"}


@pytest.mark.parametrize(
    "values",
    ["[3]", "[3,1,7]", "null", '{"0":3,"1":1}', '"31"'],
    ids=["too-few", "too-many", "null", "object", "string-of-two"],
)
def test_cursor_with_the_wrong_number_of_values_is_400_prof_4(
    cursor_client, db_session, values
) -> None:
    """PROF-4: a cursor of this sort must hold one value per sort key plus the id, as a
    list; anything else is 400 naming its parameter, not a database error. The same cursor
    with two values pages."""
    blog(db_session, 3, comments_per_article=0, views=[5, 3, 1])
    for parameter in ("page[after]", "page[before]"):
        forged = base64.urlsafe_b64encode(f'{{"s":"-views","v":{values}}}'.encode()).decode()
        error = error_of(cursor_client.get(f"/articles?sort=-views&{parameter}={forged}"))
        assert error["source"] == {"parameter": parameter}
        detail = f"'{parameter}' is not a cursor of this collection with this sort."
        assert error["detail"] == detail
    fitting = base64.urlsafe_b64encode(b'{"s":"-views","v":[3,2]}').decode()
    response = cursor_client.get(f"/articles?sort=-views&page[after]={fitting}")
    assert [a["attributes"]["views"] for a in response.document["data"]] == [1]


def test_range_pagination_is_refused_prof_4(cursor_client, db_session) -> None:
    """PROF-4: page[after] with page[before] -> range-pagination-not-supported."""
    blog(db_session, 3, comments_per_article=0)
    link = cursor_client.get("/articles?page[size]=1").document["links"]["next"]
    cursor = dict(parse_qsl(urlsplit(link).query))["page[after]"]
    error = error_of(cursor_client.get(f"/articles?page[after]={cursor}&page[before]={cursor}"))
    assert error["links"] == {"type": f"{PROFILE}/range-pagination-not-supported"}
    assert error["source"] == {"parameter": "page[before]"}
    assert error["detail"] == (
        "'page[after]' and 'page[before]' cannot be combined (range pagination)."
    )


def test_size_above_maximum_names_the_maximum_prof_3(cursor_client) -> None:
    """PROF-3: max-size-exceeded error with meta.page.maxSize."""
    error = error_of(cursor_client.get("/articles?page[size]=1001"))
    assert error["source"] == {"parameter": "page[size]"}
    assert error["meta"] == {"page": {"maxSize": 1000}}
    assert error["links"] == {"type": f"{PROFILE}/max-size-exceeded"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page[size]=0", "page[size]"),
        ("page[size]=-3", "page[size]"),
        ("page[size]=two", "page[size]"),
        ("page[number]=2", "page[number]"),
        ("page[after]=", "page[after]"),
        ("page[before]=%%%", "page[before]"),
        ("page[after]=x&page[after]=y", "page[after]"),
        ("page[before]=x&page[before]=y", "page[before]"),
    ],
)
def test_invalid_cursor_page_parameter_is_400_prof_3(cursor_client, query, parameter) -> None:
    """PROF-3: each invalid page parameter of a cursor resource is 400 naming it."""
    response = cursor_client.get(f"/articles?{query}")
    assert error_of(response)["source"] == {"parameter": parameter}


def test_cursor_pagination_on_related_collection_srt_7(blog_app, db_session) -> None:
    """PAG-1: a cursor-paginated type is cursor-paginated at its related endpoints too."""
    rows = blog(db_session, 5, authors=["ada"], comments_per_article=0)
    client = query_app(blog_app, pagination="cursor").test_client()
    pages = _walk(client, f"/authors/{rows.authors[0]}/articles?page[size]=2")
    assert sum(pages, []) == [str(i) for i in rows.articles]


def test_related_collection_of_a_cursor_type_pages_by_cursor_prof_4(
    cursor_client, db_session
) -> None:
    """PROF-1, PROF-4, FET-6: /authors/1/articles pages by cursor, as /articles does, and
    names the profile; the pages hold exactly that author's articles."""
    rows = blog(db_session, 7, authors=["Ada", "Bob"], comments_per_article=0)
    author_id = db_session.scalar(sa.select(Author.id).where(Author.name == "Ada"))
    url = f"/authors/{author_id}/articles?page[size]=2"
    first = cursor_client.get(url)
    assert first.headers["Content-Type"] == f'application/vnd.api+json; profile="{PROFILE}"'
    pages = _walk(cursor_client, url)
    expected = [
        str(i)
        for i in rows.articles
        if db_session.scalar(sa.select(Article.author_id).where(Article.id == i)) == author_id
    ]
    assert sum(pages, []) == expected
    assert [len(page) for page in pages] == [2, 2]


def test_relationship_linkage_pages_by_cursor_prof_4_urel_2(cursor_client, db_session) -> None:
    """PROF-4, UREL-2: a to-many relationship URL of a cursor-paginated type pages its
    linkage by cursor too: next visits every member once, in the relationship's order,
    prev walks back, and the answer names the profile."""
    rows = blog(db_session, 1, comments_per_article=5)
    url = f"/articles/{rows.articles[0]}/relationships/comments?page[size]=2"
    first = cursor_client.get(url)
    assert PROFILE in first.headers["Content-Type"]
    assert first.document["meta"] == {"count": 5}
    assert first.document["links"]["prev"] is None

    forward = _walk(cursor_client, url)
    assert [len(page) for page in forward] == [2, 2, 1]
    expected = sorted(
        db_session.scalars(sa.select(Comment.id).where(Comment.article_id == rows.articles[0]))
    )
    assert sum(forward, []) == [str(id_) for id_ in expected]

    last_page_url = cursor_client.get(cursor_client.get(url).document["links"]["next"])
    backward = _walk(cursor_client, last_page_url.document["links"]["next"], "prev")
    assert backward == forward[::-1]


def test_relationship_cursor_of_a_member_gone_is_400_prof_4(cursor_client, db_session) -> None:
    """PROF-4: a cursor naming a member that left the relationship is a 400 on its
    parameter, not a silently wrong page."""
    rows = blog(db_session, 1, comments_per_article=3)
    url = f"/articles/{rows.articles[0]}/relationships/comments?page[size]=1"
    next_url = cursor_client.get(url).document["links"]["next"]
    db_session.execute(sa.delete(Comment).where(Comment.id == min(rows.comments)))
    db_session.commit()
    db_session.remove()

    response = cursor_client.get(next_url)

    assert error_of(response)["source"] == {"parameter": "page[after]"}


def test_empty_cursor_pages_link_only_to_pages_that_exist_prof_4(cursor_client, db_session) -> None:
    """PROF-4/PAG-3: the empty page after the last item and the one before the first have
    no items to take a cursor from; every link they give still answers 200."""
    blog(db_session, 2, comments_per_article=0)
    after_first = cursor_client.get("/articles?page[size]=1").document["links"]["next"]
    second = cursor_client.get(after_first)
    assert ids(second.document) == ["2"]
    before_second = second.document["links"]["prev"]
    first_cursor = dict(parse_qsl(urlsplit(after_first).query))["page[after]"]
    last_cursor = dict(parse_qsl(urlsplit(before_second).query))["page[before]"]
    for parameter, cursor in (("page[after]", last_cursor), ("page[before]", first_cursor)):
        response = cursor_client.get(f"/articles?page[size]=1&{parameter}={cursor}")
        assert response.status_code == 200, response.document
        assert response.document["data"] == []
        for name, link in response.document["links"].items():
            if link is not None:
                assert cursor_client.get(link).status_code == 200, (name, link)
