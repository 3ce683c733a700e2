"""Security holds per resource type, on every path that reaches its rows.

``docs`` is guarded (``tests/support/secured.py``): (a) by a :class:`~flask_jsonapi.Policy`
row scope, (b) by the original's ``ProtectedViewSet`` + ``ObjectLevelPermissionChecker``,
(c) by ``Api(decorators=...)``, (d) by the docs view set's own ``view_decorators``. Alice
(``X-User: 1``) must learn nothing of bob's doc 2 through any path: include at depth 1 to
3, related and relationship endpoints, linkage, filters and sorts through relationships,
counts, cursor pages, writes from the other side, and every kind of atomic operation;
and nothing of his is changed. Under the policy a hidden row answers 404 exactly like a
missing one; the original's checker keeps its 403 on the type's own URLs.
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask
import pytest
import sqlalchemy as sa

from examples.blog import api as blog_api
from flask_jsonapi import Api, FilterField, FilterSchema, Policy
from flask_jsonapi.permissions import ObjectLevelPermissionChecker
from flask_jsonapi.schema import fields
from tests.support.blog_variants import variant_app
from tests.support.secured import (
    HIDDEN_TEXT,
    Doc,
    FolderSchema,
    current_user,
    rows,
    secured_app,
    user_required,
)

ALICE = {"X-User": "1"}
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
ROW_GUARDS = ("policy", "checker")

# Reads that reach docs from other types (or docs themselves), each at least once.
READS = [
    "/docs",
    "/docs/1",
    "/docs?include=labels.docs",
    "/docs/1?include=folder.docs",  # depth 2
    "/labels/1?include=docs.folder.docs",  # depth 3
    "/labels/1?include=docs.folder.pinned",  # depth 3, to-one at the end
    "/folders?include=docs,pinned",
    "/folders/1?include=docs",
    "/folders/1?include=pinned",
    "/folders/1/docs",
    "/folders/1/pinned",
    "/labels/1/docs",
    "/labels/1/docs?include=folder.docs",
    "/folders/1/relationships/docs",
    "/folders/1/relationships/pinned",
    "/labels/1/relationships/docs",
    "/docs/1/relationships/labels",
]


def _leaks(response: Any) -> list[str]:
    """What of bob's doc a response shows: its texts anywhere, its id as a docs member."""
    found = [text for text in HIDDEN_TEXT if text in response.get_data(as_text=True)]
    found += [f"header {k}" for k, v in response.headers.items() if "BOB" in v]
    found += [f"docs 2 at {path}" for path in _doc_ids(response.document, "")]
    return found


