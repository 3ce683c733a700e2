"""Error documents for URLs, methods, sizes, query parameters and crashes (ERR-*, QP-2, FET-5).

Routing errors under the API (unknown URL, wrong method, body too large) are JSON:API
documents, HEAD answers like GET without a body, and an unexpected exception is a 500
document that reveals nothing of the exception, which is logged. Under ``TESTING`` (the
suite's default) the exception reaches the test instead, as in any Flask app.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from examples.blog.api import ArticleRepository
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error, snapshot

SECRET = "s3cret-internal-detail"


# -- 404: ids and URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "raw_id"),
    [
        ("GET", "abc"),
        ("GET", "1.5"),
        ("GET", "99999999999999999999"),
        ("GET", "999"),
        ("DELETE", "abc"),
        ("DELETE", "99999999999999999999"),
        ("PATCH", "abc"),
    ],
    ids=["get-text", "get-decimal", "get-too-big", "get-missing", "delete-text",
         "delete-too-big", "patch-text"],
)  # fmt: skip
def test_fet_5_id_the_key_cannot_hold_is_404(
    client: JsonApiClient, db_session: Any, article_id: int, method: str, raw_id: str
) -> None:
    """FET-5/UPD-10/DEL-3: an id no article can have names nothing -> 404, nothing changes."""
    before = snapshot(db_session)
    body = {"data": {"type": "articles", "id": raw_id, "attributes": {"title": "New"}}}
    kwargs = {"json": body} if method == "PATCH" else {}
    error = only_error(client.open(f"/articles/{raw_id}", method=method, **kwargs), 404)
    assert error["title"] == "Object not found"
    assert raw_id in error["detail"]
    assert snapshot(db_session) == before
    assert client.get(f"/articles/{article_id}").status_code == 200


@pytest.mark.parametrize(
    "url", ["/articles/1/nonexistent", "/articles/1/relationships/nonexistent", "/articlesX"]
)
def test_unknown_url_under_the_api_is_a_jsonapi_404(
    client: JsonApiClient, article_id: int, url: str
) -> None:
    """An unknown URL asked for as JSON:API is a 404 error document."""
    error = only_error(client.get(url.replace("/1/", f"/{article_id}/")), 404)
    assert error["title"]
    assert error["detail"]


def test_unknown_url_outside_the_api_is_left_to_flask(client: JsonApiClient) -> None:
    """/articlesX is not under /articles: without a JSON:API Accept it is Flask's own 404."""
    response = client.get("/articlesX", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_unknown_url_under_a_resource_without_accept_is_jsonapi(client: JsonApiClient) -> None:
    """A path below /articles belongs to the API whatever the Accept header says."""
    response = client.get("/articles/1/x/y", headers={"Accept": "text/html"})
    only_error(response, 404)


# -- 405: methods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("PUT", "/articles", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("DELETE", "/articles", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("PATCH", "/articles", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("POST", "/articles/{id}", {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"}),
        ("PUT", "/articles/{id}", {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"}),
    ],
    ids=["put-list", "delete-list", "patch-list", "post-detail", "put-detail"],
)
def test_wrong_method_is_405_with_allow(
    client: JsonApiClient,
    db_session: Any,
    article_id: int,
    method: str,
    url: str,
    allow: set[str],
) -> None:
    """A method the URL does not serve: 405, an ``Allow`` header and a JSON:API body."""
    before = snapshot(db_session)
    body = {"data": {"type": "articles", "attributes": {"title": "x"}}}
    response = client.open(url.format(id=article_id), method=method, json=body)
    error = only_error(response, 405)
    assert error["title"]
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allow
    assert snapshot(db_session) == before


# -- HEAD and OPTIONS -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/articles", "/articles/{id}", "/articles/999"])
def test_head_is_get_without_body(client: JsonApiClient, article_id: int, url: str) -> None:
    """HEAD: GET's status and headers, no body (also for a 404)."""
    url = url.format(id=article_id)
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == get.status_code
    assert head.get_data() == b""
    assert get.get_data() != b""
    for header in ("Content-Type", "Vary", "Content-Length"):
        assert head.headers.get(header) == get.headers.get(header), header


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("/articles", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/articles/{id}", {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"}),
    ],
    ids=["list", "detail"],
)
def test_options_is_204_with_allow(
    client: JsonApiClient, article_id: int, url: str, allow: set[str]
) -> None:
    """OPTIONS: 204, no body, ``Allow`` lists the methods."""
    response = client.options(url.format(id=article_id))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allow


# -- 413: body size -------------------------------------------------------------------------


def test_body_above_max_size_is_413(blog_app: Any, client: JsonApiClient, db_session: Any) -> None:
    """A body above ``JSONAPI_MAX_BODY_SIZE`` -> 413 and nothing stored; a small one works."""
    blog_app.config["JSONAPI_MAX_BODY_SIZE"] = 120
    big = {"data": {"type": "articles", "attributes": {"title": "x", "body": "y" * 200}}}
    error = only_error(client.post("/articles", json=big), 413)
    assert error["title"] == "Payload too large"
    assert "120" in error["detail"]
    assert snapshot(db_session) == []
    small = {"data": {"type": "articles", "attributes": {"title": "x"}}}
    assert client.post("/articles", json=small).status_code == 201


