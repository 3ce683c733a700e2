"""Relationships the ORM never loads whole (``lazy="write_only"``, ``lazy="dynamic"``) on
the ORM path: row reads off, or an object check (``Policy.visible``) on either side.

Their relationship and related URLs answer what the row path answers, a resource document
that carries their linkage lists their members, and member writes (POST, PATCH, DELETE of
``/authors/1/relationships/articles``) change the rows, on both paths.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, relationship

from examples.blog import api as blog_api
from examples.blog.models import Article, Author, Comment, Tag, article_tags
from flask_jsonapi import Api
from flask_jsonapi.policy import Policy
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import fields
from tests.support.atomic import atomic
from tests.support.client import JsonApiClient
from tests.support.query_data import blog
from tests.test_row_reads import blog_resources, build_app, repository_cls


class Never(DeclarativeBase):
    """Classes over the blog's tables whose ``articles`` are never loaded whole."""


class WriteOnlyAuthor(Never):
    __table__ = Author.__table__
    articles = relationship(
        "WriteOnlyArticle",
        lazy="write_only",
        order_by="WriteOnlyArticle.id.desc()",
        overlaps="articles,author",
    )


class WriteOnlyArticle(Never):
    __table__ = Article.__table__
    author = relationship(WriteOnlyAuthor, viewonly=True)
    comments = relationship(Comment, viewonly=True)
    tags = relationship(Tag, secondary=article_tags, viewonly=True)


class DynamicAuthor(Never):
    __table__ = Author.__table__
    articles = relationship(
        "DynamicArticle",
        lazy="dynamic",
        order_by="DynamicArticle.id.desc()",
        overlaps="articles,author",
    )


class DynamicArticle(Never):
    __table__ = Article.__table__
    author = relationship(DynamicAuthor, viewonly=True)
    comments = relationship(Comment, viewonly=True)
    tags = relationship(Tag, secondary=article_tags, viewonly=True)


MODELS = {
    "write_only": (WriteOnlyAuthor, WriteOnlyArticle),
    "dynamic": (DynamicAuthor, DynamicArticle),
}


class LinkedAuthorSchema(blog_api.AuthorSchema):
    """Authors whose documents carry their articles' linkage."""

    articles = fields.Relationship(type_="articles", many=True, include_resource_linkage=True)

    class Meta:
        type_ = "authors"


class SeeAll(Policy):
    """An object check that refuses nothing: it only sends requests down the ORM path."""

    def visible(self, obj: Any) -> bool:
        return True


class NotArticle2(Policy):
    """Article 2 is never shown (a rule SQL cannot make)."""

    def visible(self, obj: Any) -> bool:
        return obj.id != 2


PATHS = {
    "rows": ({}, True),
    "orm_config": ({}, False),
    "orm_author_check": ({"authors": {"policy": SeeAll()}}, True),
    "orm_article_check": ({"articles": {"policy": SeeAll()}}, True),
}


def _app(db_session: Any, lazy: str, path: str, *, linked: bool = False) -> flask.Flask:
    author_model, article_model = MODELS[lazy]
    schema = LinkedAuthorSchema if linked else blog_api.AuthorSchema
    viewsets, row_reads = PATHS[path]
    resources = blog_resources(
        authors=(schema, repository_cls(author_model)),
        articles=(blog_api.ArticleSchema, repository_cls(article_model)),
    )
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    app.config["JSONAPI_ROW_READS"] = row_reads
    api = Api(app)
    for name, schema_cls, repository in resources:
        viewset = ResourceRepositoryViewSet(
            schema=schema_cls, repository=repository(session=db_session), **viewsets.get(name, {})
        )
        api.repository(viewset, name, f"/{name}")
    api.operations("/operations")
    return app


@pytest.fixture
def ada(db_session: Any) -> int:
    """Seven articles, 1, 3, 5 and 7 by Ada (whose id this is)."""
    blog(db_session, 7, authors=["Ada", "Bob"])
    id_ = db_session.scalars(sa.select(Author.id).where(Author.name == "Ada")).one()
    db_session.remove()
    return id_


def _written(db_session: Any, author: int) -> list[int]:
    """Ids of ``author``'s articles as stored, newest first."""
    query = sa.select(Article.id).where(Article.author_id == author).order_by(Article.id.desc())
    ids = list(db_session.scalars(query))
    db_session.remove()
    return ids


READ_URLS = [
    "/authors/{ada}/relationships/articles",
    "/authors/{ada}/relationships/articles?page[size]=2",
    "/authors/{ada}/relationships/articles?page[number]=2&page[size]=3",
    "/authors/{ada}/articles",
    "/authors/{ada}/articles?page[size]=2&sort=title",
    "/authors/{ada}/articles?filter[title]=Article 3&include=author",
]


