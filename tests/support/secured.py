"""A small API with one guarded type, for the security tests (``tests/test_security.py``).

``docs`` belong to users (``owner``); the user is named by the ``X-User`` header.
``folders`` hold docs (to-many over ``Doc.folder_id``) and pin one (to-one); ``labels``
group docs (many-to-many). Only ``docs`` is guarded, in one of four ways (``guard``):

* ``"policy"``: a :class:`~flask_jsonapi.Policy` whose row scope is ``owner = user``;
* ``"checker"``: the original's ``ProtectedViewSet`` + ``ObjectLevelPermissionChecker``;
* ``"api"``: ``Api(app, decorators=[user_required])`` (every view of the API);
* ``"viewset"``: ``view_decorators=[user_required]`` on the docs view set only.

Rows: alice (user 1) owns doc 1 ``ALICE-A``, bob (user 2) owns doc 2 ``BOB-C``; both are
in folder 1 and carry label 1; folder 1 pins bob's doc, folder 2 pins alice's.
"""

from __future__ import annotations

from typing import Any

import flask
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.orm import scoped_session as make_scoped_session

from flask_jsonapi import Api, Policy
from flask_jsonapi.permissions import ObjectLevelPermissionChecker, ProtectedViewSet
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import ResourceRepositoryViewSet
from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.database import reset_database

GUARDS = ("policy", "checker", "api", "viewset")
HIDDEN_TEXT = ("BOB-C", "bob-secret")


class Base(DeclarativeBase):
    pass


doc_labels = Table(
    "sec_doc_labels",
    Base.metadata,
    Column("doc_id", ForeignKey("sec_docs.id", ondelete="CASCADE"), primary_key=True),
    Column("label_id", ForeignKey("sec_labels.id", ondelete="CASCADE"), primary_key=True),
)


class Folder(Base):
    __tablename__ = "sec_folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    pinned_id: Mapped[int | None] = mapped_column(
        ForeignKey("sec_docs.id", use_alter=True, ondelete="SET NULL"), nullable=True
    )
    docs: Mapped[list[Doc]] = relationship(
        back_populates="folder", foreign_keys="Doc.folder_id", order_by="Doc.id"
    )
    pinned: Mapped[Doc | None] = relationship(foreign_keys=[pinned_id], post_update=True)


class Doc(Base):
    __tablename__ = "sec_docs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    secret: Mapped[str] = mapped_column(String(50), default="")
    owner_id: Mapped[int] = mapped_column(Integer)
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("sec_folders.id"), nullable=True)
    folder: Mapped[Folder | None] = relationship(back_populates="docs", foreign_keys=[folder_id])
    labels: Mapped[list[Label]] = relationship(
        secondary=doc_labels, back_populates="docs", order_by="Label.id"
    )


class Label(Base):
    __tablename__ = "sec_labels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    docs: Mapped[list[Doc]] = relationship(
        secondary=doc_labels, back_populates="labels", order_by="Doc.id"
    )


class FolderSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    docs = fields.Relationship(type_="docs", many=True)
    pinned = fields.Relationship(type_="docs")

    class Meta:
        type_ = "folders"


class DocSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    secret = fields.Str()
    owner_id = fields.Int(data_key="owner")
    folder = fields.Relationship(type_="folders")
    labels = fields.Relationship(type_="labels", many=True)

    class Meta:
        type_ = "docs"


class LabelSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    docs = fields.Relationship(type_="docs", many=True)

    class Meta:
        type_ = "labels"


def current_user() -> int | None:
    """The user the request names in ``X-User`` (``None``: anonymous)."""
    value = flask.request.headers.get("X-User", "")
    return int(value) if value.isdigit() else None


def user_required(view: Any) -> Any:
    """A view decorator: 401 without an ``X-User`` header."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return flask.Response("Log in first.", status=401, headers={"WWW-Authenticate": "X"})
        return view(*args, **kwargs)

    return wrapped


class OwnDocs(Policy):
    """A user sees, and writes, only their own docs."""

    def scope(self, model: Any) -> Any:
        user = current_user()
        return model.owner_id == user if user is not None else sa.false()


class OwnerChecker(ObjectLevelPermissionChecker):
    object_id_attribute = "owner_id"

    def has_permission(self, object_id: Any, action: str) -> bool:
        return object_id == current_user()


def secured_app(
    database_url: str, guard: str, *, folder_schema: type = FolderSchema, **doc_options: Any
) -> flask.Flask:
    """The API with docs guarded by ``guard``, on a fresh database with the rows above."""
    engine = sa.create_engine(database_url)
    session = make_scoped_session(sessionmaker(bind=engine))
    reset_database(engine, Base.metadata)
    _seed(session)
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app, decorators=[user_required] if guard == "api" else ())
    doc_base: type = ProtectedViewSet if guard == "checker" else ResourceRepositoryViewSet
    attributes: dict[str, Any] = {"schema": DocSchema, **doc_options}
    if guard == "policy":
        attributes["policy"] = OwnDocs()
    if guard == "checker":
        attributes.setdefault("permission_checker", OwnerChecker())
    if guard == "viewset":
        attributes["view_decorators"] = [user_required]
    doc_viewset = type("DocViewSet", (doc_base,), attributes)
    api.repository(doc_viewset(repository=_repository(Doc, session)), "docs", "/docs")
    api.repository(
        ResourceRepositoryViewSet(schema=folder_schema, repository=_repository(Folder, session)),
        "folders",
        "/folders",
    )
    api.repository(
        ResourceRepositoryViewSet(schema=LabelSchema, repository=_repository(Label, session)),
        "labels",
        "/labels",
    )
    api.operations("/operations")
    app.extensions["secured"] = {"engine": engine, "session": session}
    return app


def _repository(model: Any, session: Any) -> SqlAlchemyModelRepository:
    return SqlAlchemyModelRepository(model=model, session=session)


def _seed(session: Any) -> None:
    label = Label(id=1, name="work")
    alice = Doc(id=1, title="ALICE-A", secret="alice-secret", owner_id=1, labels=[label])
    bob = Doc(id=2, title="BOB-C", secret="bob-secret", owner_id=2, labels=[label])
    session.add_all([label, alice, bob])
    session.flush()
    session.add_all(
        [
            Folder(id=1, name="shared", docs=[alice, bob], pinned=bob),
            Folder(id=2, name="mine", pinned=alice),
        ]
    )
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("sec_folders", "sec_docs", "sec_labels"):
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"))
        session.commit()
    session.remove()


def rows(app: flask.Flask) -> dict[str, Any]:
    """Every row of the three tables (and the label links), to compare before and after."""
    engine = app.extensions["secured"]["engine"]
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(sa.select(table)))
            for table in Base.metadata.sorted_tables
        }
