"""A POST's or PATCH's row write on a connection of its own (``direct_writes.py``): the
same documents, headers, statements and stored rows as through the session; a refused
write leaves nothing behind (and no lock); and the session's transaction still serves
what needs it: its transaction events, ``If-Match``, Atomic Operations, a view of the
application's that uses the session in the request's unit of work.

On a file (SQLite) or a server (PostgreSQL): the in-memory SQLite of the other tests
shares one connection, where writes stay in the session.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import event, orm

from examples.blog.models import Article, Author
from tests.support.sql_counter import count_statements

ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
_TRANSACTION_EVENTS = ("after_begin", "before_commit", "after_commit", "after_transaction_end")


@pytest.fixture
def app(file_blog_app: flask.Flask) -> flask.Flask:
    """The blog demo on a database each checkout of whose pool is a connection of its own,
    with one author and one article."""
    session = _session(file_blog_app)
    author = Author(name="Ada", email="ada@example.org")
    session.add_all([author, Article(title="A1", body="x", views=1, author=author)])
    session.commit()
    session.remove()
    return file_blog_app


def _engine(app: flask.Flask) -> sa.Engine:
    return app.extensions["blog"]["engine"]


def _session(app: flask.Flask) -> Any:
    return app.extensions["blog"]["session"]


def _post_body(title: str = "New", author: str = "1", **attributes: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "articles",
            "attributes": {"title": title, "body": "b", **attributes},
            "relationships": {"author": {"data": {"type": "authors", "id": author}}},
        }
    }


def _patch_body(title: str) -> dict[str, Any]:
    return {"data": {"type": "articles", "id": "1", "attributes": {"title": title}}}


def _titles(app: flask.Flask) -> list[str]:
    """The articles' titles as the database holds them, read on a connection of the test's."""
    with _engine(app).connect() as connection:
        return list(connection.scalars(sa.select(Article.title).order_by(Article.id)))


@pytest.fixture
def session_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ``Session.connection()`` call of a request (the ORM's transaction taken)."""
    calls: list[Any] = []
    original = orm.Session.connection

    def spy(self: orm.Session, *args: Any, **kwargs: Any) -> Any:
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(orm.Session, "connection", spy)
    return calls


def _through_the_session(app: flask.Flask) -> Any:
    """A context manager under which writes keep the session's transaction: an application
    listening to ``before_commit`` (the calls are collected)."""
    seen: list[Any] = []

    def before_commit(session: orm.Session) -> None:
        seen.append(session)

    class Listening:
        def __enter__(self) -> list[Any]:
            event.listen(orm.Session, "before_commit", before_commit)
            return seen

        def __exit__(self, *_: Any) -> None:
            event.remove(orm.Session, "before_commit", before_commit)

    return Listening()


def _comparable(response: Any, new_id: str | None = None) -> dict[str, Any]:
    """Status, headers and document of a write, the created article's id and time aside."""
    document = response.document
    text = response.get_data(as_text=True)
    if new_id is not None:
        document = flask.json.loads(text.replace(f"/articles/{new_id}", "/articles/N"))
        document["data"]["id"] = "N"
        document["data"]["attributes"].pop("created")
    headers = {name: response.headers.get(name) for name in ("Content-Type", "Vary")}
    location = response.headers.get("Location")
    headers["Location"] = (
        location.replace(f"/articles/{new_id}", "/articles/N") if location else None
    )
    return {"status": response.status_code, "headers": headers, "document": document}


