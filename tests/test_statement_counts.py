"""No N+1: a page of N resources with an include tree of k relationships runs k + 2 statements.

The statements are the page, the count and one eager load per relationship of the tree,
whatever N is; sorting and filtering through relationships add joins and subqueries.
"""

from __future__ import annotations

import pytest

from tests.support.query_data import blog, query_app

SIZES = [1, 10, 100]


@pytest.fixture(params=SIZES, ids=[f"n{n}" for n in SIZES])
def articles(request, db_session) -> int:
    """N articles (two comments each, three tags, two authors)."""
    blog(db_session, request.param)
    return request.param


def _count(client, sql_counter, url: str, n: int | None) -> int:
    with sql_counter() as counter:
        response = client.get(url)
    assert response.status_code == 200, response.document
    if n is not None:
        assert len(response.document["data"]) == n
    return counter.count


@pytest.mark.parametrize(
    ("url", "k"),
    [
        ("/articles?page[size]=100", 0),
        ("/articles?page[size]=100&include=author", 1),
        ("/articles?page[size]=100&include=comments.author", 2),
        ("/articles?include=author,comments.author,tags&page[size]=100", 4),
        ("/articles?include=author,comments.author,tags&fields[articles]=title&page[size]=100", 4),
        ("/articles?include=tags.articles.author&page[size]=100", 3),
    ],
)
def test_collection_with_include_runs_k_plus_2_statements(
    client, sql_counter, articles: int, url: str, k: int
) -> None:
    """INC-5: page + count + one per relationship of the include tree, for any N."""
    assert _count(client, sql_counter, url, articles) == k + 2


def test_sort_and_filter_through_relationships_add_no_statement(
    client, sql_counter, articles: int
) -> None:
    """SRT-6, FLT-2: joins and EXISTS subqueries, not statements."""
    url = (
        "/articles?include=author,comments.author,tags&page[size]=100"
        "&sort=author.name,-views&filter[tags][name][in]=python,flask"
        "&filter[author][name][icontains]=a&filter[comments][body][contains]=Comment"
    )
    assert _count(client, sql_counter, url, None) == 4 + 2


def test_uncounted_page_runs_k_plus_1_statements(client, sql_counter, articles: int) -> None:
    """page[count]=false drops the count statement."""
    url = "/articles?include=author,comments.author,tags&page[size]=100&page[count]=false"
    assert _count(client, sql_counter, url, articles) == 4 + 1


def test_cursor_page_runs_k_plus_1_statements(blog_app, sql_counter, articles: int) -> None:
    """A cursor page (not counted) is one keyset SELECT plus the eager loads."""
    client = query_app(blog_app, pagination="cursor").test_client()
    url = "/articles?include=author,comments.author,tags&page[size]=100&sort=-created"
    assert _count(client, sql_counter, url, articles) == 4 + 1


def test_single_resource_with_include_runs_k_plus_1_statements(
    client, sql_counter, articles: int
) -> None:
    """INC-9: one SELECT for the resource and one per relationship of the tree."""
    url = f"/articles/{articles}?include=author,comments.author,tags"
    with sql_counter() as counter:
        response = client.get(url)
    assert response.status_code == 200
    assert counter.count == 4 + 1, counter


def test_relationship_endpoint_runs_2_statements(client, sql_counter, articles: int) -> None:
    """FET-7, REL-5: the parent, then one page of member ids counted by a window: what the
    hand-written app runs (benchmarks/targets/handwritten.py)."""
    with sql_counter() as counter:
        response = client.get(f"/articles/{articles}/relationships/tags")
    assert response.status_code == 200
    assert response.document["meta"]["count"] == (articles - 1) % 3 + 1
    assert counter.count == 2, counter


def test_related_endpoint_runs_3_statements(client, sql_counter, articles: int) -> None:
    """FET-3: the parent, the page and its count, whatever the parent's collection holds."""
    with sql_counter() as counter:
        response = client.get(f"/articles/{articles}/comments")
    assert response.status_code == 200
    assert len(response.document["data"]) == response.document["meta"]["count"] == 2
    assert counter.count == 3, counter
