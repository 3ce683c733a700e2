"""Relationship and related endpoints on the row path (``row_relations.py``).

``GET /articles/1/relationships/tags`` and ``GET /articles/1/comments`` read the parent's
key and the members as plain rows, each scoped by its type's policy, paged in SQL. Every
request here is answered twice by the same app, ``JSONAPI_ROW_READS`` on and off (the
ORM path), and the two answers must be equal (status, document, ETag); a spy on
``RelationReader`` tells which path answered. Where the row path must step aside
(overridden hooks, object checks), the ORM path answers and the override still holds.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa

from examples.blog import api as blog_api
from examples.blog.models import Article, Comment
from flask_jsonapi import Api, Policy
from flask_jsonapi.resource_repositories.row_relations import RelationReader
from flask_jsonapi.resource_repository_views import ResourceRepositoryDetailView
from tests.support.client import JsonApiClient
from tests.support.query_data import blog
from tests.support.two_paths import first_difference, spy_calls

ANN = {"Authorization": "Bearer 1"}  # author 1 of `blog()`: Ada


@pytest.fixture
def relations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``RelationReader`` methods called so far."""
    return spy_calls(monkeypatch, RelationReader, ("parent", "ids"))


@pytest.fixture
def articles(db_session: Any) -> list[int]:
    """Seven articles (article i + 1: author Ada (1) for even i, Bob (2) for odd, tags
    1..(i % 3 + 1), three comments); Bob's article 4 and Ada's article 5 are drafts."""
    ids = blog(db_session, 7, comments_per_article=3).articles
    db_session.execute(sa.update(Article).where(Article.id.in_([4, 5])).values(draft=True))
    db_session.commit()
    db_session.remove()
    return ids


def both_paths(
    app: flask.Flask, url: str, relations: list[str], headers: Any = None
) -> tuple[Any, Any, bool]:
    """The responses with ``JSONAPI_ROW_READS`` on and off, and whether rows answered."""
    client = app.test_client()
    del relations[:]
    try:
        fast = client.get(url, headers=headers or {})
        took_rows = bool(relations)
        app.config["JSONAPI_ROW_READS"] = False
        del relations[:]
        slow = client.get(url, headers=headers or {}, validate=False)
        assert not relations, f"{url}: row reads ran with JSONAPI_ROW_READS off"
    finally:
        app.config["JSONAPI_ROW_READS"] = True
    return fast, slow, took_rows


def mismatch(
    app: flask.Flask, url: str, relations: list[str], *, rows: bool, headers: Any = None
) -> str | None:
    """Why ``url`` answers differently on the two paths, or takes the wrong one."""
    fast, slow, took_rows = both_paths(app, url, relations, headers)
    if took_rows != rows:
        return f"{url}: rows path taken={took_rows}, expected {rows}"
    if fast.status_code != slow.status_code:
        return f"{url}: status rows {fast.status_code} orm {slow.status_code}"
    if fast.headers.get("ETag") != slow.headers.get("ETag"):
        return f"{url}: ETag rows {fast.headers.get('ETag')} orm {slow.headers.get('ETag')}"
    difference = first_difference(fast.document, slow.document)
    return f"{url}: {difference}" if difference else None


RELATIONSHIP_URLS = [
    "/articles/{id}/relationships/tags",
    "/articles/{id}/relationships/comments",
    "/articles/{id}/relationships/author",
    "/articles/{id}/relationships/tags?page[size]=1&page[number]=2",
    "/articles/{id}/relationships/comments?page[size]=2&page[number]=2",
    "/articles/{id}/relationships/comments?page[size]=2&page[number]=9",
    "/articles/{id}/relationships/comments?page[offset]=1&page[limit]=1",
    "/comments/{id}/relationships/author",
    "/comments/{id}/relationships/article",
    "/authors/{id}/relationships/articles",
    "/tags/{id}/relationships/articles?page[size]=2",
]
RELATED_URLS = [
    "/articles/{id}/comments",
    "/articles/{id}/tags",
    "/articles/{id}/comments?page[size]=2&page[number]=2",
    "/articles/{id}/comments?page[size]=2&page[number]=9",
    "/articles/{id}/comments?sort=-body&include=author&fields[comments]=body,author",
    "/articles/{id}/comments?filter[body]=Comment%201%20on%200",
    "/articles/{id}/tags?include=articles&fields[articles]=title",
    "/authors/{id}/articles?sort=-views",
    "/tags/{id}/articles?page[size]=2&include=author",
]