@pytest.mark.parametrize(("url", "statements"), [("/articles", 1), ("/articles?include=author", 2)])
def test_post_answers_as_through_the_session(
    app: flask.Flask, session_connections: list[Any], url: str, statements: int
) -> None:
    """CRT-1, CRT-6, INC-1: one INSERT (and the included author's SELECT), the 201
    document, Location and the row stored; the session's transaction is never taken, and
    no connection is left out."""
    client = app.test_client()
    with count_statements(_engine(app)) as counter:
        direct = client.post(url, json=_post_body("Direct"))
    assert direct.status_code == 201, direct.document
    assert counter.count == statements, counter
    assert session_connections == []
    with _through_the_session(app) as commits:
        with count_statements(_engine(app)) as counter:
            slow = client.post(url, json=_post_body("Direct"))
    assert len(commits) == 1 and session_connections
    assert counter.count == statements, counter
    assert _comparable(direct, direct.document["data"]["id"]) == _comparable(
        slow, slow.document["data"]["id"]
    )
    assert direct.headers["ETag"] and direct.headers["Location"].endswith("/articles/2")
    if "include" in url:
        assert direct.document["included"][0]["attributes"]["name"] == "Ada"
    assert _titles(app) == ["A1", "Direct", "Direct"]
    assert _engine(app).pool.checkedout() == 0


def test_patch_answers_as_through_the_session(
    app: flask.Flask, session_connections: list[Any]
) -> None:
    """UPD-1: one UPDATE, the same document and ETag both ways, and the next GET (a
    connection of its own) sees the committed title."""
    client = app.test_client()
    with count_statements(_engine(app)) as counter:
        direct = client.patch("/articles/1", json=_patch_body("Same"))
    assert direct.status_code == 200, direct.document
    assert counter.count == 1, counter
    assert session_connections == []
    assert client.get("/articles/1").document["data"]["attributes"]["title"] == "Same"
    client.patch("/articles/1", json=_patch_body("Other"))
    with _through_the_session(app) as commits:
        slow = client.patch("/articles/1", json=_patch_body("Same"))
    assert len(commits) == 1
    assert _comparable(direct) == _comparable(slow)
    assert direct.headers["ETag"] == slow.headers["ETag"]
    assert _titles(app) == ["Same"]
    assert _engine(app).pool.checkedout() == 0


@pytest.mark.parametrize("name", _TRANSACTION_EVENTS)
def test_session_transaction_listeners_still_run(
    app: flask.Flask, session_connections: list[Any], name: str
) -> None:
    """An application listening to its session's transaction events (a row-level-security
    variable set in ``after_begin``, a cache cleared in ``after_commit``) sees a write's
    transaction as before."""
    seen: list[Any] = []

    def listener(*args: Any) -> None:
        seen.append(args)

    event.listen(orm.Session, name, listener)
    try:
        response = app.test_client().post("/articles", json=_post_body("Heard"))
    finally:
        event.remove(orm.Session, name, listener)
    assert response.status_code == 201
    assert len(seen) == 1 and session_connections
    assert _titles(app) == ["A1", "Heard"]


def test_a_refused_write_leaves_nothing_and_no_lock(app: flask.Flask) -> None:
    """CRT-7, 409 and 404 on the connection of its own: rolled back, given back to the
    pool, and the next write (SQLite: the database's write lock) goes through."""
    client = app.test_client()
    duplicate = {
        "data": {"type": "authors", "attributes": {"name": "B", "email": "ada@example.org"}}
    }
    assert client.post("/authors", json=duplicate).status_code == 409
    missing = client.post("/articles", json=_post_body("Orphan", author="99"))
    assert missing.status_code == 404, missing.document
    assert _engine(app).pool.checkedout() == 0
    assert client.post("/articles", json=_post_body("After")).status_code == 201
    assert _titles(app) == ["A1", "After"]


def test_a_write_out_of_the_policy_is_rolled_back(app: flask.Flask) -> None:
    """The demo's policy: an anonymous client's draft would be out of its reach, 403 (the
    row written and refused in one statement), and nothing is stored."""
    client = app.test_client()
    refused = client.post("/articles", json=_post_body("Secret", draft=True))
    assert refused.status_code == 403, refused.document
    assert _titles(app) == ["A1"]
    assert _engine(app).pool.checkedout() == 0
    assert client.post("/articles", json=_post_body("Open")).status_code == 201


