"""Pagination by page[number]/page[size] and page[offset]/page[limit]; sizes and counting.

Cursor pagination has its own module, tests/test_cursor_pagination.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flask
import pytest

from flask_jsonapi import Api, ResourceList
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.query_data import blog, error_of, ids, query_app

BASE = "http://localhost/articles"


def _page(link: str | None) -> dict[str, str] | None:
    return None if link is None else dict(parse_qsl(urlsplit(link).query))


def test_default_page_size_is_50_and_count_is_total_pag_1(client, db_session) -> None:
    """PAG-1, PAG-2: 55 articles -> 50 on page 1, meta.count 55, links to page 2."""
    blog(db_session, 55, comments_per_article=0)
    document = client.get("/articles").document
    assert len(document["data"]) == 50
    assert document["meta"] == {"count": 55}
    assert set(document["links"]) == {"self", "first", "prev", "next", "last"}
    assert _page(document["links"]["next"]) == {"page[number]": "2", "page[size]": "50"}
    assert _page(document["links"]["last"]) == {"page[number]": "2", "page[size]": "50"}


def test_number_and_size_select_the_page_pag_5(client, db_session) -> None:
    """PAG-5: page[number]=2&page[size]=3 holds the 4th to 6th articles."""
    rows = blog(db_session, 8, comments_per_article=0)
    document = client.get("/articles?page[number]=2&page[size]=3").document
    assert ids(document) == [str(i) for i in rows.articles[3:6]]
    assert document["meta"] == {"count": 8}


def test_pages_of_one_query_in_any_order_hold_their_own_rows_pag_5(client, db_session) -> None:
    """PAG-5: pages of one query with other sizes and numbers, asked one after another in
    both orders (the statement of a query is kept across pages, its bounds bound anew),
    each hold their own articles; the whole collection when not paged."""
    rows = blog(db_session, 7, comments_per_article=0)
    articles = [str(i) for i in rows.articles]
    pages = [(2, 3), (1, 2), (3, 2), (2, 3), (4, 2), (1, 7)]
    for number, size in [*pages, *reversed(pages)]:
        document = client.get(f"/articles?sort=id&page[number]={number}&page[size]={size}")
        assert ids(document.document) == articles[(number - 1) * size : number * size]
    assert ids(client.get("/articles?sort=id").document) == articles


@pytest.mark.parametrize("number", [2**31 // 50 + 2, 2**31 - 1])
def test_a_page_past_32_bits_of_rows_is_empty_pag_5(client, db_session, number: int) -> None:
    """PAG-5: a page whose first row would be past the 2**31st (an OFFSET wider than 32
    bits, bound as a parameter) is an empty page, not a database error."""
    blog(db_session, 2, comments_per_article=0)
    response = client.get(f"/articles?page[number]={number}&page[size]=50")
    assert response.status_code == 200
    assert response.document["data"] == []
    assert _page(response.document["links"]["self"]) == {
        "page[number]": str(number),
        "page[size]": "50",
    }


def test_links_are_exact_percent_encoded_and_keep_parameters_pag_6_lnk_9(
    client, db_session
) -> None:
    """PAG-2, PAG-6, LNK-9, QP-5: links keep sort/filter/fields, percent-encoded."""
    blog(db_session, 8, comments_per_article=0)
    url = "/articles?sort=-views&filter[title][contains]=Article&page[number]=2&page[size]=3"
    links = client.get(url).document["links"]
    query = "sort=-views&filter%5Btitle%5D%5Bcontains%5D=Article"
    assert links == {
        "self": f"{BASE}?{query}&page%5Bnumber%5D=2&page%5Bsize%5D=3",
        "first": f"{BASE}?{query}&page%5Bnumber%5D=1&page%5Bsize%5D=3",
        "prev": f"{BASE}?{query}&page%5Bnumber%5D=1&page%5Bsize%5D=3",
        "next": f"{BASE}?{query}&page%5Bnumber%5D=3&page%5Bsize%5D=3",
        "last": f"{BASE}?{query}&page%5Bnumber%5D=3&page%5Bsize%5D=3",
    }


def test_first_page_has_null_prev_and_last_page_null_next_pag_3(client, db_session) -> None:
    """PAG-3: links that do not exist are null."""
    blog(db_session, 4, comments_per_article=0)
    first = client.get("/articles?page[size]=2").document["links"]
    last = client.get("/articles?page[size]=2&page[number]=2").document["links"]
    assert first["prev"] is None and first["next"] is not None
    assert last["next"] is None and last["prev"] is not None


def test_page_after_the_last_is_empty_pag_3(client, db_session) -> None:
    """FET-3: a page past the end is an empty array with the total."""
    blog(db_session, 3, comments_per_article=0)
    document = client.get("/articles?page[size]=2&page[number]=5").document
    assert document["data"] == []
    assert document["meta"] == {"count": 3}


def test_empty_collection_has_first_and_last_pag_2(client) -> None:
    """PAG-2: an empty collection: no prev/next, first and last are page 1."""
    links = client.get("/articles").document["links"]
    assert links["prev"] is None and links["next"] is None
    assert _page(links["last"]) == {"page[number]": "1", "page[size]": "50"}


def test_page_size_from_app_config_pag_7(blog_app, db_session) -> None:
    """JSONAPI_PAGE_SIZE and JSONAPI_MAX_PAGE_SIZE apply to every resource."""
    blog(db_session, 5, comments_per_article=0)
    config = {"JSONAPI_PAGE_SIZE": 2, "JSONAPI_MAX_PAGE_SIZE": 3}
    client = query_app(blog_app, config).test_client()
    assert len(client.get("/articles").document["data"]) == 2
    assert len(client.get("/tags").document["data"]) == 2
    assert len(client.get("/articles?page[size]=3").document["data"]) == 3
    assert error_of(client.get("/tags?page[size]=4"))["source"] == {"parameter": "page[size]"}


def test_two_apps_of_one_process_page_by_their_own_config_pag_7(blog_app, db_session) -> None:
    """JSONAPI_PAGE_SIZE is each app's: two apps of one process (an app factory's, on one
    database) answer with their own page size, request after request."""
    blog(db_session, 5, comments_per_article=0)
    small = query_app(blog_app, {"JSONAPI_PAGE_SIZE": 2}).test_client()
    large = query_app(blog_app, {"JSONAPI_PAGE_SIZE": 3}).test_client()
    for _ in range(2):
        assert len(small.get("/articles").document["data"]) == 2
        assert len(large.get("/articles").document["data"]) == 3


def test_page_size_per_view_set_pag_7(blog_app, db_session) -> None:
    """A view set's page_size and max_page_size override the global ones."""
    blog(db_session, 5, comments_per_article=0)
    client = query_app(blog_app, page_size=1, max_page_size=2).test_client()
    assert len(client.get("/articles").document["data"]) == 1
    assert len(client.get("/tags").document["data"]) == 3
    response = client.get("/articles?page[size]=3")
    assert error_of(response)["source"] == {"parameter": "page[size]"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page[size]=0", "page[size]"),
        ("page[size]=-1", "page[size]"),
        ("page[size]=abc", "page[size]"),
        ("page[size]=1.5", "page[size]"),
        ("page[size]=", "page[size]"),
        ("page[size]=1001", "page[size]"),
        ("page[size]=1&page[size]=2", "page[size]"),
        ("page[number]=0", "page[number]"),
        ("page[number]=-2", "page[number]"),
        ("page[number]=x", "page[number]"),
        ("page[offset]=0", "page[offset]"),
        ("page[limit]=5", "page[limit]"),
        ("page[after]=x", "page[after]"),
        ("page[nope]=1", "page[nope]"),
        ("page=1", "page"),
        ("page[count]=maybe", "page[count]"),
    ],
)
def test_invalid_page_parameter_is_400_pag_7(client, query: str, parameter: str) -> None:
    """PAG-7: each invalid page parameter is 400 naming it."""
    assert error_of(client.get(f"/articles?{query}"))["source"] == {"parameter": parameter}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("page[count]=maybe", "'page[count]' must be true or false."),
        ("page[nope]=1", "'page[nope]' is not supported here; use {}."),
        ("page[offset]=0", "'page[offset]' is not supported here; use {}."),
    ],
)
def test_invalid_page_parameter_says_what_is_allowed_pag_7(client, query, detail) -> None:
    """PAG-7: the 400 of a page parameter this collection does not take lists those it does."""
    listed = "page[number], page[size], page[count]"
    assert error_of(client.get(f"/articles?{query}"))["detail"] == detail.format(listed)


