"""``allowed_actions`` also guards a view set's relationship and related endpoints.

Reading linkage or related resources needs ``Actions.read``; changing linkage needs
``Actions.update`` (it updates the resource), so a read-only resource stays read-only
through every URL it has.
"""

from __future__ import annotations

import flask
import sqlalchemy as sa

from examples.blog import api as blog
from examples.blog.models import Article, Author, article_tags
from flask_jsonapi import Api
from flask_jsonapi.resources import Actions, AllowedActionsResourceViewSetMixin
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error


class ReadOnlyArticleViewSet(AllowedActionsResourceViewSetMixin, blog.ArticleViewSet):
    allowed_actions = (Actions.read, Actions.read_many)


def read_only_client(blog_app: flask.Flask) -> JsonApiClient:
    session = blog_app.extensions["blog"]["session"]
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    api = Api(app)
    api.repository(
        ReadOnlyArticleViewSet(repository=blog.ArticleRepository(session=session)),
        "articles",
        "/articles",
    )
    api.repository(
        blog.AuthorViewSet(repository=blog.AuthorRepository(session=session)), "authors", "/authors"
    )
    api.repository(blog.TagViewSet(repository=blog.TagRepository(session=session)), "tags", "/tags")
    return app.test_client()


def arrange(db_session) -> None:
    db_session.add(Author(id=1, name="Ann", email="ann@example.org"))
    db_session.add(Article(id=1, title="One", author_id=1))
    db_session.commit()
    db_session.remove()


def test_read_only_resource_serves_linkage_and_related(blog_app, db_session) -> None:
    """UREL-1, FET-6: reading is allowed where `Actions.read` is."""
    arrange(db_session)
    client = read_only_client(blog_app)
    linkage = client.get("/articles/1/relationships/author")
    assert linkage.status_code == 200
    assert linkage.document["data"] == {"type": "authors", "id": "1"}
    related = client.get("/articles/1/author")
    assert related.status_code == 200
    assert related.document["data"]["attributes"]["name"] == "Ann"


def test_read_only_resource_refuses_relationship_changes(blog_app, db_session) -> None:
    """UREL-2: without `Actions.update`, PATCH/POST/DELETE on linkage are 405, nothing changes."""
    arrange(db_session)
    client = read_only_client(blog_app)
    patch = client.patch("/articles/1/relationships/author", json={"data": None})
    assert only_error(patch, 405)["detail"] == "Update is not allowed for this resource"
    post = client.post("/articles/1/relationships/tags", json={"data": []})
    assert only_error(post, 405)["detail"] == "Update is not allowed for this resource"
    assert db_session.scalar(sa.select(Article.author_id).where(Article.id == 1)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(article_tags)) == 0


def test_denied_read_hides_linkage_and_related(blog_app, db_session) -> None:
    """Without `Actions.read`, linkage and related resources are 405 too."""
    arrange(db_session)

    class ListOnly(AllowedActionsResourceViewSetMixin, blog.ArticleViewSet):
        allowed_actions = (Actions.read_many,)

    session = blog_app.extensions["blog"]["session"]
    app = flask.Flask(__name__)
    app.test_client_class = JsonApiClient
    api = Api(app)
    api.repository(
        ListOnly(repository=blog.ArticleRepository(session=session)), "articles", "/articles"
    )
    client = app.test_client()
    assert only_error(client.get("/articles/1/relationships/author"), 405)
    assert only_error(client.get("/articles/1/author"), 405)
