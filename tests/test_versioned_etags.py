"""ETags from a version column (SQLAlchemy's ``version_id_col``) and ``If-Match`` as the
versioned write's compare-and-set (flask_jsonapi/conditional.py, docs/concurrency.md).

The model is ``tests/support/versioned.py``'s ``notes``. A tag of a note without
``include`` is ``"v<version>-<hash of URL and media type>"``: it changes exactly when
the version does; with ``include`` it is the document's hash (an included row changes
without changing the note's version).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import sqlalchemy as sa

from flask_jsonapi import Policy, conditional
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.sql_counter import count_statements
from tests.support.versioned import Note, note_row, versioned_app

VERSION_TAG = re.compile(r'^"v(\d+)-[0-9a-f]{16}"$')
HASH_TAG = re.compile(r'^"[0-9a-f]{32}"$')
MEDIA_TYPE = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'


@pytest.fixture
def app(database_url: str) -> Iterator[flask.Flask]:
    app = versioned_app(database_url)
    yield app
    app.extensions["versioned"]["session"].remove()
    app.extensions["versioned"]["engine"].dispose()


@pytest.fixture
def client(app: flask.Flask) -> JsonApiClient:
    return app.test_client()


def etag(client: JsonApiClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["ETag"]


def version_of(tag: str) -> int:
    match = VERSION_TAG.match(tag)
    assert match, tag
    return int(match.group(1))


def title(text: str, id_: str = "1") -> dict[str, Any]:
    return {"data": {"type": "notes", "id": id_, "attributes": {"title": text}}}


def precondition_failed(response: Any) -> None:
    error = only_error(response, 412)
    assert error["source"] == {"header": "If-Match"}
    assert "ETag" not in response.headers


def test_get_etag_changes_exactly_when_the_version_changes(
    app: flask.Flask, client: JsonApiClient
) -> None:
    """The tag names the row's version; reads, a write of another note and a change of the
    related shelf leave it as it is; a PATCH (version 2) changes it, and the PATCH answers
    the tag the next GET answers."""
    first = etag(client, "/notes/1")
    assert version_of(first) == 1
    assert etag(client, "/notes/1") == first
    assert client.patch("/notes/2", json=title("other", "2")).status_code == 200
    assert (
        client.patch(
            "/shelves/1", json={"data": {"type": "shelves", "id": "1", "attributes": {"name": "x"}}}
        ).status_code
        == 200
    )
    assert etag(client, "/notes/1") == first
    patched = client.patch("/notes/1", json=title("changed"))
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert note_row(app, 1) == ("changed", 2, 1)
    second = etag(client, "/notes/1")
    assert version_of(second) == 2
    assert second != first
    assert patched.headers["ETag"] == second


def test_representations_of_one_version_have_distinct_tags(client: JsonApiClient) -> None:
    """Sparse fields make another representation, with another tag of the same version;
    ``include`` falls back to the document's hash, which changes with the included row."""
    plain = etag(client, "/notes/1")
    sparse = etag(client, "/notes/1?fields[notes]=title")
    assert version_of(sparse) == version_of(plain) == 1
    assert sparse != plain
    included = etag(client, "/notes/1?include=shelf")
    assert HASH_TAG.match(included)
    client.patch(
        "/shelves/1", json={"data": {"type": "shelves", "id": "1", "attributes": {"name": "x"}}}
    )
    assert etag(client, "/notes/1?include=shelf") != included
    assert etag(client, "/notes/1") == plain


def test_collections_keep_the_document_hash(client: JsonApiClient) -> None:
    assert HASH_TAG.match(etag(client, "/notes"))


