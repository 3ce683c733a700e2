"""Writes are all-or-nothing, one commit per request, and a failure leaves the session usable.

TX-1: a create, update or delete that fails for any reason (a 4xx found late, a database
constraint, an exception after the repository flushed) leaves every row as it was. The
unexpected exceptions are answered as in production (a 500 document: the ``answers_500``
fixture turns off ``PROPAGATE_EXCEPTIONS``), and also raised to the test under ``TESTING``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, orm

from examples.blog.models import Article, Author, Tag
from flask_jsonapi import exceptions
from flask_jsonapi.resources import ResourceBase
from flask_jsonapi.services import ResourceService
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error, snapshot


@pytest.fixture
def stored(db_session: Any) -> dict[str, int]:
    """Two authors, one tag, and an article by the first author with that tag."""
    ann = Author(name="Ann", email="ann@example.org")
    bob = Author(name="Bob", email="bob@example.org")
    tag = Tag(name="python")
    article = Article(title="Stored", body="text", views=3, author=ann, tags=[tag])
    db_session.add_all([ann, bob, tag, article])
    db_session.commit()
    ids = {"ann": ann.id, "bob": bob.id, "tag": tag.id, "article": article.id}
    db_session.remove()
    return ids


@pytest.fixture
def commits(blog_app: Any) -> Iterator[list[orm.Session]]:
    """The sessions committed on the app's engine, one entry per COMMIT."""
    engine = blog_app.extensions["blog"]["engine"]
    seen: list[orm.Session] = []

    def after_commit(session: orm.Session) -> None:
        if session.get_bind() is engine:
            seen.append(session)

    event.listen(orm.Session, "after_commit", after_commit)
    try:
        yield seen
    finally:
        event.remove(orm.Session, "after_commit", after_commit)


@pytest.fixture
def answers_500(blog_app: Any) -> None:
    """Unexpected exceptions answered with a 500 document even though ``TESTING`` is on."""
    blog_app.config["PROPAGATE_EXCEPTIONS"] = False


def _new_article(**relationships: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "articles", "attributes": {"title": "New"}}
    if relationships:
        data["relationships"] = {k: {"data": v} for k, v in relationships.items()}
    return {"data": data}


def _assert_still_works(client: JsonApiClient, db_session: Any) -> None:
    """The next request after a failure succeeds and is stored."""
    response = client.post("/tags", json={"data": {"type": "tags", "attributes": {"name": "ok"}}})
    assert response.status_code == 201, response.document
    assert db_session.get(Tag, int(response.document["data"]["id"])).name == "ok"
    db_session.remove()


# -- TX-1: failures found after part of the work was done -------------------------------------


