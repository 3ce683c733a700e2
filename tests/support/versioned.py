"""A small API over a model with a version column (SQLAlchemy's ``version_id_col``), for
the version ETags (``tests/test_versioned_etags.py``).

``notes`` carry a ``version`` counter the ORM increments on every UPDATE and compares in
its WHERE clause; each note sits on a ``shelves`` row (to-one, unversioned). Rows: shelf 1
``top``, note 1 ``first`` and note 2 ``second`` on it, both at version 1.
"""

from __future__ import annotations

from typing import Any

import flask
import sqlalchemy as sa
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.orm import scoped_session as make_scoped_session

from flask_jsonapi import Api, Policy
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.database import reset_database


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "ver_shelves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Note(Base):
    __tablename__ = "ver_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    shelf_id: Mapped[int | None] = mapped_column(ForeignKey("ver_shelves.id"), nullable=True)
    shelf: Mapped[Shelf | None] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's form


class ShelfSchema(Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "shelves"


class NoteSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    shelf = fields.Relationship(type_="shelves")

    class Meta:
        type_ = "notes"


def versioned_app(database_url: str, note_policy: Policy | None = None) -> flask.Flask:
    """The API over notes and shelves (``note_policy`` on notes), on a fresh database
    with the rows above."""
    engine = sa.create_engine(database_url)
    session = make_scoped_session(sessionmaker(bind=engine))
    reset_database(engine, Base.metadata)
    session.add(Shelf(id=1, name="top"))
    session.flush()
    session.add_all([Note(id=1, title="first", shelf_id=1), Note(id=2, title="second", shelf_id=1)])
    session.commit()
    if engine.dialect.name == "postgresql":
        for table in ("ver_shelves", "ver_notes"):
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"))
        session.commit()
    session.remove()
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    for schema, model, type_ in ((NoteSchema, Note, "notes"), (ShelfSchema, Shelf, "shelves")):
        repository = SqlAlchemyModelRepository(model=model, session=session)
        policy = note_policy if type_ == "notes" else None
        viewset = ResourceRepositoryViewSet(schema=schema, repository=repository, policy=policy)
        api.repository(viewset, type_, f"/{type_}")
    api.operations("/operations")

    @app.teardown_appcontext
    def remove_session(error: BaseException | None) -> None:
        session.remove()

    app.extensions["versioned"] = {"engine": engine, "session": session}
    return app


def note_row(app: flask.Flask, id_: int) -> tuple[Any, ...] | None:
    """``(title, version, shelf_id)`` of note ``id_`` as the database holds it."""
    engine = app.extensions["versioned"]["engine"]
    table = Note.__table__
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(table.c.title, table.c.version, table.c.shelf_id).where(table.c.id == id_)
        ).first()
    return None if row is None else tuple(row)
