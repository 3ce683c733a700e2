"""Limits on what a client controls (docs/limits.md): each is a config key, and going past
it is a JSON:API error naming the culprit, with nothing written and nothing read past it."""

from __future__ import annotations

import base64
import io
import json
import socket
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from examples.blog.models import Article, Tag
from flask_jsonapi.testing.validation import validate_response
from tests.support.atomic import ATOMIC_TYPE, atomic
from tests.support.blog_rows import add_rows, article_tag_pairs, make_article, make_tag, row
from tests.support.error_checks import only_error, snapshot
from tests.support.query_data import query_app

MEDIA_TYPE = "application/vnd.api+json"
MAX_BODY = 10 * 1024 * 1024


@pytest.fixture
def arranged(db_session) -> None:
    """Article 1 with tag 1; tags 1 to 5."""
    add_rows(db_session, *(make_tag(n, id=n) for n in range(1, 6)))
    add_rows(db_session, make_article(1, id=1, views=7))
    if _postgresql(db_session):
        # Explicit ids do not move PostgreSQL's sequences: the next POST must not collide.
        for table in ("tags", "articles"):
            db_session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)")
            )
        db_session.commit()
        db_session.remove()


def _postgresql(db_session) -> bool:
    dialect = db_session.get_bind().dialect.name
    db_session.remove()
    return dialect == "postgresql"


def _article(title: str = "New", **attributes) -> dict:
    return {"data": {"type": "articles", "attributes": {"title": title, **attributes}}}


# -- the body size, enforced while reading -------------------------------------------------


class _Endless(io.RawIOBase):
    """A request body that never ends (a chunked upload with no end), counting what is read."""

    def __init__(self, fail_after: int | None = None, error: Exception | None = None) -> None:
        self.read_bytes = 0
        self.fail_after = fail_after
        self.error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.fail_after is not None and self.read_bytes >= self.fail_after:
            raise self.error
        buffer[:] = b" " * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def _chunked_post(client, stream, content_length: int | None = None) -> object:
    """POST ``stream`` as the server passes a chunked body: no Content-Length, the input
    marked as terminated (or with ``content_length`` announced)."""
    app = client.application
    inner = app.wsgi_app

    def serve(environ, start_response):
        environ.pop("CONTENT_LENGTH", None)
        if content_length is not None:
            environ["CONTENT_LENGTH"] = str(content_length)
        else:
            environ["wsgi.input_terminated"] = True
        environ["wsgi.input"] = stream
        return inner(environ, start_response)

    app.wsgi_app = serve
    try:
        return client.post("/articles", data=b"", content_type=MEDIA_TYPE)
    finally:
        app.wsgi_app = inner


def test_chunked_body_past_the_limit_is_413_without_reading_it_whole(
    client, db_session, arranged
) -> None:
    """A chunked body is read in bounded chunks: 413 after the limit, not after the end."""
    before = snapshot(db_session)
    stream = _Endless()
    response = _chunked_post(client, stream)
    error = only_error(response, 413)
    assert error["detail"] == f"The request body exceeds {MAX_BODY} bytes."
    assert error["source"] == {"pointer": ""}
    assert MAX_BODY < stream.read_bytes <= MAX_BODY + 64 * 1024
    assert snapshot(db_session) == before


def test_announced_body_past_the_limit_is_413_before_reading(client, db_session, blog_app) -> None:
    blog_app.config["JSONAPI_MAX_BODY_SIZE"] = 100
    body = json.dumps(_article("x" * 200)).encode()
    stream = _Endless()
    response = _chunked_post(client, stream, content_length=len(body))
    error = only_error(response, 413)
    assert error["source"] == {"header": "Content-Length"}
    assert error["detail"] == "The request body exceeds 100 bytes."
    assert stream.read_bytes == 0


def test_chunked_body_under_the_limit_is_read_whole(client, db_session, blog_app) -> None:
    body = json.dumps(_article("Chunked")).encode()
    blog_app.config["JSONAPI_MAX_BODY_SIZE"] = len(body)
    response = _chunked_post(client, io.BytesIO(body))
    assert response.status_code == 201, response.document
    assert row(db_session, Article, int(response.document["data"]["id"]))["title"] == "Chunked"
    blog_app.config["JSONAPI_MAX_BODY_SIZE"] = len(body) - 1
    assert only_error(_chunked_post(client, io.BytesIO(body)), 413)["source"] == {"pointer": ""}


