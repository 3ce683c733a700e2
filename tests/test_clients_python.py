"""Independent Python JSON:API clients (jsonapi-client, jsonapi-requests) against the demo.

The blog app runs on a real socket; each test drives it with a client library written
outside this project, then checks the rows in the database and the exchanges the server
recorded (status, ``Location``, bodies).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from jsonapi_client import Inclusion, Modifier, Session
from jsonapi_requests import Api, data, orm
from jsonapi_requests.request_factory import ApiClientError

from examples.blog.models import Article, Author, Comment, Tag
from examples.blog.seed import seed
from tests.support.blog_rows import add_rows, article_tag_pairs, count_rows, make_article, row
from tests.support.live_server import LiveServer, live_server

NULLABLE_STRING = {"type": ["string", "null"]}
# jsonapi-client validates attributes against this; sparse fieldsets leave some out (None).
CLIENT_SCHEMA = {
    "articles": {
        "properties": {
            "title": NULLABLE_STRING,
            "body": NULLABLE_STRING,
            "created": NULLABLE_STRING,
            "views": {"type": ["integer", "null"]},
            "author": {"relation": "to-one", "resource": ["authors"]},
            "comments": {"relation": "to-many", "resource": ["comments"]},
            "tags": {"relation": "to-many", "resource": ["tags"]},
        }
    },
    "authors": {
        "properties": {
            "name": NULLABLE_STRING,
            "email": NULLABLE_STRING,
            "articles": {"relation": "to-many", "resource": ["articles"]},
        }
    },
    "tags": {
        "properties": {
            "name": NULLABLE_STRING,
            "articles": {"relation": "to-many", "resource": ["articles"]},
        }
    },
}


@pytest.fixture
def server(blog_app: flask.Flask, db_session: Any) -> Iterator[LiveServer]:
    """The blog on a real socket, with 3 authors, 7 articles (2 comments each), 4 tags."""
    seed(db_session, authors=3, articles=7, comments_per_article=2, tags=4)
    db_session.remove()
    with live_server(blog_app) as running:
        yield running


@pytest.fixture
def session(server: LiveServer) -> Iterator[Session]:
    """A jsonapi-client session on the live server."""
    # Not ``with Session(...)``: its exit commits whatever is still dirty (a failed delete).
    client_session = Session(server.url, schema=CLIENT_SCHEMA)
    yield client_session
    client_session.close()


@pytest.fixture
def requests_api(server: LiveServer) -> Api:
    """A jsonapi-requests API on the live server (no retries: a failure shows at once)."""
    return Api.config({"API_ROOT": server.url, "APPEND_SLASH": False, "RETRIES": 1, "TIMEOUT": 10})


def _authors_by_article(db_session: Any) -> dict[str, str | None]:
    articles = db_session.query(Article).order_by(Article.id).all()
    names = {str(a.id): a.author.name if a.author else None for a in articles}
    db_session.remove()
    return names


def _exchange(server: LiveServer, method: str) -> Any:
    """The only exchange with ``method`` (fails if there are several)."""
    found = [e for e in server.exchanges if e.method == method]
    assert len(found) == 1, server.requests()
    return found[0]


# -- jsonapi-client -----------------------------------------------------------------------


def test_jsonapi_client_resolves_author_from_compound_document_inc_5_cmp_1_cmp_2(
    server: LiveServer, session: Session, db_session: Any
) -> None:
    """INC-5, CMP-1, CMP-2: ``article.author.name`` comes from ``included``, in one request."""
    document = session.get("articles", Inclusion("author"))

    names = {
        article.id: (article.author.name if article.author else None)
        for article in document.resources
    }
    assert names == _authors_by_article(db_session)
    assert server.requests() == ["GET /articles?include=author"]


def test_jsonapi_client_sparse_fieldsets_fld_1_fld_2(server: LiveServer, session: Session) -> None:
    """FLD-1, FLD-2: ``fields[articles]=title`` gives the client only the title."""
    document = session.get("articles", Modifier("fields[articles]=title"))

    assert len(document.resources) == 7
    for article in document.resources:
        assert set(article.json["attributes"]) == {"title"}
        assert article.json["relationships"] == {}
        assert article.title


def test_jsonapi_client_iterate_follows_next_links_pag_1_pag_4(
    server: LiveServer, session: Session, db_session: Any
) -> None:
    """PAG-1, PAG-4, PAG-6: ``iterate`` walks ``links.next`` page by page, in id order."""
    seen = [article.id for article in session.iterate("articles", Modifier("page[size]=3"))]

    ids = [str(a.id) for a in db_session.query(Article).order_by(Article.id)]
    db_session.remove()
    assert seen == ids
    assert [r.split("?")[1] for r in server.requests()] == [
        "page[size]=3",
        "page[number]=2&page[size]=3",
        "page[number]=3&page[size]=3",
    ]


def test_jsonapi_client_get_one_and_related_fetch_fet_2_fet_1(
    server: LiveServer, session: Session, db_session: Any
) -> None:
    """FET-2, FET-1: one resource by id, then its comments through the ``related`` link."""
    article = session.get("articles", "2").resource
    comments = article.relationships.comments.fetch()

    stored = db_session.get(Article, 2)
    assert (article.title, article.body, article.views) == (stored.title, stored.body, stored.views)
    assert [c.id for c in comments] == [str(c.id) for c in stored.comments]
    db_session.remove()
    assert server.requests() == ["GET /articles/2", "GET /articles/2/comments"]


def test_jsonapi_client_create_reads_location_crt_5_crt_6_crt_7(
    server: LiveServer, session: Session, db_session: Any
) -> None:
    """CRT-5, CRT-6, CRT-7: POST answers 201, ``Location`` equals ``links.self``; rows stored."""
    article = session.create("articles", title="From jsonapi-client", author="2", tags=["1", "3"])
    article.commit()

    post = _exchange(server, "POST")
    assert post.status == 201
    assert post.headers["Location"] == f"{server.url}/articles/{article.id}"
    assert str(article.links.self) == post.headers["Location"]
    stored = row(db_session, Article, int(article.id))
    assert (stored["title"], stored["author_id"], stored["body"]) == ("From jsonapi-client", 2, "")
    assert {tag for art, tag in article_tag_pairs(db_session) if art == int(article.id)} == {1, 3}


def test_jsonapi_client_update_sends_changed_members_only_upd_2_upd_6(
    server: LiveServer, session: Session, db_session: Any
) -> None:
    """UPD-2, UPD-3, UPD-6: PATCH of the title (and author) keeps the other columns and tags."""
    before = row(db_session, Article, 3)
    tags_before = article_tag_pairs(db_session)
    article = session.get("articles", "3").resource
    article.title = "Renamed by jsonapi-client"
    article.relationships.author = "1"
    article.commit()

    patch = _exchange(server, "PATCH")
    assert patch.status == 200
    sent = json.loads(patch.sent)["data"]
    assert sent["attributes"] == {"title": "Renamed by jsonapi-client"}
    assert sent["relationships"]["author"]["data"] == {"type": "authors", "id": "1"}
    after = row(db_session, Article, 3)
    assert after == {**before, "title": "Renamed by jsonapi-client", "author_id": 1}
    assert article_tag_pairs(db_session) == tags_before
    assert article.title == "Renamed by jsonapi-client"


def test_jsonapi_client_delete_default_204_has_no_body_for_the_client_del_1(
    server: LiveServer, session: Session, db_session: Any
) -> None:
    """DEL-1: by default DELETE is 204 without a body; jsonapi-client then fails to parse it.

    The row is gone all the same; ``JSONAPI_DELETE_RESPONSE = "meta"`` serves this client.
    """
    article = session.get("articles", "4").resource
    article.delete()
    with pytest.raises(ValueError):  # requests' JSONDecodeError on the empty 204 body
        article.commit()

    delete = _exchange(server, "DELETE")
    assert (delete.status, delete.body) == (204, b"")
    assert row(db_session, Article, 4) is None


def test_jsonapi_client_delete_with_meta_response_del_1(
    blog_app: flask.Flask, server: LiveServer, session: Session, db_session: Any
) -> None:
    """DEL-1: with ``JSONAPI_DELETE_RESPONSE = "meta"`` DELETE is 200 ``{"meta": {}}``.

    jsonapi-client sends ``{}`` as the DELETE body: ignored. The article and its comments
    are deleted.
    """
    blog_app.config["JSONAPI_DELETE_RESPONSE"] = "meta"
    comments_before = count_rows(db_session, Comment)
    article = session.get("articles", "5").resource
    article.delete()
    article.commit()

    delete = _exchange(server, "DELETE")
    assert delete.status == 200
    assert json.loads(delete.body) == {"meta": {}, "jsonapi": {"version": "1.1"}}
    assert row(db_session, Article, 5) is None
    assert count_rows(db_session, Comment) == comments_before - 2


# -- jsonapi-requests -----------------------------------------------------------------------


def test_jsonapi_requests_relationship_urls_change_tags_urel_3_to_urel_7(
    server: LiveServer, requests_api: Api, db_session: Any
) -> None:
    """UREL-3..7: POST adds (idempotent), PATCH replaces, DELETE removes tags of an article."""
    tags = requests_api.endpoint("articles/1/relationships/tags")
    others = {pair for pair in article_tag_pairs(db_session) if pair[0] != 1}

    replaced = tags.patch(json={"data": [{"type": "tags", "id": "1"}]})
    added = tags.post(json={"data": [{"type": "tags", "id": "1"}, {"type": "tags", "id": "3"}]})
    after_add = article_tag_pairs(db_session)
    removed = tags.delete(json={"data": [{"type": "tags", "id": "1"}, {"type": "tags", "id": "2"}]})

    assert [r.status_code for r in (replaced, added, removed)] == [200, 200, 200]
    assert [i["id"] for i in replaced.payload["data"]] == ["1"]
    assert [i["id"] for i in added.payload["data"]] == ["1", "3"]
    assert after_add == others | {(1, 1), (1, 3)}
    assert [i["id"] for i in removed.payload["data"]] == ["3"]
    assert article_tag_pairs(db_session) == others | {(1, 3)}


def test_jsonapi_requests_to_one_relationship_url_urel_1_urel_2(
    server: LiveServer, requests_api: Api, db_session: Any
) -> None:
    """UREL-1, UREL-2: PATCH sets and clears the author of an article."""
    author = requests_api.endpoint("articles/1/relationships/author")

    set_to = author.patch(json={"data": {"type": "authors", "id": "3"}})
    author_after_set = row(db_session, Article, 1)["author_id"]
    cleared = author.patch(json={"data": None})

    assert set_to.payload["data"] == {"type": "authors", "id": "3"}
    assert author_after_set == 3
    assert (cleared.status_code, cleared.payload["data"]) == (200, None)
    assert row(db_session, Article, 1)["author_id"] is None
    assert author.get().payload["data"] is None


def test_jsonapi_requests_missing_tag_changes_nothing_urel_15(
    server: LiveServer, requests_api: Api, db_session: Any
) -> None:
    """UREL-15, TX-1: a missing tag in the linkage is 404 and no pair is added."""
    before = article_tag_pairs(db_session)
    data_ = {"data": [{"type": "tags", "id": "3"}, {"type": "tags", "id": "999"}]}
    with pytest.raises(ApiClientError) as raised:
        requests_api.endpoint("articles/1/relationships/tags").post(json=data_)

    assert raised.value.status_code == 404
    error = json.loads(raised.value.content)["errors"][0]
    assert error["status"] == "404"
    assert article_tag_pairs(db_session) == before


@pytest.fixture
def models(server: LiveServer) -> dict[str, type]:
    """jsonapi-requests ORM models of articles and authors on the live server."""
    orm_api = orm.OrmApi.config({"API_ROOT": server.url, "APPEND_SLASH": False, "RETRIES": 1})

    class AuthorModel(orm.ApiModel):
        class Meta:
            type = "authors"
            api = orm_api

        name = orm.AttributeField("name")

    class ArticleModel(orm.ApiModel):
        class Meta:
            type = "articles"
            api = orm_api

        title = orm.AttributeField("title")
        body = orm.AttributeField("body")
        author = orm.RelationField("author")
        tags = orm.RelationField("tags")

    return {"authors": AuthorModel, "articles": ArticleModel}


def test_jsonapi_requests_orm_list_with_include_fet_3_inc_5(
    server: LiveServer, models: dict[str, type], db_session: Any
) -> None:
    """FET-3, INC-5, SRT-2: ``get_list`` with include and sort links each author object."""
    articles = models["articles"].get_list(params={"include": "author", "sort": "-id"})

    expected = _authors_by_article(db_session)
    assert [a.id for a in articles] == sorted(expected, key=int, reverse=True)
    assert {a.id: (a.author.name if a.author else None) for a in articles} == expected
    assert len(server.exchanges) == 1


def test_jsonapi_requests_orm_create_update_delete_crt_5_upd_6_del_1(
    server: LiveServer, models: dict[str, type], db_session: Any
) -> None:
    """CRT-5, UPD-6, DEL-1: ``save`` creates then updates; ``delete`` (body sent) removes."""
    article = models["articles"]()
    article.title = "From jsonapi-requests"
    article.body = "ORM"
    article.author = models["authors"].from_id("1")
    article.save()
    created = row(db_session, Article, int(article.id))

    edit = models["articles"](data.JsonApiObject(type="articles", id=article.id))
    edit.title = "Edited by jsonapi-requests"
    edit.save()
    edited = row(db_session, Article, int(article.id))
    edit.delete()

    assert [(e.method, e.status) for e in server.exchanges] == [
        ("POST", 201),
        ("PATCH", 200),
        ("DELETE", 204),
    ]
    assert json.loads(server.exchanges[2].body or b"null") is None
    assert (created["title"], created["body"], created["author_id"]) == (
        "From jsonapi-requests",
        "ORM",
        1,
    )
    assert (edited["title"], edited["body"]) == ("Edited by jsonapi-requests", "ORM")
    assert row(db_session, Article, int(article.id)) is None


def test_jsonapi_requests_orm_echoes_links_only_relationships_upd_4(
    server: LiveServer, models: dict[str, type], db_session: Any
) -> None:
    """UPD-4: a fetched ORM object saved back echoes relationships without ``data``: 400.

    The server sends relationship links without linkage unless included; the ORM sends them
    back as they are, and the error points at the relationship. Nothing changes.
    """
    before = row(db_session, Article, 7)
    article = models["articles"].get_list(params={"page[size]": "1", "sort": "-id"})[0]
    assert article.id == "7"
    article.title = "Never stored"
    with pytest.raises(ApiClientError) as raised:
        article.save()

    assert raised.value.status_code == 400
    error = json.loads(raised.value.content)["errors"][0]
    assert error["source"]["pointer"].startswith("/data/relationships/")
    assert row(db_session, Article, 7) == before
    assert count_rows(db_session, Author) == 3
    assert count_rows(db_session, Tag) == 4


@pytest.mark.parametrize(
    ("setting", "status", "document"),
    [
        (None, 204, None),
        ("meta", 200, {"meta": {}, "jsonapi": {"version": "1.1"}}),
    ],
    ids=["default-204", "meta-200"],
)
def test_delete_response_setting_del_1(
    blog_app: flask.Flask,
    client: Any,
    db_session: Any,
    setting: str | None,
    status: int,
    document: dict[str, Any] | None,
) -> None:
    """DEL-1: ``JSONAPI_DELETE_RESPONSE`` picks 204 (default) or 200 with a meta-only document."""
    if setting is not None:
        blog_app.config["JSONAPI_DELETE_RESPONSE"] = setting
    (article_id,) = add_rows(db_session, make_article(1))

    response = client.delete(f"/articles/{article_id}")

    assert response.status_code == status
    assert response.document == document
    assert (response.get_data() == b"") is (document is None)
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    assert row(db_session, Article, article_id) is None