@pytest.mark.parametrize("headers", [{}, ANN], ids=["anonymous", "ada"])
def test_relationship_and_related_endpoints_answer_as_the_orm_path(
    blog_app: flask.Flask, articles: list[int], relations: list[str], headers: Any
) -> None:
    """FET-3, FET-7, REL-5, PAG-1, SRT-7, INC-9, FLD-1, FLT-1: the same document, links,
    ``meta.count`` and ETag through rows, for visible, hidden (drafts) and missing parents
    and members."""
    urls = [u.format(id=i) for u in RELATIONSHIP_URLS + RELATED_URLS for i in (1, 3, 4, 5, 99)]
    problems = [
        p for url in urls if (p := mismatch(blog_app, url, relations, rows=True, headers=headers))
    ]
    assert not problems, "\n".join(problems)


def test_cursor_pages_answer_as_the_orm_path(
    blog_app: flask.Flask, articles: list[int], relations: list[str]
) -> None:
    """Cursor pages of linkage and of a related collection, followed to the end."""
    blog_app.config["JSONAPI_PAGINATION"] = "cursor"
    for url in (
        "/articles/1/relationships/comments?page[size]=2",
        "/articles/1/comments?page[size]=2",
    ):
        seen = []
        while url:
            assert mismatch(blog_app, url, relations, rows=True) is None
            document = blog_app.test_client().get(url).document
            seen += [identifier["id"] for identifier in document["data"]]
            url = document["links"]["next"]
        assert seen == ["1", "2", "3"]


def test_statement_counts_are_the_hand_written_apps(
    client: JsonApiClient, articles: list[int], sql_counter: Any, relations: list[str]
) -> None:
    """Linkage: the parent and one page of member ids (counted by a window); a related
    collection: the parent, the page and its count; no ORM object either way."""
    with sql_counter() as counter:
        linkage = client.get("/articles/3/relationships/tags")
    assert linkage.status_code == 200
    assert counter.count == 2, counter
    assert linkage.document["data"] == [{"type": "tags", "id": str(i)} for i in (1, 2, 3)]
    assert linkage.document["meta"] == {"count": 3}
    with sql_counter() as counter:
        related = client.get("/articles/3/comments")
    assert related.status_code == 200
    assert counter.count == 3, counter
    assert [c["id"] for c in related.document["data"]] == ["7", "8", "9"]
    assert related.document["meta"] == {"count": 3}
    assert "parent" in relations


def test_a_linkage_page_past_the_end_counts_the_members(
    client: JsonApiClient, articles: list[int], sql_counter: Any
) -> None:
    """PAG-2: an empty page past the last still says how many members there are (and so
    where the last page is): one more statement, for this page only."""
    with sql_counter() as counter:
        response = client.get("/articles/3/relationships/tags?page[size]=2&page[number]=5")
    assert counter.count == 3, counter
    assert response.document["data"] == []
    assert response.document["meta"] == {"count": 3}
    assert response.document["links"]["last"].endswith("page%5Bnumber%5D=2&page%5Bsize%5D=2")


def test_a_hidden_parent_answers_like_a_missing_one(
    client: JsonApiClient, articles: list[int], relations: list[str]
) -> None:
    """Article 4 is a draft of author 2: 404 to anybody else, with the document of an
    article that never existed, on both endpoints."""
    for url in ("/articles/{}/relationships/tags", "/articles/{}/comments"):
        hidden = client.get(url.format(4), headers=ANN)
        missing = client.get(url.format(99), headers=ANN)
        assert hidden.status_code == missing.status_code == 404
        detail = missing.document["errors"][0]["detail"].replace("99", "4")
        assert hidden.document["errors"][0]["detail"] == detail
        assert client.get(url.format(4), headers={"Authorization": "Bearer 2"}).status_code == 200
    assert "parent" in relations


def test_hidden_members_are_neither_shown_nor_counted(
    client: JsonApiClient, articles: list[int], relations: list[str]
) -> None:
    """Tag 1 is on every article, drafts 4 and 5 among them: linkage and the related
    collection of an anonymous client leave both out, and so does the count."""
    visible = ["1", "2", "3", "6", "7"]
    linkage = client.get("/tags/1/relationships/articles").document
    assert [i["id"] for i in linkage["data"]] == visible
    assert linkage["meta"]["count"] == len(visible)
    related = client.get("/tags/1/articles").document
    assert [a["id"] for a in related["data"]] == visible
    assert related["meta"]["count"] == len(visible)
    assert client.get("/tags/1/articles", headers=ANN).document["meta"]["count"] == 6
    assert "ids" in relations


def test_a_matching_etag_answers_304(
    client: JsonApiClient, articles: list[int], relations: list[str]
) -> None:
    for url in ("/articles/1/relationships/tags", "/articles/1/comments"):
        etag = client.get(url).headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.headers["ETag"] == etag


# -- where the ORM path answers ------------------------------------------------------------


