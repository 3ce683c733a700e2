"""The original's ``flask_jsonapi.utils`` for migrating users: the schema helpers and the
Django-style ``DjangoQuery`` (``flask_jsonapi.utils.sqlalchemy_django_query``).

DjangoQuery runs on its own small models (publisher <- author <- article <-> tag: to-one,
one-to-many, many-to-many) on SQLite, and on PostgreSQL too when
``JSONAPI_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import marshmallow_jsonapi
import pytest
import sqlalchemy as sa
from marshmallow import fields as ma_fields
from sqlalchemy import orm

from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.schema import Schema, fields
from flask_jsonapi.schema.compiled import is_relationship as compiled_is_relationship
from flask_jsonapi.utils import (
    EqualityMixin,
    field_exist,
    get_field_class,
    get_model_field,
    is_field_mapped,
    is_relationship,
)
from flask_jsonapi.utils.sqlalchemy_django_query import (
    DjangoQuery,
    DjangoQueryMixin,
    get_column,
    get_mapper,
)
from tests.support.database import database_id, database_urls, reset_database
from tests.support.sql_counter import count_statements

# -- models ------------------------------------------------------------------------------


class Base(orm.DeclarativeBase):
    pass


article_tags = sa.Table(
    "compat_article_tags",
    Base.metadata,
    sa.Column("article_id", sa.ForeignKey("compat_articles.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("compat_tags.id"), primary_key=True),
)


class Publisher(Base):
    __tablename__ = "compat_publishers"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    name = sa.Column(sa.String(50), nullable=False)


class Author(Base):
    __tablename__ = "compat_authors"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    name = sa.Column(sa.String(50), nullable=False)
    publisher_id = sa.Column(sa.ForeignKey("compat_publishers.id"))
    publisher = orm.relationship(Publisher)
    articles = orm.relationship("Article", back_populates="author")


class Article(Base):
    __tablename__ = "compat_articles"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    title = sa.Column(sa.String(50), nullable=False)
    views = sa.Column(sa.Integer, nullable=False)
    published = sa.Column(sa.Date)
    author_id = sa.Column(sa.ForeignKey("compat_authors.id"))
    author = orm.relationship(Author, back_populates="articles")
    tags = orm.relationship("Tag", secondary=article_tags, back_populates="articles")


class Tag(Base):
    __tablename__ = "compat_tags"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    name = sa.Column(sa.String(50), nullable=False)
    articles = orm.relationship(Article, secondary=article_tags, back_populates="tags")


ALL_ARTICLES = {1, 2, 3, 4, 5}


def _seed(session: orm.Session) -> None:
    penguin, orbit = Publisher(id=1, name="Penguin"), Publisher(id=2, name="Orbit")
    alice = Author(id=1, name="Alice", publisher=penguin)
    bob = Author(id=2, name="Bob", publisher=orbit)
    carol = Author(id=3, name="Carol")
    python, web, db = Tag(id=1, name="python"), Tag(id=2, name="web"), Tag(id=3, name="db")
    date = datetime.date
    session.add_all(
        [
            # Article 1 is Bob's: ``author__id=1`` must not find it through Article.id.
            Article(id=1, title="Flask 100% tips", views=10, published=date(2020, 1, 15),
                    author=bob, tags=[python, web]),
            Article(id=2, title="SQLAlchemy guide", views=20, published=date(2021, 3, 5),
                    author=alice, tags=[python, db]),
            Article(id=3, title="flask_jsonapi intro", views=30, published=date(2021, 12, 25),
                    author=alice, tags=[python, web]),
            Article(id=4, title="Untitled", views=0, published=None, author=None, tags=[]),
            Article(id=5, title="Testing Flask", views=20, published=date(2022, 3, 15),
                    author=carol, tags=[python]),
        ]
    )  # fmt: skip
    session.commit()


_URLS = database_urls()


@pytest.fixture(scope="module", params=_URLS, ids=[database_id(url) for url in _URLS])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    engine = sa.create_engine(request.param)
    reset_database(engine, Base.metadata)
    with orm.Session(engine) as session:
        _seed(session)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[orm.Session]:
    with orm.Session(engine) as session:
        yield session


def ids(query: Any, entity: Any = Article) -> list[int]:
    """The ids the query selects, in its order, duplicates kept (no ORM uniquing)."""
    return [row[0] for row in query.with_entities(entity.id)]


def id_set(query: Any, entity: Any = Article) -> set[int]:
    found = ids(query, entity)
    assert len(found) == len(set(found)), f"duplicate rows: {found}"
    return set(found)


def articles(session: orm.Session) -> DjangoQuery:
    return DjangoQuery(Article, session=session)


# -- DjangoQuery: operators (original doc 5.3) ---------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"title": "Untitled"}, {4}),
        ({"views": 20}, {2, 5}),
        ({"views__eq": 20}, {2, 5}),
        ({"views__exact": 20}, {2, 5}),
        ({"views__ne": 20}, {1, 3, 4}),
        ({"views__gt": 20}, {3}),
        ({"views__lt": 10}, {4}),
        ({"views__gte": 20}, {2, 3, 5}),
        ({"views__lte": 10}, {1, 4}),
        ({"title__contains": "100%"}, {1}),
        # ``_`` is a literal, not LIKE's any-character.
        ({"title__contains": "_"}, {3}),
        ({"title__notcontains": "_"}, {1, 2, 4, 5}),
        ({"title__startswith": "SQL"}, {2}),
        ({"title__startswith": "Flask 100%"}, {1}),
        ({"title__endswith": "intro"}, {3}),
        ({"title__iexact": "UNTITLED"}, {4}),
        ({"title__iexact": "untitle_"}, set()),
        ({"title__istartswith": "FLASK"}, {1, 3}),
        ({"title__iendswith": "flask"}, {5}),
        ({"published__isnull": True}, {4}),
        ({"published__isnull": False}, {1, 2, 3, 5}),
        ({"views__range": (10, 20)}, {1, 2, 5}),
        ({"published__range": [datetime.date(2021, 1, 1), datetime.date(2021, 12, 31)]}, {2, 3}),
        ({"published__year": 2021}, {2, 3}),
        ({"published__month": 3}, {2, 5}),
        ({"published__day": 15}, {1, 5}),
        ({"views__in": [0, 30]}, {3, 4}),
        ({"views__in": 30}, {3}),
        ({"title__notin": ["Untitled", "SQLAlchemy guide"]}, {1, 3, 5}),
        # Several keywords: all must hold.
        ({"views": 20, "published__year": 2022}, {5}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_filter_by_operator(session: orm.Session, filters: dict[str, Any], expected: set) -> None:
    assert id_set(articles(session).filter_by(**filters)) == expected


def test_case_sensitive_operators_follow_like_of_the_database(session: orm.Session) -> None:
    """``contains``/``startswith`` are ``LIKE``: case-sensitive on PostgreSQL, not on
    SQLite (documented; the ``i`` operators ignore case on both)."""
    found = id_set(articles(session).filter_by(title__contains="flask"))
    if session.get_bind().dialect.name == "sqlite":
        assert found == {1, 3, 5}
    else:
        assert found == {3}
    assert id_set(articles(session).filter_by(title__istartswith="flask_")) == {3}


def test_range_needs_two_values(session: orm.Session) -> None:
    with pytest.raises(ValueError, match="range needs two values"):
        articles(session).filter_by(views__range=(1, 2, 3))


# -- paths through relationships ---------------------------------------------------------


def test_author_id_resolves_on_author_not_on_the_root_model(session: orm.Session) -> None:
    """The original's bug: ``author__id=1`` filtered ``Article.id`` (article 1, Bob's)."""
    assert id_set(articles(session).filter_by(author__id=1)) == {2, 3}
    assert id_set(articles(session).filter_by(author__id=2)) == {1}
    assert id_set(articles(session).filter_by(author__publisher__id=2)) == {1}


@pytest.mark.parametrize(
    ("entity", "filters", "expected"),
    [
        (Article, {"author__name": "Alice"}, {2, 3}),
        (Article, {"author__name__istartswith": "b"}, {1}),
        # depth 2, to-one then to-one
        (Article, {"author__publisher__name": "Penguin"}, {2, 3}),
        (Article, {"author__publisher__name__in": ["Penguin", "Orbit"]}, {1, 2, 3}),
        # many-to-many: article 1, 2, 3 and 5 are tagged python; no duplicate rows
        (Article, {"tags__name": "python"}, {1, 2, 3, 5}),
        (Article, {"tags__name__in": ["python", "web"]}, {1, 2, 3, 5}),
        (Article, {"tags__name": "python", "author__name": "Alice"}, {2, 3}),
        # one-to-many: Alice has two matching articles, listed once
        (Author, {"articles__views__gte": 20}, {1, 3}),
        # depth 2, one-to-many then many-to-many
        (Author, {"articles__tags__name": "python"}, {1, 2, 3}),
        (Author, {"articles__tags__name": "db"}, {1}),
        # depth 2, many-to-many then to-one
        (Tag, {"articles__author__name": "Bob"}, {1, 2}),
        # depth 2 back to the root table: articles sharing a tag with "Untitled" (none)
        (Article, {"tags__articles__title": "Testing Flask"}, {1, 2, 3, 5}),
        (Article, {"tags__articles__title": "Untitled"}, set()),
        # depth 3
        (Article, {"tags__articles__author__publisher__name": "Orbit"}, {1, 2, 3, 5}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_filter_by_through_relationships(
    session: orm.Session, entity: Any, filters: dict[str, Any], expected: set
) -> None:
    assert id_set(DjangoQuery(entity, session=session).filter_by(**filters), entity) == expected


def test_filters_through_relationships_are_exists_subqueries(session: orm.Session) -> None:
    """No joins (so no duplicate rows): the WHERE clause stands alone."""
    query = articles(session).filter_by(tags__name="python", author__publisher__name="Penguin")
    sql = str(query.statement)
    assert "JOIN" not in sql
    assert sql.count("EXISTS") == 3
    assert len(query.all()) == 2


def test_filter_by_a_relationship_itself(session: orm.Session) -> None:
    alice = session.get(Author, 1)
    python = session.get(Tag, 1)
    assert id_set(articles(session).filter_by(author=alice)) == {2, 3}
    assert id_set(articles(session).filter_by(author__ne=alice)) == {1, 4, 5}
    assert id_set(articles(session).filter_by(author=None)) == {4}
    assert id_set(articles(session).filter_by(author__isnull=True)) == {4}
    assert id_set(articles(session).filter_by(author__isnull=False)) == {1, 2, 3, 5}
    assert id_set(articles(session).filter_by(tags=python)) == {1, 2, 3, 5}
    assert id_set(articles(session).filter_by(tags__isnull=True)) == {4}
    # A path matches through an existing related row (as the original's inner joins did):
    # article 4 has no author, so no author without publisher either.
    assert id_set(articles(session).filter_by(author__publisher__isnull=True)) == {5}
    assert id_set(articles(session).exclude_by(author__publisher__isnull=True)) == {1, 2, 3, 4}


# -- exclude_by --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"views": 20}, {1, 3, 4}),
        # rows whose column is NULL are not matched by the filter, so they stay
        ({"published__year": 2021}, {1, 4, 5}),
        ({"published__isnull": True}, {1, 2, 3, 5}),
        ({"title__contains": "_"}, {1, 2, 4, 5}),
        # through relationships: NOT EXISTS keeps articles without author / tags
        ({"author__name": "Alice"}, {1, 4, 5}),
        ({"author__publisher__name": "Penguin"}, {1, 4, 5}),
        ({"tags__name": "web"}, {2, 4, 5}),
        # each keyword is excluded on its own
        ({"views": 20, "title": "Untitled"}, {1, 3}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_exclude_by(session: orm.Session, filters: dict[str, Any], expected: set) -> None:
    assert id_set(articles(session).exclude_by(**filters)) == expected
    if len(filters) == 1:
        # exclude_by is the exact complement of filter_by
        matched = id_set(articles(session).filter_by(**filters))
        assert matched | expected == ALL_ARTICLES
        assert not matched & expected


def test_filter_by_and_exclude_by_chain(session: orm.Session) -> None:
    query = articles(session).filter_by(tags__name="python").exclude_by(author__name="Alice")
    assert id_set(query) == {1, 5}


# -- order_by ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "ordering", "expected"),
    [
        ({}, ("-views", "id"), [3, 2, 5, 1, 4]),
        ({}, ("+views", "-id"), [4, 1, 5, 2, 3]),
        # capitalised titles only: the same order under any collation
        ({"views__in": [0, 20]}, ("title",), [2, 5, 4]),
        ({"views__in": [0, 20]}, ("-title",), [4, 5, 2]),
        ({"author__isnull": False}, ("author__name", "-views"), [3, 2, 1, 5]),
        ({"author__isnull": False}, ("-author__name", "views"), [5, 1, 2, 3]),
        ({"author__isnull": False}, ("author__name", Article.id.desc()), [3, 2, 1, 5]),
        ({"author__publisher__isnull": False}, ("-author__publisher__name", "id"), [2, 3, 1]),
        (
            {"author__publisher__isnull": False},
            ("author__publisher__name", "-author__id", "-id"),
            [1, 3, 2],
        ),
    ],
    ids=lambda value: "/".join(map(str, value)) if isinstance(value, tuple) else None,
)
def test_order_by_strings(
    session: orm.Session, filters: dict[str, Any], ordering: tuple, expected: list[int]
) -> None:
    query = articles(session).filter_by(**filters).order_by(*ordering)
    assert [article.id for article in query] == expected


def test_order_by_joins_each_relationship_path_once(session: orm.Session) -> None:
    query = articles(session).filter_by(author__isnull=False)
    query = query.order_by("author__name", "-author__id", "author__publisher__name")
    query = query.order_by("-author__name", "-id")
    sql = str(query.statement)
    assert sql.count("JOIN") == 2, sql
    assert [a.id for a in query] == [3, 2, 1, 5]


def test_order_by_keeps_query_semantics(session: orm.Session) -> None:
    """Strings mix with clauses, a later order_by adds to it, ``None`` resets it, and the
    order joins do not leak into filters (``title`` stays ``Article.title``)."""
    query = articles(session).filter_by(author__isnull=False).order_by("author__name")
    query = query.filter_by(title__startswith="SQL")
    assert [a.id for a in query] == [2]
    reset = articles(session).order_by("-views").order_by(None).order_by("id")
    assert [a.id for a in reset] == [1, 2, 3, 4, 5]


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("nope", 'Could not find column for filter "nope"'),
        ("author__nope", 'Could not find column for filter "author__nope"'),
        (
            "author__publisher__nope__eq",
            'Could not find column for filter "author__publisher__nope__eq"',
        ),
        ("nope__eq", 'Could not find column for filter "nope__eq"'),
        ("views__between", "No idea what to do with 'between'"),
        ("author__name__foo", "No idea what to do with 'foo'"),
        ("views__gt__lt", "No idea what to do with 'lt'"),
        ("views__gt__foo", "No idea what to do with 'foo'"),
        ("author__gt", "No idea what to do with 'gt'"),
    ],
)
def test_unknown_names_raise_value_error(session: orm.Session, key: str, message: str) -> None:
    for method in ("filter_by", "exclude_by"):
        with pytest.raises(ValueError) as raised:
            getattr(articles(session), method)(**{key: 1})
        assert str(raised.value) == message


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("nope", 'Could not find column for ordering "nope"'),
        ("-author__nope", 'Could not find column for ordering "author__nope"'),
        ("title__name", 'Could not find column for ordering "title__name"'),
        ("author", 'Could not find column for ordering "author"'),
        ("tags__name", 'Cannot order by "tags__name": "tags" is a to-many relationship'),
    ],
)
def test_order_by_unknown_names_raise_value_error(
    session: orm.Session, key: str, message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        articles(session).order_by(key)
    assert str(raised.value) == message


# -- mixin, select_related, helpers ------------------------------------------------------


def test_mixin_as_the_session_query_class(engine: sa.Engine) -> None:
    class MyQuery(DjangoQueryMixin, orm.Query):
        pass

    for query_cls in (MyQuery, DjangoQuery):
        with orm.sessionmaker(engine, query_cls=query_cls)() as session:
            query = session.query(Article).filter_by(author__id=1).order_by("-views")
            assert isinstance(query, query_cls)
            assert [a.id for a in query] == [3, 2]


def test_select_related_loads_in_the_same_statement(engine: sa.Engine) -> None:
    with orm.Session(engine) as session, count_statements(engine) as counter:
        loaded = articles(session).select_related("author__publisher", "tags").order_by("id")
        names = [
            (a.author.publisher.name if a.author and a.author.publisher else None, len(a.tags))
            for a in loaded
        ]
    assert counter.count == 1, counter
    assert names == [("Orbit", 2), ("Penguin", 2), ("Penguin", 2), (None, 0), (None, 1)]
    with pytest.raises(ValueError, match="Could not find relationship"):
        articles(session).select_related("title")


def test_get_mapper() -> None:
    mapper = sa.inspect(Article)
    assert get_mapper(Article) is mapper
    assert get_mapper(Article(id=9)) is mapper
    assert get_mapper(mapper) is mapper
    assert get_mapper(orm.aliased(Article)) is mapper
    assert get_mapper(Article.title) is mapper
    assert get_mapper(Article.author) is sa.inspect(Author)
    with pytest.raises(ValueError):
        get_mapper(object())


def test_get_column() -> None:
    assert get_column(Article, "title") is Article.title
    assert get_column(Article, "author") is Article.author
    assert get_column(Article, "name") is None
    # the joinpoint first, then the joins in order
    assert get_column(Article, "name", [Article.author]) is Author.name
    assert get_column(Article, "id", [Article.author]) is Article.id
    assert get_column(Author, "id", [Article.author]) is Author.id
    alias = orm.aliased(Author)
    assert str(get_column(alias, "name")) == str(alias.name)


def test_ported_get_query_uses_the_whereclause(session: orm.Session) -> None:
    """A ``get_query`` returning ``DjangoQuery(...).filter_by(...)`` ports as
    ``super().get_query().where(...whereclause)`` (docs/migrating.md)."""

    class AliceArticles(SqlAlchemyModelRepository):
        model = Article

        def get_query(self) -> sa.Select:
            scope = DjangoQuery(Article).filter_by(author__name="Alice").whereclause
            return super().get_query().where(scope)

    repository = AliceArticles(session=session)
    assert {a.id for a in repository.get_list()} == {2, 3}
    assert {a.id for a in repository.get_list(filters={"views__gt": 20})} == {3}


# -- schema helpers ----------------------------------------------------------------------


class OurArticleSchema(Schema):
    id = fields.Int()
    title = fields.Str(attribute="headline")
    views = fields.Int(data_key="viewCount")
    author = fields.Relationship(type_="authors", include_resource_linkage=True)
    tags = fields.Relationship(
        type_="tags", many=True, include_resource_linkage=True, attribute="tag_list"
    )

    class Meta:
        type_ = "articles"


class TheirArticleSchema(marshmallow_jsonapi.Schema):
    id = marshmallow_jsonapi.fields.Int()
    title = marshmallow_jsonapi.fields.Str(attribute="headline")
    views = marshmallow_jsonapi.fields.Int(data_key="viewCount")
    author = marshmallow_jsonapi.fields.Relationship(type_="authors", include_resource_linkage=True)
    tags = marshmallow_jsonapi.fields.Relationship(
        type_="tags", many=True, include_resource_linkage=True, attribute="tag_list"
    )

    class Meta:
        type_ = "articles"


SCHEMAS = [OurArticleSchema, OurArticleSchema(), TheirArticleSchema, TheirArticleSchema()]
SCHEMA_IDS = [
    "ours-class",
    "ours-instance",
    "marshmallow_jsonapi-class",
    "marshmallow_jsonapi-instance",
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_field_exist(schema: Any) -> None:
    assert all(field_exist(schema, name) for name in ("id", "title", "views", "author", "tags"))
    assert not field_exist(schema, "viewCount")  # a data_key is not a field name
    assert not field_exist(schema, "headline")
    assert not field_exist(schema, "nope")


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_is_field_mapped_and_get_model_field(schema: Any) -> None:
    assert is_field_mapped(schema, "title")
    assert is_field_mapped(schema, "tags")
    assert not is_field_mapped(schema, "views")
    assert not is_field_mapped(schema, "author")
    assert get_model_field(schema, "title") == "headline"
    assert get_model_field(schema, "tags") == "tag_list"
    assert get_model_field(schema, "views") == "views"
    assert get_model_field(schema, "author") == "author"
    name = schema.__name__ if isinstance(schema, type) else type(schema).__name__
    for helper in (is_field_mapped, get_model_field, is_relationship):
        with pytest.raises(ValueError) as raised:
            helper(schema, "nope")
        assert str(raised.value) == f"{name} has no attribute nope"


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_is_relationship_agrees_with_the_compiled_schema(schema: Any) -> None:
    assert is_relationship(schema, "author")
    assert is_relationship(schema, "tags")
    assert not is_relationship(schema, "title")
    assert not is_relationship(schema, "id")
    for name, declared in schema._declared_fields.items():
        assert is_relationship(schema, name) == compiled_is_relationship(declared), name


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_get_field_class(schema: Any) -> None:
    assert get_field_class(schema, "views") is ma_fields.Integer
    assert get_field_class(schema, "title") is ma_fields.String
    assert get_field_class(schema, "author") is ma_fields.String
    assert get_field_class(schema, "nope") is ma_fields.String
    assert get_field_class(schema, "tags", default=ma_fields.Raw) is ma_fields.Raw
    assert get_field_class(schema, "id", default=ma_fields.Raw) is ma_fields.Integer


def test_equality_mixin() -> None:
    class Point(EqualityMixin):
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    class Other(EqualityMixin):
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != Other(1, 2)
    assert Point(1, 2) != (1, 2)
    assert Point(1, 2).__eq__(Other(1, 2)) is NotImplemented
