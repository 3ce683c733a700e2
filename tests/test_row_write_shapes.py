"""POST and PATCH for model shapes the blog demo lacks (CRT-1, UPD-1), on SQLite and
PostgreSQL.

This module has its own tables, on a plain engine: SQLite's default, foreign keys not
enforced (no ``PRAGMA foreign_keys=ON``), as a user's own SQLite app has it.

* ``stories`` use joined-table inheritance: a story is a post (``shape_posts``: the title
  and the writer's foreign key) with a row of its own (``shape_stories``: the body).
  Writing one writes both tables.
* a writer's ``shout`` is computed by the database (``column_property(upper(name))``):
  a value a client sends for it is not stored.
* ``memos`` name an active writer: ``active-writers`` is a model mapped to a subquery
  of the writers (``WHERE active``); an inactive writer is no related resource (404).
* ``notes`` name their writer by a plain foreign key: naming a writer that does not exist
  is a 404, even where the database would store the key (SQLite without the pragma).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flask_jsonapi.resource_repositories.row_writes import RowWriter
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.model_apps import model_app, model_tables
from tests.support.two_paths import spy_calls


class Base(orm.DeclarativeBase):
    pass


class Writer(Base):
    __tablename__ = "shape_writers"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    active: orm.Mapped[bool] = orm.mapped_column(default=True)
    # Computed by the database: an attribute that is no column of the table.
    shout: orm.Mapped[str] = orm.column_property(sa.func.upper(name))


class Post(Base):
    __tablename__ = "shape_posts"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    writer_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("shape_writers.id"))
    writer: orm.Mapped[Writer | None] = orm.relationship()

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "post"}


class Story(Post):
    __tablename__ = "shape_stories"

    id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("shape_posts.id"), primary_key=True)
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)

    __mapper_args__ = {"polymorphic_identity": "story"}


class Note(Base):
    __tablename__ = "shape_notes"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    text: orm.Mapped[str] = orm.mapped_column(sa.Text)
    writer_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("shape_writers.id"))
    writer: orm.Mapped[Writer] = orm.relationship()


WRITERS = Writer.__table__


class ActiveWriter(Base):
    """The active writers: a model mapped to a subquery, not to a table."""

    __table__ = sa.select(WRITERS.c.id, WRITERS.c.name).where(WRITERS.c.active).subquery()


class Memo(Base):
    __tablename__ = "shape_memos"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    text: orm.Mapped[str] = orm.mapped_column(sa.Text)
    writer_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("shape_writers.id"))
    writer: orm.Mapped[ActiveWriter | None] = orm.relationship(
        primaryjoin=lambda: orm.foreign(Memo.writer_id) == ActiveWriter.id
    )


class ActiveWriterSchema(Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "active-writers"


class MemoSchema(Schema):
    id = fields.Int()
    text = fields.Str()
    writer = fields.Relationship(type_="active-writers", allow_none=True)

    class Meta:
        type_ = "memos"


class WriterSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    shout = fields.Str()

    class Meta:
        type_ = "writers"


class StorySchema(Schema):
    id = fields.Int()
    title = fields.Str()
    body = fields.Str()
    writer = fields.Relationship(type_="writers", allow_none=True)

    class Meta:
        type_ = "stories"


class NoteSchema(Schema):
    id = fields.Int()
    text = fields.Str()
    writer = fields.Relationship(type_="writers", required=True)

    class Meta:
        type_ = "notes"


RESOURCES = (
    (WriterSchema, Writer, "writers"),
    (StorySchema, Story, "stories"),
    (NoteSchema, Note, "notes"),
    (ActiveWriterSchema, ActiveWriter, "active-writers"),
    (MemoSchema, Memo, "memos"),
)


@pytest.fixture
def shapes(database_url: str) -> Iterator[tuple[JsonApiClient, Any]]:
    """A client of ``/writers``, ``/stories``, ``/notes``, ``/active-writers`` and ``/memos``
    over writers Ann (1) and Bob (2, inactive), story 1 by Ann, note 1 by Ann; and a
    session to read the rows."""
    with model_tables(database_url, Base.metadata) as (engine, session):
        ann, bob = Writer(name="Ann"), Writer(name="Bob", active=False)
        session.add_all([ann, bob])
        session.add(Story(title="First", body="Once", writer=ann))
        session.add(Note(text="Hello", writer=ann))
        session.commit()
        session.remove()

        app = model_app(session, RESOURCES)
        yield app.test_client(), session


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``RowWriter`` statements run so far (``create``, ``update``)."""
    return spy_calls(monkeypatch, RowWriter, ("create", "update"))


