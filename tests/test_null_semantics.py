"""NULL in filters and sorts, on SQLite and PostgreSQL alike (FLT-1, SRT-2, SRT-4, SRT-6).

The blog demo has no nullable attribute, so this module has its own two tables: gadgets
with a nullable ``rating`` and ``label`` and a nullable foreign key to their maker.

The rules the library defines (docs/querying.md):

* ``ne`` and ``notin`` keep the rows whose value is NULL (a missing rating is not 1);
  ``eq`` and ``in`` never match NULL; ``isnull`` asks for it.
* ``not`` over a relationship means "no related row matches", as NOT EXISTS does: a row
  without a related row is kept, and a related row without a parent (a NULL foreign key)
  cannot make ``NOT IN`` unknown.
* NULL is the smallest value: first ascending, last descending, on every database
  (PostgreSQL's own default is the opposite); ties are broken by the primary key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.model_apps import model_app, model_tables


class Base(orm.DeclarativeBase):
    pass


class Maker(Base):
    __tablename__ = "null_makers"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    gadgets: orm.Mapped[list[Gadget]] = orm.relationship(back_populates="maker")


class Gadget(Base):
    __tablename__ = "null_gadgets"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    rating: orm.Mapped[int | None] = orm.mapped_column(sa.Integer, nullable=True)
    label: orm.Mapped[str | None] = orm.mapped_column(sa.String(50), nullable=True)
    maker_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("null_makers.id"), nullable=True
    )
    maker: orm.Mapped[Maker | None] = orm.relationship(back_populates="gadgets")


class MakerSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    gadgets = fields.Relationship(type_="gadgets", many=True)

    class Meta:
        type_ = "makers"


class GadgetSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    rating = fields.Int(allow_none=True)
    label = fields.Str(allow_none=True)
    maker = fields.Relationship(type_="makers")

    class Meta:
        type_ = "gadgets"


# name: (rating, label, maker)
GADGETS = {
    "g1": (1, "red", "Ann"),
    "g2": (2, "blue", "Bob"),
    "g3": (None, None, None),
    "g4": (1, None, "Ann"),
    "g5": (None, "green", "Bob"),
}
MAKERS = ["Ann", "Bob", "Cid"]


@pytest.fixture
def gadgets(database_url: str) -> Iterator[JsonApiClient]:
    """``/gadgets`` and ``/makers`` (filter expressions on) over the rows above."""
    with model_tables(database_url, Base.metadata) as (engine, session):
        makers = {name: Maker(name=name) for name in MAKERS}
        session.add_all(makers.values())
        for name, (rating, label, maker) in GADGETS.items():
            session.add(Gadget(name=name, rating=rating, label=label, maker=makers.get(maker)))
        session.commit()
        session.remove()

        def configure(viewset: ResourceRepositoryViewSet, model: type) -> None:
            viewset.filter_expressions = True

        resources = ((MakerSchema, Maker, "makers"), (GadgetSchema, Gadget, "gadgets"))
        app = model_app(session, resources, configure)
        yield app.test_client()


def _names(response) -> list[str]:
    assert response.status_code == 200, response.document
    return [resource["attributes"]["name"] for resource in response.document["data"]]


def _expression(client: JsonApiClient, url: str, expression: object) -> list[str]:
    return _names(client.get(f"{url}?filter={quote(json.dumps(expression))}&sort=id"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[rating]=1", ["g1", "g4"]),
        ("filter[rating][ne]=1", ["g2", "g3", "g5"]),
        ("filter[rating][in]=1,2", ["g1", "g2", "g4"]),
        ("filter[rating][notin]=1,2", ["g3", "g5"]),
        ("filter[rating][notin]=1", ["g2", "g3", "g5"]),
        ("filter[label][ne]=red", ["g2", "g3", "g4", "g5"]),
        ("filter[label][notin]=red,blue", ["g3", "g4", "g5"]),
        ("filter[rating][isnull]=true", ["g3", "g5"]),
        ("filter[rating][isnull]=false", ["g1", "g2", "g4"]),
        ("filter[rating][gt]=1", ["g2"]),
        ("filter[rating][lte]=1", ["g1", "g4"]),
    ],
)
def test_flt_1_ne_and_notin_keep_null_rows(
    gadgets: JsonApiClient, query: str, expected: list[str]
) -> None:
    """FLT-1: a NULL value is "not equal" to any value and "not in" any list, and no
    comparison (``eq``, ``in``, ``gt``, ``lte``) matches it."""
    assert _names(gadgets.get(f"/gadgets?{query}&sort=id")) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"name": "rating", "op": "ne", "val": 2}, ["g1", "g3", "g4", "g5"]),
        ({"name": "label", "op": "notin", "val": ["green"]}, ["g1", "g2", "g3", "g4"]),
        ({"not": {"name": "maker__name", "op": "eq", "val": "Ann"}}, ["g2", "g3", "g5"]),
        ({"name": "maker__name", "op": "ne", "val": "Ann"}, ["g2", "g5"]),
    ],
    ids=["ne", "notin", "not-to-one", "ne-through-to-one"],
)
def test_flt_1_expressions_over_nullable_columns(
    gadgets: JsonApiClient, expression: object, expected: list[str]
) -> None:
    """FLT-1: the same in filter expressions; NOT through a to-one keeps the gadget
    without a maker (no related row matches), ``ne`` through it needs a maker."""
    assert _expression(gadgets, "/gadgets", expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"not": {"name": "gadgets__name", "op": "eq", "val": "g3"}}, ["Ann", "Bob", "Cid"]),
        ({"not": {"name": "gadgets__rating", "op": "isnull", "val": True}}, ["Ann", "Cid"]),
        ({"not": {"name": "gadgets__label", "op": "eq", "val": "red"}}, ["Bob", "Cid"]),
        ({"name": "gadgets__rating", "op": "eq", "val": 1}, ["Ann"]),
    ],
    ids=["orphan-matches", "some-null", "plain", "positive"],
)
def test_flt_1_not_over_a_to_many_with_null_foreign_keys(
    gadgets: JsonApiClient, expression: object, expected: list[str]
) -> None:
    """FLT-1: NOT over ``gadgets`` is "no gadget of the maker matches". Gadget g3 has no
    maker (a NULL foreign key): it matching the condition changes no maker's answer."""
    assert _expression(gadgets, "/makers", expression) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("rating", ["g3", "g5", "g1", "g4", "g2"]),
        ("-rating", ["g2", "g1", "g4", "g3", "g5"]),
        ("label", ["g3", "g4", "g2", "g5", "g1"]),
        ("-label", ["g1", "g5", "g2", "g3", "g4"]),
        ("rating,-label", ["g5", "g3", "g1", "g4", "g2"]),
        ("maker.name", ["g3", "g1", "g4", "g2", "g5"]),
        ("-maker.name,rating", ["g5", "g2", "g1", "g4", "g3"]),
    ],
)
def test_srt_2_srt_4_null_sorts_first_ascending_and_last_descending(
    gadgets: JsonApiClient, sort: str, expected: list[str]
) -> None:
    """SRT-2/SRT-4/SRT-6: NULL is the smallest value on every database, ties by id; also
    for a sort through a relationship whose foreign key is NULL."""
    assert _names(gadgets.get(f"/gadgets?sort={sort}")) == expected


@pytest.mark.parametrize("sort", ["rating", "-rating", "label,-rating"])
def test_srt_4_pag_4_pages_of_a_sort_with_nulls_cover_every_row_once(
    gadgets: JsonApiClient, sort: str
) -> None:
    """PAG-4: page by page (number/size) the NULL rows come once, in the same order."""
    whole = _names(gadgets.get(f"/gadgets?sort={sort}"))
    paged = []
    for number in (1, 2, 3):
        paged += _names(gadgets.get(f"/gadgets?sort={sort}&page[size]=2&page[number]={number}"))
    assert paged == whole
