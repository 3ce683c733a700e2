"""Cursor pages over columns the blog demo has not: a UUID primary key, a ``Numeric`` price,
a ``Date``, a ``Time`` and an ``Interval`` (PROF-4, PAG-4), on SQLite and PostgreSQL alike.

A cursor carries each sort value as JSON (a price as ``"3.50"``, a UUID as its hex form, a
duration as whole microseconds); the next request must read it back in the column's type,
or the keyset comparison fails (500) or skips rows. A forged value that the column cannot
hold is a 400.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from collections.abc import Iterator
from urllib.parse import quote

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
from tests.support.query_data import error_of


class Base(orm.DeclarativeBase):
    pass


class Part(Base):
    __tablename__ = "cursor_parts"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(sa.Uuid, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    price: orm.Mapped[decimal.Decimal] = orm.mapped_column(sa.Numeric(8, 2))
    made: orm.Mapped[datetime.date] = orm.mapped_column(sa.Date)
    lead: orm.Mapped[datetime.timedelta] = orm.mapped_column(sa.Interval)
    at: orm.Mapped[datetime.time] = orm.mapped_column(sa.Time)


class PartSchema(Schema):
    id = fields.UUID()
    name = fields.Str()
    price = fields.Decimal(as_string=True)
    made = fields.Date()
    lead = fields.TimeDelta()
    at = fields.Time()

    class Meta:
        type_ = "parts"


DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
MICROSECOND = datetime.timedelta(microseconds=1)
# name: (price, made, lead, at); values tie, so the UUID decides between them.
PARTS = {
    "p1": ("3.50", "2024-01-02", 2 * HOUR, "09:30:00"),
    "p2": ("1.25", "2024-01-01", DAY + 5 * MICROSECOND, "17:00:00.000250"),
    "p3": ("3.50", "2024-01-01", 2 * HOUR, "09:30:00"),
    "p4": ("2.00", "2024-01-02", MICROSECOND, "00:00:00"),
    "p5": ("1.25", "2024-01-03", DAY + 5 * MICROSECOND, "23:59:59"),
    "p6": ("3.50", "2024-01-03", 0 * DAY, "17:00:00.000250"),
    "p7": ("10.00", "2024-01-01", 400 * DAY, "12:00:00"),
}


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://example.org/parts/{name}")


@pytest.fixture
def parts(database_url: str) -> Iterator[JsonApiClient]:
    """``/parts``, cursor-paginated, over the rows above."""
    options = {"poolclass": StaticPool} if database_url == "sqlite://" else {}
    engine = sa.create_engine(database_url, **options)
    reset_database(engine, Base.metadata)
    session = orm.scoped_session(orm.sessionmaker(bind=engine))
    for name, (price, made, lead, at) in PARTS.items():
        made_on, at = datetime.date.fromisoformat(made), datetime.time.fromisoformat(at)
        price = decimal.Decimal(price)
        session.add(Part(id=_id(name), name=name, price=price, made=made_on, lead=lead, at=at))
    session.commit()
    session.remove()

    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    repository = type("PartRepository", (SqlAlchemyModelRepository,), {})
    viewset = ResourceRepositoryViewSet(
        schema=PartSchema, repository=repository(model=Part, session=session)
    )
    viewset.pagination = "cursor"
    Api(app).repository(viewset, "parts", "/parts")
    try:
        yield app.test_client()
    finally:
        session.remove()
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
        engine.dispose()


def _walk(client: JsonApiClient, url: str) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.document
        pages.append([part["attributes"]["name"] for part in response.document["data"]])
        url = response.document["links"]["next"]
    return pages


def _value(name: str, column: str) -> object:
    price, made, lead, at = PARTS[name]
    return {"price": decimal.Decimal(price), "made": made, "lead": lead, "at": at}[column]


def _expected(sort: str) -> list[str]:
    """The names in ``sort`` order (a column, ``-`` for descending), ties by id."""
    names = sorted(PARTS, key=_id)  # the last key; Python's sort is stable
    for key in reversed(sort.split(",")):
        column = key.lstrip("-")
        names.sort(key=lambda name: _value(name, column), reverse=key.startswith("-"))
    return names


@pytest.mark.parametrize(
    "sort",
    ["price", "-price", "made,-price", "-made,price", "lead", "-lead,made", "at", "-at,price"],
)
def test_cursor_pages_over_uuid_numeric_date_time_and_interval_columns_pag_4(parts, sort) -> None:
    """PAG-4, PROF-4: next links visit every part once, in sort order, ties broken by the
    UUID primary key: the cursor's price, date, time, duration and UUID are read back
    (a duration sort answered 500: JSON has no duration)."""
    pages = _walk(parts, f"/parts?sort={sort}&page[size]=2")
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert sum(pages, []) == _expected(sort)


def _forged(content: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "values",
    [["cheap", str(_id("p1"))], ["1.25", "not-a-uuid"], ["1.25", 7], [[1], str(_id("p1"))]],
    ids=["price-not-a-number", "id-not-a-uuid", "id-a-number", "price-a-list"],
)
def test_forged_cursor_value_the_column_cannot_hold_is_400_prof_4(parts, values) -> None:
    """PROF-4: a cursor of this sort whose price or id is not one is 400 naming its
    parameter, never a database error."""
    for parameter in ("page[after]", "page[before]"):
        cursor = quote(_forged({"s": "price", "v": values}))
        error = error_of(parts.get(f"/parts?sort=price&{parameter}={cursor}"))
        assert error["source"] == {"parameter": parameter}
        assert error["detail"] == f"'{parameter}' is not a valid cursor."


# The durations SQLite can compare (it stores 1970-01-01 plus the duration), in microseconds.
EPOCH = datetime.datetime(1970, 1, 1)
LONGEST = (datetime.datetime.max - EPOCH) // MICROSECOND
MOST_NEGATIVE = (datetime.datetime.min - EPOCH) // MICROSECOND


def _after_lead(client: JsonApiClient, lead: object, parameter: str = "page[after]") -> object:
    cursor = quote(_forged({"s": "lead", "v": [lead, str(_id("p1"))]}))
    return client.get(f"/parts?sort=lead&{parameter}={cursor}")


@pytest.mark.parametrize(
    "lead",
    [LONGEST + 1, MOST_NEGATIVE - 1, 2**62, 10**20, 1.5, "1 day", [1]],
    ids=["past-longest", "past-most-negative", "huge", "past-64-bits", "float", "text", "list"],
)
def test_forged_cursor_duration_the_column_cannot_hold_is_400_prof_4(parts, lead) -> None:
    """PROF-4: a cursor's duration is whole microseconds, within what every database can
    compare (SQLite failed past a datetime's range: 500); anything else in a cursor of
    ``sort=lead`` is 400 naming its parameter."""
    for parameter in ("page[after]", "page[before]"):
        error = error_of(_after_lead(parts, lead, parameter))
        assert error["source"] == {"parameter": parameter}
        assert error["detail"] == f"'{parameter}' is not a valid cursor."


def test_cursor_durations_at_the_ends_of_the_range_page_prof_4(parts) -> None:
    """PROF-4: after the longest duration nothing follows; after the most negative one
    every part does, in order."""
    assert _after_lead(parts, LONGEST).document["data"] == []
    document = _after_lead(parts, MOST_NEGATIVE).document
    assert [part["attributes"]["name"] for part in document["data"]] == _expected("lead")
