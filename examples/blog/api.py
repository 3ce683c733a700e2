"""The blog demo's JSON:API: four resource types over the SQLAlchemy models, and `create_app`."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import flask
import sqlalchemy
from marshmallow import validate
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from flask_jsonapi import Api, Policy
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields

from .models import Article, Author, Base, Comment, Tag
from .seed import seed

__all__ = [
    "ArticlePolicy",
    "ArticleRepository",
    "ArticleSchema",
    "ArticleViewSet",
    "AuthorRepository",
    "AuthorSchema",
    "AuthorViewSet",
    "CommentRepository",
    "CommentSchema",
    "CommentViewSet",
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "TagRepository",
    "TagSchema",
    "TagViewSet",
    "create_app",
    "current_author_id",
]

DEFAULT_DATABASE_URL = f"sqlite:///{Path(__file__).resolve().parent / 'blog.db'}"
# Where `create_app()` without a URL serves from, e.g. postgresql+psycopg://user@host/blog
# (gunicorn 'examples.blog:create_app()' and `make run` both read it).
DATABASE_URL_ENV = "BLOG_DATABASE_URL"


# Schemas: what a client sees of each type.


class AuthorSchema(Schema):
    id = fields.Int()
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(required=True, validate=validate.Length(max=200))
    articles = fields.Relationship(type_="articles", many=True)

    class Meta:
        type_ = "authors"


class ArticleSchema(Schema):
    id = fields.Int()
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    body = fields.Str()
    created = fields.DateTime(dump_only=True)
    views = fields.Int(validate=validate.Range(min=0))
    draft = fields.Bool()
    author = fields.Relationship(type_="authors")
    comments = fields.Relationship(type_="comments", many=True)
    tags = fields.Relationship(type_="tags", many=True)

    class Meta:
        type_ = "articles"


class CommentSchema(Schema):
    id = fields.Int()
    body = fields.Str(required=True, validate=validate.Length(min=1))
    created = fields.DateTime(dump_only=True)
    article = fields.Relationship(type_="articles", required=True)
    author = fields.Relationship(type_="authors")

    class Meta:
        type_ = "comments"


class TagSchema(Schema):
    id = fields.Int()
    name = fields.Str(required=True, validate=validate.Length(min=1, max=50))
    articles = fields.Relationship(type_="articles", many=True)

    class Meta:
        type_ = "tags"


# Repositories: where each type is stored. The session is given per application.


class AuthorRepository(SqlAlchemyModelRepository):
    model = Author
    instance_name = "author"


class ArticleRepository(SqlAlchemyModelRepository):
    model = Article
    instance_name = "article"


class CommentRepository(SqlAlchemyModelRepository):
    model = Comment
    instance_name = "comment"


class TagRepository(SqlAlchemyModelRepository):
    model = Tag
    instance_name = "tag"


# Security: the demo's identity is a bearer token that names an author's id
# (`Authorization: Bearer 3`). A stand-in for real tokens: any client may claim any id.


def current_author_id() -> int | None:
    """The author the request's bearer token names, or ``None`` (anonymous)."""
    scheme, _, token = flask.request.headers.get("Authorization", "").partition(" ")
    return int(token) if scheme.lower() == "bearer" and token.isdigit() else None


class ArticlePolicy(Policy):
    """Drafts are seen only by their author, on every path that reaches articles (and so,
    through the library, a write cannot make an article a draft of somebody else's)."""

    def scope(self, model: type[Article]) -> Any:
        return _visible_articles(model, current_author_id())


@functools.lru_cache(maxsize=1024)
def _visible_articles(model: type[Article], author_id: int | None) -> Any:
    # One criterion object per author: the library reuses the statements built with it.
    published = model.draft == sqlalchemy.false()
    return published if author_id is None else published | (model.author_id == author_id)


# View sets: a schema bound to a repository, registered under a URL.


class AuthorViewSet(ResourceRepositoryViewSet):
    schema = AuthorSchema


class ArticleViewSet(ResourceRepositoryViewSet):
    schema = ArticleSchema
    policy = ArticlePolicy()


class CommentViewSet(ResourceRepositoryViewSet):
    schema = CommentSchema


class TagViewSet(ResourceRepositoryViewSet):
    schema = TagSchema


def _create_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.drivername == "postgresql":
        # To SQLAlchemy a bare postgresql:// means psycopg2; we install psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() != "sqlite":
        options: dict[str, Any] = {}
        if "prepare_threshold" in url.query:
            # `?prepare_threshold=none` (behind PgBouncer's transaction pooling): psycopg
            # prepares no statement, since the next transaction may get another server.
            value = url.query["prepare_threshold"]
            options["connect_args"] = {
                "prepare_threshold": None if value.lower() == "none" else int(value)
            }
            url = url.difference_update_query(["prepare_threshold"])
        # A connection the server dropped (restart, pg_terminate_backend) is found and
        # replaced before use, instead of failing one request (docs/limits.md).
        return sqlalchemy.create_engine(url, pool_pre_ping=True, **options)

    options: dict = {"connect_args": {"check_same_thread": False}}
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every thread would see its own empty in-memory database.
        options["poolclass"] = StaticPool
    engine = sqlalchemy.create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _enable_foreign_keys(dbapi_connection, _connection_record) -> None:
        # SQLite ignores foreign keys (and ON DELETE) unless each connection asks for them.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_app(
    database_url: str | None = None,
    *,
    seed_data: bool = True,
    read_database_url: str | None = None,
) -> flask.Flask:
    """Build the blog demo application on `database_url` (default: ``$BLOG_DATABASE_URL``,
    else examples/blog/blog.db), reading GETs from `read_database_url` (default:
    ``$BLOG_READ_DATABASE_URL``), a replica, when given (docs/deployment.md). Any other
    ``BLOG_<KEY>`` variable sets config key ``<KEY>`` (``BLOG_JSONAPI_PAGINATION=cursor``)."""
    database_url = database_url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    read_database_url = read_database_url or os.environ.get("BLOG_READ_DATABASE_URL")
    engine = _create_engine(database_url)
    session = scoped_session(sessionmaker(bind=engine))
    Base.metadata.create_all(engine)
    if seed_data:
        seed(session)
        session.remove()

    app = flask.Flask(__name__)
    app.config["JSONAPI_OPENAPI_INFO"] = {"title": "Blog demo", "version": "1.0.0"}
    app.config.from_prefixed_env("BLOG")
    app.config.pop("DATABASE_URL", None)
    app.config.pop("READ_DATABASE_URL", None)
    if read_database_url:
        app.config["JSONAPI_READ_ENGINE"] = _create_engine(read_database_url)
    api = Api(app)
    api.repository(
        AuthorViewSet(repository=AuthorRepository(session=session)), "authors", "/authors"
    )
    api.repository(
        ArticleViewSet(repository=ArticleRepository(session=session)), "articles", "/articles"
    )
    api.repository(
        CommentViewSet(repository=CommentRepository(session=session)), "comments", "/comments"
    )
    api.repository(TagViewSet(repository=TagRepository(session=session)), "tags", "/tags")
    api.operations("/operations")

    app.extensions["blog"] = {"engine": engine, "session": session}
    return app
