"""Relationship endpoints ``/articles/<id>/relationships/<name>`` (FET-6..10, UREL-*)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import flask
import pytest

from examples.blog.models import Article
from flask_jsonapi import Api, ResourceRepositoryViewSet
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.schema import Schema, fields
from tests.support.blog_rows import article_tag_pairs, row
from tests.support.blog_variants import NoReplaceArticleSchema, variant_app
from tests.support.client import JsonApiClient
from tests.support.relationship_rows import Blog, arrange_blog, comment_articles, table_counts


@pytest.fixture
def blog(db_session: Any) -> Blog:
    return arrange_blog(db_session)


def _ids(identifiers: list[dict[str, str]], type_: str) -> list[int]:
    assert all(identifier["type"] == type_ for identifier in identifiers), identifiers
    return [int(identifier["id"]) for identifier in identifiers]


def _tags(blog: Blog, *indexes: int) -> list[dict[str, str]]:
    return [{"type": "tags", "id": str(blog.tags[i])} for i in indexes]


# -- GET: linkage (FET-6, FET-7, FET-8, FET-10, REL-3, REL-5) ----------------------------


def test_fet_7_to_one_linkage(client: JsonApiClient, blog: Blog) -> None:
    """FET-7/FET-8: a to-one relationship answers its identifier and self/related links."""
    response = client.get(f"/articles/{blog.article}/relationships/author")
    assert response.status_code == 200
    document = response.document
    assert document["data"] == {"type": "authors", "id": str(blog.authors[0])}
    assert document["links"]["self"].endswith(f"/articles/{blog.article}/relationships/author")
    assert document["links"]["related"].endswith(f"/articles/{blog.article}/author")


def test_fet_10_empty_relationships_are_null_and_empty_list(
    client: JsonApiClient, blog: Blog
) -> None:
    """FET-10/REL-3: empty relationships answer 200 with null and [], never 404."""
    to_one = client.get(f"/articles/{blog.empty_article}/relationships/author")
    to_many = client.get(f"/articles/{blog.empty_article}/relationships/tags")
    assert (to_one.status_code, to_one.document["data"]) == (200, None)
    assert (to_many.status_code, to_many.document["data"]) == (200, [])
    assert to_many.document["meta"]["count"] == 0


def test_fet_7_rel_5_to_many_linkage_is_paginated(client: JsonApiClient, blog: Blog) -> None:
    """REL-5/PAG-1: to-many linkage pages with page[...], links and meta.count."""
    url = f"/articles/{blog.article}/relationships/comments"
    first = client.get(url, query_string={"page[size]": "2"})
    assert first.status_code == 200
    assert _ids(first.document["data"], "comments") == list(blog.comments[:2])
    assert first.document["meta"]["count"] == 3
    links = first.document["links"]
    assert links["self"].endswith(url)
    assert links["related"].endswith(f"/articles/{blog.article}/comments")
    assert links.get("prev") is None
    second = client.get(links["next"])
    assert second.status_code == 200
    assert _ids(second.document["data"], "comments") == [blog.comments[2]]
    assert second.document["links"].get("next") is None
    assert client.get(links["last"]).document["data"] == second.document["data"]


@pytest.mark.parametrize(
    "url",
    ["/articles/999/relationships/tags", "/articles/{article}/relationships/nothing"],
    ids=["missing-parent", "unknown-relationship"],
)
def test_fet_9_relationship_url_that_does_not_exist(
    client: JsonApiClient, blog: Blog, url: str
) -> None:
    """FET-9: a missing parent or an unknown relationship name is 404."""
    response = client.get(url.format(article=blog.article))
    assert response.status_code == 404
    assert response.document["errors"][0]["status"] == "404"


# -- PATCH to-one (UREL-1, UREL-2) --------------------------------------------------------


def test_urel_1_patch_to_one_with_identifier(client: JsonApiClient, db_session, blog: Blog) -> None:
    """UREL-1/UREL-2: PATCH with an identifier sets the foreign key."""
    new_author = {"type": "authors", "id": str(blog.authors[1])}
    response = client.patch(
        f"/articles/{blog.article}/relationships/author", json={"data": new_author}
    )
    assert response.status_code == 200, response.document
    assert response.document["data"] == new_author
    assert row(db_session, Article, blog.article)["author_id"] == blog.authors[1]


def test_urel_1_patch_to_one_with_null_clears_it(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-1: PATCH with ``data: null`` clears the relationship (the FK becomes NULL)."""
    response = client.patch(f"/articles/{blog.article}/relationships/author", json={"data": None})
    assert response.status_code == 200, response.document
    assert response.document["data"] is None
    assert row(db_session, Article, blog.article)["author_id"] is None
    assert client.get(f"/articles/{blog.article}/author").document["data"] is None