@pytest.mark.parametrize(
    "error", [OSError("Invalid chunk header"), type("InvalidChunkSize", (Exception,), {})("zz")]
)
def test_a_body_that_breaks_while_read_is_400(client, db_session, arranged, error) -> None:
    """The server's reader fails on broken framing (Werkzeug: OSError; gunicorn raises its
    own errors): the client's fault, 400, and nothing is written."""
    before = snapshot(db_session)
    response = _chunked_post(client, _Endless(fail_after=1, error=error))
    error_object = only_error(response, 400)
    assert error_object["title"] == "Unreadable request body"
    assert error_object["source"] == {"pointer": ""}
    assert snapshot(db_session) == before


def _raw_exchange(app, request: bytes) -> tuple[int, dict]:
    """Send raw bytes to ``app`` served on a real socket; the status and the JSON body."""
    import threading

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
            sock.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < int(
                _header(answer, b"content-length") or 0
            ):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    head, body = answer.split(b"\r\n\r\n", 1)
    return int(head.split()[1]), json.loads(body)


def _header(answer: bytes, name: bytes) -> bytes | None:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def test_malformed_chunked_framing_on_a_real_server_is_400(blog_app, db_session) -> None:
    before = snapshot(db_session)
    status, document = _raw_exchange(
        blog_app,
        b"POST /articles HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/vnd.api+json\r\nConnection: close\r\n\r\n"
        b"zz-not-hex\r\n{}\r\n0\r\n\r\n",
    )
    assert status == 400
    validate_response(document)
    assert document["errors"][0]["title"] == "Unreadable request body"
    assert snapshot(db_session) == before


# -- operations per atomic request ---------------------------------------------------------


def _add_tag(number: int) -> dict:
    return {"op": "add", "data": {"type": "tags", "attributes": {"name": f"t{number}"}}}


def test_too_many_atomic_operations_is_413_and_runs_none(client, db_session, arranged) -> None:
    before = snapshot(db_session)
    response = atomic(client, *(_add_tag(n) for n in range(1001)))
    error = only_error_atomic(response, 413)
    assert error["source"] == {"pointer": "/atomic:operations"}
    assert error["detail"] == "One request may carry at most 1000 operations, not 1001."
    assert snapshot(db_session) == before


def test_operations_limit_is_a_config_key(client, db_session, blog_app) -> None:
    blog_app.config["JSONAPI_MAX_OPERATIONS"] = 3
    assert atomic(client, *(_add_tag(n) for n in range(3))).status_code == 200
    error = only_error_atomic(atomic(client, *(_add_tag(n) for n in range(4))), 413)
    assert error["source"] == {"pointer": "/atomic:operations"}
    names = {r["name"] for r in db_session.execute(Tag.__table__.select()).mappings()}
    db_session.remove()
    assert names == {"t0", "t1", "t2"}