@pytest.mark.parametrize("path", [p for p in PATHS if p != "rows"])
@pytest.mark.parametrize("lazy", list(MODELS))
def test_never_loaded_relationship_reads_the_same_on_the_orm_path_rel_3(
    db_session: Any, ada: int, lazy: str, path: str
) -> None:
    """REL-3, FET-1, PAG-1: the relationship and related URLs of a write_only (and a
    dynamic) to-many answer on the ORM path the documents the row path answers: its
    members, in its order, paged and counted."""
    assert _written(db_session, ada) == [7, 5, 3, 1]
    rows = _app(db_session, lazy, "rows").test_client()
    orm = _app(db_session, lazy, path).test_client()
    plain = build_app(db_session, *blog_resources(), **PATHS[path][0]).test_client()
    for template in READ_URLS:
        url = template.format(ada=ada)
        expected = rows.get(url)
        got = orm.get(url)
        assert expected.status_code == 200, (url, expected.document)
        assert got.status_code == 200, (url, got.document)
        if path == "orm_article_check" and "/relationships/" not in url:
            # A related collection checked one by one is not counted (no meta, no last
            # link), a plain relationship's neither: it answers what that one answers.
            expected = plain.get(url)
        assert got.document == expected.document, url
    linkage = orm.get(f"/authors/{ada}/relationships/articles").document
    assert [i["id"] for i in linkage["data"]] == ["7", "5", "3", "1"]
    assert linkage["meta"]["count"] == 4


@pytest.mark.parametrize("lazy", list(MODELS))
def test_never_loaded_relationship_hides_refused_members_rel_3(db_session: Any, lazy: str) -> None:
    """REL-3: an object check on the members leaves the refused one out of the linkage,
    its count and the related collection (all four articles are Ada's)."""
    blog(db_session, 4, authors=["Ada"])
    db_session.remove()
    author_model, article_model = MODELS[lazy]
    app = build_app(
        db_session,
        *blog_resources(
            authors=(blog_api.AuthorSchema, repository_cls(author_model)),
            articles=(blog_api.ArticleSchema, repository_cls(article_model)),
        ),
        articles={"policy": NotArticle2()},
    )
    client = app.test_client()
    linkage = client.get("/authors/1/relationships/articles").document
    assert [i["id"] for i in linkage["data"]] == ["4", "3", "1"]
    assert linkage["meta"]["count"] == 3
    related = client.get("/authors/1/articles").document  # in id order, as on rows
    assert [a["id"] for a in related["data"]] == ["1", "3", "4"]


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("lazy", list(MODELS))
def test_never_loaded_relationship_linkage_in_a_resource_document_rel_3(
    db_session: Any, ada: int, lazy: str, path: str
) -> None:
    """REL-3, FET-1: a resource document whose relationship carries its linkage lists a
    write_only (or dynamic) relationship's members, in its order, on every path."""
    client = _app(db_session, lazy, path, linked=True).test_client()
    response = client.get(f"/authors/{ada}")
    assert response.status_code == 200, response.document
    data = response.document["data"]["relationships"]["articles"]["data"]
    assert [i["id"] for i in data] == ["7", "5", "3", "1"]
    listed = client.get("/authors?filter[name]=Ada").document["data"]
    assert [i["id"] for i in listed[0]["relationships"]["articles"]["data"]] == ["7", "5", "3", "1"]


@pytest.mark.parametrize("path", ["rows", "orm_author_check", "orm_article_check"])
@pytest.mark.parametrize("lazy", list(MODELS))
def test_never_loaded_relationship_member_writes_urel_3(
    db_session: Any, ada: int, lazy: str, path: str
) -> None:
    """UREL-3, UREL-4, UREL-5: POST adds members, DELETE removes them and PATCH replaces
    them on a write_only (or dynamic) to-many: the rows change and the answer lists the
    members as stored, on the row and the ORM path."""
    client = _app(db_session, lazy, path).test_client()
    url = f"/authors/{ada}/relationships/articles"

    def body(*ids: int) -> dict[str, Any]:
        return {"data": [{"type": "articles", "id": str(i)} for i in ids]}

    response = client.post(url, json=body(2, 3))
    assert response.status_code in (200, 204), response.document
    assert _written(db_session, ada) == [7, 5, 3, 2, 1]
    if response.status_code == 200:
        assert [i["id"] for i in response.document["data"]] == ["7", "5", "3", "2", "1"]
    response = client.delete(url, json=body(5, 6))
    assert response.status_code in (200, 204), response.document
    assert _written(db_session, ada) == [7, 3, 2, 1]
    response = client.patch(url, json=body(4, 1))
    assert response.status_code in (200, 204), response.document
    assert _written(db_session, ada) == [4, 1]
    if response.status_code == 200:
        assert [i["id"] for i in response.document["data"]] == ["4", "1"]
    linkage = client.get(url).document
    assert [i["id"] for i in linkage["data"]] == ["4", "1"]


