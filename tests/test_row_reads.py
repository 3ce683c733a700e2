"""Row reads, the GET fast path (``row_reads.py``), give the documents the ORM path gives.

Every request is answered twice by the same app: with ``JSONAPI_ROW_READS`` on (Core rows
into ``Record`` objects) and off (ORM objects), and the two documents must be equal, whole
(data order, ``included`` in order, links, meta). A spy on ``RowReader`` checks which path
answered, so a differential cannot pass by both requests taking the ORM path. Where the
fast path must step aside (overridden hooks, computed attributes, session events, joins
with extra conditions, load events), the document must also hold the expected value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import flask
import pytest
import sqlalchemy as sa
from marshmallow import fields as ma_fields
from sqlalchemy import event, orm
from sqlalchemy.orm import DeclarativeBase, relationship, scoped_session, sessionmaker

from examples.blog import api as blog_api
from examples.blog import models as blog_models
from examples.blog.models import Article, Author, Comment, Tag, article_tags
from flask_jsonapi import Api, exceptions
from flask_jsonapi.resource_repositories.row_reads import RowReader
from flask_jsonapi.resource_repositories.sqlalchemy_repositories import SqlAlchemyModelRepository
from flask_jsonapi.resource_repository_views import (
    ResourceRepositoryDetailView,
    ResourceRepositoryListView,
    ResourceRepositoryViewMixin,
    ResourceRepositoryViewSet,
)
from flask_jsonapi.resources import ResourceDetail
from flask_jsonapi.schema import Schema, fields
from tests.support.blog_variants import LinkedArticleSchema, variant_app
from tests.support.client import JsonApiClient
from tests.support.query_data import blog, query_app
from tests.support.two_paths import first_difference, spy_calls

# -- the two paths -----------------------------------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``RowReader`` methods called so far (``one``, ``many``, ``get_count``)."""
    return spy_calls(monkeypatch, RowReader, ("one", "many", "get_count"))


def both_paths(app: flask.Flask, client: Any, url: str, reads: list[str]) -> tuple[Any, Any, bool]:
    """The responses with ``JSONAPI_ROW_READS`` on and off, and whether rows answered."""
    del reads[:]
    app.config["JSONAPI_ROW_READS"] = True
    try:
        fast = client.get(url)
        took_rows = bool(reads)
        del reads[:]
        app.config["JSONAPI_ROW_READS"] = False
        # Equal documents: validating the first against the JSON:API schema covers both.
        slow = client.get(url, validate=False)
        assert not reads, f"{url}: row reads ran with JSONAPI_ROW_READS off"
    finally:
        app.config["JSONAPI_ROW_READS"] = True
    return fast, slow, took_rows


def compare(
    app: flask.Flask, client: Any, url: str, reads: list[str], *, rows: bool | None
) -> tuple[str | None, Any]:
    """Why ``url`` answers differently on the two paths (or takes the wrong one, unless
    ``rows`` is ``None``) or ``None``; and the document the fast setting answered."""
    fast, slow, took_rows = both_paths(app, client, url, reads)
    if rows is not None and took_rows != rows:
        return f"{url}: rows path taken={took_rows}, expected {rows}", fast.document
    if fast.status_code != slow.status_code:
        return f"{url}: status rows {fast.status_code} orm {slow.status_code}", fast.document
    difference = first_difference(fast.document, slow.document)
    return (f"{url}: {difference}" if difference else None), fast.document


def mismatch(
    app: flask.Flask, client: Any, url: str, reads: list[str], *, rows: bool | None
) -> str | None:
    """What :func:`compare` finds wrong with ``url``, or ``None``."""
    return compare(app, client, url, reads, rows=rows)[0]


def same_document(app: flask.Flask, client: Any, url: str, reads: list[str], *, rows: bool) -> dict:
    """The document of ``url``, checked equal on both paths (``rows``: the fast path answers)."""
    problem, document = compare(app, client, url, reads, rows=rows)
    assert problem is None, problem
    return document


def check_all(app: flask.Flask, client: Any, urls: list[str], reads: list[str]) -> None:
    """Every url answers the same on both paths, through rows; all differences reported."""
    problems = [p for url in urls if (p := mismatch(app, client, url, reads, rows=True))]
    assert not problems, "\n".join(problems)


# -- 1. differential on the blog demo ------------------------------------------------------


@pytest.fixture
def rows(db_session: Any) -> dict[str, int]:
    """Nine blog articles (every third without author) plus the odd ones out: an article with
    neither author, comments nor tags, one with an author only, a comment without author,
    an author without articles and a tag without articles. Returns a few ids by role."""
    blog(db_session, 9, authors=["Ada", "", "Bob"], views=[3, 1, 3, 0, 7, 1, 3, 9, 2])
    ada = db_session.scalars(sa.select(Author).where(Author.name == "Ada")).one()
    lonely = Article(title="Lonely", body="", views=5)
    quiet = Article(title="Quiet", body="q", views=3, author=ada)
    cy = Author(name="Cy", email="cy@example.org")
    unused = Tag(name="unused")
    db_session.add_all([lonely, quiet, cy, unused])
    db_session.flush()
    orphan = Comment(body="Anonymous", article_id=1, author=None)
    db_session.add(orphan)
    db_session.commit()
    found = {
        "ada": ada.id,
        "cy": cy.id,
        "lonely": lonely.id,
        "quiet": quiet.id,
        "orphan": orphan.id,
        "unused": unused.id,
    }
    db_session.remove()
    return found


INCLUDES = [
    "",
    "author",
    "comments",
    "comments.author",
    "tags",
    "tags.articles.author",
    "author.articles",
    "comments.article",
    "author,comments.author",
    "author.articles,comments.author",
    "comments.author,author.articles",
    "author,comments.author,tags",
    "comments.article.author,tags.articles",
]

FIELDSETS = [
    "fields[articles]=",
    "fields[articles]=&include=author",
    "fields[articles]=title&include=author,comments",
    "fields[articles]=title,tags&fields[tags]=name&include=tags",
    "fields[articles]=views,author&fields[authors]=name&include=author.articles",
    "fields[authors]=&include=author.articles,comments.author",
    "fields[comments]=body&fields[authors]=email&include=comments.author,author",
    "fields[articles]=title&fields[comments]=&include=comments.article",
]