# -- to-many PATCH / POST / DELETE (UREL-3..7, UREL-16) ----------------------------------


def test_urel_4_patch_to_many_replaces_all_members(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-4: PATCH replaces the association rows completely."""
    url = f"/articles/{blog.article}/relationships/tags"
    response = client.patch(url, json={"data": _tags(blog, 2)})
    assert response.status_code == 200, response.document
    assert _ids(response.document["data"], "tags") == [blog.tags[2]]
    assert article_tag_pairs(db_session) == {(blog.article, blog.tags[2])}
    assert _ids(client.get(url).document["data"], "tags") == [blog.tags[2]]


def test_urel_4_patch_to_many_with_empty_list(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-3/UREL-4: ``data: []`` empties a to-many relationship."""
    response = client.patch(f"/articles/{blog.article}/relationships/tags", json={"data": []})
    assert response.status_code == 200, response.document
    assert response.document["data"] == []
    assert article_tag_pairs(db_session) == set()


def test_urel_16_replacing_one_to_many_deletes_orphans(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-4/UREL-16: comments cannot live without an article, so the dropped ones go."""
    keep = {"type": "comments", "id": str(blog.comments[0])}
    response = client.patch(
        f"/articles/{blog.article}/relationships/comments", json={"data": [keep]}
    )
    assert response.status_code == 200, response.document
    assert response.document["data"] == [keep]
    assert comment_articles(db_session) == {blog.comments[0]: blog.article}


def test_urel_5_post_adds_missing_members(client: JsonApiClient, db_session, blog: Blog) -> None:
    """UREL-5/UREL-6: POST adds the new member and keeps the present one once."""
    url = f"/articles/{blog.article}/relationships/tags"
    response = client.post(url, json={"data": _tags(blog, 1, 2)})
    assert response.status_code == 200, response.document
    assert sorted(_ids(response.document["data"], "tags")) == list(blog.tags)
    assert article_tag_pairs(db_session) == {(blog.article, tag) for tag in blog.tags}
    assert _ids(client.get(url).document["data"], "tags") == list(blog.tags)


def test_urel_6_post_of_present_members_is_idempotent(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-5/UREL-6/UREL-10: adding existing members succeeds and duplicates nothing."""
    before = article_tag_pairs(db_session)
    url = f"/articles/{blog.article}/relationships/tags"
    for _ in range(2):
        response = client.post(url, json={"data": _tags(blog, 0, 1)})
        assert response.status_code == 200, response.document
        assert sorted(_ids(response.document["data"], "tags")) == list(blog.tags[:2])
    assert article_tag_pairs(db_session) == before
    assert _ids(client.get(url).document["data"], "tags") == list(blog.tags[:2])


def test_urel_5_post_moves_comment_to_another_article(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-5: adding a comment to a one-to-many relationship sets its foreign key."""
    moved = {"type": "comments", "id": str(blog.comments[1])}
    response = client.post(
        f"/articles/{blog.empty_article}/relationships/comments", json={"data": [moved]}
    )
    assert response.status_code == 200, response.document
    assert response.document["data"] == [moved]
    assert comment_articles(db_session)[blog.comments[1]] == blog.empty_article
    assert comment_articles(db_session)[blog.comments[0]] == blog.article


def test_urel_7_delete_removes_members(client: JsonApiClient, db_session, blog: Blog) -> None:
    """UREL-7: DELETE removes the given members only; the tags themselves remain."""
    url = f"/articles/{blog.article}/relationships/tags"
    response = client.delete(url, json={"data": _tags(blog, 0)})
    assert response.status_code == 200, response.document
    assert _ids(response.document["data"], "tags") == [blog.tags[1]]
    assert article_tag_pairs(db_session) == {(blog.article, blog.tags[1])}
    assert table_counts(db_session)["tags"] == 3


def test_urel_7_delete_of_absent_members_succeeds(
    client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-7/UREL-10: removing a member that is not there succeeds and changes nothing."""
    before = article_tag_pairs(db_session)
    response = client.delete(
        f"/articles/{blog.article}/relationships/tags", json={"data": _tags(blog, 2)}
    )
    assert response.status_code == 200, response.document
    assert sorted(_ids(response.document["data"], "tags")) == list(blog.tags[:2])
    assert article_tag_pairs(db_session) == before


# -- errors (UREL-12, UREL-14, UREL-15, CRT-13-like 409) -------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "POST", "DELETE"])
def test_urel_15_missing_parent_is_404(
    client: JsonApiClient, db_session, blog: Blog, method: str
) -> None:
    """UREL-15: every write to the relationship of a missing resource is 404."""
    before = table_counts(db_session)
    response = client.open(
        "/articles/999/relationships/tags", method=method, json={"data": _tags(blog, 2)}
    )
    assert response.status_code == 404
    assert table_counts(db_session) == before


@pytest.mark.parametrize(
    ("method", "member", "data"),
    [
        ("PATCH", "author", {"type": "authors", "id": "999"}),
        ("PATCH", "tags", [{"type": "tags", "id": "999"}]),
        ("POST", "tags", [{"type": "tags", "id": "999"}]),
        ("DELETE", "tags", [{"type": "tags", "id": "999"}]),
    ],
    ids=["patch-to-one", "patch-to-many", "post", "delete"],
)
def test_urel_15_missing_target_is_404(
    client: JsonApiClient, db_session, blog: Blog, method: str, member: str, data: Any
) -> None:
    """UREL-15: an identifier of a resource that does not exist is 404, nothing changes."""
    before = (article_tag_pairs(db_session), row(db_session, Article, blog.article))
    response = client.open(
        f"/articles/{blog.article}/relationships/{member}", method=method, json={"data": data}
    )
    assert response.status_code == 404
    assert response.document["errors"][0]["source"]["pointer"].startswith("/data")
    assert (article_tag_pairs(db_session), row(db_session, Article, blog.article)) == before


@pytest.mark.parametrize(
    ("method", "member", "data", "pointer"),
    [
        ("PATCH", "author", {"type": "tags", "id": "1"}, "/data/type"),
        ("PATCH", "tags", [{"type": "authors", "id": "1"}], "/data/0/type"),
        ("POST", "tags", [{"type": "comments", "id": "1"}], "/data/0/type"),
    ],
    ids=["to-one", "to-many-patch", "to-many-post"],
)
def test_wrong_type_is_409(
    client: JsonApiClient, db_session, blog: Blog, method: str, member: str, data: Any, pointer: str
) -> None:
    """A linkage type the relationship does not hold is 409 with a pointer at the type."""
    before = (article_tag_pairs(db_session), row(db_session, Article, blog.article))
    response = client.open(
        f"/articles/{blog.article}/relationships/{member}", method=method, json={"data": data}
    )
    assert response.status_code == 409
    assert response.document["errors"][0]["source"] == {"pointer": pointer}
    assert (article_tag_pairs(db_session), row(db_session, Article, blog.article)) == before


@pytest.fixture
def no_replace_client(blog_app: flask.Flask) -> JsonApiClient:
    """A client of an API whose article ``tags`` refuse full replacement."""
    return variant_app(blog_app, article_schema=NoReplaceArticleSchema).test_client()


def test_urel_4_urel_12_full_replacement_disabled_is_403(
    no_replace_client: JsonApiClient, db_session, blog: Blog
) -> None:
    """UREL-4/UREL-12: PATCH of a relationship with ``allow_replace=False`` is 403."""
    before = article_tag_pairs(db_session)
    url = f"/articles/{blog.article}/relationships/tags"
    response = no_replace_client.patch(url, json={"data": _tags(blog, 2)})
    assert response.status_code == 403
    assert article_tag_pairs(db_session) == before
    added = no_replace_client.post(url, json={"data": _tags(blog, 2)})
    assert added.status_code == 200, added.document
    assert sorted(_ids(added.document["data"], "tags")) == list(blog.tags)
    assert (blog.article, blog.tags[2]) in article_tag_pairs(db_session)


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_urel_14_post_delete_on_to_one_is_405(
    client: JsonApiClient, db_session, blog: Blog, method: str
) -> None:
    """UREL-14: POST/DELETE on a to-one relationship is 405 with an Allow header."""
    data = {"type": "authors", "id": str(blog.authors[1])}
    response = client.open(
        f"/articles/{blog.article}/relationships/author", method=method, json={"data": data}
    )
    assert response.status_code == 405
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert {"GET", "PATCH"} <= allowed and method not in allowed
    assert row(db_session, Article, blog.article)["author_id"] == blog.authors[0]


@pytest.mark.parametrize(
    ("member", "body", "pointer"),
    [
        ("tags", {"meta": {}}, ""),
        ("tags", [], ""),
        ("tags", {"data": {"type": "tags", "id": "1"}}, "/data"),
        ("tags", {"data": None}, "/data"),
        ("tags", {"data": [{"id": "1"}]}, "/data/0"),
        ("tags", {"data": [{"type": "tags", "id": 1}]}, "/data/0/id"),
        ("tags", {"data": [{"type": "tags"}]}, "/data/0"),
        ("tags", {"data": ["1"]}, "/data/0"),
        ("author", {"data": [{"type": "authors", "id": "1"}]}, "/data"),
        ("author", {"data": "1"}, "/data"),
    ],
    ids=[
        "no-data",
        "not-an-object",
        "object-for-to-many",
        "null-for-to-many",
        "no-type",
        "integer-id",
        "no-id",
        "string-identifier",
        "array-for-to-one",
        "string-for-to-one",
    ],
)
def test_urel_1_urel_3_malformed_body_is_400(
    client: JsonApiClient, db_session, blog: Blog, member: str, body: Any, pointer: str
) -> None:
    """UREL-1/UREL-3: a body that is not the expected linkage is 400 with a pointer."""
    before = (article_tag_pairs(db_session), row(db_session, Article, blog.article))
    response = client.patch(f"/articles/{blog.article}/relationships/{member}", json=body)
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"pointer": pointer}
    assert (article_tag_pairs(db_session), row(db_session, Article, blog.article)) == before


def test_urel_3_invalid_json_is_400(client: JsonApiClient, blog: Blog) -> None:
    """A body that is not JSON is 400 pointing at the document root."""
    response = client.patch(
        f"/articles/{blog.article}/relationships/tags",
        data=b"{not json",
        content_type="application/vnd.api+json",
    )
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"pointer": ""}


def test_urel_12_required_to_one_cannot_be_emptied(
    client: JsonApiClient, db_session: Any, blog: Blog
) -> None:
    """UREL-12/UPD-12: a comment's required article cannot be set to null; it stays stored."""
    response = client.patch(
        f"/comments/{blog.comments[0]}/relationships/article", json={"data": None}
    )
    assert response.status_code == 409
    assert comment_articles(db_session) == dict.fromkeys(blog.comments, blog.article)


def test_inc_2_include_on_relationship_endpoint_is_400(client: JsonApiClient, blog: Blog) -> None:
    """INC-2: relationship endpoints do not support ``include``: 400 naming the parameter."""
    response = client.get(
        f"/articles/{blog.article}/relationships/tags", query_string={"include": "articles"}
    )
    assert response.status_code == 400
    assert response.document["errors"][0]["source"] == {"parameter": "include"}


class _Box(Schema):
    id = fields.Int()
    name = fields.Str()
    items = fields.Relationship(type_="items", many=True)

    class Meta:
        type_ = "boxes"


class _Item(Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "items"


class _SnapshotRepository(MemoryRepository):
    """Storage of the user's that keeps records immutable: an update stores, and answers,
    a new record; what was read before stays as it was."""

    def update(self, data: dict[str, Any], **kwargs: Any) -> Any:
        old = self.get_detail(data["id"])
        new = SimpleNamespace(**{**vars(old), **{k: v for k, v in data.items() if k != "id"}})
        self.objects[old.id] = new
        return new


@pytest.mark.parametrize(("method", "expected"), [("post", ["1", "2"]), ("delete", [])])
def test_urel_2_answer_is_the_written_record_of_the_hooks(method: str, expected: list[str]) -> None:
    """UREL-2, UREL-6, UREL-7: adding or removing members through an update hook that
    answers a new record: the 200 lists the members stored, not those read before."""
    items = MemoryRepository([SimpleNamespace(id=1, name="a"), SimpleNamespace(id=2, name="b")])
    boxes = _SnapshotRepository([SimpleNamespace(id=1, name="box", items=[items.objects[1]])])
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    api.repository(ResourceRepositoryViewSet(schema=_Box, repository=boxes), "boxes", "/boxes")
    api.repository(ResourceRepositoryViewSet(schema=_Item, repository=items), "items", "/items")
    item = "2" if method == "post" else "1"
    response = getattr(app.test_client(), method)(
        "/boxes/1/relationships/items", json={"data": [{"type": "items", "id": item}]}
    )
    assert response.status_code == 200, response.document
    assert [member["id"] for member in response.document["data"]] == expected
    assert [obj.id for obj in boxes.objects[1].items] == [int(id_) for id_ in expected]