def test_page_on_single_resource_is_400_pag_7(client, db_session) -> None:
    """PAG-7: a single resource is not paginated."""
    blog(db_session, 1)
    response = client.get("/articles/1?page[size]=1")
    assert error_of(response)["source"] == {"parameter": "page[size]"}


def test_offset_and_limit_strategy_pag_5(blog_app, db_session) -> None:
    """PAG-5: a view set with pagination='offset' pages by page[offset]/page[limit]."""
    rows = blog(db_session, 7, comments_per_article=0)
    client = query_app(blog_app, pagination="offset").test_client()
    document = client.get("/articles?page[offset]=2&page[limit]=3").document
    assert ids(document) == [str(i) for i in rows.articles[2:5]]
    links = document["links"]
    assert _page(links["prev"]) == {"page[offset]": "0", "page[limit]": "3"}
    assert _page(links["next"]) == {"page[offset]": "5", "page[limit]": "3"}
    assert _page(links["last"]) == {"page[offset]": "6", "page[limit]": "3"}
    assert document["meta"] == {"count": 7}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page[limit]=0", "page[limit]"),
        ("page[limit]=1001", "page[limit]"),
        ("page[offset]=-1", "page[offset]"),
        ("page[offset]=a", "page[offset]"),
        ("page[number]=2", "page[number]"),
        ("page[size]=2", "page[size]"),
    ],
)
def test_invalid_offset_parameter_is_400_pag_7(blog_app, query: str, parameter: str) -> None:
    """PAG-7: invalid offset/limit values, and number/size on an offset resource."""
    client = query_app(blog_app, pagination="offset").test_client()
    assert error_of(client.get(f"/articles?{query}"))["source"] == {"parameter": parameter}