def only_error_atomic(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    (error,) = response.document["errors"]
    assert error["status"] == str(status)
    return error


# -- identifiers per relationship body -----------------------------------------------------


def _tags(ids) -> list[dict]:
    return [{"type": "tags", "id": str(id_)} for id_ in ids]


def test_too_many_identifiers_in_a_relationship_body_is_413(client, db_session, arranged) -> None:
    before = snapshot(db_session)
    response = client.patch("/articles/1/relationships/tags", json={"data": _tags(range(10_001))})
    error = only_error(response, 413)
    assert error["source"] == {"pointer": "/data"}
    assert error["detail"] == "A relationship may be given at most 10000 identifiers, not 10001."
    body = _article()
    body["data"]["relationships"] = {"tags": {"data": _tags(range(10_001))}}
    error = only_error(client.post("/articles", json=body), 413)
    assert error["source"] == {"pointer": "/data/relationships/tags/data"}
    assert snapshot(db_session) == before


def test_identifiers_past_the_database_parameter_limit_are_looked_up_in_chunks(
    client, db_session, blog_app, arranged
) -> None:
    """70,000 identifiers (past PostgreSQL's 65,535 bind parameters and SQLite's 32,766)
    when the app allows them: the missing ones are 404, never a database error."""
    blog_app.config["JSONAPI_MAX_RELATIONSHIP_IDENTIFIERS"] = 70_000
    before = snapshot(db_session)
    response = client.patch(
        "/articles/1/relationships/tags", json={"data": _tags(range(1, 70_001))}
    )
    error = only_error(response, 404)
    assert error["source"] == {"pointer": "/data"}
    assert error["detail"].endswith(" and 69975 more not found.")
    assert snapshot(db_session) == before
    response = client.patch("/articles/1/relationships/tags", json={"data": _tags([5, 2])})
    assert response.status_code == 200, response.document
    assert sorted(int(t["id"]) for t in response.document["data"]) == [2, 5]
    assert article_tag_pairs(db_session) == {(1, 2), (1, 5)}


# -- filters: values, conditions, depth ----------------------------------------------------


def test_too_many_in_values_is_400_naming_the_parameter(client, db_session, arranged) -> None:
    values = ",".join(str(n) for n in range(10_001))
    error = only_error(client.get(f"/articles?filter[id][in]={values}"), 400)
    assert error["source"] == {"parameter": "filter[id][in]"}
    assert "10001 values" in error["detail"]
    error = only_error(client.get(f"/articles?filter[title][notin]={values}"), 400)
    assert error["source"] == {"parameter": "filter[title][notin]"}


def test_filter_values_are_counted_over_the_whole_request(client, db_session, arranged) -> None:
    values = ",".join(str(n) for n in range(6000))
    response = client.get(f"/articles?filter[id][in]={values}&filter[views][notin]={values}")
    error = only_error(response, 400)
    assert error["source"] == {"parameter": "filter[views][notin]"}


def test_many_in_values_under_the_limit_work_on_every_database(
    client, db_session, blog_app, arranged
) -> None:
    """20,000 values bind as parameters on SQLite and PostgreSQL alike; a limit set higher
    than one statement can bind is lowered to what it can (30,000)."""
    blog_app.config["JSONAPI_MAX_FILTER_VALUES"] = 25_000
    values = ",".join(str(n) for n in range(20_000))
    response = client.get(f"/articles?filter[id][in]={values}")
    assert response.status_code == 200, response.document
    assert [a["id"] for a in response.document["data"]] == ["1"]
    blog_app.config["JSONAPI_MAX_FILTER_VALUES"] = 100_000
    values = ",".join(str(n) for n in range(30_001))
    error = only_error(client.get(f"/articles?filter[id][in]={values}"), 400)
    assert error["source"] == {"parameter": "filter[id][in]"}


def _expression_client(blog_app, **config):
    return query_app(blog_app, config, filter_expressions=True).test_client()


def _nested(depth: int) -> dict:
    node: dict = {"name": "views", "op": "eq", "val": 7}
    for _ in range(depth - 1):
        node = {"or": [node]}
    return node


def test_filter_expression_depth_is_limited(blog_app, db_session, arranged) -> None:
    client = _expression_client(blog_app)
    response = client.get(f"/articles?filter={quote(json.dumps([_nested(10)]))}")
    assert response.status_code == 200, response.document
    assert [a["id"] for a in response.document["data"]] == ["1"]
    error = only_error(client.get(f"/articles?filter={quote(json.dumps([_nested(11)]))}"), 400)
    assert error["source"] == {"parameter": "filter"}
    assert error["detail"] == "'filter' nests and/or/not deeper than 10 levels."
    client = _expression_client(blog_app, JSONAPI_MAX_FILTER_DEPTH=2)
    error = only_error(client.get(f"/articles?filter={quote(json.dumps([_nested(3)]))}"), 400)
    assert error["detail"] == "'filter' nests and/or/not deeper than 2 levels."


def test_filter_expression_conditions_and_values_are_limited(
    blog_app, db_session, arranged
) -> None:
    client = _expression_client(blog_app, JSONAPI_MAX_FILTER_CONDITIONS=3)
    three = [{"name": "views", "op": "gte", "val": n} for n in range(3)]
    assert client.get(f"/articles?filter={quote(json.dumps(three))}").status_code == 200
    four = [*three, {"name": "views", "op": "gte", "val": 3}]
    error = only_error(client.get(f"/articles?filter={quote(json.dumps(four))}"), 400)
    assert error == {
        "status": "400",
        "title": "Invalid filters querystring parameter.",
        "detail": "'filter' has more than 3 conditions.",
        "source": {"parameter": "filter"},
    }
    client = _expression_client(blog_app)
    many = [{"name": "id", "op": "in_", "val": list(range(10_001))}]
    error = only_error(client.get(f"/articles?filter={quote(json.dumps(many))}"), 400)
    assert error["source"] == {"parameter": "filter"}


# -- integers against their column's range -------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "filter[id]=9223372036854775808",
        "filter[views][gt]=9223372036854775808",
        "filter[views][in]=1,-9223372036854775809",
        "filter[author][id]=99999999999999999999",
    ],
)
def test_integer_filter_past_64_bits_is_400(client, db_session, arranged, query) -> None:
    error = only_error(client.get(f"/articles?{query}"), 400)
    assert error["source"] == {"parameter": query.split("=")[0]}
    assert "out of range" in error["detail"]


