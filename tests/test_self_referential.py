"""A self-referential many-to-many (people following people) through every read.

Both foreign keys of its association table point at the same table, so the join from the
people to the association table must be the relationship's own (``followed_id`` for
``following``, ``follower_id`` for ``followers``): none can be inferred. Each request is
answered with row reads on and off; both documents must hold the expected members.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.pool import StaticPool

from flask_jsonapi import Api
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.database import reset_database


class Base(orm.DeclarativeBase):
    pass


follows = sa.Table(
    "selfref_follows",
    Base.metadata,
    sa.Column("follower_id", sa.ForeignKey("selfref_people.id"), primary_key=True),
    sa.Column("followed_id", sa.ForeignKey("selfref_people.id"), primary_key=True),
)


class Person(Base):
    __tablename__ = "selfref_people"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    following: orm.Mapped[list[Person]] = orm.relationship(
        secondary=follows,
        primaryjoin=lambda: Person.id == follows.c.follower_id,
        secondaryjoin=lambda: Person.id == follows.c.followed_id,
        back_populates="followers",
        order_by=lambda: Person.name,
    )
    followers: orm.Mapped[list[Person]] = orm.relationship(
        secondary=follows,
        primaryjoin=lambda: Person.id == follows.c.followed_id,
        secondaryjoin=lambda: Person.id == follows.c.follower_id,
        back_populates="following",
        order_by=lambda: Person.name,
    )


class PersonSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    following = fields.Relationship(type_="people", many=True)
    followers = fields.Relationship(type_="people", many=True)

    class Meta:
        type_ = "people"


# Who follows whom: Ann follows Bob and Cid, Bob follows Cid, Cid follows Ann, Dee no one.
FOLLOWING = {"Ann": ["Bob", "Cid"], "Bob": ["Cid"], "Cid": ["Ann"], "Dee": []}
FOLLOWERS = {"Ann": ["Cid"], "Bob": ["Ann"], "Cid": ["Ann", "Bob"], "Dee": []}


@pytest.fixture
def people(database_url: str) -> Iterator[tuple[flask.Flask, dict[str, int]]]:
    """``/people`` over the rows of ``FOLLOWING``, and each person's id by name."""
    options = {"poolclass": StaticPool} if database_url == "sqlite://" else {}
    engine = sa.create_engine(database_url, **options)
    reset_database(engine, Base.metadata)
    session = orm.scoped_session(orm.sessionmaker(bind=engine))
    # Created in reverse order: ids do not follow the names the relationships sort by.
    persons = {name: Person(name=name) for name in reversed(FOLLOWING)}
    for name, followed in FOLLOWING.items():
        persons[name].following = [persons[other] for other in followed]
    session.add_all(persons.values())
    session.commit()
    ids = {name: person.id for name, person in persons.items()}
    session.remove()

    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    repository = type("PersonRepository", (SqlAlchemyModelRepository,), {"model": Person})
    viewset = ResourceRepositoryViewSet(schema=PersonSchema, repository=repository(session=session))
    api.repository(viewset, "people", "/people")
    try:
        yield app, ids
    finally:
        session.remove()
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
        engine.dispose()


def both_paths(app: flask.Flask, url: str) -> dict[str, Any]:
    """The document of ``url``, the same with row reads on and off."""
    documents = []
    for rows in (True, False):
        app.config["JSONAPI_ROW_READS"] = rows
        response = app.test_client().get(url)
        assert response.status_code == 200, (rows, response.document)
        documents.append(response.document)
    app.config["JSONAPI_ROW_READS"] = True
    assert documents[0] == documents[1], url
    return documents[0]


def names(ids: dict[str, int], linkage: list[dict[str, str]]) -> list[str]:
    by_id = {str(value): name for name, value in ids.items()}
    return [by_id[item["id"]] for item in linkage]


@pytest.mark.parametrize("member, expected", [("following", FOLLOWING), ("followers", FOLLOWERS)])
def test_inc_1_self_referential_many_to_many_is_included_each_way(
    people: tuple[flask.Flask, dict[str, int]], member: str, expected: dict[str, list[str]]
) -> None:
    """INC-1, REL-3: each side of the relationship links and includes its own members, in
    the relationship's order, on a collection and on each resource."""
    app, ids = people
    document = both_paths(app, f"/people?include={member}&sort=name&page[size]=2")
    primary = [person["attributes"]["name"] for person in document["data"]]
    assert primary == ["Ann", "Bob"]
    for person in document["data"]:
        name = person["attributes"]["name"]
        assert names(ids, person["relationships"][member]["data"]) == expected[name], name
    # Members already in primary data are not included again.
    included = sorted(resource["attributes"]["name"] for resource in document["included"])
    assert included == sorted({m for name in primary for m in expected[name]} - set(primary))
    for name, members in expected.items():
        document = both_paths(app, f"/people/{ids[name]}?include={member}")
        assert names(ids, document["data"]["relationships"][member]["data"]) == members
        assert [r["attributes"]["name"] for r in document.get("included", [])] == members