class _HiddenWordRepository(blog_api.CommentRepository):
    """Comments whose body holds "1 on" are not served (an overridden ``get_query``)."""

    def get_query(self) -> sa.Select:
        return super().get_query().where(~Comment.body.contains("1 on"))


class _NoDraftsRepository(blog_api.ArticleRepository):
    """Articles that are drafts are not served to anybody (an overridden ``get_query``)."""

    def get_query(self) -> sa.Select:
        return super().get_query().where(Article.draft == sa.false())


TYPES = (
    ("authors", blog_api.AuthorViewSet, blog_api.AuthorRepository),
    ("articles", blog_api.ArticleViewSet, blog_api.ArticleRepository),
    ("comments", blog_api.CommentViewSet, blog_api.CommentRepository),
    ("tags", blog_api.TagViewSet, blog_api.TagRepository),
)


def _app(blog_app: flask.Flask, viewsets: Any = None, **repositories: Any) -> flask.Flask:
    """The blog API on ``blog_app``'s session, with some view sets and repositories
    replaced (by type name)."""
    session = blog_app.extensions["blog"]["session"]
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    for name, viewset, repository in TYPES:
        viewset = (viewsets or {}).get(name, viewset)
        repository = repositories.get(name, repository)
        api.repository(viewset(repository=repository(session=session)), name, f"/{name}")
    return app


def _bodies(document: dict[str, Any]) -> list[str]:
    return [comment["attributes"]["body"] for comment in document["data"]]


def test_a_repository_that_overrides_its_reads_keeps_them(
    blog_app: flask.Flask, articles: list[int], relations: list[str]
) -> None:
    """The parent's repository overrides ``get_query`` (no drafts at all): the ORM path
    reads the parent, and Ada's own draft 5 is 404 to her too; a related repository that
    overrides it still leaves its rows out of the related collection."""
    app = _app(blog_app, articles=_NoDraftsRepository, comments=_HiddenWordRepository)
    client = app.test_client()
    for url in ("/articles/5/relationships/tags", "/articles/5/comments"):
        assert client.get(url, headers=ANN).status_code == 404
    related = client.get("/articles/1/comments").document
    assert _bodies(related) == ["Comment 0 on 0", "Comment 2 on 0"]
    assert related["meta"]["count"] == 2
    assert client.get("/articles/1/relationships/tags").status_code == 200
    assert relations == []


def test_a_related_repository_that_overrides_its_reads_keeps_them(
    blog_app: flask.Flask, articles: list[int], relations: list[str]
) -> None:
    """Only the related type's repository is the user's: the related collection is read by
    it (the ORM path), its rows still left out; linkage stays on rows."""
    client = _app(blog_app, comments=_HiddenWordRepository).test_client()
    related = client.get("/articles/1/comments").document
    assert _bodies(related) == ["Comment 0 on 0", "Comment 2 on 0"]
    assert relations == []
    assert len(client.get("/articles/1/relationships/comments").document["data"]) == 3
    assert relations


class _NotFirstPolicy(Policy):
    """Object checks: comment 1 is never shown (a rule SQL cannot make)."""

    def visible(self, obj: Any) -> bool:
        return obj.id != 1


def test_object_checks_keep_the_orm_path(
    blog_app: flask.Flask, articles: list[int], relations: list[str]
) -> None:
    """A policy that checks objects one by one needs ORM objects: members it refuses are
    left out of linkage and of the related collection."""
    viewset = type("CheckedComments", (blog_api.CommentViewSet,), {"policy": _NotFirstPolicy()})
    client = _app(blog_app, {"comments": viewset}).test_client()
    linkage = client.get("/articles/1/relationships/comments").document
    assert [i["id"] for i in linkage["data"]] == ["2", "3"]
    related = client.get("/articles/1/comments").document
    assert [c["id"] for c in related["data"]] == ["2", "3"]
    assert relations == []


def test_a_detail_view_that_overrides_read_keeps_it(
    blog_app: flask.Flask, articles: list[int], relations: list[str]
) -> None:
    """A view set whose detail view reads its own way: relationship and related endpoints
    read the parent through it."""
    calls = []

    class CountingDetail(ResourceRepositoryDetailView):
        def read(self, id: Any, **kwargs: Any) -> Any:
            calls.append(id)
            return super().read(id, **kwargs)

    viewset = type("Counting", (blog_api.ArticleViewSet,), {"detail_view_cls": CountingDetail})
    client = _app(blog_app, {"articles": viewset}).test_client()
    assert client.get("/articles/1/relationships/tags").status_code == 200
    assert client.get("/articles/1/comments").status_code == 200
    assert calls == ["1", "1"]
    assert relations == []
