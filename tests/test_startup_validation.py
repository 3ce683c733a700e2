"""Configuration mistakes are caught before a request is answered (issue 11's table).

Each raises ``ConfigurationError`` naming the schema (or view set), the field and the fix:
at registration when one view set shows it, else from ``api.validate()`` and before the
first request. Schemas with dump hooks are served through marshmallow's dump.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import flask
import marshmallow_jsonapi
import pytest
import sqlalchemy as sa
from marshmallow import post_dump, pre_dump
from marshmallow_jsonapi import fields
from sqlalchemy import orm

from flask_jsonapi import Api, ResourceDetail, ResourceRepositoryViewSet
from flask_jsonapi.exceptions import ConfigurationError
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from tests.support.client import JsonApiClient
from tests.support.error_checks import only_error


class Base(orm.DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "validation_users"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String)


class Post(Base):
    __tablename__ = "validation_posts"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String)
    user_id = sa.Column(sa.ForeignKey("validation_users.id"))
    user = orm.relationship(User)


class UserSchema(marshmallow_jsonapi.Schema):
    id = fields.Int()
    name = fields.Str()

    class Meta:
        type_ = "users"


class PostSchema(marshmallow_jsonapi.Schema):
    id = fields.Int()
    title = fields.Str()
    user = fields.Relationship(type_="users")

    class Meta:
        type_ = "posts"


@pytest.fixture
def session():
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    Base.metadata.create_all(engine)
    scoped = orm.scoped_session(orm.sessionmaker(engine))
    yield scoped
    scoped.remove()
    engine.dispose()


def make_app() -> tuple[flask.Flask, Api]:
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    return app, Api(app)


def viewset(schema: type, model: type, session) -> ResourceRepositoryViewSet:
    return ResourceRepositoryViewSet(
        schema=schema, repository=SqlAlchemyModelRepository(model=model, session=session)
    )


def test_relationship_type_no_registered_type_has(session) -> None:
    """``type_="user"`` where the type is ``"users"``: before the first request."""

    class TypoPostSchema(PostSchema):
        user = fields.Relationship(type_="user")

    app, api = make_app()
    api.repository(viewset(TypoPostSchema, Post, session), "posts", "/posts")
    api.repository(viewset(UserSchema, User, session), "users", "/users")
    message = "TypoPostSchema.user: Relationship type_='user' is no registered type"
    with pytest.raises(ConfigurationError, match=message) as raised:
        app.test_client().get("/posts")
    assert "Fix: type_='users'" in str(raised.value)
    with pytest.raises(ConfigurationError, match=message):
        api.validate()


def test_repository_without_a_session() -> None:
    class PostRepository(SqlAlchemyModelRepository):
        model = Post

    class PostViewSet(ResourceRepositoryViewSet):
        schema = PostSchema
        repository = PostRepository()

    app, api = make_app()
    with pytest.raises(ConfigurationError, match="PostRepository .* has no session") as raised:
        api.repository(PostViewSet(), "posts", "/posts")
    assert "Fix: set `session = scoped_session(sessionmaker(engine))`" in str(raised.value)


def test_relationship_to_a_type_no_view_set_serves(session, caplog) -> None:
    """``api.validate()`` refuses it; the check before the first request logs it, since
    linkage may name a type another server serves (the original rendered it). INC-6:
    ``include`` of it is a 400 naming the type, never a silent ``"included": []``."""
    app, api = make_app()
    api.repository(viewset(PostSchema, Post, session), "posts", "/posts")
    message = "PostSchema.user: Relationship type_='users' is no registered type"
    with pytest.raises(ConfigurationError, match=message) as raised:
        api.validate()
    assert "Fix: register a view set for 'users'" in str(raised.value)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask_jsonapi"):
        assert client.get("/posts").status_code == 200
    assert message in caplog.text
    error = only_error(client.get("/posts?include=user"), 400)
    assert error["source"] == {"parameter": "include"}
    assert "serves no 'users' resources" in error["detail"]


@pytest.mark.parametrize("sort", ["user.name", "-user.id", "user.team.name", "user.a.b.c"])
def test_sort_through_a_relationship_to_a_type_no_view_set_serves_is_400_srt_3(
    session, sort
) -> None:
    """SRT-3: past a relationship to a type this API does not serve, a sort path names
    nothing it can resolve, however deep: 400 naming ``sort``, and no posts read."""
    app, api = make_app()
    api.repository(viewset(PostSchema, Post, session), "posts", "/posts")
    session.add(Post(title="kept"))
    session.commit()
    client = app.test_client()
    assert client.get("/posts?sort=-title").status_code == 200
    error = only_error(client.get(f"/posts?sort={sort}"), 400)
    assert error["source"] == {"parameter": "sort"}


def test_schema_member_not_on_the_model(session) -> None:
    class WriterPostSchema(PostSchema):
        writer = fields.Str()

    app, api = make_app()
    api.repository(viewset(WriterPostSchema, Post, session), "posts", "/posts")
    api.repository(viewset(UserSchema, User, session), "users", "/users")
    message = "WriterPostSchema.writer: Post has no attribute 'writer'"
    with pytest.raises(ConfigurationError, match=message):
        app.test_client().get("/posts")
    with pytest.raises(ConfigurationError, match=message):
        api.validate()


def test_relationship_over_a_column_to_a_type_without_view_set(session) -> None:
    """Included resources of a relationship declared over its foreign key need the related
    type's repository."""

    class KeyedPostSchema(PostSchema):
        user = fields.Relationship(type_="users", attribute="user_id", schema=UserSchema)

    app, api = make_app()
    api.repository(viewset(KeyedPostSchema, Post, session), "posts", "/posts")
    with pytest.raises(ConfigurationError, match="KeyedPostSchema.user: .* over the column"):
        api.validate()