@pytest.mark.parametrize(("number", "has_next"), [(1, True), (2, False)])
def test_count_opt_out_per_request_pag_3(client, db_session, number: int, has_next: bool) -> None:
    """page[count]=false: no meta.count, last is null, next is exact (one extra row read)."""
    blog(db_session, 4, comments_per_article=0)
    document = client.get(f"/articles?page[count]=false&page[size]=2&page[number]={number}")
    assert "meta" not in document.document
    links = document.document["links"]
    assert len(document.document["data"]) == 2
    assert links["last"] is None
    assert (links["next"] is not None) is has_next
    if has_next:
        assert _page(links["next"])["page[count]"] == "false"


def test_count_opt_out_skips_the_count_statement(client, db_session, sql_counter) -> None:
    """page[count]=false runs the page query only."""
    blog(db_session, 4, comments_per_article=0)
    with sql_counter() as counter:
        client.get("/articles?page[count]=false")
    assert counter.count == 1, counter


def test_view_set_without_count_refuses_count_request(blog_app, db_session) -> None:
    """A view set with count = False never counts; page[count]=true is 400."""
    blog(db_session, 3, comments_per_article=0)
    client = query_app(blog_app, count=False).test_client()
    document = client.get("/articles?page[size]=2").document
    assert "meta" not in document and document["links"]["next"] is not None
    response = client.get("/articles?page[count]=true")
    assert error_of(response)["source"] == {"parameter": "page[count]"}
    assert error_of(response)["detail"] == (
        "This collection is not counted; 'page[count]=true' is not available."
    )


@pytest.mark.parametrize(
    ("total", "size", "last_page"),
    [(6, 3, 2), (7, 3, 3), (3, 3, 1), (1, 1, 1), (4, 1, 4)],
    ids=["multiple", "remainder", "one-full-page", "one-of-one", "size-1"],
)
def test_last_link_names_the_last_page_pag_2(
    blog_app, db_session, total: int, size: int, last_page: int
) -> None:
    """PAG-2: ``last`` is the page holding the last item, also when the total is a multiple
    of the page size (no empty page after it), in both pagination styles; it has items and
    no ``next``."""
    blog(db_session, total, comments_per_article=0)
    client = query_app(blog_app).test_client()
    links = client.get(f"/articles?page[size]={size}").document["links"]
    assert _page(links["last"]) == {"page[number]": str(last_page), "page[size]": str(size)}
    last = client.get(links["last"]).document
    assert len(last["data"]) == total - (last_page - 1) * size
    assert last["links"]["next"] is None
    assert last["links"]["last"] == links["last"]

    offset_client = query_app(blog_app, pagination="offset").test_client()
    links = offset_client.get(f"/articles?page[limit]={size}").document["links"]
    offset = str((last_page - 1) * size)
    assert _page(links["last"]) == {"page[offset]": offset, "page[limit]": str(size)}
    assert offset_client.get(links["last"]).document["links"]["next"] is None


class _Item:
    def __init__(self, number: int) -> None:
        self.id = str(number)
        self.name = f"item {number}"


class _ItemSchema(Schema):
    id = fields.Str()
    name = fields.Str()

    class Meta:
        type_ = "items"


class _UncountedList(ResourceList):
    """A hand-written collection of five items that cannot count them."""

    schema = _ItemSchema

    def read_many(self, filters: dict, sorting: tuple, pagination: dict) -> list[Any]:
        start = pagination["size"] * (pagination["number"] - 1)
        return [_Item(n) for n in range(1, 6)][start : start + pagination["size"]]


@pytest.mark.parametrize(
    ("query", "ids_", "next_page"),
    [
        ("page[size]=2", ["1", "2"], "2"),
        ("page[size]=2&page[number]=2", ["3", "4"], "3"),
        ("page[size]=2&page[number]=3", ["5"], None),
        ("page[size]=5", ["1", "2", "3", "4", "5"], "2"),
        ("page[size]=6", ["1", "2", "3", "4", "5"], None),
    ],
    ids=["first", "middle", "short-last", "full-page", "larger-page"],
)
def test_uncounted_hand_written_list_has_next_while_pages_are_full_pag_3(
    query: str, ids_: list[str], next_page: str | None
) -> None:
    """PAG-3: a ``ResourceList`` without ``get_count`` has no ``meta.count`` and a null
    ``last``; ``next`` is there while a page is full and null after a short one."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    Api(app).route(_UncountedList, "item_list", "/items")
    document = app.test_client().get(f"/items?{query}").document
    assert [item["id"] for item in document["data"]] == ids_
    assert "meta" not in document
    links = document["links"]
    assert links["last"] is None
    if next_page is None:
        assert links["next"] is None
    else:
        assert _page(links["next"])["page[number]"] == next_page