def test_if_match_writes_in_the_session(app: flask.Flask) -> None:
    """The ``If-Match`` check reads in the write's transaction (the session's): a stale tag
    is 412 and writes nothing, the current one writes."""
    client = app.test_client()
    etag = client.get("/articles/1").headers["ETag"]
    stale = client.patch("/articles/1", json=_patch_body("Stale"), headers={"If-Match": '"x"'})
    assert stale.status_code == 412
    fresh = client.patch("/articles/1", json=_patch_body("Fresh"), headers={"If-Match": etag})
    assert fresh.status_code == 200, fresh.document
    assert _titles(app) == ["Fresh"]


def test_atomic_operations_keep_one_transaction(app: flask.Flask) -> None:
    """ATOM-1: an article added and updated by its lid in one request, in one transaction;
    a failing operation after them undoes both."""
    client = app.test_client()
    added = _post_body("Added")["data"] | {"lid": "a"}
    operations = [
        {"op": "add", "data": added},
        {
            "op": "update",
            "data": {"type": "articles", "lid": "a", "attributes": {"title": "Updated"}},
        },
    ]
    headers = {"Content-Type": ATOMIC, "Accept": ATOMIC}
    done = client.post("/operations", json={"atomic:operations": operations}, headers=headers)
    assert done.status_code == 200, done.document
    assert _titles(app) == ["A1", "Updated"]
    failing = [*operations, {"op": "add", "data": _post_body("X", author="99")["data"]}]
    refused = client.post("/operations", json={"atomic:operations": failing}, headers=headers)
    assert refused.status_code == 404, refused.document
    assert _titles(app) == ["A1", "Updated"]


def test_a_view_that_uses_the_session_sees_the_write(app: flask.Flask) -> None:
    """A view of the application's whose document step reads through the session inside
    the unit of work reads the row just written (one transaction, the session's)."""
    from examples.blog.api import ArticleRepository, ArticleViewSet
    from flask_jsonapi.resource_repository_views import ResourceRepositoryListView

    counted: list[int] = []

    class CountingList(ResourceRepositoryListView):
        def resource_document(self, obj: Any, query: Any, *args: Any, **kwargs: Any) -> dict:
            counted.append(_session(app).scalar(sa.select(sa.func.count()).select_from(Article)))
            return super().resource_document(obj, query, *args, **kwargs)

    class CountingArticles(ArticleViewSet):
        list_view_cls = CountingList

    api = app.extensions["flask_jsonapi"][0]
    repository = ArticleRepository(session=_session(app))  # equal to the demo's: one type
    api.repository(CountingArticles(repository=repository), "counted", "/counted-articles")
    response = app.test_client().post("/counted-articles", json=_post_body("Seen"))
    assert response.status_code == 201, response.document
    assert counted == [2]
    assert _titles(app) == ["A1", "Seen"]


def test_a_dump_hook_that_uses_the_session_sees_the_write(app: flask.Flask) -> None:
    """A schema's ``@post_dump`` runs while the document is built, in the unit of work:
    reading through the session there, it finds the row just written."""
    from marshmallow import post_dump

    from examples.blog.api import ArticleRepository, ArticleSchema
    from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet

    counted: list[int] = []

    class CountingSchema(ArticleSchema):
        class Meta:
            type_ = "counted-articles"

        @post_dump
        def count(self, data: dict, **_: Any) -> dict:
            counted.append(_session(app).scalar(sa.select(sa.func.count()).select_from(Article)))
            return data

    class CountingViewSet(ResourceRepositoryViewSet):
        schema = CountingSchema

    api = app.extensions["flask_jsonapi"][0]
    viewset = CountingViewSet(repository=ArticleRepository(session=_session(app)))
    api.repository(viewset, "counted", "/counted-articles")
    body = _post_body("Dumped")
    body["data"]["type"] = "counted-articles"
    response = app.test_client().post("/counted-articles", json=body)
    assert response.status_code == 201, response.document
    assert counted == [2]
    assert _titles(app) == ["A1", "Dumped"]