@pytest.mark.parametrize(
    "query",
    ["filter[views][gt]=2147483648", "filter[id]=2147483648", "filter[views][in]=1,-2147483649"],
)
def test_integer_filter_past_a_32_bit_column_is_400_on_postgresql(
    client, db_session, arranged, query
) -> None:
    """PostgreSQL's integer column holds 32 bits (it failed the statement: 500); SQLite's
    holds 64, where the filter is an ordinary one that matches nothing."""
    response = client.get(f"/articles?{query}")
    if _postgresql(db_session):
        error = only_error(response, 400)
        assert error["source"] == {"parameter": query.split("=")[0]}
        assert error["detail"].endswith(
            "is out of range for its column (-2147483648 to 2147483647)."
        )
    else:
        assert response.status_code == 200, response.document
        assert response.document["data"] == []


def test_integer_filter_through_a_relationship_past_its_column_is_400(
    client, db_session, arranged
) -> None:
    response = client.get("/tags?filter[articles][views][gte]=2147483648")
    if _postgresql(db_session):
        error = only_error(response, 400)
        assert error["source"] == {"parameter": "filter[articles][views][gte]"}
    else:
        assert response.status_code == 200
        assert response.document["data"] == []


@pytest.mark.parametrize(
    ("views", "detail"),
    [
        (10**30, "'views' is out of range for an integer: at most 64 bits."),
        (2**63, "'views' is out of range for an integer: at most 64 bits."),
        (1.9, "'views' must be a whole number, not 1.9."),
        (-0.5, "'views' must be a whole number, not -0.5."),
    ],
)
def test_integer_attribute_that_no_column_holds_is_422(
    client, db_session, arranged, views, detail
) -> None:
    before = snapshot(db_session)
    error = only_error(client.post("/articles", json=_article(views=views)), 422)
    assert error["source"] == {"pointer": "/data/attributes/views"}
    assert error["detail"] == detail
    patch = {"data": {"type": "articles", "id": "1", "attributes": {"views": views}}}
    error = only_error(client.patch("/articles/1", json=patch), 422)
    assert error["source"] == {"pointer": "/data/attributes/views"}
    response = atomic(client, {"op": "add", "data": _article(views=views)["data"]})
    error = only_error_atomic(response, 422)
    assert error["source"] == {"pointer": "/atomic:operations/0/data/attributes/views"}
    assert snapshot(db_session) == before


@pytest.mark.parametrize(("views", "stored"), [(2, 2), (2.0, 2), ("2", 2), (2**31 - 1, 2**31 - 1)])
def test_whole_numbers_for_an_integer_attribute_are_kept(client, db_session, views, stored) -> None:
    """2, 2.0 and "2" are stored as 2, as marshmallow's Integer (and the original) did."""
    response = client.post("/articles", json=_article(views=views))
    assert response.status_code == 201, response.document
    assert response.document["data"]["attributes"]["views"] == stored
    assert row(db_session, Article, int(response.document["data"]["id"]))["views"] == stored


def test_integer_attribute_past_a_32_bit_column_is_422(client, db_session, arranged) -> None:
    """SQLite stores 2**31; PostgreSQL's integer column cannot: 422 naming the member
    before the statement is sent, nothing written."""
    before = snapshot(db_session)
    response = client.post("/articles", json=_article(views=2**31))
    if _postgresql(db_session):
        error = only_error(response, 422)
        assert error["source"] == {"pointer": "/data/attributes/views"}
        assert error["detail"] == (
            "'views' is out of range for its column (-2147483648 to 2147483647)."
        )
        patch = {"data": {"type": "articles", "id": "1", "attributes": {"views": -(2**31) - 1}}}
        error = only_error(client.patch("/articles/1", json=patch), 422)
        assert error["source"] == {"pointer": "/data/attributes/views"}
        response = atomic(
            client,
            {"op": "update", "data": patch["data"]},
            {"op": "add", "data": _article(views=2**31)["data"]},
        )
        error = only_error_atomic(response, 422)
        assert error["source"] == {"pointer": "/atomic:operations/0/data/attributes/views"}
        assert snapshot(db_session) == before
    else:
        assert response.status_code == 201
        assert row(db_session, Article, int(response.document["data"]["id"]))["views"] == 2**31


