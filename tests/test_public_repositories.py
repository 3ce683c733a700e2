"""Repositories at their public paths: ``SqlAlchemyModelRepository`` and ``MemoryRepository``.

The SQLAlchemy repository is used directly (``strategy='commit'|'flush'``) and through
an app with overridden ``get_query`` (scoping), ``build`` and ``update_attribute``.
"""

from __future__ import annotations

from typing import Any

import flask
import pytest
import sqlalchemy as sa

from examples.blog.api import ArticleViewSet
from examples.blog.models import Article, Tag
from flask_jsonapi import Api, ResourceRepositoryViewSet, exceptions
from flask_jsonapi.query.model import EXPRESSION_KEY, FilterExpression
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.resource_repositories.repositories import ResourceRepository
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error
from tests.support.notes import NoteSchema, note_body, notes_app


def tag_names(db_session: Any) -> list[str]:
    names = list(db_session.scalars(sa.select(Tag.name).order_by(Tag.name)))
    db_session.remove()
    return names


def test_resource_repository_interface_defaults_are_501() -> None:
    repository = ResourceRepository()
    for call in (
        lambda: repository.create({}),
        lambda: repository.get_list(),
        lambda: repository.get_detail(1),
        lambda: repository.update({"id": 1}),
        lambda: repository.delete(1),
    ):
        with pytest.raises(exceptions.NotImplementedMethod) as raised:
            call()
        assert raised.value.status == 501


# -- SqlAlchemyModelRepository called directly -------------------------------------------------


@pytest.fixture
def tags(db_session: Any) -> SqlAlchemyModelRepository:
    return SqlAlchemyModelRepository(model=Tag, session=db_session, instance_name="tag")


def test_constructor_attributes(tags: SqlAlchemyModelRepository, db_session: Any) -> None:
    assert (tags.model, tags.session, tags.instance_name) == (Tag, db_session, "tag")

    class Declared(SqlAlchemyModelRepository):
        model = Tag
        session = db_session

    assert Declared().instance_name == "model instance"


def test_create_commit_strategy_persists(tags: SqlAlchemyModelRepository, db_session: Any) -> None:
    tag = tags.create({"name": "kept"})
    assert tag.id is not None
    db_session.rollback()
    db_session.remove()
    assert tag_names(db_session) == ["kept"]


def test_create_flush_strategy_leaves_commit_to_caller(
    tags: SqlAlchemyModelRepository, db_session: Any
) -> None:
    """``strategy='flush'``: the row has an id but is gone after a rollback."""
    tag = tags.create({"name": "flushed"}, strategy="flush")
    assert tag.id is not None
    db_session.rollback()
    db_session.remove()
    assert tag_names(db_session) == []


def test_update_and_delete_strategies(tags: SqlAlchemyModelRepository, db_session: Any) -> None:
    tag_id = tags.create({"name": "a"}).id
    tags.update({"id": tag_id, "name": "b"}, strategy="flush")
    db_session.rollback()
    assert tag_names(db_session) == ["a"]
    tags.update({"id": tag_id, "name": "c"})
    db_session.remove()
    assert tag_names(db_session) == ["c"]
    tags.delete(tag_id, strategy="flush")
    db_session.rollback()
    assert tag_names(db_session) == ["c"]
    tags.delete(tag_id)
    assert tag_names(db_session) == []


def test_missing_object_and_unique_conflict(
    tags: SqlAlchemyModelRepository, db_session: Any
) -> None:
    with pytest.raises(exceptions.ObjectNotFound) as missing:
        tags.get_detail(99)
    assert missing.value.detail == "Tag 99 not found."
    tags.create({"name": "same"})
    with pytest.raises(exceptions.Conflict):
        tags.create({"name": "same"})
    assert tags.get_count() == 1
    assert [t.name for t in tags.get_list({}, (), {})] == ["same"]


