"""Prove that JsonApiClient sets JSON:API defaults and validates responses.

A tiny Flask app stands in for the real server, so these tests do not depend on
``flask_jsonapi`` or ``examples``.
"""

from __future__ import annotations

import json

import flask
import pytest

from tests.support.client import JSONAPI_MEDIA_TYPE, JsonApiClient

VALID = {"data": {"type": "articles", "id": "1", "attributes": {"title": "t"}}}
INVALID = {"data": {"type": "articles", "id": 1}}


def _jsonapi(document, status=200):
    return flask.Response(json.dumps(document), status=status, mimetype=JSONAPI_MEDIA_TYPE)


@pytest.fixture
def app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient

    @app.get("/valid")
    def valid():
        return _jsonapi(VALID)

    @app.get("/invalid")
    def invalid():
        return _jsonapi(INVALID)

    @app.get("/invalid-with-ext-param")
    def invalid_with_ext_param():
        response = _jsonapi(INVALID)
        response.headers["Content-Type"] = (
            'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
        )
        return response

    @app.get("/plain-json")
    def plain_json():
        return flask.jsonify(INVALID)

    @app.get("/not-json")
    def not_json():
        return flask.Response("oops", mimetype=JSONAPI_MEDIA_TYPE)

    @app.get("/html")
    def html():
        return "<p>hi</p>"

    @app.delete("/empty")
    def empty():
        return flask.Response(status=204, mimetype=JSONAPI_MEDIA_TYPE)

    @app.get("/atomic")
    def atomic():
        return _jsonapi({"atomic:results": [{"data": VALID["data"]}, {}]})

    @app.get("/atomic-invalid")
    def atomic_invalid():
        return _jsonapi({"atomic:results": [{"data": INVALID["data"]}]})

    @app.get("/redirect")
    def redirect():
        return flask.redirect("/valid")

    @app.route("/echo", methods=["GET", "POST", "PATCH", "DELETE"])
    def echo():
        request = flask.request
        return _jsonapi(
            {
                "meta": {
                    "method": request.method,
                    "accept": request.headers.get("Accept"),
                    "contentType": request.headers.get("Content-Type"),
                    "body": request.get_data(as_text=True),
                }
            }
        )

    return app


@pytest.fixture
def client(app) -> JsonApiClient:
    return app.test_client()


def test_valid_response_has_document(client):
    response = client.get("/valid")
    assert response.status_code == 200
    assert response.document == VALID


@pytest.mark.parametrize("url", ["/invalid", "/invalid-with-ext-param"])
def test_invalid_response_fails(client, url):
    with pytest.raises(AssertionError) as excinfo:
        client.get(url)
    message = str(excinfo.value)
    assert f"GET {url} -> 200 OK" in message
    assert "$.data.id" in message


def test_validation_can_be_skipped(client):
    assert client.get("/invalid", validate=False).document == INVALID


def test_other_content_types_are_not_validated(client):
    response = client.get("/plain-json")
    assert response.document == INVALID
    response = client.get("/html")
    assert response.document is None


def test_jsonapi_body_that_is_not_json_fails(client):
    with pytest.raises(AssertionError, match="body is not JSON"):
        client.get("/not-json")


def test_empty_body(client):
    response = client.delete("/empty")
    assert response.status_code == 204
    assert response.document is None


def test_atomic_results(client):
    assert client.get("/atomic").document["atomic:results"][1] == {}
    with pytest.raises(AssertionError, match="atomic:results"):
        client.get("/atomic-invalid")


def test_redirects_are_followed_and_validated(client):
    response = client.get("/redirect", follow_redirects=True)
    assert response.document == VALID
    assert response.history[0].document is None


def test_get_sends_jsonapi_accept(client):
    meta = client.get("/echo").document["meta"]
    assert meta["accept"] == JSONAPI_MEDIA_TYPE
    assert meta["contentType"] is None
    meta = client.get("/echo", headers={"Accept": "application/json"}).document["meta"]
    assert meta["accept"] == "application/json"


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_json_body_is_sent_as_jsonapi(client, method):
    meta = getattr(client, method)("/echo", json=VALID).document["meta"]
    assert meta["method"] == method.upper()
    assert meta["contentType"] == JSONAPI_MEDIA_TYPE
    assert meta["accept"] == JSONAPI_MEDIA_TYPE
    assert json.loads(meta["body"]) == VALID


def test_explicit_content_type_wins(client):
    meta = client.post("/echo", json=VALID, content_type="application/json").document["meta"]
    assert meta["contentType"] == "application/json"
    meta = client.patch(
        "/echo", json=VALID, headers={"Content-Type": "application/vnd.api+json; ext=x"}
    ).document["meta"]
    assert meta["contentType"] == "application/vnd.api+json; ext=x"
    meta = client.post("/echo", json=VALID, headers=[("content-type", "text/plain")]).document[
        "meta"
    ]
    assert meta["contentType"] == "text/plain"


def test_raw_data_is_left_untouched(client):
    meta = client.post("/echo", data="{not json").document["meta"]
    assert meta["body"] == "{not json"
    assert meta["contentType"] is None
    meta = client.patch("/echo", data=b"{}", content_type="application/vnd.api+json").document[
        "meta"
    ]
    assert (meta["body"], meta["contentType"]) == ("{}", JSONAPI_MEDIA_TYPE)


def test_plain_mode(client):
    meta = client.post("/echo", json=VALID, jsonapi_headers=False).document["meta"]
    assert meta["contentType"] == "application/json"
    assert meta["accept"] is None


def test_schema_version_is_configurable(app):
    client = app.test_client()
    client.jsonapi_version = "1.0"
    assert client.get("/valid").document == VALID
    with pytest.raises(AssertionError, match="JSON:API 1.0 response"):
        client.get("/invalid")
