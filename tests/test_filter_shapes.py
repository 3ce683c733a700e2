"""Filters over model shapes the blog demo lacks (FLT-1, FLT-2), on SQLite and PostgreSQL.

This module has its own two tables: members with a ``SMALLINT`` ``points`` column, and
tiers with the points they need and a ``NUMERIC`` fee. A member's ``tiers`` are the tiers
it has reached: a relationship whose join is one comparison other than ``=``
(``tiers.min_points <= members.points``), as SQLAlchemy's documentation maps a
"non-relational comparison". A member's ``tier`` is declared over its foreign-key column
(``attribute="tier_id"``), and its ``granted`` tier is that tier while the member's points
reach it: a to-one whose join has an extra condition.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flask_jsonapi import FilterField, FilterSchema
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.model_apps import model_app, model_tables

TEXT_OPERATORS = ["contains", "icontains", "iexact", "startswith", "istartswith", "endswith"]


class Base(orm.DeclarativeBase):
    pass


class Tier(Base):
    __tablename__ = "shape_tiers"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    min_points: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger)
    fee: orm.Mapped[Decimal] = orm.mapped_column(sa.Numeric(6, 2))
    # A native enum on PostgreSQL, of strings: text functions need it cast to text there.
    rank: orm.Mapped[str] = orm.mapped_column(sa.Enum("common", "rare", name="shape_tier_rank"))


class Member(Base):
    __tablename__ = "shape_members"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    points: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger)
    tier_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("shape_tiers.id"))
    tiers: orm.Mapped[list[Tier]] = orm.relationship(
        primaryjoin=lambda: orm.remote(orm.foreign(Tier.min_points)) <= Member.points,
        order_by=lambda: Tier.min_points,
        viewonly=True,
    )
    granted: orm.Mapped[Tier | None] = orm.relationship(
        primaryjoin=lambda: sa.and_(
            Member.tier_id == Tier.id, Tier.min_points <= orm.foreign(Member.points)
        ),
        viewonly=True,
    )


class TierSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    min_points = fields.Int()
    fee = fields.Decimal(as_string=True)
    rank = fields.Str()

    class Meta:
        type_ = "tiers"


class MemberSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    points = fields.Int()
    tiers = fields.Relationship(type_="tiers", many=True)
    tier = fields.Relationship(type_="tiers", attribute="tier_id")
    granted = fields.Relationship(type_="tiers")

    class Meta:
        type_ = "members"


class TierFilters(FilterSchema):
    """``fee`` declared without a type: its values reach the repository as text (the
    original flask-jsonapi's default ``FilterField``)."""

    fee = FilterField(operators=[None, "lt", "in"])
    rank = FilterField(operators=[None, *TEXT_OPERATORS])


# name: (min_points, fee, rank)
TIERS = {
    "bronze": (0, "0.50", "common"),
    "silver": (100, "5.00", "common"),
    "gold": (1000, "12.25", "rare"),
}
# name: (points, tier_id)
MEMBERS = {
    "ann": (50, 2),
    "bob": (100, 2),
    "cy": (5000, 3),
    "di": (32767, None),
    "ed": (-32768, 1),
}


@pytest.fixture
def members(database_url: str) -> Iterator[JsonApiClient]:
    """``/members`` and ``/tiers`` (filter expressions on) over the rows above."""
    with model_tables(database_url, Base.metadata) as (engine, session):
        session.add_all(
            Tier(name=name, min_points=points, fee=Decimal(fee), rank=rank)
            for name, (points, fee, rank) in TIERS.items()
        )
        session.flush()
        session.add_all(
            Member(name=name, points=points, tier_id=tier)
            for name, (points, tier) in MEMBERS.items()
        )
        session.commit()
        session.remove()

        def configure(viewset: ResourceRepositoryViewSet, model: type) -> None:
            viewset.filter_expressions = True
            if model is Tier:
                viewset.filter_schema = TierFilters()

        resources = ((TierSchema, Tier, "tiers"), (MemberSchema, Member, "members"))
        app = model_app(session, resources, configure)
        yield app.test_client()


def _names(response) -> list[str]:
    assert response.status_code == 200, response.document
    return [resource["attributes"]["name"] for resource in response.document["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[tiers][name]=silver", ["bob", "cy", "di"]),
        ("filter[tiers][name]=gold", ["cy", "di"]),
        ("filter[tiers][min_points][gt]=0", ["bob", "cy", "di"]),
        ('filter={"not":{"name":"tiers__name","op":"eq","val":"bronze"}}', ["ed"]),
    ],
    ids=["silver", "gold", "past-bronze", "not-bronze"],
)
def test_flt_2_through_a_join_that_is_no_equality(
    members: JsonApiClient, query: str, expected: list[str]
) -> None:
    """FLT-2: through a relationship joined by ``<=``, a member matches when a tier it has
    reached matches: bob's 100 points reach silver (100), not only a tier of exactly his
    points; ed's negative points reach no tier."""
    assert _names(members.get(f"/members?{query}&sort=id")) == expected


