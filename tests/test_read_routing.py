"""Read routing (``JSONAPI_READ_ENGINE``) and the consistency token (``JSONAPI-Consistency``).

The replica is a stand-in that lags (tests/support/replica.py); the real streaming replica
is exercised by ``make scale`` (scripts/scale.py).

ERR-10/ERR-11: a malformed token names the header in ``source.header``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import sqlalchemy as sa

from examples.blog.models import Article
from flask_jsonapi.routing import HEADER, PostgresPositions
from tests.support.atomic import atomic
from tests.support.client import JsonApiClient
from tests.support.replica import (
    LaggingReplica,
    routed_to_lagging_replica,
    store_articles,
    titles_of,
)
from tests.support.sql_counter import count_statements

_LSN = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")


@pytest.fixture
def replica(blog_app: flask.Flask) -> Iterator[LaggingReplica]:
    """The blog app routed to a lagging replica (copied once, now: empty tables)."""
    with routed_to_lagging_replica(blog_app) as lagging:
        yield lagging


def _article(title: str) -> dict[str, Any]:
    return {"data": {"type": "articles", "attributes": {"title": title, "body": "b"}}}


def test_gets_are_answered_by_the_replica(
    client: JsonApiClient, db_session: Any, replica: LaggingReplica
) -> None:
    """A GET without a token runs no statement on the primary: it sees the replica as of
    its last refresh, stale or not (the collection, one resource, a related endpoint, a
    relationship endpoint)."""
    (first,) = store_articles(db_session, "copied")
    replica.refresh()
    store_articles(db_session, "not copied yet")
    with count_statements(replica.primary) as primary, count_statements(replica.engine) as copy:
        assert titles_of(client.get("/articles")) == ["copied"]
        assert client.get(f"/articles/{first}").document["data"]["attributes"]["title"] == "copied"
        assert client.get(f"/articles/{first + 1}").status_code == 404
        assert client.get(f"/articles/{first}/comments").document["data"] == []
        assert client.get(f"/articles/{first}/relationships/tags").document["data"] == []
    assert primary.count == 0, primary
    assert copy.count >= 5, copy


def test_a_plain_get_runs_the_statements_it_runs_unrouted(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any, sql_counter: Any
) -> None:
    """Routing adds no statement to a GET that sends no token: the replica runs exactly
    what the primary runs when routing is off."""
    (first,) = store_articles(db_session, "one")
    urls = ["/articles", f"/articles/{first}?include=author,comments", "/articles?page[size]=1"]
    unrouted = []
    for url in urls:
        with sql_counter() as counter:
            assert client.get(url).status_code == 200
        unrouted.append(counter.statements)
    lagging = LaggingReplica(blog_app.extensions["blog"]["engine"])
    try:
        blog_app.config["JSONAPI_READ_ENGINE"] = lagging.engine
        routed = []
        with sql_counter() as primary:
            for url in urls:
                with count_statements(lagging.engine) as copy:
                    assert client.get(url).status_code == 200
                routed.append(copy.statements)
        assert primary.count == 0, primary
        assert [len(s) for s in routed] == [len(s) for s in unrouted], (routed, unrouted)
    finally:
        lagging.drop()


def test_writes_go_to_the_primary_and_answer_a_token(
    client: JsonApiClient, db_session: Any, replica: LaggingReplica
) -> None:
    """POST, PATCH and DELETE run on the primary (the replica sees no statement) and each
    answers the primary's position after its commit in the JSONAPI-Consistency header."""
    with count_statements(replica.engine) as copy:
        created = client.post("/articles", json=_article("new"))
        assert created.status_code == 201
        id_ = created.document["data"]["id"]
        patched = client.patch(
            f"/articles/{id_}",
            json={"data": {"type": "articles", "id": id_, "attributes": {"title": "renamed"}}},
        )
        assert patched.status_code == 200
        deleted = client.delete(f"/articles/{id_}")
        assert deleted.status_code == 204
    assert copy.count == 0, copy
    tokens = [r.headers[HEADER] for r in (created, patched, deleted)]
    assert tokens == ["0/1", "0/2", "0/3"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_atomic_operations_go_to_the_primary_and_answer_a_token(
    client: JsonApiClient, db_session: Any, replica: LaggingReplica
) -> None:
    """An Atomic Operations request (ATOM-*) writes on the primary and answers a token."""
    with count_statements(replica.engine) as copy:
        response = atomic(
            client,
            {"op": "add", "data": {"type": "articles", "attributes": {"title": "a", "body": ""}}},
            {"op": "add", "data": {"type": "articles", "attributes": {"title": "b", "body": ""}}},
        )
    assert response.status_code == 200, response.document
    assert copy.count == 0, copy
    assert response.headers[HEADER] == "0/1"
    assert sorted(db_session.scalars(sa.select(Article.title))) == ["a", "b"]


def test_a_read_with_the_token_of_a_write_sees_the_write(
    client: JsonApiClient, db_session: Any, replica: LaggingReplica
) -> None:
    """Read-your-writes: while the replica lags, a GET with the write's token is answered
    by the primary (after one check on the replica), one without it by the stale replica;
    once the replica has the write, the GET with the token is the replica's again."""
    store_articles(db_session, "old")
    replica.refresh()
    created = client.post("/articles", json=_article("mine"))
    token = created.headers[HEADER]
    id_ = created.document["data"]["id"]

    assert titles_of(client.get("/articles")) == ["old"]  # stale: no token, no promise
    assert client.get(f"/articles/{id_}").status_code == 404
    with count_statements(replica.primary) as primary, count_statements(replica.engine) as copy:
        assert titles_of(client.get("/articles", headers={HEADER: token})) == ["mine", "old"]
    assert copy.count == 1, copy  # the check, nothing else
    assert primary.count >= 1
    mine = client.get(f"/articles/{id_}", headers={HEADER: token})
    assert mine.document["data"]["attributes"]["title"] == "mine"

    replica.refresh()
    with count_statements(replica.primary) as primary:
        assert titles_of(client.get("/articles", headers={HEADER: token})) == ["mine", "old"]
    assert primary.count == 0, primary


def test_an_older_token_is_served_by_the_replica_that_has_it(
    client: JsonApiClient, replica: LaggingReplica
) -> None:
    """A token the replica has replayed routes to the replica even though later writes
    (by others) have not reached it."""
    first = client.post("/articles", json=_article("first")).headers[HEADER]
    replica.refresh()
    client.post("/articles", json=_article("second"))
    with count_statements(replica.primary) as primary:
        assert titles_of(client.get("/articles", headers={HEADER: first})) == ["first"]
    assert primary.count == 0, primary


@pytest.mark.parametrize(
    "token", ["", "abc", "0/", "/1", "1/2/3", "0/XYZ", "123456789/0", "0/1 ", "0/1;drop"]
)
def test_err_10_a_malformed_token_is_400_naming_the_header(
    client: JsonApiClient, replica: LaggingReplica, token: str
) -> None:
    """ERR-10, ERR-11: a token that is no position answers 400 with ``source.header``,
    on a collection, a resource and a relationship endpoint alike."""
    for url in ("/articles", "/articles/1", "/articles/1/relationships/tags"):
        response = client.get(url, headers={HEADER: token})
        assert response.status_code == 400, (url, token)
        (error,) = response.document["errors"]
        assert error["source"] == {"header": HEADER}


def test_without_routing_the_header_is_neither_answered_nor_read(
    client: JsonApiClient, sql_counter: Any
) -> None:
    """With ``JSONAPI_READ_ENGINE`` unset a write answers no token (and runs no statement
    for one) and a GET ignores the header, even a malformed one."""
    with sql_counter() as counter:
        created = client.post("/articles", json=_article("x"))
    assert HEADER not in created.headers
    assert all("wal" not in sql for sql in counter.statements), counter
    assert client.get("/articles", headers={HEADER: "nonsense"}).status_code == 200


def test_a_repository_can_keep_its_reads_on_the_primary(
    blog_app: flask.Flask, client: JsonApiClient, db_session: Any, replica: LaggingReplica
) -> None:
    """``read_routing = False`` on a repository: its GETs read the primary's session."""
    store_articles(db_session, "fresh")
    (api,) = blog_app.extensions["flask_jsonapi"]
    repository = api.registry.get("articles").repository
    repository.read_routing = False
    try:
        assert titles_of(client.get("/articles")) == ["fresh"]
    finally:
        del repository.read_routing


@pytest.fixture
def postgres_app(blog_app: flask.Flask) -> flask.Flask:
    engine = blog_app.extensions["blog"]["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("WAL positions are PostgreSQL's (SQLite: the stand-in's positions above)")
    return blog_app


def test_postgres_tokens_are_the_primarys_wal_position_after_the_commit(
    postgres_app: flask.Flask, client: JsonApiClient
) -> None:
    """The default check on PostgreSQL: a write answers ``pg_current_wal_insert_lsn()``
    read after its commit (at least the position before the request, at most the one
    after); a server that is no standby never counts as caught up, so a GET with the token
    is the primary's (a "replica" over the same data shows what the primary has)."""
    engine = postgres_app.extensions["blog"]["engine"]
    lagging = LaggingReplica(engine)
    postgres_app.config["JSONAPI_READ_ENGINE"] = lagging.engine
    try:

        def position() -> int:
            with engine.connect() as connection:
                return connection.exec_driver_sql(
                    "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
                ).scalar_one()

        before = position()
        created = client.post("/articles", json=_article("wal"))
        after = position()
        token = created.headers[HEADER]
        assert _LSN.fullmatch(token), token
        with engine.connect() as connection:
            answered = connection.execute(
                sa.text("SELECT CAST(:t AS pg_lsn) - '0/0'::pg_lsn"), {"t": token}
            ).scalar_one()
        assert before < answered <= after
        with count_statements(lagging.engine) as copy:
            assert titles_of(client.get("/articles", headers={HEADER: token})) == ["wal"]
        assert copy.count == 1 and "pg_last_wal_replay_lsn" in copy.statements[0], copy
        assert titles_of(client.get("/articles")) == []  # the copy, made before the write
    finally:
        lagging.drop()


def test_postgres_positions_on_sqlite_answer_no_token() -> None:
    """The default check knows PostgreSQL only: elsewhere no token, never caught up."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        assert PostgresPositions().written(connection) is None
        assert PostgresPositions().replayed(connection, "0/1") is False


# -- the token in a cookie (JSONAPI_CONSISTENCY_COOKIE) -------------------------------------

_COOKIE = "jsonapi_consistency"


@pytest.fixture
def cookie_app(blog_app: flask.Flask, replica: LaggingReplica) -> flask.Flask:
    blog_app.config["JSONAPI_CONSISTENCY_COOKIE"] = _COOKIE
    return blog_app


def test_a_write_sets_the_token_cookie(cookie_app: flask.Flask, client: JsonApiClient) -> None:
    """With ``JSONAPI_CONSISTENCY_COOKIE`` a write's token is also a cookie of that name:
    HttpOnly, SameSite=Lax, for the API's prefix (here the app's root), for a minute."""
    created = client.post("/articles", json=_article("mine"))
    assert created.status_code == 201
    (set_cookie,) = created.headers.getlist("Set-Cookie")
    attributes = [part.strip() for part in set_cookie.split(";")]
    assert attributes[0] == f"{_COOKIE}={created.headers[HEADER]}"
    expires = [a for a in attributes if a.startswith("Expires=")]  # werkzeug adds it
    assert len(expires) == 1
    assert sorted(set(attributes[1:]) - set(expires)) == [
        "HttpOnly",
        "Max-Age=60",
        "Path=/",
        "SameSite=Lax",
    ]
    cookie_app.config["JSONAPI_CONSISTENCY_COOKIE_MAX_AGE"] = 5
    patched = client.patch(
        f"/articles/{created.document['data']['id']}",
        json={
            "data": {
                "type": "articles",
                "id": created.document["data"]["id"],
                "attributes": {"title": "renamed"},
            }
        },
    )
    assert patched.headers[HEADER] == "0/2"
    assert client.get_cookie(_COOKIE).value == "0/2"
    assert "Max-Age=5" in patched.headers["Set-Cookie"]
    assert "Set-Cookie" not in client.get("/articles").headers  # reads set no cookie


def test_a_browser_reads_its_own_write_through_the_cookie(
    cookie_app: flask.Flask, client: JsonApiClient, db_session: Any, replica: LaggingReplica
) -> None:
    """A client that keeps cookies (a browser; Flask's test client does) and sends no
    header reads its own write while the replica lags; another client without the cookie
    reads the stale replica; once the replica has the write, the cookie's GET is the
    replica's again."""
    store_articles(db_session, "old")
    replica.refresh()
    created = client.post("/articles", json=_article("mine"))
    id_ = created.document["data"]["id"]

    stranger = cookie_app.test_client()
    assert titles_of(stranger.get("/articles")) == ["old"]
    with count_statements(replica.primary) as primary, count_statements(replica.engine) as copy:
        assert titles_of(client.get("/articles")) == ["mine", "old"]
    assert copy.count == 1, copy  # the check, nothing else
    assert primary.count >= 1
    assert client.get(f"/articles/{id_}").document["data"]["attributes"]["title"] == "mine"

    replica.refresh()
    with count_statements(replica.primary) as primary:
        assert titles_of(client.get("/articles")) == ["mine", "old"]
    assert primary.count == 0, primary


def test_the_header_wins_over_the_cookie(
    cookie_app: flask.Flask, client: JsonApiClient, replica: LaggingReplica
) -> None:
    """A GET with both: the header's token decides (here an older one the replica has
    replayed, while the cookie holds a newer one it has not)."""
    first = client.post("/articles", json=_article("first")).headers[HEADER]
    replica.refresh()
    client.post("/articles", json=_article("second"))
    assert client.get_cookie(_COOKIE).value == "0/2"
    with count_statements(replica.primary) as primary:
        assert titles_of(client.get("/articles", headers={HEADER: first})) == ["first"]
    assert primary.count == 0, primary
    assert titles_of(client.get("/articles")) == ["first", "second"]  # the cookie's token


def test_a_cookie_that_is_no_token_is_ignored(
    cookie_app: flask.Flask, client: JsonApiClient, replica: LaggingReplica
) -> None:
    """A malformed cookie (tampered, or of another format) cannot be cleared by a script
    (HttpOnly): it is ignored, and the replica answers, rather than a 400 on every read."""
    client.post("/articles", json=_article("mine"))
    client.set_cookie(_COOKIE, "0/1;drop")
    with count_statements(replica.primary) as primary:
        assert titles_of(client.get("/articles")) == []
    assert primary.count == 0, primary


def test_without_the_cookie_key_no_cookie_is_set_or_read(
    client: JsonApiClient, replica: LaggingReplica
) -> None:
    """``JSONAPI_CONSISTENCY_COOKIE`` unset (the default): a write answers the header only,
    and a cookie of the name a browser might still hold routes nothing."""
    created = client.post("/articles", json=_article("mine"))
    assert created.headers[HEADER] == "0/1"
    assert "Set-Cookie" not in created.headers
    assert client.get_cookie(_COOKIE) is None
    client.set_cookie(_COOKIE, created.headers[HEADER])
    assert titles_of(client.get("/articles")) == []  # the lagging replica's answer


def test_the_cookie_path_is_the_blueprints_prefix(blog_app: flask.Flask, db_session: Any) -> None:
    """An Api on a Blueprint at ``/api`` sets its cookie for ``/api`` only, and reads it
    there."""
    from examples.blog.api import ArticleRepository, ArticleViewSet
    from flask_jsonapi import Api

    app = flask.Flask("prefixed")
    app.testing = True
    blueprint = flask.Blueprint("jsonapi", __name__)
    viewset = ArticleViewSet(repository=ArticleRepository(session=db_session))
    Api(blueprint).repository(viewset, "articles", "/articles")
    app.register_blueprint(blueprint, url_prefix="/api")
    engine = blog_app.extensions["blog"]["engine"]
    app.extensions["blog"] = {"engine": engine}
    app.config["JSONAPI_CONSISTENCY_COOKIE"] = _COOKIE
    client = app.test_client()
    with routed_to_lagging_replica(app) as lagging:
        created = client.post(
            "/api/articles",
            json=_article("mine"),
            headers={"Content-Type": "application/vnd.api+json"},
        )
        assert created.status_code == 201, created.get_json()
        assert "Path=/api;" in created.headers["Set-Cookie"] + ";"
        assert client.get_cookie(_COOKIE, path="/api").value == created.headers[HEADER]
        with count_statements(lagging.primary) as primary:
            listed = client.get("/api/articles")
        assert [a["attributes"]["title"] for a in listed.get_json()["data"]] == ["mine"]
        assert primary.count >= 1
    db_session.remove()