def test_if_none_match_with_the_version_tag_is_304(client: JsonApiClient) -> None:
    tag = etag(client, "/notes/1")
    response = client.get("/notes/1", headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert response.headers["ETag"] == tag
    assert response.get_data() == b""


def test_post_answers_the_tag_get_of_the_new_resource_answers(client: JsonApiClient) -> None:
    created = client.post("/notes", json={"data": {"type": "notes", "attributes": {"title": "n"}}})
    assert created.status_code == 201, created.get_data(as_text=True)
    id_ = created.document["data"]["id"]
    assert version_of(created.headers["ETag"]) == 1
    assert created.headers["ETag"] == etag(client, f"/notes/{id_}")


def test_stale_if_match_on_patch_is_412_and_nothing_is_written(
    app: flask.Flask, client: JsonApiClient
) -> None:
    old = etag(client, "/notes/1")
    fresh = client.patch("/notes/1", json=title("one"), headers={"If-Match": old})
    assert fresh.status_code == 200, fresh.get_data(as_text=True)
    precondition_failed(client.patch("/notes/1", json=title("two"), headers={"If-Match": old}))
    assert note_row(app, 1) == ("one", 2, 1)
    # A tag of another URL of the same version does not pass either.
    sparse = etag(client, "/notes/1?fields[notes]=title")
    precondition_failed(client.patch("/notes/1", json=title("two"), headers={"If-Match": sparse}))
    assert note_row(app, 1) == ("one", 2, 1)


def test_stale_if_match_on_delete_is_412_and_the_row_stays(
    app: flask.Flask, client: JsonApiClient
) -> None:
    old = etag(client, "/notes/1")
    assert client.patch("/notes/1", json=title("one")).status_code == 200
    precondition_failed(client.delete("/notes/1", headers={"If-Match": old}))
    assert note_row(app, 1) == ("one", 2, 1)
    fresh = etag(client, "/notes/1")
    assert client.delete("/notes/1", headers={"If-Match": fresh}).status_code == 204
    assert note_row(app, 1) is None


def test_patch_with_if_match_is_one_versioned_update_without_a_lock(
    app: flask.Flask, client: JsonApiClient
) -> None:
    """The compare-and-set is the write itself: ``UPDATE ... WHERE id AND version``, no
    ``SELECT ... FOR UPDATE`` first."""
    tag = etag(client, "/notes/1")
    with count_statements(app.extensions["versioned"]["engine"]) as counter:
        response = client.patch("/notes/1", json=title("cas"), headers={"If-Match": tag})
    assert response.status_code == 200, response.get_data(as_text=True)
    statements = [" ".join(s.split()).upper() for s in counter.statements]
    assert not [s for s in statements if "FOR UPDATE" in s or "FOR NO KEY UPDATE" in s]
    (update,) = [s for s in statements if s.startswith("UPDATE")]
    assert re.search(r"WHERE VER_NOTES.ID = .* AND VER_NOTES.VERSION = ", update), update


def test_a_write_between_check_and_flush_is_412_not_a_retry(
    app: flask.Flask, client: JsonApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another transaction commits version 2 after this request compared version 1: the
    versioned UPDATE matches no row (StaleDataError), the answer is 412 at once (no second
    try, no 409) and the row keeps the other writer's change."""
    tag = etag(client, "/notes/1")
    calls: list[int] = []
    original = SqlAlchemyModelRepository.update

    def racing_update(self: Any, data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        _other_writer_changes_note_1(self, app.extensions["versioned"]["engine"])
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(SqlAlchemyModelRepository, "update", racing_update)
    precondition_failed(client.patch("/notes/1", json=title("mine"), headers={"If-Match": tag}))
    assert calls == [1]
    if app.extensions["versioned"]["engine"].dialect.name != "sqlite":
        expected = ("other", 2, 1)  # committed by the other transaction
    else:
        expected = ("first", 1, 1)  # the same transaction, rolled back with the request
    assert note_row(app, 1) == expected


def test_atomic_if_match_takes_the_version_tag(app: flask.Flask, client: JsonApiClient) -> None:
    tag = etag(client, "/notes/1")

    def update(text: str) -> Any:
        op = {"op": "update", **title(text), "meta": {"ifMatch": tag}}
        return client.post(
            "/operations",
            json={"atomic:operations": [op]},
            headers={"Content-Type": ATOMIC, "Accept": ATOMIC},
        )

    assert update("atomic").status_code == 200
    stale = update("again")
    assert stale.status_code == 412, stale.get_data(as_text=True)
    assert note_row(app, 1) == ("atomic", 2, 1)


def test_two_writers_with_one_tag_one_wins(app: flask.Flask) -> None:
    """PostgreSQL: writers that send the same tag at the same moment: one 200, the others
    412, and the row holds the winner's title at version 2 (several rounds)."""
    if app.extensions["versioned"]["engine"].dialect.name != "postgresql":
        pytest.skip("concurrent transactions need a database server (JSONAPI_TEST_DATABASE_URL)")
    for round_ in range(5):
        tag = etag(app.test_client(), "/notes/1")
        answers = _together(app, [f"w{round_}-{index}" for index in range(4)], tag)
        statuses = sorted(getattr(answer, "status_code", answer) for answer in answers)
        assert statuses == [200, 412, 412, 412], answers
        (winner,) = [i for i, answer in enumerate(answers) if answer.status_code == 200]
        assert note_row(app, 1) == (f"w{round_}-{winner}", round_ + 2, 1)


def _together(app: flask.Flask, titles: list[str], tag: str) -> list[Any]:
    """PATCHes of note 1 with ``If-Match: tag``, one per title, each in its own thread,
    released together; the answers in order (an exception is kept as the answer)."""
    barrier = threading.Barrier(len(titles))
    answers: list[Any] = [None] * len(titles)

    def write(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            answers[index] = client.patch(
                "/notes/1", json=title(titles[index]), headers={"If-Match": tag}
            )
        except Exception as error:  # noqa: BLE001 - a 500 under TESTING propagates
            answers[index] = error

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(titles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_if_match_star_with_a_racing_write_is_run_again_not_412(
    app: flask.Flask, client: JsonApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``If-Match: *`` holds for any version: a versioned UPDATE that found another one
    is a transaction conflict, run again (``conflicts``), and the second try writes."""
    calls: list[int] = []
    original = SqlAlchemyModelRepository.update
    engine = app.extensions["versioned"]["engine"]

    def racing_once(self: Any, data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            _other_writer_changes_note_1(self, engine)
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(SqlAlchemyModelRepository, "update", racing_once)
    response = client.patch("/notes/1", json=title("mine"), headers={"If-Match": "*"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert calls == [1, 1]
    # SQLite: the racing change ran in the first try's transaction, rolled back with it.
    version = 2 if engine.dialect.name == "sqlite" else 3
    assert note_row(app, 1) == ("mine", version, 1)
    assert version_of(response.headers["ETag"]) == version


class HideSecond(Policy):
    """Note 2 is hidden by an object check (no SQL scope)."""

    def visible(self, obj: Any) -> bool:
        return obj.id != 2


def test_a_note_hidden_by_an_object_check_is_404_whatever_the_tag(database_url: str) -> None:
    """The version of a hidden row is never compared: a guessed tag gets 404 (not 304 or
    412, which would tell that the row exists), and nothing is written."""
    app = versioned_app(database_url, note_policy=HideSecond())
    try:
        client = app.test_client()
        assert VERSION_TAG.match(etag(client, "/notes/1"))
        only_error(client.get("/notes/2"), 404)
        # The tag note 2 would have: version 1, its URL, the plain media type.
        guessed = conditional.version_etag(1, "http://localhost/notes/2", MEDIA_TYPE)
        for tag in (guessed, "*"):
            only_error(client.get("/notes/2", headers={"If-None-Match": tag}), 404)
            only_error(
                client.patch("/notes/2", json=title("x", "2"), headers={"If-Match": tag}), 404
            )
            only_error(client.delete("/notes/2", headers={"If-Match": tag}), 404)
        assert note_row(app, 2) == ("second", 1, 1)
    finally:
        app.extensions["versioned"]["session"].remove()
        app.extensions["versioned"]["engine"].dispose()


def _other_writer_changes_note_1(repository: Any, engine: sa.Engine) -> None:
    """Another writer commits note 1 at version 2 while this request's write is under way."""
    change = sa.update(Note.__table__).where(Note.__table__.c.id == 1)
    change = change.values(title="other", version=2)
    if engine.dialect.name == "sqlite":
        # One connection (in-memory database): the other writer's UPDATE runs in ours.
        repository.get_session().connection().execute(change)
    else:
        with engine.begin() as other:
            other.execute(change)
