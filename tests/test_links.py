"""Generated links (RES-9, REL-1..4, REL-7, FET-1, FET-6) and when linkage is rendered."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import flask
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.middleware.proxy_fix import ProxyFix

from examples.blog.models import Article
from flask_jsonapi.links import request_url
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.blog_rows import row
from tests.support.blog_variants import LinkedArticleSchema, variant_app
from tests.support.client import JsonApiClient
from tests.support.notes import notes_app
from tests.support.relationship_rows import Blog, arrange_blog


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _path(url: str) -> str:
    return urlsplit(url).path


def _resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    data = document["data"]
    return [*(data if isinstance(data, list) else [data]), *document.get("included", [])]


@pytest.mark.parametrize("collection", ["/authors", "/articles", "/comments", "/tags"])
def test_res_9_every_resource_has_a_served_self_link(
    client: JsonApiClient, blog: Blog, collection: str
) -> None:
    """RES-9/FET-1: each resource's ``links.self`` answers that resource."""
    listing = client.get(collection)
    assert listing.status_code == 200
    assert listing.document["data"]
    for resource in listing.document["data"]:
        link = resource["links"]["self"]
        assert _path(link) == f"{collection}/{resource['id']}"
        fetched = client.get(link)
        assert fetched.status_code == 200
        assert fetched.document["data"] == resource


@pytest.mark.parametrize("collection", ["/authors", "/articles", "/comments", "/tags"])
def test_rel_7_every_relationship_link_is_served(
    client: JsonApiClient, blog: Blog, collection: str
) -> None:
    """REL-1/REL-2/REL-7/FET-6: relationship ``self`` and ``related`` links answer 200."""
    for resource in client.get(collection).document["data"]:
        base = f"{collection}/{resource['id']}"
        assert resource["relationships"]
        for member, relationship in resource["relationships"].items():
            links = relationship["links"]
            assert _path(links["self"]) == f"{base}/relationships/{member}"
            assert _path(links["related"]) == f"{base}/{member}"
            linkage = client.get(links["self"])
            related = client.get(links["related"])
            assert (linkage.status_code, related.status_code) == (200, 200)
            related_data = related.document["data"]
            if isinstance(related_data, list):
                expected = [{"type": r["type"], "id": r["id"]} for r in related_data]
            else:
                expected = related_data and {"type": related_data["type"], "id": related_data["id"]}
            assert linkage.document["data"] == expected


def test_rel_4_related_link_of_empty_relationship_is_served(
    client: JsonApiClient, blog: Blog
) -> None:
    """REL-4: the related links of empty relationships are valid URLs that answer 200."""
    resource = client.get(f"/articles/{blog.empty_article}").document["data"]
    for member, empty in (("author", None), ("comments", []), ("tags", [])):
        response = client.get(resource["relationships"][member]["links"]["related"])
        assert response.status_code == 200
        assert response.document["data"] == empty


def test_rel_3_linkage_only_for_included_relationships(client: JsonApiClient, blog: Blog) -> None:
    """REL-3/CMP-2: ``data`` appears for included relationships only (blog schema)."""
    plain = client.get(f"/articles/{blog.article}").document["data"]
    assert all("data" not in r for r in plain["relationships"].values())
    response = client.get(f"/articles/{blog.article}", query_string={"include": "author,tags"})
    relationships = response.document["data"]["relationships"]
    assert relationships["author"]["data"] == {"type": "authors", "id": str(blog.authors[0])}
    assert relationships["tags"]["data"] == [
        {"type": "tags", "id": str(tag)} for tag in blog.tags[:2]
    ]
    assert "data" not in relationships["comments"]
    assert relationships["comments"]["links"]["related"]


def test_fet_1_top_level_self_link_keeps_the_query(client: JsonApiClient, blog: Blog) -> None:
    """FET-1: the top-level ``self`` link of a fetched resource is the request's URL, its
    query parameters included (percent-encoded)."""
    response = client.get(f"/articles/{blog.article}?include=author&fields[articles]=title")
    assert response.status_code == 200
    assert response.document["links"]["self"] == (
        f"http://localhost/articles/{blog.article}?include=author&fields%5Barticles%5D=title"
    )