def _rows(session: Any, statement: Any) -> list[tuple[Any, ...]]:
    rows = [tuple(r) for r in session.execute(statement)]
    session.remove()
    return rows


def _writer(id_: int | None) -> dict[str, Any]:
    return {"data": None if id_ is None else {"type": "writers", "id": str(id_)}}


POSTS, STORIES = Post.__table__, Story.__table__
STORY_ROWS = sa.select(
    POSTS.c.id, POSTS.c.kind, POSTS.c.title, POSTS.c.writer_id, STORIES.c.body
).join_from(POSTS, STORIES, STORIES.c.id == POSTS.c.id)


def test_crt_1_a_story_is_written_in_both_of_its_tables(shapes: Any) -> None:
    """CRT-1: a model of joined-table inheritance: the title and the writer go to the
    parent's table, the body to the story's; the document has them all."""
    client, session = shapes
    body = {
        "data": {
            "type": "stories",
            "attributes": {"title": "Second", "body": "Twice"},
            "relationships": {"writer": _writer(2)},
        }
    }
    response = client.post("/stories", json=body)
    assert response.status_code == 201, response.document
    data = response.document["data"]
    assert data["id"] == "2"
    assert data["attributes"] == {"title": "Second", "body": "Twice"}
    fetched = client.get("/stories/2?include=writer").document
    assert fetched["data"]["relationships"]["writer"]["data"] == {"type": "writers", "id": "2"}
    assert [w["attributes"]["name"] for w in fetched["included"]] == ["Bob"]
    assert _rows(session, STORY_ROWS.order_by(POSTS.c.id)) == [
        (1, "story", "First", 1, "Once"),
        (2, "story", "Second", 2, "Twice"),
    ]


@pytest.mark.parametrize(
    ("attributes", "writer", "expected"),
    [
        ({"title": "Renamed"}, ..., (1, "story", "Renamed", 1, "Once")),
        ({"body": "Again"}, ..., (1, "story", "First", 1, "Again")),
        ({}, 2, (1, "story", "First", 2, "Once")),
        ({}, None, (1, "story", "First", None, "Once")),
        ({"title": "Both", "body": "Too"}, 2, (1, "story", "Both", 2, "Too")),
    ],
    ids=["parent-column", "own-column", "parent-foreign-key", "emptied", "all"],
)
def test_upd_1_a_story_is_updated_in_both_of_its_tables(
    shapes: Any, attributes: dict[str, str], writer: Any, expected: tuple[Any, ...]
) -> None:
    """UPD-1: a PATCH of a joined-table-inheritance model changes the columns of either
    table, and the writer's foreign key on the parent's."""
    client, session = shapes
    data: dict[str, Any] = {"type": "stories", "id": "1", "attributes": attributes}
    if writer is not ...:
        data["relationships"] = {"writer": _writer(writer)}
    response = client.patch("/stories/1", json={"data": data})
    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"] == {"title": expected[2], "body": expected[4]}
    assert _rows(session, STORY_ROWS) == [expected]


def test_crt_1_a_note_naming_a_missing_writer_is_404(shapes: Any, writes: list[str]) -> None:
    """CRT-1 (CRT-7): a related resource that does not exist is a 404 and nothing is
    stored, also where SQLite would store the dangling key; the fast INSERT checks it."""
    client, session = shapes
    body = {
        "data": {
            "type": "notes",
            "attributes": {"text": "Lost"},
            "relationships": {"writer": _writer(99)},
        }
    }
    response = client.post("/notes", json=body)
    assert response.status_code == 404, response.document
    assert response.document["errors"][0]["source"] == {
        "pointer": "/data/relationships/writer/data"
    }
    assert _rows(session, sa.select(Note.id, Note.text, Note.writer_id)) == [(1, "Hello", 1)]
    body["data"]["relationships"]["writer"] = _writer(2)
    assert writes == ["create"]
    response = client.post("/notes", json=body)
    assert response.status_code == 201, response.document
    assert writes == ["create", "create"]
    assert _rows(session, sa.select(Note.writer_id).where(Note.text == "Lost")) == [(2,)]


