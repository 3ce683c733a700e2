"""Error documents for bad request bodies (ERR-*, CRT-1, CRT-2, UPD-1, UPD-15, ID-2).

Each bad input is its own case: the HTTP status, the error object's ``status`` (a
string), ``title``, ``detail`` and ``source``, and that the database did not change.
"""

from __future__ import annotations

from typing import Any

import pytest

from examples.blog.models import Article, Author
from tests.support.client import JsonApiClient
from tests.support.error_checks import MEDIA_TYPE, only_error, snapshot


@pytest.fixture
def stored(db_session: Any) -> dict[str, int]:
    """One author and one article by them."""
    author = Author(name="Ann", email="ann@example.org")
    article = Article(title="Stored", body="text", views=3, author=author)
    db_session.add_all([author, article])
    db_session.commit()
    ids = {"author": author.id, "article": article.id}
    db_session.remove()
    return ids


def post_raw(client: JsonApiClient, body: bytes, url: str = "/articles") -> Any:
    return client.post(url, data=body, content_type=MEDIA_TYPE)


# -- 400: the body is not a JSON:API resource document --------------------------------------


INVALID_DOCUMENTS = {
    "malformed-json": (b'{"data": {"type": ', "not valid JSON", ""),
    "empty-body": (b"", "empty", ""),
    "blank-body": (b" \r\n\t ", "The request body is empty", ""),
    "array-body": (b"[]", "The request document must be an object.", ""),
    "string-body": (b'"x"', "must be an object", ""),
    "number-body": (b"1", "must be an object", ""),
    "null-body": (b"null", "must be an object", ""),
    "missing-data": (b'{"meta": {}}', "The request document needs a 'data' member.", ""),
    "data-null": (b'{"data": null}', "must be an object", "/data"),
    "data-array": (b'{"data": [{"type": "articles"}]}', "single resource object", "/data"),
    "data-string": (b'{"data": "articles"}', "must be an object", "/data"),
    "missing-type": (b'{"data": {"attributes": {"title": "x"}}}',
                     "The resource object needs a 'type' string.", "/data"),
    "type-not-string": (b'{"data": {"type": 7, "attributes": {"title": "x"}}}', "'type'",
                        "/data/type"),
    "id-not-string": (b'{"data": {"type": "articles", "id": 5}}', "'id' must be a string",
                      "/data/id"),
    "attributes-array": (b'{"data": {"type": "articles", "attributes": []}}', "attributes",
                         "/data/attributes"),
    "relationships-array": (b'{"data": {"type": "articles", "relationships": []}}',
                            "relationships must be an object.", "/data/relationships"),
    "relationship-not-object": (
        b'{"data": {"type": "articles", "relationships": {"author": 1}}}', "relationship",
        "/data/relationships/author"),
    "relationship-without-data": (
        b'{"data": {"type": "articles", "attributes": {"title": "x"},'
        b' "relationships": {"author": {"meta": {}}}}}', "'data'", "/data/relationships/author"),
    "identifier-without-id": (
        b'{"data": {"type": "articles", "attributes": {"title": "x"},'
        b' "relationships": {"author": {"data": {"type": "authors"}}}}}',
        "A resource identifier needs an 'id' (or 'lid').", "/data/relationships/author/data"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "detail", "pointer"), INVALID_DOCUMENTS.values(), ids=INVALID_DOCUMENTS.keys()
)
def test_err_3_crt_1_invalid_post_document_is_400(
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    body: bytes,
    detail: str,
    pointer: str,
) -> None:
    """ERR-3/ERR-8/CRT-1/CRT-2: 400 with a pointer to a value present in the request."""
    before = snapshot(db_session)
    error = only_error(post_raw(client, body), 400)
    assert error["title"] == "Invalid request document"
    assert detail in error["detail"]
    assert error["source"] == {"pointer": pointer}
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    ("body", "detail", "pointer"),
    [
        (b'{"data": {"type": "articles", "attributes": {"title": "x"}}}', "'id'", "/data"),
        (b'{"data": [{"type": "articles", "id": "{id}"}]}', "single resource", "/data"),
        (b'{"data": null}', "must be an object", "/data"),
    ],
    ids=["missing-id", "data-array", "data-null"],
)
def test_upd_1_invalid_patch_document_is_400(
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    body: bytes,
    detail: str,
    pointer: str,
) -> None:
    """UPD-1: a PATCH without ``id``, with an array or with null data -> 400."""
    before = snapshot(db_session)
    article_id = stored["article"]
    body = body.replace(b"{id}", str(article_id).encode())
    response = client.patch(f"/articles/{article_id}", data=body, content_type=MEDIA_TYPE)
    error = only_error(response, 400)
    assert error["title"] == "Invalid request document"
    assert detail in error["detail"]
    assert error["source"] == {"pointer": pointer}
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[]", "The request document must be an object."),
        (b'{"meta": {}}', "The request document needs a 'data' member."),
    ],
    ids=["array-body", "missing-data"],
)
def test_urel_1_invalid_relationship_document_is_400(
    client: JsonApiClient, db_session: Any, stored: dict[str, int], body: bytes, detail: str
) -> None:
    """URel-1/ERR-3: a relationship endpoint's body that is not ``{"data": ...}`` -> 400 whose
    detail says what is wrong, pointing at the document's root; nothing changes."""
    before = snapshot(db_session)
    url = f"/articles/{stored['article']}/relationships/tags"
    error = only_error(client.patch(url, data=body, content_type=MEDIA_TYPE), 400)
    assert error["detail"] == detail
    assert error["source"] == {"pointer": ""}
    assert snapshot(db_session) == before