def test_write_only_linkage_is_paged_in_sql_on_the_orm_path_pag_1(
    db_session: Any, ada: int, sql_counter: Any
) -> None:
    """PAG-1, REL-3: a page of a write_only relationship's linkage on the ORM path selects
    that page and counts the rest in SQL: one statement each, none reading every member."""
    client = _app(db_session, "write_only", "orm_config").test_client()
    url = f"/authors/{ada}/relationships/articles?page[number]=2&page[size]=1"
    with sql_counter() as counter:
        document = client.get(url).document
    assert [i["id"] for i in document["data"]] == ["5"]
    assert document["meta"]["count"] == 4
    articles = [sql for sql in counter.statements if "FROM articles" in sql]
    assert len(articles) == 2, counter
    assert sum("count(" in sql.lower() for sql in articles) == 1, counter
    assert sum("LIMIT" in sql for sql in articles) == 1, counter


@pytest.mark.parametrize("path", ["rows", "orm_author_check", "orm_article_check"])
@pytest.mark.parametrize("lazy", list(MODELS))
def test_never_loaded_relationship_in_resource_writes_crt_1_upd_4(
    db_session: Any, ada: int, lazy: str, path: str
) -> None:
    """CRT-1, UPD-4: a resource created with, or updated to, members of a write_only (or
    dynamic) to-many stores them; the answer lists them when its linkage is shown."""
    client = _app(db_session, lazy, path, linked=True).test_client()
    linkage = {
        "articles": {"data": [{"type": "articles", "id": "2"}, {"type": "articles", "id": "4"}]}
    }
    response = client.patch(
        f"/authors/{ada}",
        json={"data": {"type": "authors", "id": str(ada), "relationships": linkage}},
    )
    assert response.status_code == 200, response.document
    assert _written(db_session, ada) == [4, 2]
    data = response.document["data"]["relationships"]["articles"]["data"]
    assert [i["id"] for i in data] == ["4", "2"]
    created = {
        "type": "authors",
        "attributes": {"name": "Dee", "email": "dee@example.org"},
        "relationships": {"articles": {"data": [{"type": "articles", "id": "1"}]}},
    }
    response = client.post("/authors", json={"data": created})
    assert response.status_code == 201, response.document
    dee = int(response.document["data"]["id"])
    assert _written(db_session, dee) == [1]
    assert _written(db_session, ada) == [4, 2]
    data = response.document["data"]["relationships"]["articles"]["data"]
    assert [i["id"] for i in data] == ["1"]


@pytest.mark.parametrize("lazy", list(MODELS))
def test_never_loaded_relationship_replace_keeps_hidden_members_urel_4(
    db_session: Any, lazy: str
) -> None:
    """UREL-4: replacing a write_only (or dynamic) to-many keeps the members an object
    check hides from the client (article 2), by PATCH of the relationship or resource."""
    blog(db_session, 4, authors=["Ada"])
    db_session.remove()
    author_model, article_model = MODELS[lazy]
    app = build_app(
        db_session,
        *blog_resources(
            authors=(blog_api.AuthorSchema, repository_cls(author_model)),
            articles=(blog_api.ArticleSchema, repository_cls(article_model)),
        ),
        articles={"policy": NotArticle2()},
    )
    client = app.test_client()
    body = {"data": [{"type": "articles", "id": "3"}]}
    response = client.patch("/authors/1/relationships/articles", json=body)
    assert response.status_code in (200, 204), response.document
    assert _written(db_session, 1) == [3, 2]
    resource = {"type": "authors", "id": "1", "relationships": {"articles": {"data": []}}}
    response = client.patch("/authors/1", json={"data": resource})
    assert response.status_code == 200, response.document
    assert _written(db_session, 1) == [2]


class UnnarrowedRepository(SqlAlchemyModelRepository):
    """A repository whose list cannot be narrowed to one parent (no ``related_to``)."""

    model = WriteOnlyArticle

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_list(*args, **kwargs)


def test_write_only_related_page_of_an_unnarrowed_repository_fet_1(
    db_session: Any, ada: int
) -> None:
    """FET-1, PAG-1: a related collection whose repository cannot narrow its list is paged
    from the parent's write_only members, read through their select."""
    resources = blog_resources(
        authors=(blog_api.AuthorSchema, repository_cls(WriteOnlyAuthor)),
        articles=(blog_api.ArticleSchema, UnnarrowedRepository),
    )
    client = build_app(db_session, *resources).test_client()
    document = client.get(f"/authors/{ada}/articles?page[size]=3").document
    assert [a["id"] for a in document["data"]] == ["7", "5", "3"]
    assert document["meta"]["count"] == 4


@pytest.mark.parametrize("path", ["rows", "orm_article_check"])
def test_write_only_members_by_atomic_operations_atom_24(
    db_session: Any, ada: int, path: str
) -> None:
    """ATOM-23, ATOM-24: Atomic Operations add to and remove from a write_only to-many."""
    app = _app(db_session, "write_only", path)
    ref = {"type": "authors", "id": str(ada), "relationship": "articles"}
    client = app.test_client()
    response = atomic(
        client,
        {"op": "add", "ref": ref, "data": [{"type": "articles", "id": "2"}]},
        {"op": "remove", "ref": ref, "data": [{"type": "articles", "id": "7"}]},
    )
    assert response.status_code in (200, 204), response.document
    assert _written(db_session, ada) == [5, 3, 2, 1]