@pytest.mark.parametrize("key", ["eq", "__eq", "name____eq", "name__"])
def test_filter_key_naming_no_attribute_is_invalid_filters(
    tags: SqlAlchemyModelRepository, key: str
) -> None:
    """FLT-3: code calling ``get_list`` itself with a filter key that names no attribute (or
    an empty one) gets the query's 400 error, which says so, not another exception."""
    with pytest.raises(exceptions.InvalidFilters) as invalid:
        tags.get_list({key: "x"}, (), {})
    assert invalid.value.detail == f"'{key}' names no attribute"


@pytest.fixture
def articles(db_session: Any) -> SqlAlchemyModelRepository:
    return SqlAlchemyModelRepository(model=Article, session=db_session, instance_name="article")


@pytest.mark.parametrize(
    ("filters", "parameter", "detail"),
    [
        ({"views__gt": "many"}, "filter[views][gt]", "'views__gt': 'many' is not an integer."),
        ({"views__in": ["1", "x"]}, "filter[views][in]", "'views__in': 'x' is not an integer."),
        (
            {"id__gt": 2**70},
            "filter[id][gt]",
            f"'id__gt': {2**70} is out of range for its column <range>.",
        ),
        # a relationship compared directly compares the related primary key
        ({"author": "Ada"}, "filter[author]", "'author': 'Ada' is not an integer."),
        (
            {"author": 2**70},
            "filter[author]",
            f"'author': {2**70} is out of range for its column <range>.",
        ),
        ({"views__range": [1]}, "filter", "'views__range': range needs two values"),
        ({"views__range": [1, 2, 3]}, "filter", "'views__range': range needs two values"),
        (
            {"author_id__name": "x"},
            "filter",
            "No idea what to do with 'name' in filter \"author_id__name\": "
            "'author_id' is a column, not a relationship.",
        ),
        (
            {"nope__name": "x"},
            "filter",
            "Could not find column for filter \"nope__name\": 'nope' is not a relationship.",
        ),
        (
            {EXPRESSION_KEY: FilterExpression("and", (("views__gt", "many"),))},
            "filter",
            "'views__gt': 'many' is not an integer.",
        ),
    ],
)
def test_flt_plain_filter_keys_from_code_get_the_querys_errors(
    articles: SqlAlchemyModelRepository, filters: dict[str, Any], parameter: str, detail: str
) -> None:
    """FLT-1: code calling ``get_list`` with plain keys (no parsed request) gets the 400 a
    request would: the parameter rebuilt from the key (``filter`` for an expression and
    for a key the model cannot answer), and the original's words for unknown names."""
    with pytest.raises(exceptions.InvalidFilters) as invalid:
        articles.get_list(filters, (), {})
    bits = 64 if articles.session.get_bind().dialect.name == "sqlite" else 32
    column_range = f"({-(2 ** (bits - 1))} to {2 ** (bits - 1) - 1})"
    assert invalid.value.source == {"parameter": parameter}
    assert invalid.value.detail == detail.replace("<range>", column_range)


# -- overridable hooks through an app ----------------------------------------------------------


class VisibleArticles(SqlAlchemyModelRepository):
    """Scopes every read to articles whose body is not 'secret'."""

    model = Article
    instance_name = "article"

    def get_query(self) -> sa.Select:
        return super().get_query().where(Article.body != "secret")

    def build(self, kwargs: dict[str, Any]) -> Any:
        kwargs.setdefault("body", "built by the repository")
        return super().build(kwargs)

    def update_attribute(self, obj: Any, key: str, value: Any) -> None:
        super().update_attribute(obj, key, value.upper() if key == "title" else value)


@pytest.fixture
def scoped(blog_app: flask.Flask, db_session: Any) -> tuple[JsonApiClient, dict[str, int]]:
    """An app serving articles through ``VisibleArticles``, one visible and one hidden."""
    visible = Article(title="Visible", body="text")
    hidden = Article(title="Hidden", body="secret")
    db_session.add_all([visible, hidden])
    db_session.commit()
    ids = {"visible": visible.id, "hidden": hidden.id}
    db_session.remove()
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    api = Api(app)
    repository = VisibleArticles(session=db_session)
    api.repository(ArticleViewSet(repository=repository), "articles", "/articles")
    return app.test_client(), ids