def test_body_above_max_size_on_patch_is_413(
    blog_app: Any, client: JsonApiClient, db_session: Any, article_id: int
) -> None:
    """413 on PATCH too, and the article is unchanged."""
    before = snapshot(db_session)
    blog_app.config["JSONAPI_MAX_BODY_SIZE"] = 100
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"body": "z" * 300}}}
    only_error(client.patch(f"/articles/{article_id}", json=body), 413)
    assert snapshot(db_session) == before


# -- 500: unexpected exceptions -------------------------------------------------------------


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET)


@pytest.mark.parametrize(
    ("method", "hook", "url"),
    [
        ("GET", "get_list", "/articles"),
        ("GET", "get_detail", "/articles/{id}"),
        ("POST", "create", "/articles"),
        ("PATCH", "update", "/articles/{id}"),
        ("DELETE", "delete", "/articles/{id}"),
    ],
    ids=["list", "detail", "create", "update", "delete"],
)
def test_unexpected_exception_is_an_opaque_500(
    blog_app: Any,
    client: JsonApiClient,
    db_session: Any,
    article_id: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    hook: str,
    url: str,
) -> None:
    """A crash in a repository (exceptions not propagated, as in production): a 500 document
    without internals; the exception is logged."""
    blog_app.config["PROPAGATE_EXCEPTIONS"] = False
    before = snapshot(db_session)
    monkeypatch.setattr(ArticleRepository, hook, _raise)
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"title": "N"}}}
    if method == "POST":
        del body["data"]["id"]
    kwargs = {"json": body} if method in ("POST", "PATCH") else {}
    with caplog.at_level(logging.ERROR, logger="flask_jsonapi"):
        response = client.open(url.format(id=article_id), method=method, **kwargs)
    error = only_error(response, 500)
    assert error["title"]
    text = response.get_data(as_text=True)
    for leak in (SECRET, "RuntimeError", "Traceback", "File "):
        assert leak not in text
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged and SECRET in str(logged[0].exc_info[1])
    assert snapshot(db_session) == before
    monkeypatch.undo()
    assert client.get(f"/articles/{article_id}").status_code == 200


@pytest.mark.parametrize(
    ("method", "hook", "url"),
    [
        ("GET", "get_list", "/articles"),
        ("POST", "create", "/articles"),
        ("PATCH", "update", "/articles/{id}"),
        ("DELETE", "delete", "/articles/{id}"),
    ],
    ids=["list", "create", "update", "delete"],
)
@pytest.mark.parametrize("setting", ["testing", "propagate"])
def test_unexpected_exception_reaches_the_test_under_testing(
    blog_app: Any,
    client: JsonApiClient,
    db_session: Any,
    article_id: int,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    method: str,
    hook: str,
    url: str,
) -> None:
    """TESTING (or PROPAGATE_EXCEPTIONS) raises the exception to the caller, as Flask does;
    the write is still rolled back and the next request works."""
    if setting == "propagate":
        blog_app.testing = False
        blog_app.config["PROPAGATE_EXCEPTIONS"] = True
    before = snapshot(db_session)
    monkeypatch.setattr(ArticleRepository, hook, _raise)
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"title": "N"}}}
    if method == "POST":
        del body["data"]["id"]
    kwargs = {"json": body} if method in ("POST", "PATCH") else {}
    with pytest.raises(RuntimeError, match=SECRET):
        client.open(url.format(id=article_id), method=method, **kwargs)
    assert snapshot(db_session) == before
    monkeypatch.undo()
    assert client.get(f"/articles/{article_id}").status_code == 200
    after = client.post("/tags", json={"data": {"type": "tags", "attributes": {"name": "ok"}}})
    assert after.status_code == 201


# -- QP-2: query parameter names ------------------------------------------------------------


@pytest.mark.parametrize("url", ["/articles?foo=1", "/articles/{id}?foo=1", "/articles?x=&y=2"])
def test_qp_2_unknown_lowercase_parameter_is_400(
    client: JsonApiClient, article_id: int, url: str
) -> None:
    """QP-2/QP-7: an all-a-z name that is no JSON:API parameter -> 400 naming it."""
    error = only_error(client.get(url.format(id=article_id)), 400)
    assert error["source"]["parameter"] in ("foo", "x", "y")
    assert error["source"]["parameter"] in error["detail"]


def test_qp_2_unknown_parameter_on_post_is_400_and_nothing_stored(
    client: JsonApiClient, db_session: Any
) -> None:
    """QP-2 applies to writes too: nothing is created."""
    body = {"data": {"type": "articles", "attributes": {"title": "x"}}}
    error = only_error(client.post("/articles?foo=1", json=body), 400)
    assert error["source"] == {"parameter": "foo"}
    assert snapshot(db_session) == []


@pytest.mark.parametrize("name", ["fooBar", "foo_bar", "foo-bar", "foo1"])
def test_qp_1_implementation_specific_parameter_is_allowed(
    client: JsonApiClient, article_id: int, name: str
) -> None:
    """QP-1: a name with a non a-z character is implementation-specific: ignored, 200."""
    response = client.get(f"/articles?{name}=1")
    assert response.status_code == 200
    assert [item["id"] for item in response.document["data"]] == [str(article_id)]
    assert client.get(f"/articles/{article_id}?{name}=1").status_code == 200