def test_flt_2_a_relationship_joined_by_no_equality_reads_its_members(
    members: JsonApiClient,
) -> None:
    """FLT-2, INC-1: the same relationship's linkage and included tiers are the tiers the
    member's points reach."""
    response = members.get("/members?filter[name]=bob&include=tiers")
    assert response.status_code == 200, response.document
    (bob,) = response.document["data"]
    assert [t["id"] for t in bob["relationships"]["tiers"]["data"]] == ["1", "2"]
    assert sorted(t["attributes"]["name"] for t in response.document["included"]) == [
        "bronze",
        "silver",
    ]


def _expression(expression: object) -> str:
    return "filter=" + quote(json.dumps(expression))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[granted][name]=silver", ["bob"]),
        ("filter[granted][min_points][gte]=0", ["bob", "cy"]),
        (_expression({"not": {"name": "granted__name", "op": "eq", "val": "silver"}}), None),
    ],
    ids=["silver", "any", "not-silver"],
)
def test_flt_2_through_a_to_one_whose_join_has_a_condition(
    members: JsonApiClient, query: str, expected: list[str] | None
) -> None:
    """FLT-2: through a to-one whose join has an extra condition, only the granted tier
    counts: ann was given silver but her 50 points do not reach it; NOT keeps the members
    without a granted tier."""
    if expected is None:
        expected = ["ann", "cy", "di", "ed"]
    assert _names(members.get(f"/members?{query}&sort=id")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[tier][id]=2", ["ann", "bob"]),
        ("filter[tier][id][in]=1,3", ["cy", "ed"]),
        ("filter[tier][id][ne]=2", ["cy", "di", "ed"]),
        (_expression({"name": "tier__id", "op": "gt", "val": 1}), ["ann", "bob", "cy"]),
    ],
)
def test_flt_2_a_relationship_over_its_foreign_key_filters_that_column(
    members: JsonApiClient, query: str, expected: list[str]
) -> None:
    """FLT-2: ``tier`` is declared over the foreign-key column ``tier_id``:
    ``filter[tier][id]`` compares that column, as the related id."""
    assert _names(members.get(f"/members?{query}&sort=id")) == expected


def test_flt_2_an_id_past_a_foreign_key_column_in_an_expression_is_400_naming_filter(
    members: JsonApiClient, database_url: str
) -> None:
    """FLT-2: through a relationship over its foreign-key column, an id the 32-bit column
    cannot hold on PostgreSQL is a 400 naming the ``filter`` parameter the client sent;
    SQLite's 64-bit column holds it, and no member has it."""
    response = members.get(
        "/members?" + _expression({"name": "tier__id", "op": "eq", "val": 2**40})
    )
    if database_url.startswith("postgresql"):
        assert response.status_code == 400, response.document
        (error,) = response.document["errors"]
        assert error["source"] == {"parameter": "filter"}
        assert f"{2**40} is out of range for its column" in error["detail"]
        return
    assert _names(response) == []


def test_flt_2_a_relationship_over_its_foreign_key_has_no_other_field(
    members: JsonApiClient,
) -> None:
    """FLT-2: only the related id can be read from a foreign-key column: ``name`` of it is a
    400 naming the parameter the client wrote (not ``filter``, nor the model's
    ``tier_id__name``), not a comparison of the key with the value."""
    response = members.get("/members?filter[tier][name]=2")
    assert response.status_code == 400, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": "filter[tier][name]"}
    assert error["detail"] == (
        "'filter[tier][name]' cannot be filtered: this relationship can be filtered only by its id."
    )