def test_get_query_scopes_list_and_count(scoped: tuple[JsonApiClient, dict]) -> None:
    client, ids = scoped
    document = client.get("/articles").document
    assert [a["id"] for a in document["data"]] == [str(ids["visible"])]
    assert document["meta"]["count"] == 1


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_get_query_scopes_detail(
    scoped: tuple[JsonApiClient, dict], db_session: Any, method: str
) -> None:
    """A row outside the scope does not exist for detail reads and writes (404)."""
    client, ids = scoped
    hidden = str(ids["hidden"])
    body = {"data": {"type": "articles", "id": hidden, "attributes": {"title": "Changed"}}}
    kwargs = {"json": body} if method == "PATCH" else {}
    only_error(client.open(f"/articles/{hidden}", method=method, **kwargs), 404)
    assert db_session.get(Article, ids["hidden"]).title == "Hidden"


def test_build_and_update_attribute_overrides(
    scoped: tuple[JsonApiClient, dict], db_session: Any
) -> None:
    client, _ = scoped
    created = client.post(
        "/articles", json={"data": {"type": "articles", "attributes": {"title": "new one"}}}
    )
    assert created.status_code == 201
    new_id = created.document["data"]["id"]
    assert created.document["data"]["attributes"]["body"] == "built by the repository"
    body = {"data": {"type": "articles", "id": new_id, "attributes": {"title": "renamed"}}}
    assert client.patch(f"/articles/{new_id}", json=body).status_code == 200
    assert db_session.get(Article, int(new_id)).title == "RENAMED"


# -- MemoryRepository --------------------------------------------------------------------------


def test_memory_repository_full_crud() -> None:
    repository = MemoryRepository()

    class Notes(ResourceRepositoryViewSet):
        schema = NoteSchema

    app = notes_app(lambda api: api.repository(Notes(repository=repository), "notes", "/notes"))
    client = app.test_client()
    assert client.get("/notes").document["data"] == []
    created = client.post("/notes", json=note_body("hello", 7))
    assert created.status_code == 201
    note_id = created.document["data"]["id"]
    assert created.document["data"]["attributes"] == {"content": "hello", "parentId": 7}
    patched = client.patch(f"/notes/{note_id}", json=note_body("bye", id_=note_id))
    assert patched.document["data"]["attributes"] == {"content": "bye", "parentId": 7}
    listed = client.get("/notes?sort=-content").document
    assert [n["id"] for n in listed["data"]] == [note_id]
    assert listed["meta"]["count"] == 1
    assert client.delete(f"/notes/{note_id}").status_code == 204
    assert repository.objects == {}
    only_error(client.get(f"/notes/{note_id}"), 404)


class SilentUpdates(SqlAlchemyModelRepository):
    """An update that answers nothing, as a subclass that forgets ``return`` does."""

    model = Article
    instance_name = "article"

    def update(self, data: dict[str, Any], **kwargs: Any) -> None:
        super().update(data, **kwargs)


def test_upd_an_update_answering_nothing_is_read_back(
    blog_app: flask.Flask, db_session: Any
) -> None:
    """UPD-*: this library's repository whose ``update`` answers nothing: the resource is
    read back and answered (200 with the document), as stored."""
    article = Article(title="Old", body="text")
    db_session.add(article)
    db_session.commit()
    article_id = article.id
    db_session.remove()
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    Api(app).repository(
        ArticleViewSet(repository=SilentUpdates(session=db_session)), "articles", "/articles"
    )
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"title": "New"}}}
    response = app.test_client().patch(f"/articles/{article_id}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.document["data"]["attributes"]["title"] == "New"
    assert db_session.get(Article, article_id).title == "New"
