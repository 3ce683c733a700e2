"""The demo's rule (``ArticlePolicy`` in ``examples/blog/api.py``): a draft article is seen
only by its author, named by ``Authorization: Bearer <author id>``, on every path; the
README shows it from curl."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from examples.blog.models import Comment
from tests.support.client import JsonApiClient

ANN = {"Authorization": "Bearer 1"}
BOB = {"Authorization": "Bearer 2"}


def _author(client: JsonApiClient, name: str) -> str:
    body = {"data": {"type": "authors", "attributes": {"name": name, "email": f"{name}@x.org"}}}
    return client.post("/authors", json=body).document["data"]["id"]


def _article(client: JsonApiClient, author: str, *, draft: bool, headers: Any = None) -> Any:
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "Secret plans" if draft else "Hello", "draft": draft},
            "relationships": {"author": {"data": {"type": "authors", "id": author}}},
        }
    }
    return client.post("/articles", json=body, headers=headers or {})


@pytest.fixture
def drafts(client: JsonApiClient) -> dict[str, str]:
    """Ann (author 1) has a draft (article 1) and a published article (article 2)."""
    assert (_author(client, "ann"), _author(client, "bob")) == ("1", "2")
    draft = _article(client, "1", draft=True, headers=ANN)
    assert draft.status_code == 201, draft.document
    published = _article(client, "1", draft=False)
    assert published.status_code == 201
    ids = {"draft": draft.document["data"]["id"], "published": published.document["data"]["id"]}
    assert ids == {"draft": "1", "published": "2"}
    return ids


def test_a_draft_is_seen_by_its_author_only(client: JsonApiClient, drafts: dict) -> None:
    url = f"/articles/{drafts['draft']}"
    assert client.get(url, headers=ANN).document["data"]["attributes"]["draft"] is True
    for headers in ({}, BOB):
        hidden = client.get(url, headers=headers)
        missing = client.get("/articles/99", headers=headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.document["errors"][0]["detail"] == missing.document["errors"][0][
            "detail"
        ].replace("99", drafts["draft"])


@pytest.mark.parametrize(
    "url",
    [
        "/articles",
        "/authors/1?include=articles",
        "/authors/1/articles",
        "/authors/1/relationships/articles",
        "/authors?filter[articles][title]=Secret plans",
        "/articles?filter[title]=Secret plans",
    ],
)
def test_other_paths_leave_the_draft_out(client: JsonApiClient, drafts: dict, url: str) -> None:
    for headers, sees in (({}, False), (BOB, False), (ANN, True)):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.document == _without_draft(response.document) or sees
        if sees and "filter" not in url:
            assert response.document != _without_draft(response.document)
    assert client.get("/articles").document["meta"]["count"] == 1
    assert client.get("/authors/1/articles").document["meta"]["count"] == 1
    assert client.get("/authors/1/relationships/articles").document["meta"]["count"] == 1


def _without_draft(value: Any) -> Any:
    """``value`` with every mention of the draft (article 1) taken out."""
    if isinstance(value, dict):
        if value.get("type") == "articles" and value.get("id") == "1":
            return None
        return {k: _without_draft(v) for k, v in value.items() if v != "Secret plans"}
    if isinstance(value, list):
        return [v for v in map(_without_draft, value) if v is not None]
    return value


@pytest.mark.parametrize(
    "query",
    ["", "?filter[title]=Secret plans", "?sort=-title&fields[articles]=title"],
    ids=["list", "filtered", "sorted-sparse"],
)
def test_one_url_asked_by_clients_in_turn_gets_each_its_own_rows_and_count(
    client: JsonApiClient, drafts: dict, query: str
) -> None:
    """The statements of a list are kept per query and per policy criterion: the same URL
    asked in turn by the draft's author, an anonymous client and another author gives each
    their own rows and ``meta.count``, every time."""
    url = f"/articles{query}"
    expected = {
        "ann": [drafts["draft"], drafts["published"]],
        "anonymous": [drafts["published"]],
        "bob": [drafts["published"]],
    }
    if "filter" in query:
        expected = {"ann": [drafts["draft"]], "anonymous": [], "bob": []}
    for _ in range(3):
        for who, headers in (("ann", ANN), ("anonymous", {}), ("bob", BOB)):
            document = client.get(url, headers=headers).document
            assert sorted(item["id"] for item in document["data"]) == expected[who], who
            assert document["meta"]["count"] == len(expected[who]), who


def test_a_draft_is_written_by_its_author_only(client: JsonApiClient, drafts: dict) -> None:
    draft_url = f"/articles/{drafts['draft']}"
    body = {"data": {"type": "articles", "id": drafts["draft"], "attributes": {"title": "x"}}}
    assert client.patch(draft_url, json=body, headers=BOB).status_code == 404
    assert client.delete(draft_url, headers=BOB).status_code == 404
    # Nobody makes a draft that they could not see themselves (anonymous, or for another).
    for headers in ({}, BOB):
        refused = _article(client, "1", draft=True, headers=headers)
        assert refused.status_code == 403
        (error,) = refused.document["errors"]
        assert error["source"] == {"pointer": "/data"}  # ERR-8: the resource written
        assert error["detail"] == "This write would put the resource out of your reach."
    published = f"/articles/{drafts['published']}"
    to_draft = {
        "data": {"type": "articles", "id": drafts["published"], "attributes": {"draft": True}}
    }
    refused = client.patch(published, json=to_draft, headers=BOB)
    assert refused.status_code == 403
    assert refused.document["errors"][0]["source"] == {"pointer": "/data"}
    assert client.get(published).document["data"]["attributes"]["draft"] is False
    assert client.patch(draft_url, json=body, headers=ANN).status_code == 200


def test_scoped_requests_send_as_many_statements(client: JsonApiClient, sql_counter) -> None:
    """The scope is one more condition in the same statements (the fast path serves it)."""
    for name in ("ann", "bob"):
        _author(client, name)
    for draft in (True, False, False):
        _article(client, "1", draft=draft, headers=ANN)
    for headers in ({}, ANN):
        with sql_counter() as counter:
            response = client.get("/articles?include=author,comments", headers=headers)
        assert response.status_code == 200
        assert counter.count == 4, counter  # page, count, authors, comments
        page, count = counter.statements[0], counter.statements[-1]
        assert "WHERE articles.draft" in page and "WHERE articles.draft" in count, counter


def test_a_hidden_draft_is_no_related_resource_of_a_write(
    client: JsonApiClient, drafts: dict, db_session: Any
) -> None:
    """CRT-*/UPD-*: a comment on a draft its author cannot see, created or moved there, is
    a 404 exactly like a comment on a missing article, and nothing is written; the draft's
    author may do both."""

    def comment(article: str, id_: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "comments",
            "attributes": {"body": "hi"},
            "relationships": {"article": {"data": {"type": "articles", "id": article}}},
        }
        return {"data": {**data, "id": id_} if id_ else data}

    first = client.post("/comments", json=comment(drafts["published"]), headers=BOB)
    assert first.status_code == 201, first.document
    first_id = first.document["data"]["id"]
    for headers in ({}, BOB):
        hidden = client.post("/comments", json=comment(drafts["draft"]), headers=headers)
        missing = client.post("/comments", json=comment("99"), headers=headers)
        assert hidden.status_code == missing.status_code == 404, hidden.document
        moved = client.patch(
            f"/comments/{first_id}", json=comment(drafts["draft"], first_id), headers=headers
        )
        assert moved.status_code == 404, moved.document
    rows = db_session.execute(sa.select(Comment.id, Comment.article_id)).all()
    assert [tuple(row) for row in rows] == [(int(first_id), int(drafts["published"]))]
    db_session.remove()
    assert client.post("/comments", json=comment(drafts["draft"]), headers=ANN).status_code == 201
    moved = client.patch(
        f"/comments/{first_id}", json=comment(drafts["draft"], first_id), headers=ANN
    )
    assert moved.status_code == 200, moved.document


@pytest.mark.parametrize("row_writes", [True, False], ids=["row-writes", "orm"])
def test_a_write_out_of_the_writers_reach_is_403_on_every_path(
    blog_app, client: JsonApiClient, drafts: dict, row_writes: bool
) -> None:
    """Bob turning Ann's published article into a draft would hide it from him: 403 naming
    the resource, the same answer whether one statement or the ORM writes it; nothing
    changes."""
    blog_app.config["JSONAPI_ROW_WRITES"] = row_writes
    published = f"/articles/{drafts['published']}"
    body = {"data": {"type": "articles", "id": drafts["published"], "attributes": {"draft": True}}}
    refused = client.patch(published, json=body, headers=BOB)
    assert refused.status_code == 403
    (error,) = refused.document["errors"]
    assert error["source"] == {"pointer": "/data"}
    assert error["detail"] == "This write would put the resource out of your reach."
    assert client.get(published).document["data"]["attributes"]["draft"] is False
    assert client.patch(published, json=body, headers=ANN).status_code == 200