def test_upd_1_a_note_moved_to_a_missing_writer_is_404(shapes: Any, writes: list[str]) -> None:
    """UPD-1: the same for a PATCH: 404, and the note keeps its writer."""
    client, session = shapes
    data = {"type": "notes", "id": "1", "relationships": {"writer": _writer(99)}}
    response = client.patch("/notes/1", json={"data": data})
    assert response.status_code == 404, response.document
    assert writes == ["update"]
    assert _rows(session, sa.select(Note.writer_id)) == [(1,)]


def test_crt_1_a_computed_attribute_a_client_sends_is_not_stored(
    shapes: Any, writes: list[str]
) -> None:
    """CRT-1: a value sent for a computed attribute (a ``column_property`` over an SQL
    expression) is not stored, whichever fields the client asks back: the writer is
    created from its columns and its ``shout`` is computed from them."""
    client, session = shapes
    body = {"data": {"type": "writers", "attributes": {"name": "Cy", "shout": "LOUD"}}}
    response = client.post("/writers?fields[writers]=name", json=body)
    assert response.status_code == 201, response.document
    assert response.document["data"]["attributes"] == {"name": "Cy"}
    created = client.get(f"/writers/{response.document['data']['id']}").document
    assert created["data"]["attributes"] == {"name": "Cy", "shout": "CY"}
    assert _rows(session, sa.select(WRITERS.c.id, WRITERS.c.name).order_by(Writer.id)) == [
        (1, "Ann"),
        (2, "Bob"),
        (3, "Cy"),
    ]
    body = {"data": {"type": "writers", "attributes": {"name": "Dee"}}}
    assert client.post("/writers?fields[writers]=name", json=body).status_code == 201
    assert writes == ["create"]  # only the write that named no computed attribute


def test_crt_1_a_computed_attribute_is_answered_as_stored(shapes: Any) -> None:
    """CRT-1: the 201 of a POST that sent a computed attribute shows the value the
    database computes (what a GET then shows), not the client's."""
    client, session = shapes
    body = {"data": {"type": "writers", "attributes": {"name": "Cy", "shout": "LOUD"}}}
    response = client.post("/writers", json=body)
    assert response.status_code == 201, response.document
    assert response.document["data"]["attributes"] == {"name": "Cy", "shout": "CY"}
    shown = client.get(f"/writers/{response.document['data']['id']}").document
    assert shown["data"] == response.document["data"]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"name": "New", "shout": "X"}, {"name": "New", "shout": "NEW"}),
        ({"shout": "X"}, {"name": "Ann", "shout": "ANN"}),
    ],
)
def test_upd_1_a_computed_attribute_is_answered_as_stored(
    shapes: Any, attributes: dict[str, str], expected: dict[str, str]
) -> None:
    """UPD-1: the 200 of a PATCH represents the resource as updated: a computed attribute
    the client sent is not stored, and the answer shows the value the database computes
    from the stored columns, the same as a GET then shows."""
    client, session = shapes
    body = {"data": {"type": "writers", "id": "1", "attributes": attributes}}
    response = client.patch("/writers/1", json=body)
    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"] == expected
    assert client.get("/writers/1").document["data"] == response.document["data"]
    assert _rows(session, sa.select(WRITERS.c.name).where(WRITERS.c.id == 1)) == [
        (expected["name"],)
    ]


@pytest.mark.parametrize(("writer", "status"), [(1, 201), (2, 404), (99, 404)])
def test_crt_1_a_to_one_to_a_model_mapped_to_a_subquery(
    shapes: Any, writer: int, status: int
) -> None:
    """CRT-1: a memo names an active writer, whose model is mapped to a subquery of the
    writers: Ann (active) is 201; Bob (inactive) and a missing writer are 404, and no memo
    is stored."""
    client, session = shapes
    body = {
        "data": {
            "type": "memos",
            "attributes": {"text": "Hi"},
            "relationships": {"writer": {"data": {"type": "active-writers", "id": str(writer)}}},
        }
    }
    response = client.post("/memos", json=body)
    assert response.status_code == status, response.document
    stored = _rows(session, sa.select(Memo.text, Memo.writer_id))
    assert stored == ([("Hi", writer)] if status == 201 else [])
