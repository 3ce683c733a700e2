"""A column type that does not name its Python type (``python_type`` raises
``NotImplementedError``, the default of SQLAlchemy 2.0's types and of an application's
``UserDefinedType``) keyed and filtered as the values the client sends (FET-*, FLT-1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flask_jsonapi.schema import Schema, fields
from tests.support.client import JsonApiClient
from tests.support.model_apps import model_app, model_tables


class Handle(sa.types.UserDefinedType):
    """A text handle stored as VARCHAR, whose Python type SQLAlchemy is not told."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VARCHAR(20)"

    @property
    def python_type(self) -> type:
        raise NotImplementedError


class Base(orm.DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "untyped_accounts"

    handle: orm.Mapped[str] = orm.mapped_column(Handle, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(20))


class AccountSchema(Schema):
    id = fields.Str(attribute="handle")
    name = fields.Str()

    class Meta:
        type_ = "accounts"


@pytest.fixture
def accounts(database_url: str) -> Iterator[JsonApiClient]:
    with model_tables(database_url, Base.metadata) as (_, session):
        session.add_all([Account(handle="ada", name="Ada"), Account(handle="bob", name="Bob")])
        session.commit()
        session.remove()
        yield model_app(session, [(AccountSchema, Account, "accounts")]).test_client()


def test_fet_a_key_of_an_untyped_column_is_the_id_sent(accounts) -> None:
    """FET-*: the id in the URL is the key as sent; an unknown one is 404."""
    found = accounts.get("/accounts/bob")
    assert found.status_code == 200, found.document
    assert found.document["data"]["attributes"] == {"name": "Bob"}
    assert accounts.get("/accounts/cy").status_code == 404


def test_flt_1_filter_on_an_untyped_column_compares_the_text_sent(accounts) -> None:
    response = accounts.get("/accounts?filter[id]=ada")
    assert response.status_code == 200, response.document
    assert [item["id"] for item in response.document["data"]] == ["ada"]