def test_pag_pagination_links_keep_a_repeated_parameter(client: JsonApiClient, blog: Blog) -> None:
    """PAG-*: every value of a repeated implementation-specific parameter stays in the
    pagination links, in order."""
    response = client.get("/articles?tag-a=x&tag-a=y&page[size]=1")
    assert response.status_code == 200
    assert response.document["links"]["next"] == (
        "http://localhost/articles?tag-a=x&tag-a=y&page%5Bnumber%5D=2&page%5Bsize%5D=1"
    )


def test_rel_3_linkage_of_empty_included_relationships(client: JsonApiClient, blog: Blog) -> None:
    """REL-3: included empty relationships are ``null`` and ``[]``."""
    response = client.get(
        f"/articles/{blog.empty_article}", query_string={"include": "author,tags"}
    )
    relationships = response.document["data"]["relationships"]
    assert relationships["author"]["data"] is None
    assert relationships["tags"]["data"] == []
    assert response.document["included"] == []


@pytest.fixture
def linked_client(blog_app: flask.Flask) -> JsonApiClient:
    """A client of an API whose article ``author`` and ``tags`` always carry linkage."""
    return variant_app(blog_app, article_schema=LinkedArticleSchema).test_client()


def test_rel_3_include_resource_linkage_renders_data(
    linked_client: JsonApiClient, blog: Blog
) -> None:
    """REL-3: ``include_resource_linkage=True`` renders linkage without ``include``."""
    response = linked_client.get("/articles")
    assert response.status_code == 200
    by_id = {r["id"]: r["relationships"] for r in response.document["data"]}
    full, empty = by_id[str(blog.article)], by_id[str(blog.empty_article)]
    assert full["author"]["data"] == {"type": "authors", "id": str(blog.authors[0])}
    assert full["tags"]["data"] == [{"type": "tags", "id": str(t)} for t in blog.tags[:2]]
    assert (empty["author"]["data"], empty["tags"]["data"]) == (None, [])
    assert "data" not in full["comments"] and "included" not in response.document


def test_rel_3_linkage_survives_sparse_fieldsets(linked_client: JsonApiClient, blog: Blog) -> None:
    """FLD-2: a fieldset naming only ``author`` keeps its linkage and drops the rest."""
    response = linked_client.get(
        f"/articles/{blog.article}", query_string={"fields[articles]": "author"}
    )
    data = response.document["data"]
    assert data["attributes"] == {}
    assert set(data["relationships"]) == {"author"}
    assert data["relationships"]["author"]["data"]["id"] == str(blog.authors[0])


@pytest.fixture
def slash_client(blog_app: flask.Flask) -> JsonApiClient:
    """A client of an API registered as ``/articles/``, ``/authors/``, ... ."""
    return variant_app(blog_app, trailing_slash=True).test_client()


def test_links_honour_trailing_slash_style(slash_client: JsonApiClient, blog: Blog) -> None:
    """FET-1/FET-6: an API registered at ``/articles/`` gets ``.../relationships/tags/``."""
    response = slash_client.get(f"/articles/{blog.article}/")
    assert response.status_code == 200
    data = response.document["data"]
    assert _path(data["links"]["self"]) == f"/articles/{blog.article}/"
    links = data["relationships"]["tags"]["links"]
    assert _path(links["self"]) == f"/articles/{blog.article}/relationships/tags/"
    assert _path(links["related"]) == f"/articles/{blog.article}/tags/"
    linkage, related = slash_client.get(links["self"]), slash_client.get(links["related"])
    assert (linkage.status_code, related.status_code) == (200, 200)
    assert [r["id"] for r in related.document["data"]] == [str(t) for t in blog.tags[:2]]