def test_flt_2_an_id_past_a_foreign_key_column_names_the_clients_parameter(
    members: JsonApiClient, database_url: str
) -> None:
    """FLT-2: through a relationship over its foreign-key column, an id its 32-bit column
    cannot hold (PostgreSQL) is a 400 naming ``filter[tier][id]`` as the client wrote it;
    SQLite's 64-bit column holds it, and no member has it."""
    response = members.get(f"/members?filter[tier][id]={2**40}")
    if not database_url.startswith("postgresql"):
        assert _names(response) == []
        return
    assert response.status_code == 400, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": "filter[tier][id]"}
    assert error["detail"] == (
        f"'filter[tier][id]': {2**40} is out of range for its column (-2147483648 to 2147483647)."
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[fee][lt]=5.5", ["bronze", "silver"]),
        ("filter[fee]=12.25", ["gold"]),
        ("filter[fee][in]=0.5,12.250", ["bronze", "gold"]),
    ],
)
def test_flt_untyped_filter_text_compares_as_a_decimal(
    members: JsonApiClient, query: str, expected: list[str]
) -> None:
    """FLT: the text of an untyped filter on a ``NUMERIC`` column is read as a number."""
    assert _names(members.get(f"/tiers?{query}&sort=id")) == expected


@pytest.mark.parametrize("query", ["filter[fee]=cheap", "filter[fee][lt]=NaN", "filter[fee]=inf"])
def test_flt_untyped_filter_text_that_is_no_finite_number_is_400(
    members: JsonApiClient, query: str
) -> None:
    """FLT: text that is no finite number is a 400 naming the parameter."""
    response = members.get(f"/tiers?{query}")
    assert response.status_code == 400, response.document
    (error,) = response.document["errors"]
    assert error["source"] == {"parameter": query.split("=")[0]}
    assert "is not a number" in error["detail"]


ALL = list(MEMBERS)


@pytest.mark.parametrize(
    ("query", "expected", "fits"),
    [
        ("filter[points][lt]=32767", ["ann", "bob", "cy", "ed"], True),
        ("filter[points][lt]=32768", ALL, False),
        ("filter[points][gte]=-32768", ALL, True),
        ("filter[points][gte]=-32769", ALL, False),
        ("filter[points][in]=100,40000", ["bob"], False),
        ("filter[tiers][min_points]=40000", [], False),
    ],
)
def test_flt_1_integer_past_a_smallint_column(
    members: JsonApiClient, database_url: str, query: str, expected: list[str], fits: bool
) -> None:
    """FLT-1: a ``SMALLINT`` column holds -32768 to 32767 on PostgreSQL: a value past them
    is a 400 naming the parameter (as for a 32-bit column, docs/limits.md), not a
    comparison the database would refuse or answer for another value. SQLite stores every
    integer in 64 bits: there, it compares."""
    response = members.get(f"/members?{query}&sort=id")
    if database_url.startswith("postgresql") and not fits:
        assert response.status_code == 400, response.document
        (error,) = response.document["errors"]
        assert error["source"] == {"parameter": query.split("=")[0]}
        assert "out of range for its column (-32768 to 32767)" in error["detail"]
        return
    assert _names(response) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[rank][contains]=ar", ["gold"]),
        ("filter[rank][icontains]=MO", ["bronze", "silver"]),
        ("filter[rank][iexact]=Rare", ["gold"]),
        ("filter[rank][startswith]=com", ["bronze", "silver"]),
        ("filter[rank][istartswith]=R", ["gold"]),
        ("filter[rank][endswith]=on", ["bronze", "silver"]),
    ],
)
def test_flt_1_text_operators_on_an_enum_column(members: JsonApiClient, query, expected) -> None:
    """FLT-1: text operators match the text of an enum column's values, also where the
    database stores it as a type of its own (PostgreSQL's enums have no text functions)."""
    assert _names(members.get(f"/tiers?{query}&sort=id")) == expected