def test_tx_1_create_with_missing_related_resource_stores_nothing(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """CRT-11: a missing related author -> 404, no article row; the next request works."""
    before = snapshot(db_session)
    body = _new_article(author={"type": "authors", "id": "999"})
    error = only_error(client.post("/articles", json=body), 404)
    assert error["source"] == {"pointer": "/data/relationships/author/data"}
    assert snapshot(db_session) == before
    _assert_still_works(client, db_session)


def test_tx_1_update_with_missing_related_resource_changes_nothing(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """UPD-11: title and tags of a refused PATCH are not applied."""
    before = snapshot(db_session)
    article_id = str(stored["article"])
    body = {
        "data": {
            "type": "articles",
            "id": article_id,
            "attributes": {"title": "Changed"},
            "relationships": {
                "tags": {"data": [{"type": "tags", "id": "999"}]},
                "author": {"data": {"type": "authors", "id": str(stored["bob"])}},
            },
        }
    }
    only_error(client.patch(f"/articles/{article_id}", json=body), 404)
    assert snapshot(db_session) == before
    _assert_still_works(client, db_session)


def test_tx_1_unique_violation_on_create_is_409(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """CRT-12/UPD-12: a duplicate unique value -> 409, nothing stored, session usable."""
    before = snapshot(db_session)
    body = {
        "data": {"type": "authors", "attributes": {"name": "Ann 2", "email": "ann@example.org"}}
    }
    error = only_error(client.post("/authors", json=body), 409)
    assert error["title"] == "Conflict"
    for internal in ("UNIQUE", 'unique constraint "', "duplicate key", "INSERT"):
        assert internal not in error["detail"]
    assert snapshot(db_session) == before
    _assert_still_works(client, db_session)


def test_tx_1_unique_violation_on_update_is_409(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """UPD-12: the name sent alongside a duplicate email is not applied either."""
    before = snapshot(db_session)
    bob = str(stored["bob"])
    attributes = {"name": "Robert", "email": "ann@example.org"}
    body = {"data": {"type": "authors", "id": bob, "attributes": attributes}}
    only_error(client.patch(f"/authors/{bob}", json=body), 409)
    assert snapshot(db_session) == before
    _assert_still_works(client, db_session)
    assert client.get(f"/authors/{bob}").document["data"]["attributes"]["name"] == "Bob"


def test_tx_1_two_conflicts_in_a_row_then_success(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """The session recovers after each failure, not only after the first."""
    body = {"data": {"type": "tags", "attributes": {"name": "python"}}}
    assert client.post("/tags", json=body).status_code == 409
    assert client.post("/tags", json=body).status_code == 409
    _assert_still_works(client, db_session)


# -- TX-1: an exception after the repository flushed --------------------------------------------


def _fail_after(original: Any, error: Exception) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise error

    return wrapper


@pytest.mark.parametrize(
    "error",
    [RuntimeError("after flush"), exceptions.ForbiddenError("Refused after the insert.")],
    ids=["unexpected-500", "jsonapi-403"],
)
def test_tx_1_failure_after_create_flush_rolls_back(
    answers_500: None,
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    """The INSERT was flushed, then building the document failed: no new row."""
    before = snapshot(db_session)
    monkeypatch.setattr(
        ResourceBase, "resource_document", _fail_after(ResourceBase.resource_document, error)
    )
    body = _new_article(tags=[{"type": "tags", "id": str(stored["tag"])}])
    response = client.post("/articles", json=body)
    only_error(response, 500 if isinstance(error, RuntimeError) else 403)
    assert snapshot(db_session) == before
    monkeypatch.undo()
    _assert_still_works(client, db_session)


def test_tx_1_failure_after_update_flush_rolls_back(
    answers_500: None,
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The UPDATE (attributes and to-many tags) was flushed, then the view failed."""
    before = snapshot(db_session)
    monkeypatch.setattr(
        ResourceService, "update", _fail_after(ResourceService.update, RuntimeError("late"))
    )
    article_id = str(stored["article"])
    body = {
        "data": {
            "type": "articles",
            "id": article_id,
            "attributes": {"title": "Changed", "views": 10},
            "relationships": {"tags": {"data": []}, "author": {"data": None}},
        }
    }
    only_error(client.patch(f"/articles/{article_id}", json=body), 500)
    assert snapshot(db_session) == before


def test_tx_1_failure_after_delete_flush_rolls_back(
    answers_500: None,
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The DELETE was flushed, then the view failed: the article and its tag link remain."""
    before = snapshot(db_session)
    monkeypatch.setattr(
        ResourceService, "delete", _fail_after(ResourceService.delete, RuntimeError("late"))
    )
    only_error(client.delete(f"/articles/{stored['article']}"), 500)
    assert snapshot(db_session) == before


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_tx_1_exception_raised_to_the_test_still_rolls_back(
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    """Under TESTING the exception after the flush reaches the test; nothing is stored and
    the session stays usable."""
    before = snapshot(db_session)
    service_method = {"POST": "create", "PATCH": "update", "DELETE": "delete"}[method]
    original = getattr(ResourceService, service_method)
    monkeypatch.setattr(
        ResourceService, service_method, _fail_after(original, RuntimeError("late"))
    )
    article = f"/articles/{stored['article']}"
    with pytest.raises(RuntimeError, match="late"):
        if method == "POST":
            client.post(
                "/articles", json=_new_article(author={"type": "authors", "id": str(stored["bob"])})
            )
        elif method == "PATCH":
            body = {"data": {"type": "articles", "id": str(stored["article"])}}
            body["data"]["attributes"] = {"title": "Changed"}
            client.patch(article, json=body)
        else:
            client.delete(article)
    assert snapshot(db_session) == before
    monkeypatch.undo()
    _assert_still_works(client, db_session)


# -- one commit per request --------------------------------------------------------------------


def test_tx_1_one_commit_per_write(
    client: JsonApiClient, stored: dict[str, int], commits: list[orm.Session]
) -> None:
    """POST, PATCH and DELETE each commit exactly once."""
    created = client.post("/articles", json=_new_article(author={"type": "authors", "id": "1"}))
    assert created.status_code == 201
    assert len(commits) == 1
    new_id = created.document["data"]["id"]
    body = {"data": {"type": "articles", "id": new_id, "attributes": {"title": "Edited"}}}
    assert client.patch(f"/articles/{new_id}", json=body).status_code == 200
    assert len(commits) == 2
    assert client.delete(f"/articles/{new_id}").status_code == 204
    assert len(commits) == 3


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("POST", "/articles", {"data": {"type": "articles", "attributes": {"views": -1}}}, 422),
        ("POST", "/tags", {"data": {"type": "tags", "attributes": {"name": "python"}}}, 409),
        ("PATCH", "/articles/999", {"data": {"type": "articles", "id": "999"}}, 404),
        ("DELETE", "/articles/999", None, 404),
    ],
    ids=["invalid", "conflict", "patch-missing", "delete-missing"],
)
def test_tx_1_failed_write_commits_nothing(
    client: JsonApiClient,
    stored: dict[str, int],
    commits: list[orm.Session],
    method: str,
    url: str,
    body: Any,
    status: int,
) -> None:
    """A refused write never reaches COMMIT."""
    kwargs = {"json": body} if body is not None else {}
    assert client.open(url, method=method, **kwargs).status_code == status
    assert commits == []


def test_reads_commit_at_most_once(
    client: JsonApiClient, stored: dict[str, int], commits: list[orm.Session]
) -> None:
    """A GET ends its transaction once at most (no commit per statement)."""
    response = client.get("/articles?include=author,tags")
    assert response.status_code == 200
    assert len(response.document["data"]) == 1
    assert len(commits) <= 1