def _doc_ids(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        if value.get("type") == "docs" and value.get("id") == "2":
            return [path]
        return [p for k, v in value.items() for p in _doc_ids(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _doc_ids(v, f"{path}/{i}")]
    return []


@pytest.fixture(params=ROW_GUARDS)
def guard(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(database_url: str, guard: str) -> flask.Flask:
    return secured_app(database_url, guard)


# -- reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", READS)
def test_reads_show_nothing_hidden(app: flask.Flask, url: str) -> None:
    """INC-*, FET-*, REL-*: included, related, linkage and counts leave doc 2 out."""
    response = app.test_client().get(url, headers=ALICE)
    assert response.status_code == 200, response.document
    assert _leaks(response) == []


def test_counts_and_linkage_count_only_visible_rows(app: flask.Flask, guard: str) -> None:
    client = app.test_client()
    related = client.get("/folders/1/docs", headers=ALICE).document
    assert [d["id"] for d in related["data"]] == ["1"]
    linkage = client.get("/folders/1/relationships/docs", headers=ALICE).document
    assert linkage["data"] == [{"type": "docs", "id": "1"}]
    assert linkage["meta"]["count"] == 1
    included = client.get("/folders/1?include=docs,pinned", headers=ALICE).document
    relationships = included["data"]["relationships"]
    assert relationships["docs"]["data"] == [{"type": "docs", "id": "1"}]
    assert relationships["pinned"]["data"] is None
    assert [(r["type"], r["id"]) for r in included["included"]] == [("docs", "1")]
    if guard == "policy":  # counted in SQL, scoped
        assert related["meta"]["count"] == 1
        assert client.get("/docs", headers=ALICE).document["meta"]["count"] == 1
    else:  # objects checked one by one: no count that could include hidden ones
        assert "meta" not in related


def test_hidden_row_answers_like_a_missing_one(app: flask.Flask, guard: str) -> None:
    """The policy: 404, the same document as for an id that never existed. The original's
    checker keeps its own 403 on the type's URL."""
    client = app.test_client()
    hidden = client.get("/docs/2", headers=ALICE)
    missing = client.get("/docs/99", headers=ALICE)
    if guard == "policy":
        assert hidden.status_code == missing.status_code == 404
        assert hidden.document == _with_id(missing.document, "99", "2")
        assert client.get("/docs/2/folder", headers=ALICE).status_code == 404
        assert client.get("/docs/2/relationships/labels", headers=ALICE).status_code == 404
    else:
        assert hidden.status_code == 403
        assert _leaks(hidden) == []


class OwnDocsChecked(Policy):
    """The policy's rule as an object check (no SQL scope)."""

    def visible(self, obj: Any) -> bool:
        return obj.owner_id == current_user()


def test_a_row_hidden_by_an_object_check_answers_like_a_missing_one(database_url: str) -> None:
    """FET-*, UPD-*, DEL-*: the very document of an id that never existed, on every method."""
    app = secured_app(database_url, "none", policy=OwnDocsChecked())
    client = app.test_client()
    before = rows(app)
    for method in ("get", "patch", "delete"):
        answers = [
            getattr(client, method)(
                f"/docs/{id_}",
                json={"data": {"type": "docs", "id": id_, "attributes": {"title": "x"}}},
                headers=ALICE,
            )
            for id_ in ("2", "99")
        ]
        hidden, missing = answers
        assert hidden.status_code == missing.status_code == 404, method
        assert hidden.document == _with_id(missing.document, "99", "2")
    assert rows(app) == before


class LinkedFolderSchema(FolderSchema):
    """Folders whose relationships always carry linkage (``include_resource_linkage``)."""

    docs = fields.Relationship(type_="docs", many=True, include_resource_linkage=True)
    pinned = fields.Relationship(type_="docs", include_resource_linkage=True)


def test_linkage_without_include_names_no_row_an_object_check_hides(database_url: str) -> None:
    """REL-3, FET-*: linkage shown without ``include`` leaves out the docs the policy's
    object check hides: a hidden to-many member is left out, a hidden to-one is null."""
    app = secured_app(
        database_url, "none", policy=OwnDocsChecked(), folder_schema=LinkedFolderSchema
    )
    client = app.test_client()
    for url in ("/folders/1", "/folders"):
        response = client.get(url, headers=ALICE)
        assert response.status_code == 200, response.document
        assert _leaks(response) == []
    shared = client.get("/folders/1", headers=ALICE).document["data"]["relationships"]
    assert shared["docs"]["data"] == [{"type": "docs", "id": "1"}]
    assert shared["pinned"]["data"] is None
    mine = client.get("/folders/2", headers=ALICE).document["data"]["relationships"]
    assert mine["pinned"]["data"] == {"type": "docs", "id": "1"}


def _with_id(document: Any, old: str, new: str) -> Any:
    text = flask.json.dumps(document)
    return flask.json.loads(re.sub(rf"\b{old}\b", new, text))


def test_filter_through_relationship_is_no_oracle(app: flask.Flask, guard: str) -> None:
    """A filter on a hidden value answers as a filter on a value nobody has; through a type
    whose objects are checked one by one, it is refused in the client's words (FLT-1)."""
    client = app.test_client()
    hidden = client.get("/folders?filter[docs][title][startswith]=BOB-C", headers=ALICE)
    nothing = client.get("/folders?filter[docs][title][startswith]=NOBODY", headers=ALICE)
    assert hidden.status_code == nothing.status_code
    assert hidden.get_data() == nothing.get_data().replace(b"NOBODY", b"BOB-C")
    if guard == "policy":
        assert hidden.document["data"] == []
        visible = client.get("/folders?filter[docs][title]=ALICE-A", headers=ALICE).document
        assert [f["id"] for f in visible["data"]] == ["1"]
    else:  # objects cannot be checked inside SQL: the filter is refused whatever its value
        assert hidden.status_code == 400
        assert hidden.document["errors"][0]["source"] == {
            "parameter": "filter[docs][title][startswith]"
        }
        assert hidden.document["errors"][0]["detail"] == (
            "'filter[docs][title][startswith]' cannot be filtered: "
            "filtering through this relationship is not possible."
        )
    assert client.get("/folders?filter[pinned][owner]=2", headers=ALICE).document.get(
        "data", []
    ) in ([], None)


def test_sort_through_relationship_is_no_oracle(app: flask.Flask, guard: str) -> None:
    """The order of folders does not depend on the title of a doc the client cannot see."""
    client = app.test_client()
    session = app.extensions["secured"]["session"]
    answers = []
    for title in ("AAA", "ZZZ"):
        session.execute(sa.update(Doc).where(Doc.id == 2).values(title=title))
        session.commit()
        session.remove()
        response = client.get("/folders?sort=pinned.title", headers=ALICE)
        answers.append((response.status_code, response.get_data()))
    assert answers[0] == answers[1]
    assert answers[0][0] == (200 if guard == "policy" else 400)


def test_cursor_pages_never_reach_hidden_rows(database_url: str, guard: str) -> None:
    app = secured_app(database_url, guard, pagination="cursor", page_size=1)
    client = app.test_client()
    for url in ("/docs", "/folders/1/docs", "/labels/1/docs"):
        seen = []
        while url:
            response = client.get(url, headers=ALICE)
            assert response.status_code == 200, response.document
            assert _leaks(response) == []
            seen += [item["id"] for item in response.document["data"]]
            url = response.document["links"].get("next")
        assert seen == ["1"]


# -- writes --------------------------------------------------------------------------------

WRITES = [
    ("patch", "/docs/2", {"data": {"type": "docs", "id": "2", "attributes": {"title": "x"}}}),
    ("delete", "/docs/2", None),
    ("patch", "/folders/2/relationships/docs", {"data": [{"type": "docs", "id": "2"}]}),
    ("post", "/folders/2/relationships/docs", {"data": [{"type": "docs", "id": "2"}]}),
    ("delete", "/folders/1/relationships/docs", {"data": [{"type": "docs", "id": "2"}]}),
    ("patch", "/folders/2/relationships/pinned", {"data": {"type": "docs", "id": "2"}}),
    ("patch", "/labels/1/relationships/docs", {"data": [{"type": "docs", "id": "2"}]}),
    (
        "post",
        "/folders",
        {
            "data": {
                "type": "folders",
                "attributes": {"name": "new"},
                "relationships": {"docs": {"data": [{"type": "docs", "id": "2"}]}},
            }
        },
    ),
    (
        "patch",
        "/folders/2",
        {
            "data": {
                "type": "folders",
                "id": "2",
                "relationships": {"pinned": {"data": {"type": "docs", "id": "2"}}},
            }
        },
    ),
]


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_writes_cannot_touch_hidden_rows(
    app: flask.Flask, guard: str, method: str, url: str, body: Any
) -> None:
    """A write naming a hidden row is refused as if the row did not exist, with its
    pointer; nothing is written."""
    before = rows(app)
    response = getattr(app.test_client(), method)(url, json=body, headers=ALICE)
    direct = url.startswith("/docs/2")
    expected = 403 if direct and guard == "checker" else 404
    assert response.status_code == expected, response.document
    if not direct:
        assert response.document["errors"][0]["source"]["pointer"].startswith("/data")
    assert _leaks(response) == []
    assert rows(app) == before


@pytest.mark.parametrize(
    "url",
    ["/folders/1/relationships/docs", "/labels/1/relationships/docs", "/folders/1"],
)
def test_replacing_members_keeps_hidden_ones(app: flask.Flask, url: str) -> None:
    """Emptying a relationship empties what the client sees: bob's doc stays in it."""
    client = app.test_client()
    if url == "/folders/1":
        body = {"data": {"type": "folders", "id": "1", "relationships": {"docs": {"data": []}}}}
    else:
        body = {"data": []}
    response = client.patch(url, json=body, headers=ALICE)
    assert response.status_code == 200, response.document
    assert _leaks(response) == []
    table = rows(app)
    bob = next(row for row in table["sec_docs"] if row[0] == 2)
    assert bob[4] == 1  # still in folder 1
    assert (2, 1) in table["sec_doc_labels"]
    emptied = url if "relationships" in url else "/folders/1/relationships/docs"
    assert client.get(emptied, headers=ALICE).document["data"] == []


def test_removing_members_keeps_hidden_ones_and_is_undone_with_its_request(
    app: flask.Flask, guard: str
) -> None:
    """UREL-7/ATOM-13: removing alice's doc from folder 1 leaves bob's hidden doc in it;
    in an atomic request that fails later, the removal is undone with the rest."""
    client = app.test_client()
    before = rows(app)
    ref = {"type": "folders", "id": "1", "relationship": "docs"}
    operations = [
        {"op": "remove", "ref": ref, "data": [{"type": "docs", "id": "1"}]},
        {"op": "remove", "ref": {"type": "docs", "id": "2"}},  # hidden: refused
    ]
    refused = client.post(
        "/operations",
        json={"atomic:operations": operations},
        headers={**ALICE, "Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert refused.status_code == _atomic_refusal(operations[-1], guard), refused.document
    assert rows(app) == before
    response = client.delete(
        "/folders/1/relationships/docs", json={"data": [{"type": "docs", "id": "1"}]}, headers=ALICE
    )
    assert response.status_code == 200, response.document
    assert response.document["data"] == []
    folders = {row[0]: row[4] for row in rows(app)["sec_docs"]}
    assert folders == {1: None, 2: 1}


def test_adding_a_visible_member_keeps_the_hidden_ones(app: flask.Flask) -> None:
    """UREL-6: alice adds her doc to folder 2 (moving it out of folder 1) and adds it to
    folder 2 again (no change); bob's hidden doc stays in folder 1, and the answers list
    the members she may see."""
    client = app.test_client()
    for _ in range(2):
        response = client.post(
            "/folders/2/relationships/docs",
            json={"data": [{"type": "docs", "id": "1"}]},
            headers=ALICE,
        )
        assert response.status_code == 200, response.document
        assert response.document["data"] == [{"type": "docs", "id": "1"}]
        assert _leaks(response) == []
    folders = {row[0]: row[4] for row in rows(app)["sec_docs"]}
    assert folders == {1: 2, 2: 1}


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("patch", "/docs/1", {"data": {"type": "docs", "id": "1", "attributes": {"owner": 2}}}),
        ("post", "/docs", {"data": {"type": "docs", "attributes": {"title": "t", "owner": 2}}}),
    ],
)
def test_a_write_may_not_put_a_row_out_of_reach(
    app: flask.Flask, method: str, url: str, body: Any
) -> None:
    before = rows(app)
    response = getattr(app.test_client(), method)(url, json=body, headers=ALICE)
    assert response.status_code == 403, response.document
    assert rows(app) == before


def test_own_rows_stay_writable(app: flask.Flask) -> None:
    client = app.test_client()
    body = {"data": {"type": "docs", "attributes": {"title": "mine", "secret": "s", "owner": 1}}}
    created = client.post("/docs", json=body, headers=ALICE)
    assert created.status_code == 201, created.document
    patched = client.patch(
        "/docs/1", json={"data": {"type": "docs", "id": "1", "attributes": {"title": "A2"}}}
    )
    assert patched.status_code in (403, 404)  # anonymous: not alice's to write
    patched = client.patch(
        "/docs/1",
        json={"data": {"type": "docs", "id": "1", "attributes": {"title": "A2"}}},
        headers=ALICE,
    )
    assert patched.status_code == 200
    assert patched.document["data"]["attributes"]["title"] == "A2"


# -- atomic operations ---------------------------------------------------------------------

DOC_2 = {"type": "docs", "id": "2"}
ATOMIC_REFUSED = [
    [{"op": "update", "data": {**DOC_2, "attributes": {"title": "x"}}}],
    [{"op": "remove", "ref": DOC_2}],
    [{"op": "add", "ref": {"type": "folders", "id": "2", "relationship": "docs"}, "data": [DOC_2]}],
    [
        {
            "op": "remove",
            "ref": {"type": "folders", "id": "1", "relationship": "docs"},
            "data": [DOC_2],
        }
    ],
    [
        {
            "op": "update",
            "ref": {"type": "folders", "id": "2", "relationship": "pinned"},
            "data": DOC_2,
        }
    ],
    [{"op": "update", "ref": {"type": "docs", "id": "2", "relationship": "labels"}, "data": []}],
    [
        {
            "op": "add",
            "data": {"type": "docs", "lid": "n", "attributes": {"title": "n", "owner": 1}},
        },
        {
            "op": "add",
            "ref": {"type": "folders", "id": "2", "relationship": "docs"},
            "data": [{"type": "docs", "lid": "n"}, DOC_2],
        },
    ],
    [
        {
            "op": "add",
            "data": {
                "type": "folders",
                "attributes": {"name": "f"},
                "relationships": {"docs": {"data": [DOC_2]}},
            },
        }
    ],
    [{"op": "add", "data": {"type": "docs", "attributes": {"title": "t", "owner": 2}}}],
]


@pytest.mark.parametrize("operations", ATOMIC_REFUSED)
def test_atomic_operations_cannot_touch_hidden_rows(
    app: flask.Flask, guard: str, operations: list[dict]
) -> None:
    """ATOM-*: every operation kind, ``lid`` references included; the whole request fails
    and nothing of it is written."""
    before = rows(app)
    response = app.test_client().post(
        "/operations",
        json={"atomic:operations": operations},
        headers={**ALICE, "Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert response.status_code == _atomic_refusal(operations[-1], guard), response.document
    pointer = response.document["errors"][0]["source"]["pointer"]
    assert pointer.startswith(f"/atomic:operations/{len(operations) - 1}")
    assert _leaks(response) == []
    assert rows(app) == before


def _atomic_refusal(operation: dict, guard: str) -> int:
    """The status the plain request of ``operation`` answers (``test_writes_cannot_touch_
    hidden_rows``): a hidden row is a missing one (404), except on the checker's own URLs
    (403); a create that would put its row out of reach is 403."""
    target = operation.get("ref") or operation["data"]
    if operation["op"] == "add" and "ref" not in operation and target["type"] == "docs":
        return 403
    direct = (target["type"], target.get("id")) == ("docs", "2")
    return 403 if direct and guard == "checker" else 404


class DropBoxChecker(ObjectLevelPermissionChecker):
    """Anyone may file a doc for anyone; only its owner may read or change it."""

    object_id_attribute = "owner_id"

    def has_permission(self, object_id: Any, action: str) -> bool:
        return action == "create" or object_id == current_user()


def test_atomic_operations_follow_the_views_own_checker(database_url: str) -> None:
    """ATOM-*: an operation on a type guarded by its view's permission checker is judged
    by that checker, as the plain request is: alice may file a doc for bob (201), in an
    atomic request too (not 403 as if the doc were only hidden from her)."""
    app = secured_app(database_url, "checker", permission_checker=DropBoxChecker())
    client = app.test_client()
    body = {"data": {"type": "docs", "attributes": {"title": "for bob", "owner": 2}}}
    plain = client.post("/docs", json=body, headers=ALICE)
    assert plain.status_code == 201, plain.document
    atomic = client.post(
        "/operations",
        json={"atomic:operations": [{"op": "add", **body}]},
        headers={**ALICE, "Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert atomic.status_code == 200, atomic.document
    (result,) = atomic.document["atomic:results"]
    assert result["data"]["attributes"] == plain.document["data"]["attributes"]
    filed = [row[1:4] for row in rows(app)["sec_docs"] if row[0] > 2]
    assert filed == [("for bob", "", 2)] * 2
    assert client.get(f"/docs/{result['data']['id']}", headers=ALICE).status_code == 403


def test_atomic_operations_on_visible_rows_keep_hidden_members(app: flask.Flask) -> None:
    operations = [
        {
            "op": "add",
            "data": {"type": "docs", "lid": "n", "attributes": {"title": "n", "owner": 1}},
        },
        {
            "op": "update",
            "ref": {"type": "folders", "id": "1", "relationship": "docs"},
            "data": [{"type": "docs", "lid": "n"}],
        },
        {"op": "update", "data": {"type": "folders", "id": "1", "attributes": {"name": "s2"}}},
    ]
    response = app.test_client().post(
        "/operations",
        json={"atomic:operations": operations},
        headers={**ALICE, "Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert response.status_code == 200, response.document
    assert _leaks(response) == []
    folders = {row[0]: row for row in rows(app)["sec_docs"]}
    assert folders[2][4] == 1  # bob's doc is still in folder 1
    assert folders[1][4] is None  # alice's left it


# -- decorators: the Api's and a view set's ------------------------------------------------


def _refused(response: Any) -> None:
    assert response.status_code == 401, response.document
    assert response.mimetype == "application/vnd.api+json"
    assert response.document["errors"][0]["status"] == "401"
    assert response.headers["WWW-Authenticate"] == "X"
    assert _leaks(response) == []


@pytest.mark.parametrize("guard", ["api", "viewset"])
@pytest.mark.parametrize("url", READS)
def test_decorators_guard_every_read_that_reaches_the_type(
    database_url: str, guard: str, url: str
) -> None:
    app = secured_app(database_url, guard)
    client = app.test_client()
    _refused(client.get(url))
    assert client.get(url, headers=ALICE).status_code == 200


@pytest.mark.parametrize("guard", ["api", "viewset"])
@pytest.mark.parametrize(
    "url",
    ["/folders?filter[docs][title]=BOB-C", "/folders?sort=pinned.title"],
)
def test_decorators_guard_filters_and_sorts_through_the_type(
    database_url: str, guard: str, url: str
) -> None:
    _refused(secured_app(database_url, guard).test_client().get(url))


@pytest.mark.parametrize(
    "url",
    [
        "/comments?filter[article][author][name]=Ada",
        "/comments?sort=article.author.name",
        "/comments?include=article.author",
    ],
)
def test_decorators_guard_a_type_two_relationships_away(blog_app: flask.Flask, url: str) -> None:
    """A view set's decorators guard its type also past an unguarded one: comments reach
    authors through their article. Without the user, 401; the unguarded part answers."""
    guarded = type(
        "GuardedAuthors", (blog_api.AuthorViewSet,), {"view_decorators": [user_required]}
    )
    client = variant_app(blog_app, viewsets={"authors": guarded}).test_client()
    response = client.get(url)
    assert response.status_code == 401, response.document
    assert response.document["errors"][0]["status"] == "401"
    assert client.get(url, headers=ALICE).status_code == 200
    unguarded = url.replace("article.author.name", "article.title").replace(
        "[author][name]", "[title]"
    )
    assert client.get(unguarded.replace("article.author", "article")).status_code == 200


@pytest.mark.parametrize("guard", ["api", "viewset"])
@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_decorators_guard_every_write_that_reaches_the_type(
    database_url: str, guard: str, method: str, url: str, body: Any
) -> None:
    app = secured_app(database_url, guard)
    before = rows(app)
    _refused(getattr(app.test_client(), method)(url, json=body))
    assert rows(app) == before


@pytest.mark.parametrize("guard", ["api", "viewset"])
@pytest.mark.parametrize("operations", ATOMIC_REFUSED)
def test_decorators_guard_atomic_operations(
    database_url: str, guard: str, operations: list[dict]
) -> None:
    """A view set's decorators guard the operations on its type as they guard its URLs."""
    app = secured_app(database_url, guard)
    before = rows(app)
    response = app.test_client().post(
        "/operations",
        json={"atomic:operations": operations},
        headers={"Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert response.status_code == 401, response.document
    assert rows(app) == before


def test_a_view_set_decorator_leaves_other_types_alone(database_url: str) -> None:
    client = secured_app(database_url, "viewset").test_client()
    response = client.get("/folders/1")
    assert response.status_code == 200
    assert _leaks(response) == []
    assert client.get("/labels").status_code == 200


# -- the policy's action and field levels --------------------------------------------------


class Guarded(Policy):
    """Owners' docs; nobody deletes; ``secret`` hidden; ``title`` read-only; ``labels``
    may not be changed."""

    def allows(self, action: str, relationship: str | None = None) -> bool:
        return action != "delete" and relationship != "labels"

    def scope(self, model: Any) -> Any:
        return model.owner_id == current_user()

    def hidden_fields(self) -> list[str]:
        return ["secret"]

    def read_only_fields(self) -> list[str]:
        return ["title"]


@pytest.fixture
def guarded(database_url: str) -> flask.Flask:
    return secured_app(database_url, "none", policy=Guarded())


def test_actions_the_policy_refuses_are_403(guarded: flask.Flask) -> None:
    client = guarded.test_client()
    before = rows(guarded)
    deleted = client.delete("/docs/1", headers=ALICE)
    assert deleted.status_code == 403
    labels = client.patch("/docs/1/relationships/labels", json={"data": []}, headers=ALICE)
    assert labels.status_code == 403
    assert labels.document["errors"][0]["source"] == {"pointer": "/data"}
    body = {
        "data": {
            "type": "docs",
            "id": "1",
            "relationships": {"labels": {"data": []}},
        }
    }
    patched = client.patch("/docs/1", json=body, headers=ALICE)
    assert patched.status_code == 403
    assert patched.document["errors"][0]["source"] == {"pointer": "/data/relationships/labels"}
    detail = "You may not change 'labels' of 'docs' resources."
    assert (
        patched.document["errors"][0]["detail"] == labels.document["errors"][0]["detail"] == detail
    )
    assert deleted.document["errors"][0]["detail"] == "You may not delete 'docs' resources."
    assert rows(guarded) == before


class NoReads(Policy):
    """Nobody reads docs."""

    def allows(self, action: str, relationship: str | None = None) -> bool:
        return action != "read"


@pytest.mark.parametrize("url", ["/docs/1", "/docs"])
def test_a_policy_that_refuses_reading_is_403(database_url: str, url: str) -> None:
    response = secured_app(database_url, "none", policy=NoReads()).test_client().get(url)
    assert response.status_code == 403, response.document
    assert response.document["errors"][0]["detail"] == "You may not read 'docs' resources."
    assert _leaks(response) == [] and "ALICE" not in response.get_data(as_text=True)


class NoLabelsOnCreate(Policy):
    """Labels are given to docs that exist, not at their creation."""

    def allows(self, action: str, relationship: str | None = None) -> bool:
        return not (action == "create" and relationship == "labels")


def test_a_policy_asked_per_action_for_each_relationship(database_url: str) -> None:
    """The policy is asked for the action of the write (create or update)."""
    app = secured_app(database_url, "none", policy=NoLabelsOnCreate())
    client = app.test_client()
    before = rows(app)
    labels = {"labels": {"data": [{"type": "labels", "id": "1"}]}}
    created = client.post(
        "/docs",
        json={"data": {"type": "docs", "attributes": {"title": "t", "owner": 1},
                       "relationships": labels}},
        headers=ALICE,
    )  # fmt: skip
    assert created.status_code == 403, created.document
    assert created.document["errors"][0]["source"] == {"pointer": "/data/relationships/labels"}
    assert rows(app) == before
    body = {"data": {"type": "docs", "id": "1", "relationships": {"labels": {"data": []}}}}
    assert client.patch("/docs/1", json=body, headers=ALICE).status_code == 200
    assert (1, 1) not in rows(app)["sec_doc_labels"]


class ReadOnlyDocs(Policy):
    """Docs may be read, not created or changed."""

    def allows(self, action: str, relationship: str | None = None) -> bool:
        return action in ("read", "delete")


def test_a_policy_that_refuses_writing_points_at_the_resource(database_url: str) -> None:
    """A create or an update the policy refuses is 403 pointing at the resource object
    (``/data``, or the operation's ``data``), and nothing is written."""
    app = secured_app(database_url, "none", policy=ReadOnlyDocs())
    client = app.test_client()
    before = rows(app)
    create = {"type": "docs", "attributes": {"title": "t", "owner": 1}}
    update = {"type": "docs", "id": "1", "attributes": {"title": "t"}}
    answers = [
        (client.post("/docs", json={"data": create}, headers=ALICE), "/data"),
        (client.patch("/docs/1", json={"data": update}, headers=ALICE), "/data"),
    ]
    for op, data in (("add", create), ("update", update)):
        atomic = client.post(
            "/operations",
            json={"atomic:operations": [{"op": op, "data": data}]},
            headers={**ALICE, "Content-Type": ATOMIC, "Accept": ATOMIC},
        )
        answers.append((atomic, "/atomic:operations/0/data"))
    for response, pointer in answers:
        assert response.status_code == 403, response.document
        assert response.document["errors"][0]["source"] == {"pointer": pointer}
    assert rows(app) == before


def test_hidden_fields_are_unknown_everywhere(guarded: flask.Flask) -> None:
    client = guarded.test_client()
    for url in ("/docs/1", "/folders/1?include=docs", "/docs?fields[docs]=title"):
        response = client.get(url, headers=ALICE)
        assert response.status_code == 200
        assert "alice-secret" not in response.get_data(as_text=True)
        assert "secret" not in response.get_data(as_text=True)
    for url, parameter in [
        ("/docs?fields[docs]=secret", "fields[docs]"),
        ("/docs?sort=secret", "sort"),
        ("/docs?filter[secret]=alice-secret", "filter[secret]"),
        ("/folders?filter[docs][secret]=alice-secret", "filter[docs][secret]"),
    ]:
        response = client.get(url, headers=ALICE)
        assert response.status_code == 400, url
        assert response.document["errors"][0]["source"] == {"parameter": parameter}
    body = {"data": {"type": "docs", "id": "1", "attributes": {"secret": "x"}}}
    written = client.patch("/docs/1", json=body, headers=ALICE)
    unknown = client.patch(
        "/docs/1",
        json={"data": {"type": "docs", "id": "1", "attributes": {"nothing": "x"}}},
        headers=ALICE,
    )
    assert written.status_code == unknown.status_code == 422
    assert written.document["errors"][0]["source"] == {"pointer": "/data/attributes/secret"}
    both = {"data": {"type": "docs", "id": "1", "attributes": {"secret": "x", "title": "t"}}}
    refused = client.patch("/docs/1", json=both, headers=ALICE)
    assert [(e["status"], e["source"]["pointer"]) for e in refused.document["errors"]] == [
        ("422", "/data/attributes/secret"),
        ("403", "/data/attributes/title"),
    ]


class HiddenSecretAndFolder(Policy):
    """An attribute and a relationship of docs hidden from everyone."""

    def hidden_fields(self) -> list[str]:
        return ["secret", "folder"]


@pytest.mark.parametrize(
    ("kind", "hidden"),
    [("attributes", {"secret": "x"}), ("relationships", {"folder": {"data": None}})],
)
def test_a_hidden_member_in_a_body_is_an_unknown_one(
    database_url: str, kind: str, hidden: dict[str, Any]
) -> None:
    """CRT-*, UPD-*: a hidden attribute or relationship written by POST or PATCH gets the
    very error document of a member the type does not have (422), and nothing is written."""
    app = secured_app(database_url, "none", policy=HiddenSecretAndFolder())
    client = app.test_client()
    before = rows(app)
    (name, value) = next(iter(hidden.items()))
    for method, url, data in (("post", "/docs", {}), ("patch", "/docs/1", {"id": "1"})):
        answers = [
            getattr(client, method)(
                url, json={"data": {"type": "docs", **data, kind: members}}, headers=ALICE
            )
            for members in (hidden, {"nothing": value})
        ]
        written, unknown = answers
        assert written.status_code == unknown.status_code == 422, written.document
        assert written.document == _with_name(unknown.document, "nothing", name)
    assert rows(app) == before


def _with_name(document: Any, old: str, new: str) -> Any:
    return flask.json.loads(flask.json.dumps(document).replace(old, new))


@pytest.mark.parametrize(
    "expression",
    [
        [{"name": "secret", "op": "eq", "val": "alice-secret"}],
        [
            {
                "or": [
                    {"name": "title", "op": "eq", "val": "x"},
                    {"not": {"name": "secret", "op": "eq", "val": "alice-secret"}},
                ]
            }
        ],
    ],
)
def test_hidden_fields_are_unknown_in_filter_expressions_flt_1(
    database_url: str, expression: list[dict[str, Any]]
) -> None:
    """FLT-1: a hidden member named in a filter expression, at the top or nested in
    and/or/not, is the 400 of a member the type does not have, and nothing is read."""
    app = secured_app(database_url, "none", policy=Guarded(), filter_expressions=True)
    client = app.test_client()

    def get(expression: Any) -> Any:
        return client.get("/docs", query_string={"filter": json.dumps(expression)}, headers=ALICE)

    response = get(expression)
    nothing = get(json.loads(json.dumps(expression).replace('"secret"', '"nothing"')))
    assert nothing.status_code == 400
    assert response.status_code == 400, response.document
    assert "alice-secret" not in response.get_data(as_text=True)
    assert response.document["errors"][0]["source"] == nothing.document["errors"][0]["source"]
    visible = get([{"name": "title", "op": "eq", "val": "ALICE-A"}])
    assert [doc["id"] for doc in visible.document["data"]] == ["1"]


class HidesFolder(Guarded):
    """``Guarded``, with the to-one ``folder`` of docs hidden too."""

    def hidden_fields(self) -> list[str]:
        return ["secret", "folder"]


@pytest.mark.parametrize(
    "url",
    ["/docs?include=folder", "/docs/1?include=labels,folder", "/labels/1?include=docs.folder"],
)
def test_a_hidden_relationship_cannot_be_included_inc_6(database_url: str, url: str) -> None:
    """INC-6: a relationship the policy hides is one the type does not have: including it,
    at any depth, is 400 naming ``include``, and the document never shows it."""
    client = secured_app(database_url, "none", policy=HidesFolder()).test_client()
    response = client.get(url, headers=ALICE)
    assert response.status_code == 400, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": "include"}
    assert error["detail"] == "'folder' is not a relationship of 'docs'."
    shown = client.get("/docs/1?include=labels", headers=ALICE).document
    assert set(shown["data"]["relationships"]) == {"labels"}


class HidesOwner(Guarded):
    """``Guarded``, with ``owner`` of docs (the model's ``owner_id``) hidden too."""

    def hidden_fields(self) -> list[str]:
        return ["secret", "owner"]


@pytest.mark.parametrize(("url", "visible"), [("/docs", "title"), ("/folders", "pinned.title")])
def test_a_hidden_member_stored_under_another_name_cannot_sort_srt_3(
    database_url: str, url: str, visible: str
) -> None:
    """SRT-3: a hidden member whose model attribute has another name (``owner`` is stored
    in ``owner_id``) sorts no more than any hidden member, also through a relationship:
    400 naming ``sort``; a visible one sorts."""
    client = secured_app(database_url, "none", policy=HidesOwner()).test_client()
    assert client.get(f"{url}?sort={visible}", headers=ALICE).status_code == 200
    hidden = visible.replace("title", "owner")
    for sort in (hidden, f"-{hidden}"):
        response = client.get(f"{url}?sort={sort}", headers=ALICE)
        assert response.status_code == 400, response.document
        assert response.document["errors"][0]["source"] == {"parameter": "sort"}


class SecretFilters(FilterSchema):
    """``word`` filters the hidden ``secret`` under a name of its own."""

    word = FilterField(attribute="secret")


def test_a_declared_filter_over_a_hidden_field_names_the_clients_parameter_flt_1(
    database_url: str,
) -> None:
    """FLT-1: a declared filter that reaches a hidden member under another name is the 400
    of a filter the type does not have, naming the parameter the client wrote, not the
    hidden member (nor the bare ``filter``); nothing is read."""
    app = secured_app(database_url, "none", policy=Guarded(), filter_schema=SecretFilters())
    response = app.test_client().get("/docs?filter[word]=alice-secret", headers=ALICE)
    assert response.status_code == 400, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": "filter[word]"}
    assert error["detail"] == "Error parsing 'filter[word]': it is not a filter here"
    assert "secret" not in response.get_data(as_text=True)


class HandBuiltSecretFilters(FilterSchema):
    """``secret`` declared, with ``parse(self)`` overridden the original's way: code that
    builds its own dict, with plain string keys."""

    secret = FilterField()

    def parse(self):
        return {str(key): value for key, value in super().parse().items()}


def test_a_hidden_filter_of_a_hand_built_parse_names_the_clients_parameter_flt_1(
    database_url: str,
) -> None:
    """FLT-1: the keys of a ``FilterSchema.parse`` written by hand carry no parameter; a
    filter on a hidden member still answers naming the parameter the client wrote."""
    app = secured_app(
        database_url, "none", policy=Guarded(), filter_schema=HandBuiltSecretFilters()
    )
    response = app.test_client().get("/docs?filter[secret]=alice-secret", headers=ALICE)
    assert response.status_code == 400, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": "filter[secret]"}
    assert error["detail"] == "Error parsing 'filter[secret]': it is not a filter here"


def test_a_sparse_fieldset_of_a_type_with_hidden_members_is_kept_fld_1(
    guarded: flask.Flask,
) -> None:
    """FLD-1: ``fields[docs]`` of a type with hidden members shows what it names, no more."""
    client = guarded.test_client()
    document = client.get("/docs/1?fields[docs]=title", headers=ALICE).document
    assert document["data"]["attributes"] == {"title": "ALICE-A"}
    assert "relationships" not in document["data"]
    listed = client.get("/folders/1?include=docs&fields[docs]=owner", headers=ALICE).document
    assert [doc["attributes"] for doc in listed["included"]] == [{"owner": 1}]


def test_read_only_fields_are_shown_not_written(guarded: flask.Flask) -> None:
    client = guarded.test_client()
    assert client.get("/docs/1", headers=ALICE).document["data"]["attributes"]["title"]
    body = {"data": {"type": "docs", "id": "1", "attributes": {"title": "x"}}}
    response = client.patch("/docs/1", json=body, headers=ALICE)
    assert response.status_code == 403
    assert response.document["errors"][0]["source"] == {"pointer": "/data/attributes/title"}


def test_atomic_results_leave_hidden_fields_out(guarded: flask.Flask) -> None:
    """ATOM-20: an operation's result shows what GET shows: no hidden field."""
    operation = {"op": "update", "data": {"type": "docs", "id": "1", "attributes": {"owner": 1}}}
    response = guarded.test_client().post(
        "/operations",
        json={"atomic:operations": [operation]},
        headers={**ALICE, "Content-Type": ATOMIC, "Accept": ATOMIC},
    )
    assert response.status_code == 200, response.document
    (result,) = response.document["atomic:results"]
    assert result["data"]["attributes"] == {"title": "ALICE-A", "owner": 1}
    assert "alice-secret" not in response.get_data(as_text=True)


def test_a_row_scope_needs_a_repository_that_builds_sql() -> None:
    """A scope that a repository could not apply is refused at registration, not ignored."""
    from flask_jsonapi.resource_repositories.memory import MemoryRepository
    from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
    from tests.support.secured import DocSchema, OwnDocs

    viewset = ResourceRepositoryViewSet(
        schema=DocSchema, repository=MemoryRepository(), policy=OwnDocs()
    )
    with pytest.raises(TypeError, match="OwnDocs.scope"):
        Api(flask.Flask(__name__)).repository(viewset, "docs", "/docs")
