"""Integer columns typed by a ``TypeDecorator`` (an application's own id or counter type over
``Integer`` or ``SmallInteger``) are integer columns: every integer a client sends for them, in
a filter, a body or a URL, is checked against the column's range before it reaches SQL, as
for a plain ``Integer`` (FLT-1, CRT-*, UPD-*, FET-*). On SQLite every integer column holds
64 bits; on PostgreSQL these hold 32 and 16.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flask_jsonapi import FilterField, FilterSchema
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.model_apps import model_app, model_tables


class CounterId(sa.TypeDecorator):
    """An application's id type: an integer in the database."""

    impl = sa.Integer
    cache_ok = True


class Score(sa.TypeDecorator):
    """A small counter: a ``SMALLINT`` in the database."""

    impl = sa.SmallInteger
    cache_ok = True


class Base(orm.DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "decorated_counters"

    id: orm.Mapped[int] = orm.mapped_column(CounterId, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    score: orm.Mapped[int] = orm.mapped_column(Score)
    total: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    bonus: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)


class CounterSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    score = fields.Int()
    total = fields.Int(allow_none=True)
    bonus = fields.Int(allow_none=True)

    class Meta:
        type_ = "counters"


@pytest.fixture
def counters(database_url: str) -> Iterator[tuple[JsonApiClient, Any]]:
    """``/counters`` over one row (id 1, score 7), and the engine to read the rows with."""
    with model_tables(database_url, Base.metadata) as (engine, session):
        session.add(Counter(name="one", score=7, total=2**40 + 1))  # id 1
        session.commit()
        session.remove()
        app = model_app(session, [(CounterSchema, Counter, "counters")])
        app.extensions["counters_session"] = session
        yield app.test_client(), engine


def _rows(engine: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        columns = (Counter.id, Counter.name, Counter.score)
        return [tuple(row) for row in connection.execute(sa.select(*columns))]


def _bounds(engine: Any, bits: int) -> tuple[int, int, int]:
    """The column's lowest and highest value on this database, and a value past it."""
    if engine.dialect.name == "sqlite":
        bits = 64
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1, 2 ** (bits - 1)


def _names_range(detail: str, engine: Any, low: int, high: int) -> bool:
    """Whether an error's detail says the value is out of range: of the column's, on
    PostgreSQL; past 64 bits, any integer's (the field's own check comes first)."""
    if engine.dialect.name == "sqlite":
        return "out of range for an integer" in detail
    return detail.endswith(f" is out of range for its column ({low} to {high}).")


@pytest.mark.parametrize(("member", "bits"), [("id", 32), ("score", 16)])
def test_flt_1_filter_past_a_decorated_integer_column_is_400(counters, member, bits) -> None:
    client, engine = counters
    low, high, past = _bounds(engine, bits)
    error = only_error(client.get(f"/counters?filter[{member}][gt]={past}"), 400)
    assert error["source"] == {"parameter": f"filter[{member}][gt]"}
    assert _names_range(error["detail"], engine, low, high)
    inside = client.get(f"/counters?filter[{member}][lt]={high}")
    assert [item["id"] for item in inside.document["data"]] == ["1"]


def test_crt_upd_body_past_a_decorated_integer_column_is_422_and_writes_nothing(
    counters,
) -> None:
    client, engine = counters
    before = _rows(engine)
    low, high, past = _bounds(engine, 16)
    created = {"data": {"type": "counters", "attributes": {"name": "two", "score": past}}}
    error = only_error(client.post("/counters", json=created), 422)
    assert error["source"] == {"pointer": "/data/attributes/score"}
    assert _names_range(error["detail"], engine, low, high)
    updated = {"data": {"type": "counters", "id": "1", "attributes": {"score": -past - 1}}}
    error = only_error(client.patch("/counters/1", json=updated), 422)
    assert error["source"] == {"pointer": "/data/attributes/score"}
    assert _rows(engine) == before
    updated["data"]["attributes"]["score"] = high
    assert client.patch("/counters/1", json=updated).status_code in (200, 204)
    assert _rows(engine) == [(1, "one", high)]


def test_fet_an_id_past_a_decorated_integer_key_is_a_missing_one(counters) -> None:
    """An id no row of the column can have (past its range, or no integer) answers as any
    missing id does: 404, not the database's error."""
    client, engine = counters
    _, _, past = _bounds(engine, 32)
    missing = client.get("/counters/99")
    assert missing.status_code == 404
    beyond = client.get(f"/counters/{past}")
    assert beyond.status_code == 404
    assert beyond.document == {
        **missing.document,
        "errors": [
            {**error, "detail": error["detail"].replace("99", str(past))}
            for error in missing.document["errors"]
        ],
    }
    assert client.delete(f"/counters/{past}").status_code == 404
    assert client.get("/counters/one").status_code == 404  # no integer at all
    assert _rows(engine) == [(1, "one", 7)]


@pytest.mark.parametrize("score", [-(2**63) - 1, 2**64])
def test_crt_an_integer_past_64_bits_is_never_stored_rounded(counters, score) -> None:
    """JSON integers past 64 bits, which the JSON parser reads as floats with their last
    digits rounded off (-2**63 - 1 would become -2**63, which fits): 422, nothing stored."""
    client, engine = counters
    created = {"data": {"type": "counters", "attributes": {"name": "two", "score": score}}}
    error = only_error(client.post("/counters", json=created), 422)
    assert error["source"] == {"pointer": "/data/attributes/score"}
    assert error["detail"] == "'score' is out of range for an integer: at most 64 bits."
    assert _rows(engine) == [(1, "one", 7)]


def test_flt_crt_a_64_bit_column_takes_64_bit_integers(counters) -> None:
    """FLT-1, CRT-*: a ``BIGINT`` column compares and stores integers past 32 bits, on
    PostgreSQL too: only a narrower column refuses them."""
    client, engine = counters
    found = client.get(f"/counters?filter[total][gt]={2**40}")
    assert [item["id"] for item in found.document["data"]] == ["1"]
    assert client.get(f"/counters?filter[total][gt]={2**40 + 1}").document["data"] == []
    attributes = {"name": "big", "score": 1, "total": 2**62}
    created = {"data": {"type": "counters", "attributes": attributes}}
    response = client.post("/counters", json=created)
    assert response.status_code == 201, response.document
    assert response.document["data"]["attributes"]["total"] == 2**62


class UntypedCounterFilters(FilterSchema):
    """Declared without a type, as the original's ``FilterField``: the text reaches the
    repository, which reads it as the column's type."""

    score = FilterField(operators=[None, "gt"])


@pytest.mark.parametrize(
    ("query", "found"), [("filter[score]=7", True), ("filter[score][gt]=7", False)]
)
def test_flt_untyped_text_for_a_decorated_integer_column_is_read_as_an_integer(
    counters, query, found
) -> None:
    """FLT-1: the text of an untyped filter compares as an integer with a decorated integer
    column; text that is no integer is a 400 naming the parameter."""
    client, _ = counters
    session = client.application.extensions["counters_session"]

    def configure(viewset: Any, model: type) -> None:
        viewset.filter_schema = UntypedCounterFilters()

    untyped = model_app(session, [(CounterSchema, Counter, "counters")], configure).test_client()
    response = untyped.get(f"/counters?{query}")
    assert [item["id"] for item in response.document["data"]] == (["1"] if found else [])
    error = only_error(untyped.get("/counters?filter[score]=seven"), 400)
    assert error["source"] == {"parameter": "filter[score]"}
    assert error["detail"] == "'filter[score]': 'seven' is not an integer."


def test_upd_a_null_for_an_integer_attribute_is_stored(counters) -> None:
    """UPD-*: ``null`` for a nullable integer attribute (64 or 32 bits) is no integer to
    check against its column: stored."""
    client, engine = counters
    attributes = {"total": None, "bonus": None, "score": 8}
    body = {"data": {"type": "counters", "id": "1", "attributes": attributes}}
    response = client.patch("/counters/1", json=body)
    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"] == {"name": "one", **attributes}
    with engine.connect() as connection:
        stored = connection.execute(sa.select(Counter.total, Counter.bonus, Counter.score))
        assert tuple(stored.one()) == (None, None, 8)