@pytest.mark.parametrize("method", ["post", "patch"])
def test_err_3_resource_document_without_data_is_400(
    client: JsonApiClient, db_session: Any, stored: dict[str, int], method: str
) -> None:
    """ERR-3/CRT-1/UPD-1: a POST or PATCH body without ``data`` -> 400 whose detail is
    exactly the sentence saying so, pointing at the document's root; nothing changes."""
    before = snapshot(db_session)
    url = "/articles" if method == "post" else f"/articles/{stored['article']}"
    response = getattr(client, method)(url, data=b'{"meta": {}}', content_type=MEDIA_TYPE)
    error = only_error(response, 400)
    assert error["detail"] == "The request document needs a 'data' member."
    assert error["source"] == {"pointer": ""}
    assert snapshot(db_session) == before


# -- 422: attributes that are unknown, read-only, of the wrong type or invalid ----------------


INVALID_ATTRIBUTES = {
    "unknown": ({"title": "x", "nonexistent": 1}, "Unknown attribute", "'nonexistent'",
                "/data/attributes/nonexistent"),
    "relationship-as-attribute": ({"title": "x", "author": "1"}, "Unknown attribute",
                                  "relationship", "/data/attributes/author"),
    "read-only": ({"title": "x", "created": "2020-01-01T00:00:00"}, "Read-only attribute",
                  "'created' is read-only", "/data/attributes/created"),
    "title-not-string": ({"title": 5}, "Invalid value", "Not a valid string",
                         "/data/attributes/title"),
    "views-not-integer": ({"title": "x", "views": "many"}, "Invalid value",
                          "Not a valid integer", "/data/attributes/views"),
    "views-boolean": ({"title": "x", "views": True}, "Invalid value", "Not a valid integer",
                      "/data/attributes/views"),
    "body-object": ({"title": "x", "body": {"a": 1}}, "Invalid value", "Not a valid string",
                    "/data/attributes/body"),
    "empty-title": ({"title": ""}, "Invalid value", "Length", "/data/attributes/title"),
    "long-title": ({"title": "x" * 201}, "Invalid value", "Length", "/data/attributes/title"),
    "negative-views": ({"title": "x", "views": -1}, "Invalid value", "greater than or equal",
                       "/data/attributes/views"),
    "null-title": ({"title": None}, "Invalid value", "may not be null",
                   "/data/attributes/title"),
    "missing-title": ({"body": "only a body"}, "Invalid value", "'title'", "/data/attributes"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("attributes", "title", "detail", "pointer"),
    INVALID_ATTRIBUTES.values(),
    ids=INVALID_ATTRIBUTES.keys(),
)
def test_err_8_invalid_attribute_on_post_is_422(
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    attributes: dict[str, Any],
    title: str,
    detail: str,
    pointer: str,
) -> None:
    """ERR-8/UPD-15: one 422 error object per bad member, pointing at it."""
    before = snapshot(db_session)
    response = client.post(
        "/articles", json={"data": {"type": "articles", "attributes": attributes}}
    )
    error = only_error(response, 422)
    assert error["title"] == title
    assert detail in error["detail"]
    assert error["source"] == {"pointer": pointer}
    assert snapshot(db_session) == before


def test_err_8_missing_attributes_member_points_at_data(
    client: JsonApiClient, db_session: Any
) -> None:
    """ERR-8: with no ``attributes`` member, a missing required one is reported on /data."""
    error = only_error(client.post("/articles", json={"data": {"type": "articles"}}), 422)
    assert "'title'" in error["detail"]
    assert "Missing data" in error["detail"]
    assert error["source"] == {"pointer": "/data"}
    assert snapshot(db_session) == []


def test_err_1_several_invalid_fields_give_several_errors(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """ERR-1: each invalid member has its own error object, all 422."""
    before = snapshot(db_session)
    attributes = {"title": 5, "views": -2, "created": "2020-01-01T00:00:00", "colour": "red"}
    response = client.post(
        "/articles", json={"data": {"type": "articles", "attributes": attributes}}
    )
    assert response.status_code == 422
    errors = response.document["errors"]
    assert {e["status"] for e in errors} == {"422"}
    assert sorted(e["source"]["pointer"] for e in errors) == [
        "/data/attributes/colour",
        "/data/attributes/created",
        "/data/attributes/title",
        "/data/attributes/views",
    ]
    assert all(e["title"] and e["detail"] for e in errors)
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    ("attributes", "title", "pointer"),
    [
        ({"nonexistent": 1}, "Unknown attribute", "/data/attributes/nonexistent"),
        ({"created": "2020-01-01T00:00:00"}, "Read-only attribute", "/data/attributes/created"),
        ({"views": "x"}, "Invalid value", "/data/attributes/views"),
        ({"title": ""}, "Invalid value", "/data/attributes/title"),
    ],
    ids=["unknown", "read-only", "wrong-type", "invalid"],
)
def test_upd_15_invalid_attribute_on_patch_is_422(
    client: JsonApiClient,
    db_session: Any,
    stored: dict[str, int],
    attributes: dict[str, Any],
    title: str,
    pointer: str,
) -> None:
    """UPD-15: PATCH refuses unknown/read-only/invalid members and changes nothing."""
    before = snapshot(db_session)
    article_id = str(stored["article"])
    body = {"data": {"type": "articles", "id": article_id, "attributes": attributes}}
    error = only_error(client.patch(f"/articles/{article_id}", json=body), 422)
    assert error["title"] == title
    assert error["source"] == {"pointer": pointer}
    assert snapshot(db_session) == before


def test_upd_2_patch_with_one_valid_and_one_invalid_member_changes_nothing(
    client: JsonApiClient, db_session: Any, stored: dict[str, int]
) -> None:
    """TX-1: the valid member of a refused PATCH is not applied either."""
    before = snapshot(db_session)
    article_id = str(stored["article"])
    attributes = {"title": "Changed", "views": -5}
    body = {"data": {"type": "articles", "id": article_id, "attributes": attributes}}
    error = only_error(client.patch(f"/articles/{article_id}", json=body), 422)
    assert error["source"] == {"pointer": "/data/attributes/views"}
    assert snapshot(db_session) == before