def test_dump_hooks_shape_the_attributes() -> None:
    """``@pre_dump``/``@post_dump`` run (through marshmallow's dump, slower)."""

    class ShoutingSchema(marshmallow_jsonapi.Schema):
        id = fields.Int()
        title = fields.Str()
        views = fields.Int()

        @pre_dump
        def in_thousands(self, obj, **kwargs):
            return SimpleNamespace(id=obj.id, title=obj.title, views=obj.views // 1000)

        @post_dump
        def shout(self, data, **kwargs):
            data["title"] = data["title"].upper()
            return data

        class Meta:
            type_ = "shouts"

    class ShoutDetail(ResourceDetail):
        schema = ShoutingSchema

        def read(self, id):
            return SimpleNamespace(id=int(id), title="quiet", views=7000)

    app, api = make_app()
    api.route(ShoutDetail, "shout", "/shouts/<id>")
    document = app.test_client().get("/shouts/1").document
    assert document["data"]["attributes"] == {"title": "QUIET", "views": 7}


def test_two_view_sets_for_one_type_that_disagree() -> None:
    """The same type at two URLs is fine with one schema and repository (the links follow
    the URL asked); a second schema or repository for it is refused."""

    class OtherUserSchema(UserSchema):
        email = fields.Str()

    app, api = make_app()
    repository = MemoryRepository([SimpleNamespace(id=1, name="Ann")])
    api.repository(ResourceRepositoryViewSet(schema=UserSchema, repository=repository), "a", "/a")
    api.repository(ResourceRepositoryViewSet(schema=UserSchema, repository=repository), "b", "/b")
    with pytest.raises(ConfigurationError, match="serves type 'users' with OtherUserSchema"):
        api.repository(
            ResourceRepositoryViewSet(schema=OtherUserSchema, repository=repository), "c", "/c"
        )
    with pytest.raises(ConfigurationError, match="through MemoryRepository, but"):
        api.repository(
            ResourceRepositoryViewSet(schema=UserSchema, repository=MemoryRepository()), "d", "/d"
        )
    assert app.test_client().get("/b/1").document["data"]["links"]["self"] == "http://localhost/b/1"


def test_view_set_without_a_repository() -> None:
    class UserViewSet(ResourceRepositoryViewSet):
        schema = UserSchema

    app, api = make_app()
    with pytest.raises(ConfigurationError, match="UserViewSet has no repository") as raised:
        api.repository(UserViewSet(), "users", "/users")
    assert "Fix: set `repository = YourRepository()` on UserViewSet" in str(raised.value)