def test_inc_7_self_referential_path_of_two_steps(
    people: tuple[flask.Flask, dict[str, int]],
) -> None:
    """INC-7: ``following.followers`` includes the people followed and their followers."""
    app, ids = people
    document = both_paths(app, f"/people/{ids['Bob']}?include=following.followers")
    # Bob follows Cid, whom Ann and Bob follow: Bob himself is primary data, not included.
    assert sorted(r["attributes"]["name"] for r in document["included"]) == ["Ann", "Cid"]
    cid = next(r for r in document["included"] if r["attributes"]["name"] == "Cid")
    assert names(ids, cid["relationships"]["followers"]["data"]) == ["Ann", "Bob"]


@pytest.mark.parametrize("member, expected", [("following", FOLLOWING), ("followers", FOLLOWERS)])
def test_rel_3_self_referential_relationship_and_related_endpoints(
    people: tuple[flask.Flask, dict[str, int]], member: str, expected: dict[str, list[str]]
) -> None:
    """REL-3, FET-1: the relationship endpoint's linkage and the related endpoint's
    collection are each side's own members."""
    app, ids = people
    for name, members in expected.items():
        linkage = both_paths(app, f"/people/{ids[name]}/relationships/{member}")["data"]
        assert names(ids, linkage) == members, name
        related = both_paths(app, f"/people/{ids[name]}/{member}?sort=name")["data"]
        assert [r["attributes"]["name"] for r in related] == members, name


@pytest.mark.parametrize(
    "query, expected",
    [
        ("filter[following][name]=Cid", ["Ann", "Bob"]),
        ("filter[followers][name]=Cid", ["Ann"]),
        ("filter[followers][name]=Ann", ["Bob", "Cid"]),
    ],
)
def test_flt_1_filter_through_a_self_referential_relationship(
    people: tuple[flask.Flask, dict[str, int]], query: str, expected: list[str]
) -> None:
    """FLT-1: a filter on a member of either side selects the people on the other."""
    app, _ = people
    document = both_paths(app, f"/people?{query}&sort=name")
    assert [r["attributes"]["name"] for r in document["data"]] == expected


def test_urel_self_referential_members_are_added_removed_and_replaced(
    people: tuple[flask.Flask, dict[str, int]],
) -> None:
    """UREL-2, UREL-3, UREL-4, UPD-3: changes through one side, at the relationship URL or
    in a resource's PATCH, show on the other."""
    app, ids = people
    client = app.test_client()

    def identifiers(others: list[str]) -> list[dict[str, str]]:
        return [{"type": "people", "id": str(ids[other])} for other in others]

    def change(method: str, name: str, member: str, others: list[str]) -> None:
        url = f"/people/{ids[name]}/relationships/{member}"
        response = client.open(url, method=method, json={"data": identifiers(others)})
        assert response.status_code == 200, response.document

    def linked(name: str, member: str) -> list[str]:
        return names(ids, both_paths(app, f"/people/{ids[name]}/relationships/{member}")["data"])

    change("POST", "Dee", "following", ["Ann", "Cid"])
    assert linked("Dee", "following") == ["Ann", "Cid"]
    assert linked("Ann", "followers") == ["Cid", "Dee"]
    change("DELETE", "Ann", "followers", ["Cid"])
    assert linked("Cid", "following") == []
    assert linked("Ann", "followers") == ["Dee"]
    change("PATCH", "Bob", "followers", ["Dee", "Bob"])
    assert linked("Bob", "followers") == ["Bob", "Dee"]
    assert linked("Ann", "following") == ["Cid"]  # no longer Bob
    assert linked("Dee", "following") == ["Ann", "Bob", "Cid"]
    resource = {
        "type": "people",
        "id": str(ids["Cid"]),
        "relationships": {"followers": {"data": identifiers(["Ann"])}},
    }
    response = client.patch(f"/people/{ids['Cid']}", json={"data": resource})
    assert response.status_code == 200, response.document
    assert linked("Dee", "following") == ["Ann", "Bob"]
    assert linked("Ann", "following") == ["Cid"]
