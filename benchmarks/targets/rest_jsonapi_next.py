"""flask-rest-jsonapi-next 0.48 (PyPI), written the way its README and docs show.

marshmallow-jsonapi (minfork) schemas with ``as_string`` integer ids and resource ``self``
links, ``ResourceList``/``ResourceDetail`` over its SQLAlchemy data layer, which eager-loads
include paths when ``Meta.model`` is set (as its docs ask for SQLAlchemy 2). Its dialect:
``page[size]`` (default page size 30, so every request sends it) and JSON filters
(``filter=[{"name": "author", "op": "has", ...}]``).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import flask
from flask_rest_jsonapi_next import Api, ResourceDetail, ResourceList
from marshmallow_jsonapi import fields
from marshmallow_jsonapi.flask import Relationship, Schema

from .common import FILTER_NAME, article_requests
from .models import Article, Author, Comment, Tag, session_for


class AuthorSchema(Schema):
    id = fields.Integer(as_string=True)
    name = fields.Str(required=True)
    email = fields.Email(required=True)

    class Meta:
        type_ = "authors"
        model = Author  # enables its eager loading of include paths
        self_view = "author_detail"
        self_view_kwargs = {"id": "<id>"}
        self_view_many = "author_list"


class CommentSchema(Schema):
    id = fields.Integer(as_string=True)
    body = fields.Str(required=True)
    created = fields.DateTime(dump_only=True)
    author = Relationship(type_="authors", schema="AuthorSchema")

    class Meta:
        type_ = "comments"
        model = Comment  # enables its eager loading of include paths
        self_view = "comment_detail"
        self_view_kwargs = {"id": "<id>"}
        self_view_many = "comment_list"


class TagSchema(Schema):
    id = fields.Integer(as_string=True)
    name = fields.Str(required=True)

    class Meta:
        type_ = "tags"
        model = Tag  # enables its eager loading of include paths
        self_view = "tag_detail"
        self_view_kwargs = {"id": "<id>"}
        self_view_many = "tag_list"


class ArticleSchema(Schema):
    id = fields.Integer(as_string=True)
    title = fields.Str(required=True)
    body = fields.Str()
    created = fields.DateTime(dump_only=True)
    views = fields.Int()
    author = Relationship(type_="authors", schema="AuthorSchema")
    comments = Relationship(type_="comments", schema="CommentSchema", many=True)
    tags = Relationship(type_="tags", schema="TagSchema", many=True)

    class Meta:
        type_ = "articles"
        model = Article  # enables its eager loading of include paths
        self_view = "article_detail"
        self_view_kwargs = {"id": "<id>"}
        self_view_many = "article_list"


def create_app(database_url: str) -> flask.Flask:
    session = session_for(database_url)
    app = flask.Flask(__name__)
    app.config["MAX_PAGE_SIZE"] = 1000
    api = Api(app)
    for name, model, schema in (
        ("article", Article, ArticleSchema),
        ("author", Author, AuthorSchema),
        ("comment", Comment, CommentSchema),
        ("tag", Tag, TagSchema),
    ):
        layer = {"session": session, "model": model}
        attrs = {"schema": schema, "data_layer": layer}
        list_cls = type(f"{model.__name__}List", (ResourceList,), attrs)
        detail_cls = type(f"{model.__name__}Detail", (ResourceDetail,), dict(attrs))
        api.route(list_cls, f"{name}_list", f"/{name}s")
        api.route(detail_cls, f"{name}_detail", f"/{name}s/<int:id>")

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        session.remove()

    return app


_FILTER = json.dumps(
    [{"name": "author", "op": "has", "val": {"name": "name", "op": "eq", "val": FILTER_NAME}}]
)
REQUESTS = article_requests(
    sparse_filter=(
        f"fields[articles]=title,views,author&sort=-views&filter={quote(_FILTER)}&page[size]=50"
    ),
)
