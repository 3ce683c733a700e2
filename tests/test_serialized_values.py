"""Attribute values in documents are what the schema's marshmallow fields dump (FLD-1).

The serializer skips marshmallow for values a field would pass through unchanged (a
``str`` in a ``Str``, ``Email`` or ``Url``; an ``int`` in an ``Int``) and calls the ISO
function itself for dates; every other value goes through the field. Both kinds of value
are served here, and each document's attributes must equal ``schema.dump`` of the object.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flask_jsonapi import ResourceRepositoryViewSet
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.schema import Schema, fields
from tests.support.notes import notes_app


class ContactSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    email = fields.Email()
    homepage = fields.Url(data_key="homePage")
    age = fields.Int()
    joined = fields.DateTime()

    class Meta:
        type_ = "contacts"


class Text:
    """Not a ``str``: a field turns it into one with ``str()``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return f"<{self.text}>"


def contacts() -> list[SimpleNamespace]:
    """Values of the fields' own types, values that need the field's conversion, None."""
    return [
        SimpleNamespace(
            id=1,
            name="Ada",
            email="ada@example.com",
            homepage="https://example.com/ada",
            age=36,
            joined=dt.datetime(2024, 5, 1, 12, 30, 15, 250),
        ),
        SimpleNamespace(
            id=2,
            name=Text("Grace"),
            email=Text("grace@example.com"),
            homepage=Text("https://example.com/grace"),
            age="85",
            joined=dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
        SimpleNamespace(id=3, name=None, email=None, homepage=None, age=None, joined=None),
    ]


def test_attributes_are_the_fields_dump_fld_1() -> None:
    rows = contacts()

    class Contacts(ResourceRepositoryViewSet):
        schema = ContactSchema

    app = notes_app(
        lambda api: api.repository(
            Contacts(repository=MemoryRepository(contacts())), "contacts", "/contacts"
        )
    )
    client = app.test_client()
    listed = client.get("/contacts?sort=id").document["data"]
    expected = {str(row.id): ContactSchema().dump(row) for row in rows}
    for member in expected.values():
        del member["id"]
    assert {item["id"]: item["attributes"] for item in listed} == expected
    assert listed[1]["attributes"]["email"] == "<grace@example.com>"
    for row in rows:
        detail = client.get(f"/contacts/{row.id}").document["data"]
        assert detail["attributes"] == expected[str(row.id)]


class PersonSchema(Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "people"


class PostSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    writer = fields.Relationship(type_="people")

    class Meta:
        type_ = "posts"


def test_included_members_of_objects_and_mappings_inc_5_cmp_4() -> None:
    """Related members that are mappings, objects, missing or reached twice: each
    included once, linkage from each post's own value (a post without the attribute
    links to nobody)."""
    ann = {"id": 7, "name": "Ann"}
    posts = [
        SimpleNamespace(id=1, title="a", writer=ann),
        SimpleNamespace(id=2, title="b", writer=SimpleNamespace(id=8, name="Bo")),
        SimpleNamespace(id=3, title="c"),
        SimpleNamespace(id=4, title="d", writer=dict(ann)),
    ]

    class Posts(ResourceRepositoryViewSet):
        schema = PostSchema

    class People(ResourceRepositoryViewSet):
        schema = PersonSchema

    def register(api: Any) -> None:
        api.repository(Posts(repository=MemoryRepository(posts)), "posts", "/posts")
        api.repository(People(repository=MemoryRepository()), "people", "/people")

    client = notes_app(register).test_client()
    document = client.get("/posts?sort=id&include=writer").document
    linkage = [post["relationships"]["writer"]["data"] for post in document["data"]]
    assert linkage == [
        {"type": "people", "id": "7"},
        {"type": "people", "id": "8"},
        None,
        {"type": "people", "id": "7"},
    ]
    included = {(r["type"], r["id"]): r["attributes"] for r in document["included"]}
    assert included == {("people", "7"): {"name": "Ann"}, ("people", "8"): {"name": "Bo"}}
    assert len(document["included"]) == 2


class LabelSchema(Schema):
    id = fields.Str()
    name = fields.Str()
    owner = fields.Relationship(type_="people")

    class Meta:
        type_ = "labels"


def test_ids_are_quoted_in_links_only_rel_7() -> None:
    """A string id with reserved characters is percent-encoded in the links and kept as
    it is in ``id``; integer ids (negative too) and plain strings are used as they are."""
    labels = [
        SimpleNamespace(id="a b/c", name="odd", owner=SimpleNamespace(id=-5, name="Neg")),
        SimpleNamespace(id="plain", name="even", owner=None),
    ]

    class Labels(ResourceRepositoryViewSet):
        schema = LabelSchema

    class People(ResourceRepositoryViewSet):
        schema = PersonSchema

    def register(api: Any) -> None:
        api.repository(Labels(repository=MemoryRepository(labels)), "labels", "/labels")
        api.repository(People(repository=MemoryRepository()), "people", "/people")

    client = notes_app(register).test_client()
    document = client.get("/labels?include=owner").document
    odd, plain = sorted(document["data"], key=lambda item: item["id"])
    assert odd["id"] == "a b/c"
    assert odd["links"]["self"] == "http://localhost/labels/a%20b%2Fc"
    assert odd["relationships"]["owner"]["links"] == {
        "self": "http://localhost/labels/a%20b%2Fc/relationships/owner",
        "related": "http://localhost/labels/a%20b%2Fc/owner",
    }
    assert plain["links"]["self"] == "http://localhost/labels/plain"
    [owner] = document["included"]
    assert (owner["id"], owner["links"]["self"]) == ("-5", "http://localhost/people/-5")


class ShelfSchema(Schema):
    id = fields.Int()
    books = fields.Relationship(type_="books", many=True, include_resource_linkage=True)

    class Meta:
        type_ = "shelves"


def test_to_many_linkage_of_objects_mappings_and_keys_rel_3() -> None:
    """Linkage of a to-many relationship, in the members' order, whether they are
    objects, mappings mixed with objects, or the related ids themselves."""
    shelves = [
        SimpleNamespace(id=1, books=[SimpleNamespace(id=2), SimpleNamespace(id=1)]),
        SimpleNamespace(id=2, books=[{"id": 3}, SimpleNamespace(id=4)]),
        SimpleNamespace(id=3, books=[5, "6"]),
        SimpleNamespace(id=4, books=[]),
    ]

    class Shelves(ResourceRepositoryViewSet):
        schema = ShelfSchema

    app = notes_app(
        lambda api: api.repository(
            Shelves(repository=MemoryRepository(shelves)), "shelves", "/shelves"
        )
    )
    data = app.test_client().get("/shelves?sort=id").document["data"]
    linkage = [[m["id"] for m in item["relationships"]["books"]["data"]] for item in data]
    assert linkage == [["2", "1"], ["3", "4"], ["5", "6"], []]
    assert {m["type"] for item in data for m in item["relationships"]["books"]["data"]} == {"books"}
