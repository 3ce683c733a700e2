"""The original flask-jsonapi 1.4.1 (PyPI), written the way its README and docs show.

marshmallow-jsonapi schemas with integer ids, ``SqlAlchemyModelRepository`` view sets, a
``FilterSchema`` with a relationship filter for the author's name. Its dialect: both
``page[size]`` and ``page[number]`` are needed to paginate, sparse fieldsets must list
``id``, PATCH through a view set answers 204, and a to-one relationship is written by
mapping it to the foreign key in the repository's ``build`` hook (the documented way).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import flask
from marshmallow_jsonapi import Schema, fields

from flask_jsonapi import Api, FilterField, FilterSchema
from flask_jsonapi.filters_schema import RelationshipFilterField
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet

from .common import FILTER_NAME, article_requests
from .models import Article, Author, Comment, Tag, session_for


class AuthorSchema(Schema):
    id = fields.Int()
    name = fields.Str(required=True)
    email = fields.Email(required=True)

    class Meta:
        type_ = "authors"


class CommentSchema(Schema):
    id = fields.Int()
    body = fields.Str(required=True)
    created = fields.DateTime(dump_only=True)
    author = fields.Relationship(type_="authors", schema="AuthorSchema")

    class Meta:
        type_ = "comments"


class TagSchema(Schema):
    id = fields.Int()
    name = fields.Str(required=True)

    class Meta:
        type_ = "tags"


class ArticleSchema(Schema):
    id = fields.Int()
    title = fields.Str(required=True)
    body = fields.Str()
    created = fields.DateTime(dump_only=True)
    views = fields.Int()
    author = fields.Relationship(type_="authors", schema="AuthorSchema")
    comments = fields.Relationship(type_="comments", schema="CommentSchema", many=True)
    tags = fields.Relationship(type_="tags", schema="TagSchema", many=True)

    class Meta:
        type_ = "articles"


class AuthorFilterSchema(FilterSchema):
    name = FilterField()


class ArticleFilterSchema(FilterSchema):
    title = FilterField()
    author = RelationshipFilterField(AuthorFilterSchema)


def create_app(database_url: str) -> flask.Flask:
    session = session_for(database_url)

    class ArticleRepository(SqlAlchemyModelRepository):
        model = Article
        instance_name = "article"

        def build(self, kwargs: dict[str, Any]) -> Article:
            if "author" in kwargs:
                kwargs["author_id"] = kwargs.pop("author")
            return super().build(kwargs)

    ArticleRepository.session = session
    repositories = {}
    for model in (Author, Comment, Tag):
        repositories[model] = type(
            f"{model.__name__}Repository",
            (SqlAlchemyModelRepository,),
            {"model": model, "session": session, "instance_name": model.__name__.lower()},
        )

    class ArticleViewSet(ResourceRepositoryViewSet):
        schema = ArticleSchema
        repository = ArticleRepository()
        filter_schema = ArticleFilterSchema()

    app = flask.Flask(__name__)
    api = Api(app)
    api.repository(ArticleViewSet(), "articles", "/articles")
    for model, schema in ((Author, AuthorSchema), (Comment, CommentSchema), (Tag, TagSchema)):
        viewset = ResourceRepositoryViewSet(schema=schema, repository=repositories[model]())
        name = schema.Meta.type_
        api.repository(viewset, name, f"/{name}")

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        session.remove()

    return app


REQUESTS = article_requests(
    page="page[size]={size}&page[number]=1",
    sparse_filter=(
        "fields[articles]=id,title,views,author&sort=-views"
        f"&filter[author][name]={quote(FILTER_NAME)}&page[size]=50&page[number]=1"
    ),
    patch_status=204,
)