# -- atomic href names this API ------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "http://evil.example/tags/5",
        "https://localhost/tags/5",
        "http://localhost:8080/tags/5",
        "//evil.example/tags/5",
        "http://localhost:99999/tags/5",
    ],
)
def test_atomic_href_naming_another_api_is_400_and_acts_on_nothing(
    client, db_session, arranged, href
) -> None:
    before = snapshot(db_session)
    error = only_error_atomic(atomic(client, {"op": "remove", "href": href}), 400)
    assert error["source"] == {"pointer": "/atomic:operations/0/href"}
    assert href in error["detail"]
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    "href", ["/tags/5", "http://localhost/tags/5", "http://localhost:80/tags/5", "tags/5"]
)
def test_atomic_href_of_this_api_acts(client, db_session, arranged, href) -> None:
    """The default port written out names this API all the same."""
    response = atomic(client, {"op": "remove", "href": href})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert row(db_session, Tag, 5) is None
    assert row(db_session, Tag, 4) is not None


def test_atomic_href_with_the_default_https_port_acts(client, db_session, arranged) -> None:
    """Over https, ``:443`` written out names this API; ``:80`` names another one."""
    sent = {"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE}
    other = client.post(
        "/operations",
        base_url="https://localhost",
        json={"atomic:operations": [{"op": "remove", "href": "https://localhost:80/tags/5"}]},
        headers=sent,
    )
    assert only_error_atomic(other, 400)["source"] == {"pointer": "/atomic:operations/0/href"}
    response = client.post(
        "/operations",
        base_url="https://localhost",
        json={"atomic:operations": [{"op": "remove", "href": "https://localhost:443/tags/5"}]},
        headers=sent,
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    assert row(db_session, Tag, 5) is None
    assert row(db_session, Tag, 4) is not None


def _atomic_below_api(client, *operations: dict) -> object:
    """POST ``operations`` to the app mounted at ``/api`` (its SCRIPT_NAME)."""
    return client.post(
        "/operations",
        base_url="http://localhost/api",
        json={"atomic:operations": list(operations)},
        headers={"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE},
    )


@pytest.mark.parametrize("href", ["/api/tags/5", "http://localhost/api/tags/5", "tags/5"])
def test_atomic_href_below_the_apps_mount_point_acts(client, db_session, arranged, href) -> None:
    """Under a mount point (SCRIPT_NAME ``/api``), an href names a resource with it."""
    response = _atomic_below_api(client, {"op": "remove", "href": href})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert row(db_session, Tag, 5) is None
    assert row(db_session, Tag, 4) is not None


@pytest.mark.parametrize("href", ["/tags/5", "/apitags/5", "http://localhost/other/tags/5"])
def test_atomic_href_outside_the_apps_mount_point_is_400(
    client, db_session, arranged, href
) -> None:
    """Under a mount point, an href without it names another API (ATOM-8)."""
    before = snapshot(db_session)
    error = only_error_atomic(_atomic_below_api(client, {"op": "remove", "href": href}), 400)
    assert error["source"] == {"pointer": "/atomic:operations/0/href"}
    assert error["detail"] == (
        f"'{href}' is not a URL of this API (its scheme, host or path prefix differ)."
    )
    assert snapshot(db_session) == before


@pytest.mark.parametrize("href", ["/articles/1/author", "/articles/1/tags"])
def test_atomic_href_of_a_url_that_names_no_resource_is_400(
    client, db_session, arranged, href
) -> None:
    """ATOM-8: an href of this API that is no resource, collection or relationship URL."""
    before = snapshot(db_session)
    error = only_error_atomic(atomic(client, {"op": "remove", "href": href}), 400)
    assert error["source"] == {"pointer": "/atomic:operations/0/href"}
    assert error["detail"] == f"'{href}' is not a resource URL."
    assert snapshot(db_session) == before


@pytest.mark.parametrize("value", [2**31, 2**63, -(2**63) - 1])
def test_forged_cursor_with_an_integer_past_its_column_is_400(
    blog_app, db_session, arranged, value
) -> None:
    """A cursor is the client's text: an id past the key column is 400, not a database
    error (PostgreSQL: 32 bits; SQLite: 64)."""
    client = query_app(blog_app, pagination="cursor").test_client()
    raw = json.dumps({"s": "", "v": [value]}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(f"/articles?page[after]={cursor}")
    if value == 2**31 and not _postgresql(db_session):
        assert response.status_code == 200, response.document
        assert response.document["data"] == []
        return
    error = only_error(response, 400)
    assert error["source"] == {"parameter": "page[after]"}
