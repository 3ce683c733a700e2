"""Race-free relationship writes and transaction conflicts (issue 10, item 1).

Idempotent member writes (UREL-5, UREL-6, UREL-7, UREL-10), duplicate identifiers, and
the answer to a transaction conflict (retried, else 409) run on SQLite and PostgreSQL.
The races themselves (concurrent replace/add/remove of one to-many, two DELETEs of one
row, DELETE against PATCH) need transactions that really run side by side: they run on
PostgreSQL, each request in its own thread with its own session and connection (the
in-memory SQLite of the tests is one connection shared by every thread).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from examples.blog.api import ArticleViewSet, create_app
from examples.blog.models import Article, Base, Comment, Tag, article_tags
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryDetailView
from tests.support.atomic import atomic
from tests.support.blog_rows import add_rows, article_tag_pairs, make_article, make_tag
from tests.support.client import JsonApiClient
from tests.support.database import reset_database
from tests.support.error_checks import assert_error
from tests.support.relationship_rows import Blog, arrange_blog, comment_articles


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _tags(*ids: int) -> list[dict[str, str]]:
    return [{"type": "tags", "id": str(id_)} for id_ in ids]


def _linked(document: dict[str, Any], type_: str = "tags") -> list[int]:
    assert all(identifier["type"] == type_ for identifier in document["data"]), document
    return [int(identifier["id"]) for identifier in document["data"]]


def _tags_of(db_session: Any, article: int) -> list[int]:
    return sorted(tag for art, tag in article_tag_pairs(db_session) if art == article)


def _patch_tags(article: int, *ids: int) -> dict[str, Any]:
    relationships = {"tags": {"data": _tags(*ids)}}
    return {"data": {"type": "articles", "id": str(article), "relationships": relationships}}


# -- idempotent member writes (both databases) ----------------------------------------------


def test_urel_6_adding_present_members_answers_the_members(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-5/UREL-6/UREL-10: POST of a member already present, beside a new one, is 200
    with every member once, in the document and in the association table."""
    url = f"/articles/{blog.article}/relationships/tags"
    response = client.post(url, json={"data": _tags(blog.tags[0], blog.tags[2])})
    assert response.status_code == 200
    assert _linked(response.document) == list(blog.tags)
    assert _tags_of(db_session, blog.article) == list(blog.tags)
    again = client.post(url, json={"data": _tags(*blog.tags)})
    assert again.status_code == 200
    assert _linked(again.document) == list(blog.tags)
    assert _tags_of(db_session, blog.article) == list(blog.tags)