def test_detail_documents_are_the_orm_ones_fet_4_inc_5(
    blog_app: flask.Flask, client: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4, INC-5, INC-7, FLD-1..3, REL-3: one article (with author, without author,
    without anything), every include tree and sparse fieldset: the rows path gives the
    ORM path's document."""
    urls = []
    for article in (1, 2, rows["lonely"], rows["quiet"]):
        urls += [f"/articles/{article}?include={include}" for include in INCLUDES]
        urls += [f"/articles/{article}?{fieldset}" for fieldset in FIELDSETS]
    urls += [
        f"/authors/{rows['ada']}?include=articles.comments.author,articles.tags",
        f"/authors/{rows['cy']}?include=articles",
        "/tags/1?include=articles.author,articles.comments",
        f"/tags/{rows['unused']}?include=articles",
        f"/comments/{rows['orphan']}?include=author,article.author",
        "/comments/2?include=article.comments.author",
    ]
    check_all(blog_app, client, urls, reads)


def test_detail_not_found_is_the_orm_one_fet_5(
    blog_app: flask.Flask, client: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-5: a missing resource, or an id its key column cannot hold (beyond 32 or 64
    bits), is the same 404 document on both paths."""
    for url, rows_path in (
        ("/articles/9999", True),
        ("/articles/9999?include=author", True),
        ("/authors/0", True),
        ("/articles/-1?include=comments", True),
        ("/articles/2147483648", True),
        ("/articles/9223372036854775808?include=author", True),
        ("/articles/x1", True),  # not an integer: the repository answers 404
    ):
        document = same_document(blog_app, client, url, reads, rows=rows_path)
        assert document["errors"][0]["status"] == "404"
    assert client.get("/articles/1").status_code == 200  # the transaction is still usable


def test_collection_documents_are_the_orm_ones_fet_3_inc_5(
    blog_app: flask.Flask, client: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-3, INC-5, FLD-2: collections of every type with every include tree and fieldset."""
    urls = [f"/articles?include={include}" for include in INCLUDES]
    urls += [f"/articles?{fieldset}" for fieldset in FIELDSETS]
    urls += [
        "/authors?include=articles.tags",
        "/authors?include=articles.comments.author&fields[articles]=title",
        "/tags?include=articles.author,articles.comments",
        "/comments?include=author,article.author&sort=-created",
        "/comments?include=article.tags&fields[comments]=&fields[articles]=",
    ]
    check_all(blog_app, client, urls, reads)


def test_sorted_filtered_paged_collections_are_the_orm_ones_srt_4_flt_2_pag_4(
    blog_app: flask.Flask, client: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """SRT-1, SRT-2, SRT-4..6, FLT-1, FLT-2, PAG-1..4: sorting (by attributes, ties,
    through ``author``), filters (on columns and through to-one, to-many and many-to-many
    relationships) and pages give the same data, order, included, links and ``meta.count``."""
    include = "&include=author,comments.author,tags"
    urls = [
        "/articles?sort=title",
        "/articles?sort=-views" + include,
        "/articles?sort=views,-title",
        "/articles?sort=-id",
        "/articles?sort=author.name" + include,
        "/articles?sort=-author.name,views&include=author",
        "/articles?sort=author.email&fields[articles]=title",
        "/articles?filter[title]=Quiet" + include,
        "/articles?filter[views][gte]=3&sort=-views" + include,
        "/articles?filter[title][isnull]=false&filter[views][in]=1,3",
        "/articles?filter[author][name]=Ada" + include,
        f"/articles?filter[author][id]={rows['ada']}&sort=-title",
        "/articles?filter[tags][name]=sql" + include,
        "/articles?filter[tags][name][in]=python,flask&filter[author][name][icontains]=b",
        "/articles?filter[comments][body][contains]=Comment 1&sort=author.name" + include,
        "/articles?filter[title]=nothing" + include,
        "/authors?filter[articles][views][gte]=7&include=articles",
        "/articles?page[size]=3" + include,
        "/articles?page[number]=2&page[size]=4&sort=-views" + include,
        "/articles?page[number]=4&page[size]=4" + include,
        "/articles?page[number]=9&page[size]=4",
        "/articles?page[size]=1000&sort=author.name" + include,
        "/articles?page[size]=3&page[count]=false" + include,
        "/articles?page[number]=2&page[size]=3&page[count]=false&sort=author.name",
        "/comments?page[size]=5&sort=-created&include=article.author",
    ]
    check_all(blog_app, client, urls, reads)


def test_offset_pages_and_filter_expressions_are_the_orm_ones_pag_5_flt_1(
    blog_app: flask.Flask, rows: dict[str, int], reads: list[str]
) -> None:
    """PAG-5, FLT-1: page[offset]/page[limit] and filter=[...] on a view set allowing them."""
    app = query_app(blog_app, pagination="offset", filter_expressions=True)
    expression = [
        {
            "or": [
                {"name": "views", "op": "lt", "val": 2},
                {"name": "author__name", "op": "eq", "val": "Bob"},
            ]
        },
        {"not": {"name": "tags", "op": "any", "val": {"name": "name", "op": "eq", "val": "flask"}}},
    ]
    include = "&include=author,comments.author,tags"
    urls = [
        "/articles?page[offset]=2&page[limit]=3" + include,
        "/articles?page[offset]=9&page[limit]=5&sort=-author.name" + include,
        "/articles?page[offset]=0&page[limit]=2&page[count]=false",
        f"/articles?filter={quote(json.dumps(expression))}" + include,
        f"/articles?filter={quote(json.dumps(expression))}&page[limit]=1&page[offset]=1",
    ]
    check_all(app, app.test_client(), urls, reads)


def test_cursor_pages_are_the_orm_ones_pag_4_pag_5(
    blog_app: flask.Flask, rows: dict[str, int], reads: list[str]
) -> None:
    """PAG-4, PAG-5: cursor pages (keyset, sorted by attributes and through ``author``, forwards and
    backwards, counted or not) give the same data, included, cursors and links."""
    app = query_app(blog_app, pagination="cursor")
    client = app.test_client()
    include = "&include=author,comments.author,tags"
    for sort in ("", "&sort=-views", "&sort=author.name,-title"):
        url = f"/articles?page[size]=3{sort}{include}"
        pages = 0
        while url:
            document = same_document(app, client, url, reads, rows=True)
            pages += 1
            url = document["links"].get("next")
        assert pages == 4, sort  # 11 articles by 3 (the fourth page has 2)
        last = same_document(app, client, document["links"]["self"], reads, rows=True)
        previous = last["links"].get("prev")
        assert previous
        same_document(app, client, previous + "&page[count]=true", reads, rows=True)


def test_always_linked_relationships_are_the_orm_ones_rel_3(
    blog_app: flask.Flask, rows: dict[str, int], reads: list[str]
) -> None:
    """REL-3: relationships with ``include_resource_linkage`` carry the same ``data``
    (including ``null`` and ``[]``) when they are not included, at any depth."""
    app = variant_app(blog_app, article_schema=LinkedArticleSchema)
    client = app.test_client()
    urls = [
        "/articles",
        "/articles?fields[articles]=title,author",
        f"/articles/{rows['lonely']}",
        f"/authors/{rows['ada']}?include=articles",
        "/comments?include=article",
        "/tags?include=articles.author",
    ]
    check_all(app, client, urls, reads)
    document = client.get(f"/articles/{rows['quiet']}").document
    assert document["data"]["relationships"]["author"]["data"] == {
        "type": "authors",
        "id": str(rows["ada"]),
    }
    assert document["data"]["relationships"]["tags"]["data"] == []


# -- 2. the fast path is taken: statements ------------------------------------------------


def many_articles(db_session: Any, count: int) -> None:
    """``count`` articles by two authors, one comment each (inserted with Core, quickly)."""
    connection = db_session.connection()
    connection.execute(
        sa.insert(Author),
        [
            {"id": 1, "name": "Ada", "email": "a@x.org"},
            {"id": 2, "name": "Bob", "email": "b@x.org"},
        ],
    )
    created = datetime(2024, 1, 1, 12, 0, 0)
    connection.execute(
        sa.insert(Article),
        [
            {
                "id": i,
                "title": f"A{i}",
                "body": "",
                "views": i,
                "author_id": i % 2 + 1,
                "created": created,
            }
            for i in range(1, count + 1)
        ],
    )
    connection.execute(
        sa.insert(Comment),
        [
            {"id": i, "body": f"C{i}", "article_id": i, "author_id": 1, "created": created}
            for i in range(1, count + 1)
        ],
    )
    if db_session.get_bind().dialect.name == "postgresql":
        for table in ("authors", "articles", "comments"):
            connection.exec_driver_sql(
                f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"
            )
    db_session.commit()
    db_session.remove()


def test_big_page_is_four_statements_without_chunks_inc_5(
    blog_app: flask.Flask, client: Any, db_session: Any, sql_counter: Any, reads: list[str]
) -> None:
    """INC-5: 600 articles with author and comments in one page: the page, the count, one
    ``authors IN`` and one ``comments IN`` -- the ORM path chunks its IN lists at 500 ids."""
    many_articles(db_session, 600)
    url = "/articles?include=author,comments&page[size]=1000"
    with sql_counter() as counter:
        # Not validated: a 1200-resource document takes seconds; smaller ones are above.
        fast = client.get(url, validate=False)
    assert fast.status_code == 200
    assert len(fast.document["data"]) == 600
    assert len(fast.document["included"]) == 602
    assert reads == ["many", "get_count"]
    assert counter.count == 4, counter
    page, authors, comments, count = counter.statements
    assert "FROM articles" in page and " IN " not in page and "count(" not in page.lower()
    assert "FROM authors" in authors and "authors.id IN" in authors
    assert "FROM comments" in comments and "comments.article_id IN" in comments
    assert "count(" in count.lower()
    blog_app.config["JSONAPI_ROW_READS"] = False
    with sql_counter() as counter:
        slow = client.get(url, validate=False)
    assert slow.document == fast.document
    # page, count, authors IN (2 ids: one chunk), comments IN (600 ids: chunks of 500 and 100)
    assert counter.count == 5, counter
    assert sum("comments.article_id IN" in s for s in counter.statements) == 2, counter


# -- other mappings and schemas over the blog's tables -------------------------------------


class Alt(DeclarativeBase):
    """Other classes over the blog's tables, for what the blog's models do not have."""


class AltAuthor(Alt):
    __table__ = Author.__table__

    # Ordered by title, descending: not the primary key order the rows path adds last.
    articles = relationship(
        "AltArticle", back_populates="author", order_by="AltArticle.title.desc()", viewonly=True
    )
    # An extra condition in the join: only the articles read at least 3 times.
    popular_articles = relationship(
        "AltArticle",
        primaryjoin="and_(AltAuthor.id == foreign(AltArticle.author_id), AltArticle.views >= 3)",
        viewonly=True,
        order_by="AltArticle.id",
    )


class AltArticle(Alt):
    __table__ = Article.__table__

    author = relationship(AltAuthor, back_populates="articles", viewonly=True)
    comments = relationship(
        "AltComment", back_populates="article", order_by="AltComment.id", viewonly=True
    )
    tags = relationship(
        "AltTag", secondary=article_tags, order_by="AltTag.label.desc()", viewonly=True
    )

    @property
    def headline(self) -> str:
        return self.title.upper()


class AltComment(Alt):
    __table__ = Comment.__table__

    article = relationship(AltArticle, back_populates="comments", viewonly=True)
    author = relationship(AltAuthor, viewonly=True)


class AltTag(Alt):
    __table__ = Tag.__table__

    label = Tag.__table__.c.name  # the column under another attribute name
    articles = relationship(
        AltArticle, secondary=article_tags, order_by=AltArticle.title.desc(), viewonly=True
    )


class DecodedArticle(Alt):
    """Bodies stored in rot13, decoded by a ``load`` event (as decryption on load would)."""

    __table__ = Article.__table__

    author = relationship("ShoutedAuthor", viewonly=True)
    # ArticleSchema's other relationships (Api.validate checks schemas against models).
    comments = relationship(Comment, viewonly=True)
    tags = relationship(Tag, secondary=article_tags, viewonly=True)


@event.listens_for(DecodedArticle, "load")
def _decode_body(target: DecodedArticle, context: Any) -> None:
    orm.attributes.set_committed_value(target, "body", rot13(target.body))


class ShoutedAuthor(Alt):
    """Names upper-cased by an ``@orm.reconstructor``."""

    __table__ = Author.__table__
    articles = relationship("DecodedArticle", viewonly=True)  # AuthorSchema.articles

    @orm.reconstructor
    def _shout(self) -> None:
        orm.attributes.set_committed_value(self, "name", self.name.upper())


def rot13(text: str) -> str:
    return text.translate(
        str.maketrans(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM",
        )
    )


class AltAuthorSchema(blog_api.AuthorSchema):
    popular = fields.Relationship(type_="articles", many=True, attribute="popular_articles")

    class Meta:
        type_ = "authors"


class HeadlineArticleSchema(blog_api.ArticleSchema):
    headline = fields.Str(dump_only=True)  # a Python @property of AltArticle

    class Meta:
        type_ = "articles"


class SummaryArticleSchema(blog_api.ArticleSchema):
    # Under a column's name, so that only its being a Method field tells it apart.
    body = fields.Method("summary_of", dump_only=True)

    class Meta:
        type_ = "articles"

    def summary_of(self, article: Any) -> str:
        return f"{article.body} by {article.author.name if article.author else 'nobody'}"


class AuthoredTitle(ma_fields.String):
    """A custom field that reads more of the object than its own attribute."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return f"{value} ({obj.author.name if obj.author else 'anonymous'})"


class AuthoredTitleArticleSchema(blog_api.ArticleSchema):
    title = AuthoredTitle()

    class Meta:
        type_ = "articles"


class LabelTagSchema(blog_api.TagSchema):
    name = fields.Str(attribute="label")

    class Meta:
        type_ = "tags"


def repository_cls(model: Any) -> type:
    return type(f"{model.__name__}Repository", (SqlAlchemyModelRepository,), {"model": model})


def build_app(session: Any, *resources: tuple[str, Any, Any], **viewsets: Any) -> flask.Flask:
    """An API on ``session`` serving ``(type, schema, repository class)`` at ``/<type>``;
    ``viewsets`` maps a type to the keyword arguments of its view set."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    for name, schema, repository in resources:
        viewset = ResourceRepositoryViewSet(
            schema=schema, repository=repository(session=session), **viewsets.get(name, {})
        )
        api.repository(viewset, name, f"/{name}")
    return app


def blog_resources(**replaced: tuple[Any, Any]) -> list[tuple[str, Any, Any]]:
    """The blog's four types, with ``(schema, repository class)`` replaced per type."""
    resources = {
        "authors": (blog_api.AuthorSchema, blog_api.AuthorRepository),
        "articles": (blog_api.ArticleSchema, blog_api.ArticleRepository),
        "comments": (blog_api.CommentSchema, blog_api.CommentRepository),
        "tags": (blog_api.TagSchema, blog_api.TagRepository),
    }
    resources.update(replaced)
    return [(name, schema, repository) for name, (schema, repository) in resources.items()]


def data_ids(document: dict[str, Any]) -> list[str]:
    data = document["data"]
    return [item["id"] for item in data] if isinstance(data, list) else [data["id"]]


def stored(db_session: Any, statement: Any) -> list[Any]:
    values = list(db_session.scalars(statement))
    db_session.remove()
    return values


def test_alternative_mapping_is_read_as_rows_and_equal_rel_6(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """INC-5, REL-6: collections ordered by other columns than the key (one-to-many and
    many-to-many) and a column under another attribute name are read as rows, with the
    ORM path's order."""
    resources = blog_resources(
        authors=(AltAuthorSchema, repository_cls(AltAuthor)),
        articles=(blog_api.ArticleSchema, repository_cls(AltArticle)),
        comments=(blog_api.CommentSchema, repository_cls(AltComment)),
        tags=(LabelTagSchema, repository_cls(AltTag)),
    )
    app = build_app(db_session, *resources)
    client = app.test_client()
    check_all(
        app,
        client,
        [
            "/authors?include=articles.tags",
            f"/authors/{rows['ada']}?include=articles",
            "/articles?include=tags,author.articles",
            "/tags?sort=-name&include=articles",
        ],
        reads,
    )
    ada = client.get(f"/authors/{rows['ada']}?include=articles").document
    titles = stored(
        db_session,
        sa.select(Article.title)
        .where(Article.author_id == rows["ada"])
        .order_by(Article.title.desc()),
    )
    assert [r["attributes"]["title"] for r in ada["included"]] == titles
    article = client.get("/articles/1?include=tags").document
    assert [t["attributes"]["name"] for t in article["included"]] == ["python"]
    article = client.get("/articles/3?include=tags").document
    assert [t["attributes"]["name"] for t in article["included"]] == ["sql", "python", "flask"]


class RenamedArticleSchema(Schema):
    """Members named apart from their attributes (``attribute=``, ``data_key``)."""

    id = fields.Int()
    headline = fields.Str(attribute="title")
    text = fields.Str(attribute="body", data_key="content")
    read_count = fields.Int(attribute="views", data_key="readCount")
    writer = fields.Relationship(type_="authors", attribute="author")
    remarks = fields.Relationship(type_="comments", many=True, attribute="comments")

    class Meta:
        type_ = "articles"


def test_renamed_members_are_read_as_rows_and_equal_fld_1(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FLD-1, INC-5, SRT-1, FLT-1: attributes and relationships whose members are not
    their attribute names read, sort, filter and include alike on both paths."""
    app = build_app(
        db_session, *blog_resources(articles=(RenamedArticleSchema, blog_api.ArticleRepository))
    )
    client = app.test_client()
    urls = [
        "/articles?include=writer,remarks.author&sort=-readCount",
        "/articles?fields[articles]=headline,writer&include=writer&sort=writer.name,headline",
        "/articles?filter[writer][name]=Bob&filter[readCount][gte]=2&include=remarks",
        "/articles/1?include=remarks.article.writer",
        f"/authors/{rows['ada']}?include=articles.remarks",
    ]
    check_all(app, client, urls, reads)
    document = client.get("/articles/1?include=writer").document
    assert document["data"]["attributes"] == {
        "headline": "Article 000",
        "content": "Body 0",
        "readCount": 3,
    }
    assert document["data"]["relationships"]["writer"]["data"] == {"type": "authors", "id": "1"}


# -- 3. where the fast path must step aside ------------------------------------------------


class HidingLowViews(blog_api.ArticleRepository):
    def get_query(self) -> sa.Select:
        return super().get_query().where(Article.views >= 2)


class ReversedList(blog_api.ArticleRepository):
    def get_list(self, *args: Any, **kwargs: Any) -> list[Any]:
        return list(reversed(super().get_list(*args, **kwargs)))


class NoAuthorlessDetail(blog_api.ArticleRepository):
    def get_detail(self, id: Any, **kwargs: Any) -> Any:
        article = super().get_detail(id, **kwargs)
        if article.author_id is None:
            raise exceptions.ObjectNotFound(None, f"Article {id} not found.")
        return article


class AlwaysFiltered(blog_api.ArticleRepository):
    def apply_filters(self, stmt: sa.Select, filters: dict[str, Any]) -> sa.Select:
        return super().apply_filters(stmt, filters).where(Article.views >= 2)


class MostReadFirst(blog_api.ArticleRepository):
    def apply_sorts(self, stmt: sa.Select, sorting: Any) -> sa.Select:
        return super().apply_sorts(stmt, tuple(sorting) or ("-views",))


class CountingTwice(blog_api.ArticleRepository):
    def get_count(self, *args: Any, **kwargs: Any) -> int:
        return 2 * super().get_count(*args, **kwargs)


ALL = [str(i) for i in range(1, 12)]
VIEWED = ["1", "3", "5", "7", "8", "9", "10", "11"]  # views >= 2
BY_VIEWS = ["8", "5", "10", "1", "3", "7", "11", "9", "2", "6", "4"]  # -views, then id


@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        (HidingLowViews, {"/articles": (VIEWED, 8), "/articles/2": 404, "/articles/3": ["3"]}),
        (ReversedList, {"/articles": (ALL[::-1], 11), "/articles/2": ["2"]}),
        (NoAuthorlessDetail, {"/articles": (ALL, 11), "/articles/2": 404, "/articles/3": ["3"]}),
        (AlwaysFiltered, {"/articles": (VIEWED, 8), "/articles?filter[views][lt]=3": (["9"], 1)}),
        (MostReadFirst, {"/articles": (BY_VIEWS, 11), "/articles?sort=id": (ALL, 11)}),
        (CountingTwice, {"/articles": (ALL, 22)}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_overridden_repository_reads_keep_the_orm_path_fet_5(
    blog_app: flask.Flask,
    db_session: Any,
    rows: dict[str, int],
    reads: list[str],
    repository: type,
    expected: dict[str, Any],
) -> None:
    """FET-3, FET-5: a repository overriding a reading method (``get_query`` scoping rows,
    ``get_list``, ``get_detail``, ``apply_filters``, ``apply_sorts``, ``get_count``) is read
    through that method: its rows stay hidden (404), its order and count hold."""
    app = build_app(db_session, *blog_resources(articles=(blog_api.ArticleSchema, repository)))
    client = app.test_client()
    for url, outcome in expected.items():
        for include in ("", "include=author,comments.author,tags"):
            full = f"{url}{'&' if '?' in url else '?'}{include}" if include else url
            document = same_document(app, client, full, reads, rows=False)
            if outcome == 404:
                assert document["errors"][0]["status"] == "404", full
            elif isinstance(outcome, tuple):
                assert (data_ids(document), document["meta"]["count"]) == outcome, full
            else:
                assert data_ids(document) == outcome, full


@pytest.mark.parametrize("where", ["class", "instance"])
def test_reading_method_patched_at_run_time_is_read_through_fet_5(
    db_session: Any,
    rows: dict[str, int],
    reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """FET-5: a reading method replaced after the app served rows (on the repository's
    class, or on the repository object itself) is read through from the next request on:
    the stock-method check is made per request, not once."""

    class Patchable(blog_api.ArticleRepository):
        pass

    app = build_app(db_session, *blog_resources(articles=(blog_api.ArticleSchema, Patchable)))
    client = app.test_client()
    assert client.get("/articles/2").document["data"]["id"] == "2"
    assert reads == ["one"]  # the rows answered before the patch

    def hiding(self: Any, id: Any, **kwargs: Any) -> Any:
        raise exceptions.ObjectNotFound(None, f"Article {id} hidden.")

    repository = app.extensions["flask_jsonapi"][0].registry.get("articles").repository
    if where == "class":
        monkeypatch.setattr(Patchable, "get_detail", hiding)
    else:
        monkeypatch.setattr(repository, "get_detail", functools.partial(hiding, repository))
    del reads[:]
    answer = client.get("/articles/2")
    assert answer.status_code == 404
    assert answer.document["errors"][0]["detail"] == "Article 2 hidden."
    assert reads == []


class ReversedListView(ResourceRepositoryListView):
    def read_many(self, filters: dict, sorting: tuple, pagination: dict, **kwargs: Any) -> Any:
        return list(reversed(super().read_many(filters, sorting, pagination, **kwargs)))


class FixedCountListView(ResourceRepositoryListView):
    def get_count(self, filters: dict) -> int | None:
        return 1000


class AuthoredOnlyDetailView(ResourceRepositoryDetailView):
    def read(self, id: Any, **kwargs: Any) -> Any:
        article = super().read(id, **kwargs)
        if article.author_id is None:
            raise exceptions.ObjectNotFound(None, f"Article {id} not found.")
        return article


@pytest.mark.parametrize(
    ("viewset", "expected"),
    [
        ({"list_view_cls": ReversedListView}, {"/articles": (ALL[::-1], 11)}),
        ({"list_view_cls": FixedCountListView}, {"/articles": (ALL, 1000)}),
        ({"detail_view_cls": AuthoredOnlyDetailView}, {"/articles/2": 404, "/articles/1": ["1"]}),
    ],
    ids=["read_many", "get_count", "read"],
)
def test_overridden_view_hooks_are_called_fet_3(
    blog_app: flask.Flask,
    db_session: Any,
    rows: dict[str, int],
    reads: list[str],
    viewset: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """FET-3, FET-5: a view overriding ``read_many``, ``get_count`` or ``read`` answers."""
    app = build_app(db_session, *blog_resources(), articles=viewset)
    client = app.test_client()
    for url, outcome in expected.items():
        for include in ("", "?include=author,comments"):
            document = same_document(app, client, url + include, reads, rows=False)
            if outcome == 404:
                assert document["errors"][0]["status"] == "404"
            elif isinstance(outcome, tuple):
                assert (data_ids(document), document["meta"]["count"]) == outcome
            else:
                assert data_ids(document) == outcome
    # The other view of the same view set keeps the fast path.
    other = "/articles/1" if "list_view_cls" in viewset else "/articles"
    same_document(app, client, other, reads, rows=True)


def test_property_attribute_is_in_the_document_fet_4(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4, FLD-1: an attribute backed by a Python ``@property`` is read from the ORM object;
    a fieldset without it keeps the fast path."""
    resources = blog_resources(
        authors=(blog_api.AuthorSchema, repository_cls(AltAuthor)),
        articles=(HeadlineArticleSchema, repository_cls(AltArticle)),
    )
    app = build_app(db_session, *resources)
    client = app.test_client()
    titles = stored(db_session, sa.select(Article.title).order_by(Article.id))
    for url in ("/articles?include=author", "/authors?include=articles"):
        document = same_document(app, client, url, reads, rows=False)
        articles = document["data"] if url.startswith("/articles") else document["included"]
        for article in articles:
            title = titles[int(article["id"]) - 1]
            assert article["attributes"]["headline"] == title.upper()
    document = same_document(app, client, "/articles/2", reads, rows=False)
    assert document["data"]["attributes"]["headline"] == titles[1].upper()
    same_document(app, client, "/articles?fields[articles]=title,author", reads, rows=True)


def test_method_field_is_in_the_document_fet_4(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4: a ``fields.Method`` reading a relationship that is not included gets it."""
    app = build_app(
        db_session, *blog_resources(articles=(SummaryArticleSchema, blog_api.ArticleRepository))
    )
    client = app.test_client()
    document = same_document(app, client, "/articles?include=tags", reads, rows=False)
    summaries = {a["id"]: a["attributes"]["body"] for a in document["data"]}
    assert summaries["1"] == "Body 0 by Ada"
    assert summaries["2"] == "Body 1 by nobody"
    assert summaries["3"] == "Body 2 by Bob"
    document = same_document(app, client, "/articles/3", reads, rows=False)
    assert document["data"]["attributes"]["body"] == "Body 2 by Bob"
    same_document(app, client, "/articles?fields[articles]=title", reads, rows=True)


class AuthorInCreatedSchema(blog_api.ArticleSchema):
    created = fields.Str(dump_only=True)  # not a native field: read through get_attribute

    class Meta:
        type_ = "articles"

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "created":
            return obj.author.name if obj.author else "-"
        return super().get_attribute(obj, attr, default)


def test_schema_get_attribute_reading_the_object_fet_4(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4: a schema whose ``get_attribute`` reads more of the object than the attribute
    asked for gets the same value as through the ORM."""
    app = build_app(
        db_session, *blog_resources(articles=(AuthorInCreatedSchema, blog_api.ArticleRepository))
    )
    client = app.test_client()
    for url in ("/articles/1", "/articles"):
        problem, document = compare(app, client, url, reads, rows=None)
        assert problem is None, problem
    assert [a["attributes"]["created"] for a in document["data"][:3]] == ["Ada", "-", "Bob"]


def test_custom_field_reading_the_object_is_in_the_document_fet_4(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4: a custom field whose ``_serialize`` reads more of the object than its
    attribute (here ``obj.author``) gets the same value as through the ORM."""
    app = build_app(
        db_session,
        *blog_resources(articles=(AuthoredTitleArticleSchema, blog_api.ArticleRepository)),
    )
    client = app.test_client()
    app.config["JSONAPI_ROW_READS"] = False
    expected = client.get("/articles/1").document
    assert expected["data"]["attributes"]["title"] == "Article 000 (Ada)"
    app.config["JSONAPI_ROW_READS"] = True
    for url in ("/articles/1", "/articles"):
        problem = mismatch(app, client, url, reads, rows=None)
        assert problem is None, problem


def _hide(state: orm.ORMExecuteState) -> None:
    """Hide the articles read fewer than 2 times and the comments without author."""
    if state.is_select:
        state.statement = state.statement.options(
            orm.with_loader_criteria(Article, Article.views >= 2, include_aliases=True),
            orm.with_loader_criteria(Comment, Comment.author_id.is_not(None), include_aliases=True),
        )


@pytest.fixture(params=["scoped_session", "sessionmaker", "Session"])
def criteria_session(request: pytest.FixtureRequest, blog_app: flask.Flask) -> Iterator[Any]:
    """A session on the blog's engine with a ``do_orm_execute`` listener adding
    ``with_loader_criteria`` (:func:`_hide`), registered on the scoped session, on its
    factory or on the ``Session`` class (for every session, until the test ends)."""
    factory = sessionmaker(bind=blog_app.extensions["blog"]["engine"])
    session = scoped_session(factory)
    target = {"scoped_session": session, "sessionmaker": factory, "Session": orm.Session}
    event.listen(target[request.param], "do_orm_execute", _hide)
    try:
        yield session
    finally:
        session.remove()
        event.remove(target[request.param], "do_orm_execute", _hide)


def test_session_loader_criteria_keep_rows_hidden_fet_5(
    criteria_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-3, FET-5, INC-5: rows a session event filters out stay hidden: in the list, as
    a 404, and in included resources and linkage."""
    app = build_app(criteria_session, *blog_resources())
    client = app.test_client()
    document = same_document(app, client, "/articles", reads, rows=False)
    assert data_ids(document) == VIEWED
    assert document["meta"]["count"] == len(VIEWED)
    document = same_document(app, client, "/articles/2", reads, rows=False)
    assert document["errors"][0]["status"] == "404"
    document = same_document(app, client, "/articles/1?include=comments", reads, rows=False)
    linkage = document["data"]["relationships"]["comments"]["data"]
    assert [c["id"] for c in linkage] == ["1", "2"]  # not the anonymous comment
    assert [c["id"] for c in document["included"]] == ["1", "2"]
    document = same_document(
        app, client, f"/authors/{rows['ada']}?include=articles", reads, rows=False
    )
    assert [a["id"] for a in document["included"]] == ["1", "7", "11"]  # not article 4


def test_join_with_extra_condition_is_honoured_rel_3(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """INC-5, REL-3: a relationship whose join has an extra condition (articles read at
    least 3 times) links and includes only what the condition keeps."""
    resources = blog_resources(
        authors=(AltAuthorSchema, repository_cls(AltAuthor)),
        articles=(blog_api.ArticleSchema, repository_cls(AltArticle)),
    )
    app = build_app(db_session, *resources)
    client = app.test_client()
    # Ada wrote 1, 4, 7 and 11 (read 3, 0, 3 and 3 times), Bob 3, 6 and 9 (3, 1 and 2).
    popular = {rows["ada"]: ["1", "7", "11"], 2: ["3"], rows["cy"]: []}
    low = sa.select(Article.views).where(Article.id.in_([4, 6, 9])).order_by(Article.id)
    assert stored(db_session, low) == [0, 1, 2]
    document = same_document(app, client, "/authors?include=popular", reads, rows=False)
    for author in document["data"]:
        linkage = author["relationships"]["popular"]["data"]
        assert [a["id"] for a in linkage] == popular[int(author["id"])]
    assert sorted(int(a["id"]) for a in document["included"]) == [1, 3, 7, 11]
    document = same_document(
        app, client, f"/authors/{rows['ada']}?include=popular", reads, rows=False
    )
    assert [a["id"] for a in document["included"]] == ["1", "7", "11"]
    same_document(app, client, "/authors?include=articles", reads, rows=True)


class PickyArticle(Alt):
    """A many-to-many whose secondary join has an extra condition: tags but ``flask``."""

    __table__ = Article.__table__

    author = relationship(Author, viewonly=True)
    comments = relationship(Comment, viewonly=True)
    tags = relationship(Tag, secondary=article_tags, viewonly=True)
    picked_tags = relationship(
        Tag,
        secondary=article_tags,
        secondaryjoin=sa.and_(Tag.id == article_tags.c.tag_id, Tag.name != "flask"),
        order_by=Tag.id,
        viewonly=True,
    )


class PickyArticleSchema(blog_api.ArticleSchema):
    picked = fields.Relationship(type_="tags", many=True, attribute="picked_tags")

    class Meta:
        type_ = "articles"


def test_secondary_join_with_extra_condition_is_honoured_rel_3(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """INC-5, REL-3: a many-to-many whose secondary join has an extra condition links and
    includes only the members the condition keeps (article 3 has python, flask and sql)."""
    resources = blog_resources(articles=(PickyArticleSchema, repository_cls(PickyArticle)))
    app = build_app(db_session, *resources)
    client = app.test_client()
    document = same_document(app, client, "/articles/3?include=picked", reads, rows=False)
    assert [t["id"] for t in document["data"]["relationships"]["picked"]["data"]] == ["1", "3"]
    assert [t["attributes"]["name"] for t in document["included"]] == ["python", "sql"]
    same_document(app, client, "/articles?include=tags", reads, rows=True)


class WriteOnlyAuthor(Alt):
    """Articles never loaded whole (``lazy="write_only"``), newest first."""

    __table__ = Author.__table__
    articles = relationship(
        "WriteOnlyArticle", lazy="write_only", order_by="WriteOnlyArticle.id.desc()", viewonly=True
    )


class WriteOnlyArticle(Alt):
    __table__ = Article.__table__

    author = relationship(WriteOnlyAuthor, viewonly=True)
    comments = relationship(Comment, viewonly=True)
    tags = relationship(Tag, secondary=article_tags, viewonly=True)


class DynamicAuthor(Alt):
    """Articles as a query (``lazy="dynamic"``), newest first."""

    __table__ = Author.__table__
    articles = relationship(
        "DynamicArticle", lazy="dynamic", order_by="DynamicArticle.id.desc()", viewonly=True
    )


class DynamicArticle(Alt):
    __table__ = Article.__table__

    author = relationship(DynamicAuthor, viewonly=True)
    comments = relationship(Comment, viewonly=True)
    tags = relationship(Tag, secondary=article_tags, viewonly=True)


NEVER_LOADED = {
    "write_only": (WriteOnlyAuthor, WriteOnlyArticle),
    "dynamic": (DynamicAuthor, DynamicArticle),
}


@pytest.mark.parametrize("lazy", list(NEVER_LOADED))
def test_relationship_never_loaded_whole_is_not_included_but_read_inc_6_rel_3(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str], lazy: str
) -> None:
    """INC-6, REL-3, FET-1, FLT-1: a to-many that the model never loads whole
    (``lazy="write_only"`` or ``"dynamic"``) cannot be included, at any depth of the path
    (400 naming ``include``, rows and ORM alike), but its relationship and related URLs
    answer its members, in its order, and filters go through it."""
    author_model, article_model = NEVER_LOADED[lazy]
    resources = blog_resources(
        authors=(blog_api.AuthorSchema, repository_cls(author_model)),
        articles=(blog_api.ArticleSchema, repository_cls(article_model)),
    )
    app = build_app(db_session, *resources)
    client = app.test_client()
    ada = rows["ada"]
    for url in [
        "/authors?include=articles",
        f"/authors/{ada}?include=articles",
        "/articles/1?include=author.articles",
    ]:
        fast, slow, _ = both_paths(app, client, url, reads)
        assert fast.status_code == slow.status_code == 400, url
        assert fast.document == slow.document
        assert [e["source"] for e in fast.document["errors"]] == [{"parameter": "include"}]
        assert "articles' cannot be included" in fast.document["errors"][0]["detail"]
    written = [
        str(id_)
        for id_ in stored(
            db_session,
            sa.select(Article.id).where(Article.author_id == ada).order_by(Article.id.desc()),
        )
    ]
    assert len(written) == 4
    document = same_document(app, client, f"/authors/{ada}?include=", reads, rows=True)
    assert "data" not in document["data"]["relationships"]["articles"]
    linkage = client.get(f"/authors/{ada}/relationships/articles").document
    assert [a["id"] for a in linkage["data"]] == written
    assert linkage["meta"]["count"] == 4
    url = f"/authors/{ada}/articles?sort=-id&include=author"
    problem, related = compare(app, client, url, reads, rows=None)
    assert problem is None, problem
    assert [a["id"] for a in related["data"]] == written
    assert [a["id"] for a in related["included"]] == [str(ada)]
    filtered = same_document(
        app, client, "/authors?filter[articles][title]=Quiet", reads, rows=True
    )
    assert [a["id"] for a in filtered["data"]] == [str(ada)]
    # The ORM runs a dynamic one's query and selects a write_only one's members.
    url = f"/authors/{ada}/relationships/articles"
    assert mismatch(app, client, url, reads, rows=None) is None


def test_load_events_and_reconstructors_run_fet_4(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4, INC-5: a mapper ``load`` event (decoding ``body``) and an ``@orm.reconstructor``
    (upper-casing ``name``) shape the values, for primary and included resources."""
    resources = blog_resources(
        authors=(blog_api.AuthorSchema, repository_cls(ShoutedAuthor)),
        articles=(blog_api.ArticleSchema, repository_cls(DecodedArticle)),
    )
    app = build_app(db_session, *resources)
    client = app.test_client()
    bodies = stored(db_session, sa.select(Article.body).order_by(Article.id))
    document = same_document(app, client, "/articles?include=author", reads, rows=False)
    for article in document["data"]:
        assert article["attributes"]["body"] == rot13(bodies[int(article["id"]) - 1])
    assert sorted(a["attributes"]["name"] for a in document["included"]) == ["ADA", "BOB"]
    document = same_document(app, client, "/articles/1?include=author", reads, rows=False)
    assert document["data"]["attributes"]["body"] == rot13("Body 0") == "Obql 0"
    assert document["included"][0]["attributes"]["name"] == "ADA"
    document = same_document(app, client, "/authors", reads, rows=False)
    assert [a["attributes"]["name"] for a in document["data"]] == ["ADA", "BOB", "CY"]


def counting_views(session: Any) -> Any:
    """A view decorator that counts a read of ``/articles/<id>`` on the article (unflushed:
    the request's transaction commits it)."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if flask.request.method == "GET" and "id" in kwargs:
                article = session.get(Article, int(kwargs["id"]))
                if article is not None:
                    article.views += 1
            return view(*args, **kwargs)

        return counted

    return decorate


@pytest.mark.parametrize(
    ("autoflush", "flag"),
    [
        (True, False),
        (True, True),
        (False, False),
        (False, True),
    ],
    ids=["autoflush-orm", "autoflush-rows", "no-autoflush-orm", "no-autoflush-rows"],
)
def test_changes_pending_in_the_session_are_read_fet_4(
    blog_app: flask.Flask, rows: dict[str, int], autoflush: bool, flag: bool
) -> None:
    """FET-4: a change made in the request's session before the read (a view decorator
    counting reads) is in the document, as the ORM gives it (autoflush, or the identity
    map when the session does not autoflush)."""
    engine = blog_app.extensions["blog"]["engine"]
    session = scoped_session(sessionmaker(bind=engine, autoflush=autoflush))
    try:
        app = build_app(
            session, *blog_resources(), articles={"view_decorators": [counting_views(session)]}
        )
        app.config["JSONAPI_ROW_READS"] = flag
        before = stored(session, sa.select(Article.views).where(Article.id == 5))[0]
        document = app.test_client().get("/articles/5").document
        after = stored(session, sa.select(Article.views).where(Article.id == 5))[0]
    finally:
        session.remove()
    assert after == before + 1
    assert document["data"]["attributes"]["views"] == after


# -- 4. one resource reached on several paths ----------------------------------------------


def included_by_key(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    keys = [(r["type"], r["id"]) for r in document["included"]]
    assert len(keys) == len(set(keys)), f"an included resource repeats: {keys}"
    return {(r["type"], r["id"]): r for r in document["included"]}


@pytest.mark.parametrize(
    "include",
    [
        "author,comments.author",
        "author.articles,comments.author",
        "comments.author,author.articles",
        "author,comments.author.articles",
    ],
)
def test_resource_reached_on_two_paths_is_included_once_cmp_4(
    blog_app: flask.Flask,
    client: Any,
    db_session: Any,
    rows: dict[str, int],
    reads: list[str],
    include: str,
) -> None:
    """CMP-2, CMP-4, INC-7: an author reached as the article's author and as a commenter is
    included once; when ``articles`` is included below one of the paths, the authors
    reached there have complete ``articles`` linkage (and only they have linkage)."""
    written = {}
    for author_id in (rows["ada"], 2, rows["cy"]):
        articles = stored(
            db_session,
            sa.select(Article.id).where(Article.author_id == author_id).order_by(Article.id),
        )
        written[str(author_id)] = [{"type": "articles", "id": str(i)} for i in articles]
    for url in ("/articles/1?", "/articles?", "/articles?sort=-views&page[size]=4&"):
        document = same_document(blog_app, client, f"{url}include={include}", reads, rows=True)
        included = included_by_key(document)
        assert ("authors", str(rows["ada"])) in included
        primary = document["data"] if isinstance(document["data"], list) else [document["data"]]
        linked = set()
        if "author.articles" in include:
            linked |= {
                a["relationships"]["author"]["data"]["id"]
                for a in primary
                if a["relationships"]["author"]["data"]
            }
        if "comments.author.articles" in include:
            linked |= {
                c["relationships"]["author"]["data"]["id"]
                for (type_, _), c in included.items()
                if type_ == "comments" and c["relationships"]["author"]["data"]
            }
        for (type_, id_), resource in included.items():
            if type_ == "authors":
                relationship = resource["relationships"]["articles"]
                if id_ in linked:
                    assert relationship["data"] == written[id_], (url, id_, relationship)
                else:
                    assert "data" not in relationship, (url, id_, relationship)


# -- more ways to tell rows from ORM objects -----------------------------------------------


class TitleOnlyArticleSchema(blog_api.ArticleSchema):
    class Meta:
        type_ = "articles"
        exclude = ("body", "views", "created", "draft")


def test_repository_shared_by_two_apis_reads_each_schema_fld_2(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-4, FLD-2: one repository instance (a view set's class attribute, say) serving two APIs
    whose ``articles`` schemas differ gives each API its own attributes."""
    shared = blog_api.ArticleRepository(session=db_session)

    def shared_repository(session: Any) -> Any:
        return shared

    narrow = build_app(
        db_session, *blog_resources(articles=(TitleOnlyArticleSchema, shared_repository))
    )
    full = build_app(
        db_session, *blog_resources(articles=(blog_api.ArticleSchema, shared_repository))
    )
    narrow_document = narrow.test_client().get("/articles/1").document
    assert set(narrow_document["data"]["attributes"]) == {"title"}
    document = same_document(full, full.test_client(), "/articles/1", reads, rows=True)
    assert document["data"]["attributes"]["body"] == "Body 0"
    assert document["data"]["attributes"]["views"] == 3


def test_session_bound_per_base_class_fet_2(
    blog_app: flask.Flask, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-2: a session whose engine is bound per declarative base (``binds={Base: engine}``,
    as with several databases) reads on either path."""
    engine = blog_app.extensions["blog"]["engine"]
    session = scoped_session(sessionmaker(binds={blog_models.Base: engine}))
    try:
        app = build_app(session, *blog_resources())
        client = app.test_client()
        for url in ("/articles/1?include=author", "/articles?include=comments"):
            problem = mismatch(app, client, url, reads, rows=None)
            assert problem is None, problem
    finally:
        session.remove()


# -- 5. ending the transaction ---------------------------------------------------------------


def raw_views_bump(session: Any) -> Any:
    """A view decorator that adds one to article 5's views with raw SQL, before the view."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def bumped(*args: Any, **kwargs: Any) -> Any:
            session.execute(sa.text("UPDATE articles SET views = views + 1 WHERE id = 5"))
            return view(*args, **kwargs)

        return bumped

    return decorate


def test_raw_write_before_a_row_read_is_committed_fet_1(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-1: a GET answered by row reads ends its transaction without a commit only when
    nothing else ran in it; a raw UPDATE by a view decorator is committed."""
    app = build_app(
        db_session, *blog_resources(), articles={"view_decorators": [raw_views_bump(db_session)]}
    )
    before = stored(db_session, sa.select(Article.views).where(Article.id == 5))[0]

    response = app.test_client().get("/articles/5")

    assert response.status_code == 200
    assert reads == ["one"]
    assert response.document["data"]["attributes"]["views"] == before + 1
    assert stored(db_session, sa.select(Article.views).where(Article.id == 5)) == [before + 1]


class BumpingLinksListView(ResourceRepositoryListView):
    """A list view whose pagination-links hook (the original's) writes with raw SQL."""

    def get_pagination_links(self, parsed_pagination: dict, parsed_filters: dict) -> dict:
        session = self.repository.get_session()
        session.execute(sa.text("UPDATE articles SET views = views + 1 WHERE id = 5"))
        return super().get_pagination_links(parsed_pagination, parsed_filters)


def test_write_in_a_hook_after_row_reads_is_committed_fet_1(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-1: user code that runs after the row reads, in the same transaction (the
    ``get_pagination_links`` hook), gets its writes committed."""
    app = build_app(db_session, *blog_resources(), articles={"list_view_cls": BumpingLinksListView})
    before = stored(db_session, sa.select(Article.views).where(Article.id == 5))[0]

    response = app.test_client().get("/articles")

    assert response.status_code == 200
    assert "many" in reads
    assert stored(db_session, sa.select(Article.views).where(Article.id == 5)) == [before + 1]


class MixinDetailView(ResourceRepositoryViewMixin, ResourceDetail):
    """A detail view of the user's own, built on the public mixin."""

    def read(self, id: Any, **kwargs: Any) -> Any:
        return self.repository.get_detail(id)


def test_view_on_the_mixin_alone_keeps_its_hooks_fet_1(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-1: a view built on ``ResourceRepositoryViewMixin`` with hooks of its own is
    answered through them (the ORM), not by row reads."""
    app = flask.Flask(__name__)
    app.testing = True
    app.test_client_class = JsonApiClient
    api = Api(app)
    repository = blog_api.ArticleRepository(session=db_session)
    api.route(
        MixinDetailView,
        "article",
        "/articles/<id>",
        view_kwargs={"schema": blog_api.ArticleSchema, "repository": repository},
    )

    response = app.test_client().get(f"/articles/{rows['quiet']}")

    assert response.status_code == 200, response.document
    assert response.document["data"]["attributes"]["title"] == "Quiet"
    assert reads == []


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        (["/articles?filter[views]=1", "/articles?filter[views]=2"], [["2"], ["3"]]),
        (
            ["/articles?sort=views&page[size]=2", "/articles?sort=-views&page[size]=2"],
            [["1", "2"], ["4", "3"]],
        ),
        (
            ["/articles?page[size]=2", "/articles?page[size]=2&page[number]=2"],
            [["1", "2"], ["3", "4"]],
        ),
    ],
)
def test_a_query_read_again_answers_its_own_rows_flt_1(
    client: JsonApiClient, db_session: Any, urls: list[str], expected: list[list[str]]
) -> None:
    """FLT-1, SRT-1: pages and counts kept per query string never answer another
    query's rows (each URL twice, the second time from the kept statement)."""
    blog(db_session, 4)
    for url, ids in [*zip(urls, expected, strict=True), *zip(urls, expected, strict=True)]:
        response = client.get(url)
        assert response.status_code == 200
        assert [item["id"] for item in response.document["data"]] == ids
        assert response.document["meta"]["count"] == (1 if "filter" in url else 4)


def test_type_without_relationship_urls_gets_its_linkage_from_rows_fet_1_rel_3(
    blog_app: flask.Flask, db_session: Any, rows: dict[str, int], reads: list[str]
) -> None:
    """FET-1, REL-3: articles routed the original's way (``api.route``, no relationship
    URLs) show each relationship by its linkage, which the plain row reads do not hold:
    the ORM answers. Fields that leave the relationships out are read as rows, alike."""
    app = build_app(db_session, *[r for r in blog_resources() if r[0] != "articles"])
    api = app.extensions["flask_jsonapi"][0]
    options = {
        "schema": blog_api.ArticleSchema,
        "repository": blog_api.ArticleRepository(session=db_session),
    }
    api.route(ResourceRepositoryListView, "article_list", "/articles", view_kwargs=options)
    api.route(ResourceRepositoryDetailView, "article_detail", "/articles/<id>", view_kwargs=options)
    client = app.test_client()
    listed = same_document(app, client, "/articles", reads, rows=False)
    by_id = {article["id"]: article for article in listed["data"]}
    quiet = by_id[str(rows["quiet"])]["relationships"]
    assert quiet["author"]["data"] is not None
    assert quiet["comments"] == {"data": []}
    assert by_id["1"]["relationships"]["comments"]["data"]
    detail = same_document(app, client, f"/articles/{rows['quiet']}", reads, rows=False)
    assert detail["data"]["relationships"] == quiet
    sparse = same_document(app, client, "/articles?fields[articles]=title", reads, rows=True)
    assert all("relationships" not in article for article in sparse["data"])
