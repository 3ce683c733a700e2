"""A table keyed by an enum (a lookup table of states, say): ids are the enum's names.

The id of such a row is what its schema's ``fields.Enum`` writes (``"RED"``), not
``str()`` of the Python value (``"Hue.RED"``): a compound document must name each row by
that one id, so that a primary resource reached again through ``include`` is recognised
and not repeated (CMP-4), on SQLite and PostgreSQL alike. (Linkage of such rows and
``GET /shades/RED`` are not right yet: see the mutdoc2 report.)
"""

from __future__ import annotations

import enum
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


class Hue(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


class Base(orm.DeclarativeBase):
    pass


class Shade(Base):
    __tablename__ = "enum_id_shades"

    id: orm.Mapped[Hue] = orm.mapped_column(sa.Enum(Hue, name="enum_id_hue"), primary_key=True)
    label: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    next_id: orm.Mapped[Hue | None] = orm.mapped_column(
        sa.Enum(Hue, name="enum_id_hue"), sa.ForeignKey("enum_id_shades.id"), nullable=True
    )
    next: orm.Mapped[Shade | None] = orm.relationship(remote_side=[id])


class ShadeSchema(Schema):
    id = fields.Enum(Hue)
    label = fields.Str()
    next = fields.Relationship(type_="shades")

    class Meta:
        type_ = "shades"


@pytest.fixture
def shades(database_url: str) -> Iterator[JsonApiClient]:
    """``/shades``: red -> green -> blue -> red."""
    options = {"poolclass": StaticPool} if database_url == "sqlite://" else {}
    engine = sa.create_engine(database_url, **options)
    reset_database(engine, Base.metadata)
    session = orm.scoped_session(orm.sessionmaker(bind=engine))
    session.add_all([Shade(id=hue, label=hue.name.lower()) for hue in Hue])
    session.flush()
    for hue, after in zip(Hue, [*list(Hue)[1:], Hue.RED], strict=True):
        session.get(Shade, hue).next_id = after
    session.commit()
    session.remove()
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    viewset = ResourceRepositoryViewSet(
        schema=ShadeSchema, repository=SqlAlchemyModelRepository(model=Shade, session=session)
    )
    Api(app).repository(viewset, "shades", "/shades")
    try:
        yield app.test_client()
    finally:
        session.remove()
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
        engine.dispose()


def test_enum_ids_name_each_row_once_in_a_compound_document_cmp_4(shades) -> None:
    """CMP-4, ID-1: every shade's next shade is itself primary data, named by the enum's
    name: nothing is included again."""
    response = shades.get("/shades?include=next")
    assert response.status_code == 200, response.document
    document = response.document
    assert sorted(r["id"] for r in document["data"]) == ["BLUE", "GREEN", "RED"]
    assert document["included"] == []
