"""Deleting resources of the blog app: 204 and the row gone, 404, bodies ignored (DEL-*)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from examples.blog.models import Article, Author, Comment, Tag
from flask_jsonapi.schema import Schema, fields
from tests.support.blog_rows import (
    add_rows,
    article_tag_pairs,
    count_rows,
    link_tags,
    make_article,
    make_author,
    make_comment,
    make_tag,
    row,
)
from tests.support.client import JsonApiClient
from tests.support.error_checks import assert_error
from tests.support.model_apps import model_app, model_tables


def test_delete_answers_204_and_removes_the_row(client: JsonApiClient, db_session: Any) -> None:
    """DEL-1: 204 with no body; the row is gone and GET on it is 404; other rows stay."""
    first, second = add_rows(db_session, make_article(1), make_article(2))

    response = client.delete(f"/articles/{first}")

    assert response.status_code == 204
    assert response.get_data() == b""
    assert row(db_session, Article, first) is None
    assert row(db_session, Article, second) is not None
    assert_error(client.get(f"/articles/{first}"), 404)


def test_delete_removes_dependent_rows(client: JsonApiClient, db_session: Any) -> None:
    """DEL-1: deleting an article removes its comments and tag links, not the tags."""
    (article_id,) = add_rows(db_session, make_article())
    tag_ids = add_rows(db_session, make_tag(1), make_tag(2))
    link_tags(db_session, article_id, tag_ids)
    add_rows(db_session, make_comment(1, article_id=article_id))

    response = client.delete(f"/articles/{article_id}")

    assert response.status_code == 204
    assert count_rows(db_session, Comment) == 0
    assert article_tag_pairs(db_session) == set()
    assert count_rows(db_session, Tag) == 2


def test_delete_author_keeps_articles_without_author(
    client: JsonApiClient, db_session: Any
) -> None:
    """DEL-1: deleting an author detaches, but keeps, the author's articles (SET NULL)."""
    (author_id,) = add_rows(db_session, make_author())
    (article_id,) = add_rows(db_session, make_article(author_id=author_id))

    response = client.delete(f"/authors/{author_id}")

    assert response.status_code == 204
    assert count_rows(db_session, Author) == 0
    assert row(db_session, Article, article_id)["author_id"] is None


@pytest.mark.parametrize(
    "raw_id", ["999", "abc", "99999999999999999999"], ids=["missing", "letters", "out-of-range"]
)
def test_delete_missing_resource_is_404(
    client: JsonApiClient, db_session: Any, raw_id: str
) -> None:
    """DEL-3: DELETE of a resource that does not exist -> 404, nothing removed."""
    add_rows(db_session, make_article())

    assert_error(client.delete(f"/articles/{raw_id}"), 404)
    assert count_rows(db_session, Article) == 1


def test_second_delete_is_404(client: JsonApiClient, db_session: Any) -> None:
    """DEL-3: once deleted, the resource does not exist any more."""
    (article_id,) = add_rows(db_session, make_article())

    assert client.delete(f"/articles/{article_id}").status_code == 204
    assert_error(client.delete(f"/articles/{article_id}"), 404)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"data": {"type": "articles", "id": "{own}"}},
        {"data": {"type": "articles", "id": "{other}"}},
        {"data": None},
    ],
    ids=["empty-object", "own-identifier", "other-identifier", "null-data"],
)
def test_delete_ignores_a_request_body(
    client: JsonApiClient, db_session: Any, body: dict[str, Any]
) -> None:
    """DEL-1, DOC-6: a body sent with DELETE (jsonapi-client, kitsu) is ignored; the URL wins."""
    own, other = add_rows(db_session, make_article(1), make_article(2))
    if body.get("data"):
        ids = {"own": str(own), "other": str(other)}
        body = {"data": {**body["data"], "id": body["data"]["id"].format(**ids)}}

    response = client.delete(f"/articles/{own}", json=body)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert row(db_session, Article, own) is None
    assert row(db_session, Article, other) is not None


class _Base(orm.DeclarativeBase):
    pass


class Shelf(_Base):
    __tablename__ = "restrict_shelves"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(20))


class Book(_Base):
    """A book keeps its shelf: the database refuses to delete a shelf that holds books."""

    __tablename__ = "restrict_books"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    shelf_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("restrict_shelves.id", ondelete="RESTRICT")
    )


class ShelfSchema(Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "shelves"


@pytest.fixture
def shelves(database_url: str) -> Iterator[tuple[JsonApiClient, Any]]:
    """``/shelves``: shelf 1 holds a book, shelf 2 none; foreign keys enforced."""
    with model_tables(database_url, _Base.metadata, foreign_keys=True) as (engine, session):
        session.add_all([Shelf(id=1, name="full"), Shelf(id=2, name="empty")])
        session.flush()
        session.add(Book(id=1, shelf_id=1))
        session.commit()
        session.remove()
        yield model_app(session, [(ShelfSchema, Shelf, "shelves")]).test_client(), engine


def test_del_delete_the_database_refuses_is_409_and_deletes_nothing(shelves) -> None:
    """A delete that a foreign key restricts: 409, as a JSON:API error, the row kept; the
    next delete of a free row goes through."""
    client, engine = shelves
    response = client.delete("/shelves/1")
    assert_error(response, 409)
    assert response.document["errors"][0]["title"] == "Conflict"
    with engine.connect() as connection:
        kept = connection.execute(sa.select(Shelf.id).order_by(Shelf.id)).scalars().all()
    assert kept == [1, 2]
    assert client.delete("/shelves/2").status_code == 204
    with engine.connect() as connection:
        assert connection.execute(sa.select(Shelf.id)).scalars().all() == [1]
