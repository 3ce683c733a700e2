"""``flask_jsonapi.testing``: the client, the body builders, the readers and the assertion."""

from __future__ import annotations

from typing import Any

import flask
import pytest

from flask_jsonapi.testing import (
    JsonApiClient,
    assert_valid_document,
    document_of,
    error_pointers,
    find_included,
    identifier,
    linkage,
    primary_ids,
    resource,
    resource_object,
)


def test_resource_builds_a_request_body() -> None:
    body = resource(
        "articles",
        {"title": "T"},
        {
            "author": ("authors", 1),
            "tags": [("tags", "2"), ("tags", 3)],
            "editor": None,
            "reviewer": {"type": "authors", "id": "4"},
        },
        id=7,
        meta={"note": "x"},
    )
    assert body == {
        "data": {
            "type": "articles",
            "id": "7",
            "attributes": {"title": "T"},
            "relationships": {
                "author": {"data": {"type": "authors", "id": "1"}},
                "tags": {"data": [{"type": "tags", "id": "2"}, {"type": "tags", "id": "3"}]},
                "editor": {"data": None},
                "reviewer": {"data": {"type": "authors", "id": "4"}},
            },
            "meta": {"note": "x"},
        }
    }
    assert resource("tags") == {"data": {"type": "tags"}}
    assert resource_object("tags", lid="a") == {"type": "tags", "lid": "a"}
    assert linkage([]) == {"data": []}
    assert identifier("tags", 5) == {"type": "tags", "id": "5"}
    with pytest.raises(TypeError, match="not a linkage"):
        linkage("tags")


def test_plain_flask_client_gets_415_where_the_jsonapi_client_creates(
    blog_app: flask.Flask, db_session: Any
) -> None:
    """``json=`` is sent as application/vnd.api+json, so the POST is taken."""
    body = resource("tags", {"name": "python"})
    plain = flask.testing.FlaskClient(blog_app, blog_app.response_class)
    assert plain.post("/tags", json=body).status_code == 415

    client = JsonApiClient(blog_app)
    created = client.post("/tags", json=body)

    assert created.status_code == 201
    assert created.request.headers["Content-Type"] == "application/vnd.api+json"
    assert created.request.headers["Accept"] == "application/vnd.api+json"
    assert primary_ids(created) == created.document["data"]["id"]
    assert assert_valid_document(created) == created.document


def test_readers_on_a_compound_document(blog_app: flask.Flask, db_session: Any) -> None:
    client = JsonApiClient(blog_app)
    author = client.post("/authors", json=resource("authors", {"name": "A", "email": "a@x.org"}))
    author_id = author.document["data"]["id"]
    client.post(
        "/articles", json=resource("articles", {"title": "T"}, {"author": ("authors", author_id)})
    )

    listed = client.get("/articles?include=author")

    assert primary_ids(listed) == ["1"]
    assert find_included(listed, "authors", author_id)["attributes"]["name"] == "A"
    with pytest.raises(AssertionError, match=r"\('authors', '99'\) is not included"):
        find_included(listed, "authors", 99)
    assert primary_ids({"data": None}) is None
    assert document_of(listed) == listed.document


def test_error_pointers(blog_app: flask.Flask, db_session: Any) -> None:
    client = JsonApiClient(blog_app)
    assert error_pointers(client.post("/tags", json=resource("tags", {"name": 3}))) == [
        ("422", "/data/attributes/name")
    ]
    assert error_pointers(client.get("/tags?sort=nope")) == [("400", "sort")]
    with pytest.raises(AssertionError, match="no 'errors' member"):
        error_pointers({"data": []})


def test_assert_valid_document_lists_the_problems() -> None:
    with pytest.raises(AssertionError, match=r"\$\.data\.id: 1 is not of type 'string'"):
        assert_valid_document({"data": {"type": "tags", "id": 1}})
    with pytest.raises(AssertionError, match=r"\$\.data"):
        assert_valid_document({"data": {"type": "tags"}}, version="1.0")


def test_assert_valid_document_checks_the_media_type() -> None:
    app = flask.Flask(__name__)
    app.add_url_rule("/plain", "plain", lambda: {"data": None})
    app.add_url_rule("/empty", "empty", lambda: ("", 204))
    client = JsonApiClient(app)
    with pytest.raises(AssertionError, match="media type is 'application/json'"):
        assert_valid_document(client.get("/plain"))
    with pytest.raises(AssertionError, match=r"response \(204 NO CONTENT\) has no body"):
        document_of(client.get("/empty"))