def test_urel_7_removing_absent_members_succeeds(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-7/UREL-10: DELETE of a member that is not there (beside one that is) is 200
    with the members left; removing it again changes nothing."""
    url = f"/articles/{blog.article}/relationships/tags"
    for _ in range(2):
        response = client.delete(url, json={"data": _tags(blog.tags[2], blog.tags[0])})
        assert response.status_code == 200
        assert _linked(response.document) == [blog.tags[1]]
        assert _tags_of(db_session, blog.article) == [blog.tags[1]]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 3


def test_urel_7_removing_absent_one_to_many_members_succeeds(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-7/UREL-16: removing a comment of another article from this one's comments
    changes nothing; removing its own deletes it (the delete-orphan cascade)."""
    url = f"/articles/{blog.empty_article}/relationships/comments"
    response = client.delete(
        url, json={"data": [{"type": "comments", "id": str(blog.comments[0])}]}
    )
    assert response.status_code == 200
    assert response.document["data"] == []
    assert comment_articles(db_session)[blog.comments[0]] == blog.article
    own = f"/articles/{blog.article}/relationships/comments"
    response = client.delete(
        own, json={"data": [{"type": "comments", "id": str(blog.comments[0])}]}
    )
    assert response.status_code == 200
    assert _linked(response.document, "comments") == list(blog.comments[1:])
    assert set(comment_articles(db_session)) == set(blog.comments[1:])


@pytest.mark.parametrize("method", ["post", "patch"])
def test_urel_5_duplicate_identifiers_are_one_member(
    client: JsonApiClient, db_session: Any, blog: Blog, method: str
) -> None:
    """UREL-5/UREL-4: an identifier given twice in one body (also as "01" for 1) adds one
    member: 200, not 409."""
    url = f"/articles/{blog.empty_article}/relationships/tags"
    data = _tags(blog.tags[2], blog.tags[0], blog.tags[2]) + [
        {"type": "tags", "id": f"0{blog.tags[0]}"}
    ]
    response = getattr(client, method)(url, json={"data": data})
    assert response.status_code == 200
    assert _linked(response.document) == [blog.tags[0], blog.tags[2]]
    assert _tags_of(db_session, blog.empty_article) == [blog.tags[0], blog.tags[2]]


def test_upd_4_crt_2_duplicate_identifiers_in_resource_bodies(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-4/CRT-2: a PATCH or POST of an article naming a tag twice links it once."""
    twice = _patch_tags(blog.empty_article, blog.tags[1], blog.tags[1], blog.tags[2])
    response = client.patch(
        f"/articles/{blog.empty_article}", json=twice, query_string={"include": "tags"}
    )
    assert response.status_code == 200
    assert _linked(response.document["data"]["relationships"]["tags"]) == list(blog.tags[1:])
    assert _tags_of(db_session, blog.empty_article) == list(blog.tags[1:])
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "Twice"},
            "relationships": {"tags": {"data": _tags(blog.tags[0], blog.tags[0])}},
        }
    }
    created = client.post("/articles", json=body, query_string={"include": "tags"})
    assert created.status_code == 201
    new = int(created.document["data"]["id"])
    assert _linked(created.document["data"]["relationships"]["tags"]) == [blog.tags[0]]
    assert _tags_of(db_session, new) == [blog.tags[0]]


def test_upd_4_patch_replaces_from_the_rows_not_a_loaded_collection(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UPD-4/UREL-4: a replace keeps the given members present and removes the others,
    whatever the rows are when it runs (here: one added behind the ORM's back between two
    requests of one client); the answer lists the members as a GET would, in the
    relationship's order, not in the body's."""
    db_session.execute(article_tags.insert().values(article_id=blog.article, tag_id=blog.tags[2]))
    db_session.commit()
    db_session.remove()
    response = client.patch(
        f"/articles/{blog.article}",
        json=_patch_tags(blog.article, blog.tags[2], blog.tags[0]),
        query_string={"include": "tags"},
    )
    assert response.status_code == 200
    assert _linked(response.document["data"]["relationships"]["tags"]) == [
        blog.tags[0],
        blog.tags[2],
    ]
    assert _tags_of(db_session, blog.article) == [blog.tags[0], blog.tags[2]]


def test_urel_15_member_write_on_a_deleted_parent_is_404(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-15/DEL-3: once the article is deleted, each member write on it is 404 and
    writes no association row; a second DELETE is 404 too: each the very document of a
    GET of the missing article."""
    assert client.delete(f"/articles/{blog.article}").status_code == 204
    missing = client.get(f"/articles/{blog.article}")
    assert_error(missing, 404)
    url = f"/articles/{blog.article}/relationships/tags"
    for method in ("post", "patch", "delete"):
        response = getattr(client, method)(url, json={"data": _tags(blog.tags[2])})
        assert response.status_code == 404
        assert response.document == missing.document, method
    assert client.delete(f"/articles/{blog.article}").document == missing.document
    assert _tags_of(db_session, blog.article) == []


def test_urel_15_parent_gone_before_its_lock_answers_as_a_missing_one(
    client: JsonApiClient, db_session: Any, blog: Blog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UREL-15: an article deleted by another request between the read of the relationship
    and the lock of its row: 404, the very document of a missing article, nothing written."""
    monkeypatch.setattr(SqlAlchemyModelRepository, "lock", lambda self, id, **kwargs: False)
    missing = client.get("/articles/999999")
    url = f"/articles/{blog.article}/relationships/tags"
    for method in ("post", "patch", "delete"):
        response = getattr(client, method)(url, json={"data": _tags(blog.tags[2])})
        assert response.status_code == 404, method
        expected = missing.get_data(as_text=True).replace("999999", str(blog.article))
        assert response.get_data(as_text=True) == expected, method
    assert _tags_of(db_session, blog.article) == list(blog.tags[:2])


# -- transaction conflicts: retried, else 409 (both databases) -----------------------------


def _failing_lock(monkeypatch: pytest.MonkeyPatch, errors: list[Exception]) -> list[int]:
    """Make the row lock of the next writes raise ``errors`` one by one (then work);
    the returned list counts the calls."""
    calls: list[int] = []
    original = SqlAlchemyModelRepository.lock

    def lock(self: Any, id: Any, **kwargs: Any) -> bool:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return original(self, id, **kwargs)

    monkeypatch.setattr(SqlAlchemyModelRepository, "lock", lock)
    return calls


class _DriverError(Exception):
    """What a driver raises for a deadlock (psycopg: ``DeadlockDetected``)."""

    sqlstate = "40P01"


def _deadlock() -> Exception:
    return sa_exc.OperationalError("DELETE FROM article_tags ...", {}, _DriverError())


@pytest.mark.parametrize(
    "error",
    [StaleDataError("expected to delete 1 row(s); 0 were matched"), _deadlock()],
    ids=["stale-data", "deadlock"],
)
def test_tx_1_conflict_is_retried_in_a_new_transaction(
    client: JsonApiClient,
    db_session: Any,
    blog: Blog,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    """TX-1/UREL-5: a request whose transaction hits a conflict runs again and answers
    as if nothing had happened; the failed try left nothing behind."""
    calls = _failing_lock(monkeypatch, [error, error])
    url = f"/articles/{blog.article}/relationships/tags"
    response = client.post(url, json={"data": _tags(blog.tags[2])})
    assert response.status_code == 200
    assert len(calls) == 3
    assert _linked(response.document) == list(blog.tags)
    assert _tags_of(db_session, blog.article) == list(blog.tags)


def test_tx_1_conflict_on_every_try_is_409(
    client: JsonApiClient, db_session: Any, blog: Blog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TX-1/DEL-4/UPD-12: after JSONAPI_TRANSACTION_ATTEMPTS tries in conflict, a 409 that
    says so; nothing is written."""
    calls = _failing_lock(monkeypatch, [StaleDataError("stale")] * 10)
    response = client.patch(
        f"/articles/{blog.article}", json=_patch_tags(blog.article, blog.tags[2])
    )
    assert_error(response, 409)
    error = response.document["errors"][0]
    assert error["title"] == "Concurrent update"
    assert error["code"] == "concurrent-update"
    assert "at the same time" in error["detail"]
    assert len(calls) == 3
    assert _tags_of(db_session, blog.article) == list(blog.tags[:2])
    client.application.config["JSONAPI_TRANSACTION_ATTEMPTS"] = 1
    assert_error(client.delete(f"/articles/{blog.article}"), 409)
    assert len(calls) == 4
    assert db_session.get(Article, blog.article) is not None


@dataclass
class _Mailing:
    app: Any
    session: Any
    sent: list[int]


@pytest.fixture
def mailing(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Mailing]:
    """The demo with a hook of the user's: its article updates "send a mail" (recorded in
    ``sent``, which a rollback cannot take back), then hit a conflict."""
    sent: list[int] = []

    class MailingDetail(ResourceRepositoryDetailView):
        def update(self, id: Any, data: dict[str, Any], **kwargs: Any) -> Any:
            sent.append(int(id))
            raise StaleDataError("stale")

    monkeypatch.setattr(ArticleViewSet, "detail_view_cls", MailingDetail)
    app = create_app(database_url, seed_data=False)
    app.test_client_class = JsonApiClient
    session = app.extensions["blog"]["session"]
    session.remove()
    reset_database(app.extensions["blog"]["engine"], Base.metadata)
    yield _Mailing(app, session, sent)
    session.remove()
    app.extensions["blog"]["engine"].dispose()


def test_tx_1_conflict_through_hand_written_hooks_is_409_at_once(mailing: _Mailing) -> None:
    """TX-1: a view whose hook is the user's is not run twice (its effects outside the
    database would be): the conflict answers 409 after one try."""
    app, session, sent = mailing.app, mailing.session, mailing.sent
    (article,) = add_rows(session, make_article(1))
    body = {"data": {"type": "articles", "id": str(article), "attributes": {"title": "New"}}}
    response = app.test_client().patch(f"/articles/{article}", json=body)
    assert_error(response, 409)
    assert sent == [article]
    assert session.get(Article, article).title == "Article 1"


def test_tx_1_atomic_conflict_is_retried_in_a_new_transaction(
    client: JsonApiClient, db_session: Any, blog: Blog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TX-1/ATOM-13: an atomic request whose transaction hits a conflict runs again as a
    whole; the failed try left nothing behind (one new tag, not two)."""
    calls = _failing_lock(monkeypatch, [StaleDataError("stale")])
    ref = {"type": "articles", "id": str(blog.article), "relationship": "tags"}
    response = atomic(
        client,
        {"op": "add", "data": {"type": "tags", "attributes": {"name": "retried"}}},
        {"op": "add", "ref": ref, "data": _tags(blog.tags[2])},
    )
    assert response.status_code == 200, response.document
    assert len(calls) == 2
    assert _tags_of(db_session, blog.article) == list(blog.tags)
    names = db_session.scalars(sa.select(Tag.name).where(Tag.name == "retried")).all()
    assert names == ["retried"]


def test_tx_1_atomic_conflict_through_hand_written_hooks_is_409_at_once(
    mailing: _Mailing,
) -> None:
    """TX-1/ATOM-13: when one type of the API has a hook of the user's, an atomic request
    is not run twice: the conflict answers 409 after one try, nothing written."""
    app, session, sent = mailing.app, mailing.session, mailing.sent
    (article,) = add_rows(session, make_article(1))
    (tag,) = add_rows(session, make_tag(1))
    response = atomic(
        app.test_client(),
        {"op": "update", "data": {"type": "tags", "id": str(tag), "attributes": {"name": "N"}}},
        {"op": "update", "data": {"type": "articles", "id": str(article),
                                  "attributes": {"title": "New"}}},
    )  # fmt: skip
    assert_error(response, 409)
    assert sent == [article]
    assert session.get(Article, article).title == "Article 1"
    assert session.get(Tag, tag).name != "N"


# -- real races (PostgreSQL) ----------------------------------------------------------------


def _postgresql_only(app: flask.Flask) -> None:
    if app.extensions["blog"]["engine"].dialect.name != "postgresql":
        pytest.skip(
            "concurrent transactions need a database server (set JSONAPI_TEST_DATABASE_URL)"
        )


def _together(app: flask.Flask, calls: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each call with its own test client, in its own thread, released together;
    the answers in call order (an exception is kept as the answer)."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            answers[index] = calls[index](client)
        except Exception as error:  # noqa: BLE001 - a 500 under TESTING propagates
            answers[index] = error
        finally:
            app.extensions["blog"]["session"].remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def _statuses(answers: list[Any]) -> list[Any]:
    return [getattr(answer, "status_code", answer) for answer in answers]


def test_urel_4_5_7_concurrent_replace_add_remove_of_one_to_many(
    blog_app: flask.Flask, db_session: Any
) -> None:
    """UREL-4/UREL-5/UREL-7/UPD-4 under load: 60 concurrent adds, removes and replaces
    (at the relationship URL and in PATCH /articles/1) of one article's tags all answer
    200, each with linkage that shows its own change; the rows end as the last writer
    left them, with no duplicate."""
    _postgresql_only(blog_app)
    tags = add_rows(db_session, *(make_tag(n) for n in range(8)))
    (article,) = add_rows(db_session, make_article(1, tags=[]))
    url = f"/articles/{article}/relationships/tags"
    rng = random.Random(10)
    calls, checks = [], []
    for n in range(60):
        kind = ("add", "remove", "replace", "patch")[n % 4]
        chosen = sorted(rng.sample(tags, rng.randint(0, 4)))
        body = {"data": _tags(*chosen)}
        if kind == "add":
            calls.append(lambda c, b=body: c.post(url, json=b))
            checks.append(lambda linked, s=set(chosen): s <= set(linked))
        elif kind == "remove":
            calls.append(lambda c, b=body: c.delete(url, json=b))
            checks.append(lambda linked, s=set(chosen): not s & set(linked))
        elif kind == "replace":
            calls.append(lambda c, b=body: c.patch(url, json=b))
            checks.append(lambda linked, s=chosen: linked == s)
        else:
            patch = _patch_tags(article, *chosen)
            calls.append(
                lambda c, b=patch: c.patch(
                    f"/articles/{article}", json=b, query_string={"include": "tags"}
                )
            )
            checks.append(lambda linked, s=chosen: linked == s)
    answers = _together(blog_app, calls)
    assert _statuses(answers) == [200] * len(calls)
    for answer, check in zip(answers, checks, strict=True):
        data = answer.document["data"]
        document = data["relationships"]["tags"] if "relationships" in data else answer.document
        assert check(sorted(_linked(document))), answer.document
    pairs = db_session.execute(sa.select(article_tags.c.article_id, article_tags.c.tag_id)).all()
    db_session.remove()
    assert len(pairs) == len(set(pairs))
    final = blog_app.test_client().get(url, query_string={"page[size]": "100"})
    assert sorted(_linked(final.document)) == _tags_of(db_session, article)


def test_urel_6_concurrent_adds_of_a_present_member(
    blog_app: flask.Flask, db_session: Any, blog: Blog
) -> None:
    """UREL-6: 30 clients adding the same member at once (present already, or new) all get
    200 with it in the linkage; the association table holds it once."""
    _postgresql_only(blog_app)
    url = f"/articles/{blog.article}/relationships/tags"
    body = {"data": _tags(blog.tags[0], blog.tags[2])}
    answers = _together(blog_app, [lambda c: c.post(url, json=body)] * 30)
    assert _statuses(answers) == [200] * 30
    assert all(_linked(answer.document) == list(blog.tags) for answer in answers)
    assert _tags_of(db_session, blog.article) == list(blog.tags)


def test_urel_5_concurrent_moves_of_one_to_many_members(
    blog_app: flask.Flask, db_session: Any, blog: Blog
) -> None:
    """UREL-5/UREL-7 over a foreign key: comments moved concurrently between two articles
    each end on exactly one of them, every answer 200."""
    _postgresql_only(blog_app)
    comments = [{"type": "comments", "id": str(id_)} for id_ in blog.comments]
    targets = [blog.article, blog.empty_article] * 10
    answers = _together(
        blog_app,
        [
            lambda c, a=a: c.post(f"/articles/{a}/relationships/comments", json={"data": comments})
            for a in targets
        ],
    )
    assert _statuses(answers) == [200] * len(targets)
    for answer in answers:
        assert _linked(answer.document, "comments") == list(blog.comments)
    owners = comment_articles(db_session)
    assert set(owners) == set(blog.comments)
    assert len(set(owners.values())) == 1


def test_del_3_two_deletes_of_one_row(blog_app: flask.Flask, db_session: Any) -> None:
    """DEL-1/DEL-3: two DELETEs of one article at once: one 204, the other 404 (an error
    document); the article and its association rows are gone."""
    _postgresql_only(blog_app)
    tags = add_rows(db_session, make_tag(1), make_tag(2))
    for _ in range(10):
        (article,) = add_rows(
            db_session, make_article(1, tags=[db_session.get(Tag, tag) for tag in tags])
        )
        delete = lambda c, a=article: c.delete(f"/articles/{a}")  # noqa: E731
        answers = _together(blog_app, [delete, delete])
        assert sorted(_statuses(answers)) == [204, 404]
        assert_error(next(a for a in answers if a.status_code == 404), 404)
        assert db_session.get(Article, article) is None
        assert _tags_of(db_session, article) == []


def test_del_3_delete_racing_patch(blog_app: flask.Flask, db_session: Any) -> None:
    """DEL-1/UPD-10/UREL-15: DELETE of an article racing a PATCH of its title and tags,
    a POST to its tags and a DELETE of its comment: the DELETE is 204, each other write
    200 (it ran first) or 404 (it ran after), never 5xx; nothing of the article is left."""
    _postgresql_only(blog_app)
    tags = add_rows(db_session, make_tag(1), make_tag(2))
    for _ in range(8):
        article = make_article(1, tags=[db_session.get(Tag, tags[0])])
        a, c = add_rows(db_session, article, Comment(body="c", article=article))
        patch = _patch_tags(a, tags[1])
        patch["data"]["attributes"] = {"title": "Changed"}
        url = f"/articles/{a}"
        comments = {"data": [{"type": "comments", "id": str(c)}]}
        answers = _together(
            blog_app,
            [
                lambda cl, url=url: cl.delete(url),
                lambda cl, url=url, patch=patch: cl.patch(url, json=patch),
                lambda cl, url=url: cl.post(
                    f"{url}/relationships/tags", json={"data": _tags(*tags)}
                ),
                lambda cl, url=url, body=comments: cl.delete(
                    f"{url}/relationships/comments", json=body
                ),
            ],
        )
        statuses = _statuses(answers)
        assert statuses[0] == 204, answers[0]
        assert set(statuses[1:]) <= {200, 404}, answers
        expected = [
            lambda d: d["data"]["attributes"]["title"] == "Changed",
            lambda d: sorted(_linked(d)) == sorted(tags),
            lambda d: d["data"] == [],
        ]
        for answer, check in zip(answers[1:], expected, strict=True):
            if answer.status_code == 404:
                assert_error(answer, 404)
            else:
                assert check(answer.document), answer.document
        assert db_session.get(Article, a) is None
        assert db_session.get(Comment, c) is None
        assert _tags_of(db_session, a) == []
        db_session.remove()
