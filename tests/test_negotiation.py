"""Content negotiation (CN-*): the response media type, 415 for bodies, 406 for Accept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from examples.blog.models import Article
from tests.support.client import JsonApiClient

MEDIA_TYPE = "application/vnd.api+json"
ATOMIC = "https://jsonapi.org/ext/atomic"
NEW_ARTICLE = {"data": {"type": "articles", "attributes": {"title": "Hello"}}}


def _article_count(db_session: Any) -> int:
    count = db_session.scalar(select(func.count()).select_from(Article))
    db_session.remove()
    return count


def _assert_jsonapi_headers(response: Any) -> None:
    """Exactly one Content-Type, the bare media type (CN-1, CN-2, CN-3), and Vary (CN-15)."""
    assert response.headers.getlist("Content-Type") == [MEDIA_TYPE], response.headers
    vary = [v.strip() for v in response.headers.get("Vary", "").split(",")]
    assert "Accept" in vary, response.headers


# -- CN-1, CN-3, CN-15: one bare Content-Type and Vary on every response ------------------


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/articles", 200),
        ("GET", "/articles/{id}", 200),
        ("GET", "/articles/999", 404),
        ("DELETE", "/articles/{id}", 204),
        ("OPTIONS", "/articles", 204),
        ("OPTIONS", "/articles/{id}", 204),
        ("HEAD", "/articles", 200),
        ("PUT", "/articles", 405),
        ("GET", "/articles?foo=1", 400),
        ("GET", "/articles/{id}/nonexistent", 404),
    ],
    ids=["list", "detail", "missing", "delete-204", "options-list", "options-detail", "head",
         "put-405", "bad-param-400", "unknown-url-404"],
)  # fmt: skip
def test_cn_1_cn_3_cn_15_single_bare_content_type(
    client: JsonApiClient, article_id: int, method: str, url: str, status: int
) -> None:
    """CN-1/CN-3/CN-15: successes, errors, 204s and OPTIONS all carry one bare type + Vary."""
    response = client.open(url.format(id=article_id), method=method)
    assert response.status_code == status
    _assert_jsonapi_headers(response)


def test_cn_1_post_and_patch_responses(client: JsonApiClient, article_id: int) -> None:
    """CN-1/CN-3: a 201 and a 200 from writes, and a 422, carry the bare media type."""
    created = client.post("/articles", json=NEW_ARTICLE)
    assert created.status_code == 201
    _assert_jsonapi_headers(created)
    patch = {"data": {"type": "articles", "id": str(article_id), "attributes": {"views": 4}}}
    updated = client.patch(f"/articles/{article_id}", json=patch)
    assert updated.status_code == 200
    _assert_jsonapi_headers(updated)
    invalid = client.post("/articles", json={"data": {"type": "articles", "attributes": {}}})
    assert invalid.status_code == 422
    _assert_jsonapi_headers(invalid)


@pytest.mark.parametrize("url", ["/articles", "/articles/{id}", "/articles/999", "/articles?foo=1"])
def test_doc_11_jsonapi_version_on_every_document(
    client: JsonApiClient, article_id: int, url: str
) -> None:
    """DOC-11: every document, data or errors, has ``jsonapi.version`` "1.1"."""
    response = client.get(url.format(id=article_id))
    assert response.document["jsonapi"] == {"version": "1.1"}


# -- CN-7, CN-8, CN-9: the request Content-Type ---------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        f"{MEDIA_TYPE}; charset=utf-8",
        "application/json",
        f'{MEDIA_TYPE}; ext="{ATOMIC}"',
        f"{MEDIA_TYPE}; version=1.1",
        "text/plain",
    ],
    ids=["charset", "application-json", "atomic-ext", "other-param", "text-plain"],
)
def test_cn_7_cn_8_post_with_unsupported_content_type_is_415(
    client: JsonApiClient, db_session: Any, content_type: str
) -> None:
    """CN-7: parameters other than ext/profile -> 415; CN-8: an unsupported ext -> 415."""
    response = client.post("/articles", json=NEW_ARTICLE, content_type=content_type)
    assert response.status_code == 415
    _assert_jsonapi_headers(response)
    (error,) = response.document["errors"]
    assert error["status"] == "415"
    assert error["source"] == {"header": "Content-Type"}
    assert _article_count(db_session) == 0


@pytest.mark.parametrize(
    "content_type",
    [f"{MEDIA_TYPE}; charset=utf-8", "application/json", f'{MEDIA_TYPE}; ext="{ATOMIC}"'],
    ids=["charset", "application-json", "atomic-ext"],
)
def test_cn_7_cn_8_patch_with_unsupported_content_type_is_415(
    client: JsonApiClient, db_session: Any, article_id: int, content_type: str
) -> None:
    """CN-7/CN-8 on PATCH: 415 and the article keeps its values."""
    patch = {"data": {"type": "articles", "id": str(article_id), "attributes": {"title": "New"}}}
    response = client.patch(f"/articles/{article_id}", json=patch, content_type=content_type)
    assert response.status_code == 415
    assert response.document["errors"][0]["source"] == {"header": "Content-Type"}
    assert db_session.get(Article, article_id).title == "Stored"


def test_cn_7_missing_content_type_is_415(client: JsonApiClient, db_session: Any) -> None:
    """A body sent with no Content-Type at all -> 415."""
    response = client.post("/articles", data=b'{"data": {"type": "articles"}}')
    assert response.status_code == 415
    _assert_jsonapi_headers(response)
    assert response.document["errors"][0]["source"] == {"header": "Content-Type"}
    assert _article_count(db_session) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        f'{MEDIA_TYPE}; profile="https://example.com/profiles/unknown"',
        f"{MEDIA_TYPE};profile=https://example.com/p",
        f'{MEDIA_TYPE}; profile="https://example.com/a https://example.com/b"',
    ],
    ids=["quoted", "unquoted", "two-profiles"],
)
def test_cn_9_unknown_profile_in_content_type_is_ignored(
    client: JsonApiClient, db_session: Any, content_type: str
) -> None:
    """CN-9: an unrecognised profile never causes 415; the resource is created."""
    response = client.post("/articles", json=NEW_ARTICLE, content_type=content_type)
    assert response.status_code == 201, response.document
    _assert_jsonapi_headers(response)
    assert _article_count(db_session) == 1


# -- CN-10..CN-12, CN-18: the Accept header -------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        f"{MEDIA_TYPE}; charset=utf-8",
        f"{MEDIA_TYPE}; version=1",
        f"{MEDIA_TYPE}; charset=utf-8, {MEDIA_TYPE}; foo=bar",
        f'{MEDIA_TYPE}; ext="https://example.com/unsupported"',
        f"{MEDIA_TYPE};q=0",
        f"{MEDIA_TYPE}; q=0.000, text/html",
    ],
    ids=["charset", "other-param", "all-instances-bad", "unsupported-ext", "q-0", "q-0.000"],
)
def test_cn_11_cn_12_accept_without_usable_jsonapi_instance_is_406(
    client: JsonApiClient, accept: str
) -> None:
    """CN-11/CN-12: every JSON:API entry unusable -> 406, pointing at the Accept header."""
    response = client.get("/articles", headers={"Accept": accept})
    assert response.status_code == 406
    _assert_jsonapi_headers(response)
    (error,) = response.document["errors"]
    assert error["status"] == "406"
    assert error["source"] == {"header": "Accept"}


def test_cn_11_write_with_unacceptable_accept_changes_nothing(
    client: JsonApiClient, db_session: Any
) -> None:
    """A POST whose Accept is unusable is refused (406) before anything is stored."""
    response = client.post(
        "/articles", json=NEW_ARTICLE, headers={"Accept": f"{MEDIA_TYPE}; charset=utf-8"}
    )
    assert response.status_code == 406
    assert _article_count(db_session) == 0


@pytest.mark.parametrize(
    "accept",
    [
        "*/*",
        None,
        f"{MEDIA_TYPE}, */*",
        f"text/html, {MEDIA_TYPE};q=0.5",
        "application/*",
        f"{MEDIA_TYPE}; charset=utf-8, {MEDIA_TYPE}",
        f'{MEDIA_TYPE}; profile="https://example.com/unknown"',
    ],
    ids=["star", "missing", "jsonapi-and-star", "html-and-q", "application-star",
         "one-bad-one-good", "profile"],
)  # fmt: skip
def test_cn_10_cn_18_acceptable_accept_headers(client: JsonApiClient, accept: str | None) -> None:
    """CN-10/CN-13/CN-18: these Accept values are answered normally (200, bare media type)."""
    if accept is None:
        response = client.get("/articles", jsonapi_headers=False)
        assert "Accept" not in response.request.headers
    else:
        response = client.get("/articles", headers={"Accept": accept})
    assert response.status_code == 200
    _assert_jsonapi_headers(response)
    assert response.document["data"] == []


def test_cn_18_post_without_accept_is_created(client: JsonApiClient, db_session: Any) -> None:
    """CN-18: a POST with no Accept header is fine."""
    response = client.post(
        "/articles",
        data=b'{"data": {"type": "articles", "attributes": {"title": "No accept"}}}',
        content_type=MEDIA_TYPE,
        jsonapi_headers=False,
    )
    assert response.status_code == 201
    assert _article_count(db_session) == 1


def test_cn_16_jsonapi_ext_member_is_not_negotiation(
    client: JsonApiClient, db_session: Any
) -> None:
    """CN-16: ``jsonapi.ext`` in the body does not switch extensions on; plain create works."""
    body = {**NEW_ARTICLE, "jsonapi": {"version": "1.1", "ext": [ATOMIC]}}
    response = client.post("/articles", json=body)
    assert response.status_code == 201
    assert "ext" not in response.document["jsonapi"]
    assert _article_count(db_session) == 1


@pytest.mark.parametrize(
    "accept",
    [
        f'{MEDIA_TYPE}; q=0, {MEDIA_TYPE}; ext="{ATOMIC}"',
        f'{MEDIA_TYPE}; q=0.2, {MEDIA_TYPE}; ext="{ATOMIC}"; q=0.9',
    ],
    ids=["plain-refused", "higher-q-wins"],
)
def test_cn_14_q_values_choose_the_response_media_type(
    client: JsonApiClient, db_session: Any, accept: str
) -> None:
    """CN-14: the instance with the higher q-value is chosen, ``q=0`` never (RFC 9110):
    the atomic endpoint answers with the atomic media type."""
    body = {"atomic:operations": [{"op": "add", "data": NEW_ARTICLE["data"]}]}
    response = client.post(
        "/operations",
        json=body,
        headers={"Accept": accept, "Content-Type": f'{MEDIA_TYPE}; ext="{ATOMIC}"'},
    )
    assert response.status_code == 200, response.document
    assert response.headers.getlist("Content-Type") == [f'{MEDIA_TYPE}; ext="{ATOMIC}"']
    assert _article_count(db_session) == 1


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Content-Type", f'{MEDIA_TYPE}; profile="https://example.com/p;v=1,2"'),
        ("Content-Type", f'{MEDIA_TYPE}; ext=""'),
        ("Accept", f'{MEDIA_TYPE}; profile="https://example.com/a,b;c=d"'),
        ("Accept", f'{MEDIA_TYPE}; ext=""'),
    ],
    ids=["content-type-quoted", "content-type-empty-ext", "accept-quoted", "accept-empty-ext"],
)
def test_cn_9_cn_13_quoted_parameter_values_are_one_value(
    client: JsonApiClient, db_session: Any, header: str, value: str
) -> None:
    """CN-9/CN-13: ``;``, ``,`` and ``=`` inside a quoted parameter value belong to it (RFC
    9110 quoted-string), and ``ext=""`` names no extension: the POST is created."""
    response = client.post("/articles", json=NEW_ARTICLE, headers={header: value})
    assert response.status_code == 201, response.document
    _assert_jsonapi_headers(response)
    assert _article_count(db_session) == 1
