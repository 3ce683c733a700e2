"""Models mapped with inheritance, read through both paths.

Joined-table inheritance without a discriminator (``polymorphic_on``): a subclass's row is
its parent table's row joined to its own, the two keyed by differently named columns.
Row reads must leave such a model to the ORM (``row_reads._plain_mapper``), since the
columns of two tables are only one resource's through the join; each request is answered
with row reads on and off, and both documents must hold the expected values.
"""

from __future__ import annotations

from collections.abc import Iterator

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


class Vehicle(Base):
    __tablename__ = "inherit_vehicles"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))


class Truck(Vehicle):
    """A vehicle with a payload, in a table of its own keyed by ``vehicle_id``."""

    __tablename__ = "inherit_trucks"

    vehicle_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("inherit_vehicles.id"), primary_key=True
    )
    payload: orm.Mapped[int] = orm.mapped_column()


class TruckSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    payload = fields.Int()

    class Meta:
        type_ = "trucks"


# Vehicles that are no trucks come first, so that a truck's id is not its row number.
VEHICLES = ["bike", "car"]
TRUCKS = {"hauler": 12, "tipper": 7, "van": 3}


@pytest.fixture
def trucks(database_url: str) -> Iterator[tuple[flask.Flask, dict[str, int]]]:
    """``/trucks`` over ``TRUCKS`` (after two plain vehicles), and each truck's id."""
    options = {"poolclass": StaticPool} if database_url == "sqlite://" else {}
    engine = sa.create_engine(database_url, **options)
    reset_database(engine, Base.metadata)
    session = orm.scoped_session(orm.sessionmaker(bind=engine))
    session.add_all(Vehicle(name=name) for name in VEHICLES)
    session.flush()
    stored = {name: Truck(name=name, payload=payload) for name, payload in TRUCKS.items()}
    session.add_all(stored.values())
    session.commit()
    ids = {name: truck.id for name, truck in stored.items()}
    session.remove()

    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    repository = type("TruckRepository", (SqlAlchemyModelRepository,), {"model": Truck})
    viewset = ResourceRepositoryViewSet(schema=TruckSchema, repository=repository(session=session))
    Api(app).repository(viewset, "trucks", "/trucks")
    try:
        yield app, ids
    finally:
        session.remove()
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
        engine.dispose()


def both_paths(app: flask.Flask, url: str) -> dict:
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


def test_fet_3_fet_4_joined_inheritance_reads_each_row_with_its_own_columns(
    trucks: tuple[flask.Flask, dict[str, int]],
) -> None:
    """FET-3, FET-4, SRT-1: each truck's name (its parent table) and payload (its own)
    belong together, in a collection (sorted by either) and in each resource."""
    app, ids = trucks
    expected = [
        {"id": str(ids[name]), "name": name, "payload": payload} for name, payload in TRUCKS.items()
    ]
    for sort, order in [
        ("name", expected),
        ("payload", sorted(expected, key=lambda t: t["payload"])),
    ]:
        document = both_paths(app, f"/trucks?sort={sort}")
        found = [{"id": t["id"], **t["attributes"]} for t in document["data"]]
        assert found == order, sort
    for truck in expected:
        document = both_paths(app, f"/trucks/{truck['id']}")
        assert {"id": document["data"]["id"], **document["data"]["attributes"]} == truck