def test_trailing_slash_relationship_write(
    slash_client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-1: the slash-style relationship route accepts writes."""
    response = slash_client.patch(
        f"/articles/{blog.article}/relationships/author/",
        json={"data": {"type": "authors", "id": str(blog.authors[1])}},
    )
    assert response.status_code == 200, response.document
    assert response.document["data"] == {"type": "authors", "id": str(blog.authors[1])}
    assert _path(response.document["links"]["self"]) == (
        f"/articles/{blog.article}/relationships/author/"
    )
    assert row(db_session, Article, blog.article)["author_id"] == blog.authors[1]


def _links(client: JsonApiClient, url: str, **request: Any) -> list[str]:
    """The top-level ``self`` link and every resource's ``self`` link of ``url``."""
    response = client.get(url, **request)
    assert response.status_code == 200, response.document
    return [
        response.document["links"]["self"],
        *(r["links"]["self"] for r in _resources(response.document)),
    ]


def test_res_9_links_name_each_requests_host_not_an_untrusted_forwarded_host(
    client: JsonApiClient, blog: Blog
) -> None:
    """RES-9, FET-1: links name the host of each request (its ``Host``): one server (the
    same ``SERVER_NAME``) answering two hosts, with an ``X-Forwarded-Host`` that no proxy
    middleware trusts, gives each its own, whichever asked first."""
    url = f"/articles/{blog.article}?include=author"
    server = {"SERVER_NAME": "backend", "SERVER_PORT": "8000"}
    forwarded = {"X-Forwarded-Host": "api.example"}
    for host in ["evil.example", "api.example", "evil.example"]:
        links = _links(
            client, url, base_url=f"http://{host}", headers=forwarded, environ_overrides=server
        )
        assert all(link.startswith(f"http://{host}/") for link in links), links


def test_res_9_links_follow_a_forwarded_host_that_proxy_fix_trusts(
    blog_app: flask.Flask, blog: Blog
) -> None:
    """RES-9: behind werkzeug's ``ProxyFix`` (``x_host=1, x_proto=1``) links name the
    forwarded host and scheme, each request its own (one server, one port)."""
    proxied = ProxyFix(blog_app.wsgi_app, x_host=1, x_proto=1)
    blog_app.wsgi_app = proxied  # type: ignore[method-assign]
    client = blog_app.test_client()
    server = {"SERVER_NAME": "backend", "SERVER_PORT": "8000"}
    for scheme, host in [("http", "one.example"), ("https", "one.example"), ("https", "two")]:
        headers = {"X-Forwarded-Host": host, "X-Forwarded-Proto": scheme}
        url = f"/articles/{blog.article}"
        links = _links(client, url, headers=headers, environ_overrides=server)
        assert all(link.startswith(f"{scheme}://{host}/") for link in links), links


def test_res_9_links_without_a_host_header_name_the_server(
    blog_app: flask.Flask, blog: Blog
) -> None:
    """RES-9: a request without ``Host`` (HTTP/1.0), from a server that leaves an empty
    ``SCRIPT_NAME`` out (PEP 3333 allows it), links to the server's name and port: each
    listener its own."""
    inner = blog_app.wsgi_app

    def bare_server(environ: dict[str, Any], start_response: Any) -> Any:
        environ.pop("HTTP_HOST", None)
        environ.pop("SCRIPT_NAME", None)
        return inner(environ, start_response)

    blog_app.wsgi_app = bare_server  # type: ignore[method-assign]
    client = blog_app.test_client()
    url = f"/articles/{blog.article}?include=author"
    for name, port in [("one.example", "8000"), ("two.example", "8001"), ("one.example", "8001")]:
        server = {"SERVER_NAME": name, "SERVER_PORT": port}
        links = _links(client, url, environ_overrides=server)
        assert all(link.startswith(f"http://{name}:{port}/") for link in links), links


@pytest.mark.parametrize("mount", ["/v1", "/shop/ONYX", "/v2/"])
def test_res_9_links_keep_each_requests_mount_point(
    client: JsonApiClient, blog: Blog, mount: str
) -> None:
    """RES-9, FET-1: an app mounted under a path (``SCRIPT_NAME``) links under it, one
    slash between it and the API's path; the same app reached without it, or under another
    one, links to each request's own."""
    url = f"/articles/{blog.article}?include=author"
    prefix = mount.rstrip("/")
    for script in [mount, "", "/other"]:
        links = _links(client, url, environ_overrides={"SCRIPT_NAME": script})
        expected = f"http://localhost{prefix if script == mount else script}/"
        assert all(link.startswith(expected + "a") for link in links), links


def test_pag_prev_of_the_second_one_item_page_is_the_first(
    client: JsonApiClient, blog: Blog
) -> None:
    """PAG-*: with one item per page, the second page (offset 1) has a ``prev`` link."""
    response = client.get("/articles?page[number]=2&page[size]=1")
    assert response.status_code == 200
    assert response.document["links"]["prev"] == (
        "http://localhost/articles?page%5Bnumber%5D=1&page%5Bsize%5D=1"
    )


class LabelSchema(Schema):
    id = fields.Str()
    text = fields.Str()

    class Meta:
        type_ = "labels"


@pytest.mark.parametrize("id_", ["plain", "with space", "50%", "ünï", "a;b=c"])
def test_res_9_self_link_of_an_id_that_needs_quoting_answers_it(id_: str) -> None:
    """RES-9: a string id with characters a URL path segment cannot hold as they are is
    percent-encoded in the resource's links, and each link answers that resource."""
    repository = MemoryRepository([SimpleNamespace(id=id_, text="t")])
    viewset = ResourceRepositoryViewSet(schema=LabelSchema, repository=repository)
    app = notes_app(lambda api: api.repository(viewset, "labels", "/labels"))
    client = app.test_client()
    (resource,) = client.get("/labels").document["data"]
    assert resource["id"] == id_
    link = resource["links"]["self"]
    assert link == f"http://localhost/labels/{quote(id_, safe='')}"
    assert client.get(link).document["data"] == resource


def test_res_9_self_link_of_an_id_with_a_slash_keeps_it_one_segment() -> None:
    """RES-9: a ``/`` in an id is percent-encoded in its links, not a path separator.
    (WSGI servers decode ``%2F`` in the path, so such a link does not route back to the
    resource: ids with ``/`` are best avoided.)"""
    repository = MemoryRepository([SimpleNamespace(id="a/b", text="t")])
    viewset = ResourceRepositoryViewSet(schema=LabelSchema, repository=repository)
    app = notes_app(lambda api: api.repository(viewset, "labels", "/labels"))
    (resource,) = app.test_client().get("/labels").document["data"]
    assert resource["links"]["self"] == "http://localhost/labels/a%2Fb"


# Query strings of the characters that decide request_url()'s way: its plain ones, those
# urlencode() quotes, separators, escapes, and one beyond ASCII; as text, and as pairs
# (names sent twice among them).
_QUERY_CHARACTER = st.sampled_from("ab_.~-[],=&+%2F /;é?")
_QUERY_WORD = st.text(alphabet=st.sampled_from("ab[],_-"), max_size=6) | st.text(
    alphabet=_QUERY_CHARACTER, max_size=6
)
_QUERY_TEXT = st.text(alphabet=_QUERY_CHARACTER, max_size=40) | st.lists(
    st.tuples(st.sampled_from(["a", "b", "page[size]", "x,y"]) | _QUERY_WORD, _QUERY_WORD),
    max_size=4,
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))


@given(query=_QUERY_TEXT)
@example(query="a=1&b=2&a=3")  # args groups a name's values: not the query as sent
def test_fet_1_self_link_is_the_query_as_urlencode_writes_it(query: str) -> None:
    """FET-1: whatever the query string, the request's URL in ``self`` links is its
    parameters as ``urlencode()`` writes them (the plain query written out is the same)."""
    app = flask.Flask(__name__)
    # As a WSGI server hands it over: the bytes of the URL, read as Latin-1.
    environ = {"QUERY_STRING": query.encode().decode("latin-1")}
    with app.test_request_context("/articles", environ_overrides=environ):
        args = flask.request.args
        expected = "http://localhost/articles"
        if args:
            expected += "?" + urlencode(list(args.items(multi=True)))
        assert request_url() == expected
