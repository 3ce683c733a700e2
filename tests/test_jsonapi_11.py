"""JSON:API 1.1 on the relationship, related and atomic endpoints (DOC-11, DOC-13, CN-*,
EXT-*, PROF-*) and ``lid`` in plain request documents (ID-3..6)."""

from __future__ import annotations

from typing import Any

import pytest

from examples.blog.models import Article
from tests.support.blog_rows import article_tag_pairs, row
from tests.support.client import JsonApiClient
from tests.support.relationship_rows import Blog, arrange_blog, table_counts

MEDIA_TYPE = "application/vnd.api+json"
ATOMIC = "https://jsonapi.org/ext/atomic"
ATOMIC_TYPE = f'{MEDIA_TYPE}; ext="{ATOMIC}"'
OTHER_EXT = "https://example.com/ext/other"
PROFILE = "https://example.com/profiles/unknown"


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _add_tag(name: str) -> dict[str, Any]:
    return {
        "atomic:operations": [{"op": "add", "data": {"type": "tags", "attributes": {"name": name}}}]
    }


def _tag_names(client: JsonApiClient) -> set[str]:
    return {t["attributes"]["name"] for t in client.get("/tags").document["data"]}


@pytest.mark.parametrize(
    "url",
    [
        "/articles/{article}/relationships/tags",
        "/articles/{article}/tags",
        "/articles/{article}/author",
        "/articles/999/relationships/tags",
        "/articles/{article}/nothing",
    ],
    ids=["relationship", "related-many", "related-one", "error-404", "unknown-relationship"],
)
def test_doc_11_version_is_1_1(client: JsonApiClient, blog: Blog, url: str) -> None:
    """DOC-11: relationship and related documents, errors too, say ``version: "1.1"``."""
    response = client.get(url.format(article=blog.article))
    assert response.document["jsonapi"]["version"] == "1.1"
    assert response.headers["Content-Type"] == MEDIA_TYPE


def test_doc_11_cn_4_atomic_response(client: JsonApiClient, db_session: Any) -> None:
    """DOC-11/CN-4/CN-19: an atomic response names the extension in the header and body."""
    response = client.post(
        "/operations",
        json=_add_tag("new"),
        headers={"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    assert response.document["jsonapi"] == {"version": "1.1", "ext": [ATOMIC]}
    assert "new" in _tag_names(client)


def test_cn_19_an_extension_named_twice_is_applied_and_named_once(
    client: JsonApiClient, db_session: Any
) -> None:
    """CN-19/DOC-11: ``ext="atomic atomic"`` is the atomic extension once, in the response's
    Content-Type and in ``jsonapi.ext``."""
    twice = f'application/vnd.api+json; ext="{ATOMIC} {ATOMIC}"'
    response = client.post(
        "/operations", json=_add_tag("twice"), headers={"Content-Type": twice, "Accept": twice}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    assert response.document["jsonapi"]["ext"] == [ATOMIC]
    assert "twice" in _tag_names(client)


def test_cn_4_atomic_errors_carry_the_extension(client: JsonApiClient, db_session: Any) -> None:
    """CN-4/CN-19: error documents of the atomic endpoint carry the extension too."""
    response = client.post(
        "/operations",
        json=_add_tag(""),
        headers={"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE},
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    assert response.document["jsonapi"]["ext"] == [ATOMIC]


def test_cn_19_plain_responses_list_no_extension(client: JsonApiClient, blog: Blog) -> None:
    """CN-19: documents without an applied extension have no ``jsonapi.ext``."""
    response = client.get(f"/articles/{blog.article}/relationships/tags")
    assert "ext" not in response.document["jsonapi"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("PATCH", "/articles/{article}/relationships/tags", {"data": []}),
        ("POST", "/articles/{article}/relationships/tags", {"data": []}),
        ("POST", "/operations", _add_tag("new")),
        ("POST", "/articles", {"data": {"type": "articles", "attributes": {"title": "x"}}}),
    ],
    ids=["relationship-patch", "relationship-post", "operations", "collection"],
)
def test_cn_8_unsupported_ext_in_content_type_is_415(
    client: JsonApiClient, db_session: Any, blog: Blog, method: str, url: str, body: Any
) -> None:
    """CN-8/EXT-2: a Content-Type with an unsupported ext is 415; nothing is written."""
    before = table_counts(db_session), article_tag_pairs(db_session)
    response = client.open(
        url.format(article=blog.article),
        method=method,
        json=body,
        headers={"Content-Type": f'{MEDIA_TYPE}; ext="{ATOMIC} {OTHER_EXT}"'},
    )
    assert response.status_code == 415
    assert response.document["errors"][0]["source"] == {"header": "Content-Type"}
    assert (table_counts(db_session), article_tag_pairs(db_session)) == before


@pytest.mark.parametrize(
    ("url", "accept"),
    [
        ("/articles/{article}/relationships/tags", f'{MEDIA_TYPE}; ext="{OTHER_EXT}"'),
        ("/articles/{article}/tags", f'{MEDIA_TYPE}; ext="{ATOMIC}"'),
        (
            "/articles/{article}/author",
            f'{MEDIA_TYPE}; ext="{OTHER_EXT}", {MEDIA_TYPE}; ext="{ATOMIC}"',
        ),
    ],
    ids=["unknown-ext", "ext-not-on-this-endpoint", "every-entry"],
)
def test_cn_12_unsupported_ext_in_every_accept_entry_is_406(
    client: JsonApiClient, blog: Blog, url: str, accept: str
) -> None:
    """CN-12: when every JSON:API Accept entry names an unsupported ext, 406."""
    response = client.get(url.format(article=blog.article), headers={"Accept": accept})
    assert response.status_code == 406
    assert response.document["errors"][0]["source"] == {"header": "Accept"}


def test_cn_12_operations_with_only_unsupported_accept_is_406(
    client: JsonApiClient, db_session: Any
) -> None:
    """CN-12/ATOM-26: the atomic endpoint refuses an Accept of only other extensions."""
    response = client.post(
        "/operations",
        json=_add_tag("new"),
        headers={"Content-Type": ATOMIC_TYPE, "Accept": f'{MEDIA_TYPE}; ext="{OTHER_EXT}"'},
    )
    assert response.status_code == 406
    assert "new" not in _tag_names(client)


def test_cn_14_accept_picks_the_supported_entry(client: JsonApiClient, db_session: Any) -> None:
    """CN-12/CN-14: one unusable and one atomic Accept entry: the atomic one is used."""
    response = client.post(
        "/operations",
        json=_add_tag("new"),
        headers={
            "Content-Type": ATOMIC_TYPE,
            "Accept": f'{MEDIA_TYPE}; ext="{OTHER_EXT}", {ATOMIC_TYPE}',
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ATOMIC_TYPE


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Content-Type", f'{MEDIA_TYPE}; profile="{PROFILE}"'),
        ("Accept", f'{MEDIA_TYPE}; profile="{PROFILE} https://example.com/p2"'),
    ],
    ids=["content-type", "accept"],
)
def test_prof_1_unknown_profiles_are_ignored(
    client: JsonApiClient, db_session: Any, blog: Blog, header: str, value: str
) -> None:
    """PROF-1/CN-9/CN-13: unknown profiles are accepted, ignored and not echoed."""
    response = client.post(
        f"/articles/{blog.article}/relationships/tags",
        json={"data": [{"type": "tags", "id": str(blog.tags[2])}]},
        headers={header: value},
    )
    assert response.status_code == 200, response.document
    assert response.headers["Content-Type"] == MEDIA_TYPE
    assert sorted(int(t["id"]) for t in response.document["data"]) == list(blog.tags)
    assert article_tag_pairs(db_session) == {(blog.article, tag) for tag in blog.tags}


def test_prof_1_profile_next_to_atomic_ext(client: JsonApiClient, db_session: Any) -> None:
    """PROF-1/CN-5: a profile beside the atomic ext is ignored; only the ext is echoed."""
    value = f'{ATOMIC_TYPE}; profile="{PROFILE}"'
    response = client.post(
        "/operations", json=_add_tag("new"), headers={"Content-Type": value, "Accept": value}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ATOMIC_TYPE
    assert "profile" not in response.document["jsonapi"]
    assert "new" in _tag_names(client)


def test_id_4_post_with_lid_is_created(client: JsonApiClient, db_session: Any) -> None:
    """ID-3/ID-4: a plain POST whose resource carries a ``lid`` is created."""
    body = {"data": {"type": "articles", "lid": "draft-1", "attributes": {"title": "With lid"}}}
    response = client.post("/articles", json=body)
    assert response.status_code == 201
    stored = row(db_session, Article, int(response.document["data"]["id"]))
    assert stored["title"] == "With lid"


def test_id_6_unknown_lid_in_linkage_is_404(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """ID-5/ID-6: linkage by a ``lid`` nothing in the request defined is 404, pointing at it."""
    before = table_counts(db_session)
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "x"},
            "relationships": {"author": {"data": {"type": "authors", "lid": "nobody"}}},
        }
    }
    response = client.post("/articles", json=body)
    assert response.status_code == 404
    pointer = response.document["errors"][0]["source"]["pointer"]
    assert pointer == "/data/relationships/author/data/lid"
    detail = response.document["errors"][0]["detail"]
    assert detail == "No resource with lid 'nobody' was created before this one."
    assert table_counts(db_session) == before


def test_id_3_non_string_lid_is_400(client: JsonApiClient, db_session: Any) -> None:
    """ID-3: ``lid`` values are strings; a number is 400 at ``/data/lid``."""
    body = {"data": {"type": "articles", "lid": 7, "attributes": {"title": "x"}}}
    response = client.post("/articles", json=body)
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"pointer": "/data/lid"}
    assert table_counts(db_session)["articles"] == 0


def test_doc_13_at_members_are_ignored(client: JsonApiClient, db_session: Any, blog: Blog) -> None:
    """DOC-13: @-members in attributes, relationships and the document are not fields."""
    body = {
        "@context": "https://example.com/context",
        "data": {
            "type": "articles",
            "attributes": {"title": "Annotated", "@note": "ignored"},
            "relationships": {
                "@extra": {"anything": True},
                "author": {"data": {"type": "authors", "id": str(blog.authors[0])}},
            },
        },
    }
    response = client.post("/articles", json=body)
    assert response.status_code == 201
    assert "@note" not in response.document["data"]["attributes"]
    stored = row(db_session, Article, int(response.document["data"]["id"]))
    assert (stored["title"], stored["author_id"]) == ("Annotated", blog.authors[0])


def test_doc_13_at_members_are_ignored_in_patch(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """DOC-13: a PATCH whose attributes carry an @-member updates the real ones only."""
    body = {
        "data": {
            "type": "articles",
            "id": str(blog.article),
            "attributes": {"@title": "no", "views": 5},
        }
    }
    response = client.patch(f"/articles/{blog.article}", json=body)
    assert response.status_code == 200
    stored = row(db_session, Article, blog.article)
    assert (stored["title"], stored["views"]) == ("Article 1", 5)
