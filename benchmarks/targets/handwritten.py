"""The speed limit: Flask + SQLAlchemy Core + orjson, written by hand for these requests only.

It answers the same documents as our library's blog demo (members, string ids, links,
``meta.count``, ``included``); the runner compares the two. It does what a careful
hand-written app does: one SELECT per include path, ``UPDATE ... RETURNING``, the database's
foreign key for a missing author, and no generality at all (articles only, no errors beyond
the few these requests can meet).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import flask
import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from .common import SCOPE_HEADER, article_requests, more_requests

MEDIA_TYPE = "application/vnd.api+json"
JSONAPI = {"version": "1.1"}
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

metadata = sa.MetaData()
authors = sa.Table(
    "authors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
    sa.Column("email", sa.String(200)),
)
articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200)),
    sa.Column("body", sa.Text),
    sa.Column("created", sa.DateTime),
    sa.Column("views", sa.Integer),
    sa.Column("draft", sa.Boolean),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id")),
)
comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text),
    sa.Column("created", sa.DateTime),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id")),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id")),
)
tags = sa.Table(
    "tags", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String)
)
article_tags = sa.Table(
    "article_tags",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id"), primary_key=True),
)

ARTICLE_ATTRIBUTES = ("title", "body", "created", "views", "draft")
ARTICLE_RELATIONSHIPS = ("author", "comments", "tags")
ARTICLE_COLUMNS = [articles.c[name] for name in ("id", *ARTICLE_ATTRIBUTES, "author_id")]
SORTABLE = {name: articles.c[name] for name in ("id", *ARTICLE_ATTRIBUTES)}
INCLUDABLE = {"author", "comments", "comments.author", "tags"}
DETAIL = sa.select(*ARTICLE_COLUMNS).where(articles.c.id == sa.bindparam("id"))
EXISTS = sa.select(articles.c.id).where(articles.c.id == sa.bindparam("id"))
ARTICLE_TAGS = (
    sa.select(article_tags.c.tag_id)
    .where(article_tags.c.article_id == sa.bindparam("id"))
    .order_by(article_tags.c.tag_id)
)


def _error(status: int, detail: str, **source: str) -> flask.Response:
    error: dict[str, Any] = {"status": str(status), "title": "Error", "detail": detail}
    if source:
        error["source"] = source
    return _respond({"errors": [error], "jsonapi": JSONAPI}, status)


def _respond(document: dict[str, Any], status: int = 200, **headers: str) -> flask.Response:
    response = flask.Response(orjson.dumps(document), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers)
    response.vary.add("Accept")
    return response


class Builder:
    """Resource objects of one request: URLs prefixed once, related links by string concat."""

    def __init__(self) -> None:
        self.root = flask.request.host_url

    def _rel(self, base: str, member: str) -> dict[str, str]:
        return {"self": f"{base}/relationships/{member}", "related": f"{base}/{member}"}

    def article(
        self,
        row: Any,
        attributes: tuple[str, ...] = ARTICLE_ATTRIBUTES,
        relationships: tuple[str, ...] = ARTICLE_RELATIONSHIPS,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        id_ = str(row.id)
        base = f"{self.root}articles/{id_}"
        rels: dict[str, Any] = {}
        for member in relationships:
            rel: dict[str, Any] = {"links": self._rel(base, member)}
            if data is not None and member in data:
                rel["data"] = data[member]
            rels[member] = rel
        resource = {
            "type": "articles",
            "id": id_,
            "attributes": {name: getattr(row, name) for name in attributes},
        }
        if rels:
            resource["relationships"] = rels
        resource["links"] = {"self": base}
        return resource

    def author(self, row: Any) -> dict[str, Any]:
        id_ = str(row.id)
        base = f"{self.root}authors/{id_}"
        return {
            "type": "authors",
            "id": id_,
            "attributes": {"name": row.name, "email": row.email},
            "relationships": {"articles": {"links": self._rel(base, "articles")}},
            "links": {"self": base},
        }

    def comment(self, row: Any, with_author: bool) -> dict[str, Any]:
        id_ = str(row.id)
        base = f"{self.root}comments/{id_}"
        author: dict[str, Any] = {"links": self._rel(base, "author")}
        if with_author:
            author["data"] = (
                {"type": "authors", "id": str(row.author_id)} if row.author_id else None
            )
        return {
            "type": "comments",
            "id": id_,
            "attributes": {"body": row.body, "created": row.created},
            "relationships": {"article": {"links": self._rel(base, "article")}, "author": author},
            "links": {"self": base},
        }

    def tag(self, row: Any) -> dict[str, Any]:
        id_ = str(row.id)
        base = f"{self.root}tags/{id_}"
        return {
            "type": "tags",
            "id": id_,
            "attributes": {"name": row.name},
            "relationships": {"articles": {"links": self._rel(base, "articles")}},
            "links": {"self": base},
        }


def _fieldset(args: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    raw = args.get("fields[articles]")
    if raw is None:
        return ARTICLE_ATTRIBUTES, ARTICLE_RELATIONSHIPS
    wanted = set(raw.split(",")) if raw else set()
    return (
        tuple(n for n in ARTICLE_ATTRIBUTES if n in wanted),
        tuple(n for n in ARTICLE_RELATIONSHIPS if n in wanted),
    )


def _article_exists(conn: sa.Connection, article_id: int) -> bool:
    return conn.execute(EXISTS, {"id": article_id}).first() is not None


def _pagination_links(total: int, number: int, size: int) -> dict[str, Any]:
    request = flask.request
    kept = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("page[")]
    base = request.base_url

    def link(page: int) -> str:
        return (
            f"{base}?{urlencode([*kept, ('page[number]', str(page)), ('page[size]', str(size))])}"
        )

    last = max(1, (total - 1) // size + 1)
    return {
        "self": link(number),
        "first": link(1),
        "prev": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number * size < total else None,
        "last": link(last),
    }


def _included(
    conn: sa.Connection, builder: Builder, rows: list[Any], paths: set[str]
) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """Linkage per article id, and the included resources: one SELECT per include path."""
    ids = [row.id for row in rows]
    linkage: dict[int, dict[str, Any]] = {row.id: {} for row in rows}
    included: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()

    def include(type_: str, id_: int, render: Any) -> None:
        if (type_, id_) not in seen:
            seen.add((type_, id_))
            included.append(render())

    if "author" in paths:
        author_ids = {row.author_id for row in rows if row.author_id is not None}
        found = {
            a.id: a
            for a in conn.execute(
                sa.select(authors).where(authors.c.id.in_(sorted(author_ids)))
            ).all()
        }
        for row in rows:
            linkage[row.id]["author"] = (
                {"type": "authors", "id": str(row.author_id)} if row.author_id else None
            )
            if row.author_id in found:
                include("authors", row.author_id, lambda a=found[row.author_id]: builder.author(a))
    comment_rows: list[Any] = []
    if "comments" in paths or "comments.author" in paths:
        comment_rows = conn.execute(
            sa.select(comments)
            .where(comments.c.article_id.in_(ids))
            .order_by(comments.c.article_id, comments.c.id)
        ).all()
        with_author = "comments.author" in paths
        for row in rows:
            linkage[row.id]["comments"] = []
        for c in comment_rows:
            linkage[c.article_id]["comments"].append({"type": "comments", "id": str(c.id)})
            include("comments", c.id, lambda c=c: builder.comment(c, with_author))
    if "tags" in paths:
        tag_rows = conn.execute(
            sa.select(article_tags.c.article_id, tags.c.id, tags.c.name)
            .join(tags, tags.c.id == article_tags.c.tag_id)
            .where(article_tags.c.article_id.in_(ids))
            .order_by(article_tags.c.article_id, tags.c.id)
        ).all()
        for row in rows:
            linkage[row.id]["tags"] = []
        for t in tag_rows:
            linkage[t.article_id]["tags"].append({"type": "tags", "id": str(t.id)})
            include("tags", t.id, lambda t=t: builder.tag(t))
    if "comments.author" in paths:
        author_ids = {c.author_id for c in comment_rows if c.author_id is not None}
        found = {
            a.id: a
            for a in conn.execute(
                sa.select(authors).where(authors.c.id.in_(sorted(author_ids)))
            ).all()
        }
        for c in comment_rows:
            if c.author_id in found:
                include("authors", c.author_id, lambda a=found[c.author_id]: builder.author(a))
    return linkage, included


def _article_values(document: Any, *, creating: bool) -> dict[str, Any] | flask.Response:
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or data.get("type") != "articles":
        return _error(409 if isinstance(data, dict) else 400, "Expected an articles resource.")
    attributes = data.get("attributes") or {}
    values: dict[str, Any] = {}
    for name in ("title", "body", "views"):
        if name in attributes:
            values[name] = attributes[name]
    title = values.get("title")
    if creating and title is None:
        return _error(422, "Missing data for required field.", pointer="/data/attributes/title")
    if title is not None and not (isinstance(title, str) and 1 <= len(title) <= 200):
        return _error(422, "Invalid title.", pointer="/data/attributes/title")
    author = (data.get("relationships") or {}).get("author")
    if author is not None:
        linkage = author.get("data")
        values["author_id"] = int(linkage["id"]) if linkage else None
    return values


def create_app(database_url: str) -> flask.Flask:
    """The hand-written articles API on `database_url`."""
    if not database_url.startswith("sqlite"):
        # The demo's engine options on PostgreSQL (a dropped connection is replaced).
        engine = sa.create_engine(database_url, pool_pre_ping=True)
    else:
        engine = sa.create_engine(database_url)

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    app = flask.Flask(__name__)

    @app.get("/articles/<int:article_id>")
    def article_detail(article_id: int) -> flask.Response:
        with engine.connect() as conn:
            row = conn.execute(DETAIL, {"id": article_id}).first()
        if row is None:
            return _error(404, f"Article {article_id} not found.")
        builder = Builder()
        return _respond(
            {
                "data": builder.article(row),
                "links": {"self": flask.request.base_url},
                "jsonapi": JSONAPI,
            }
        )

    @app.get("/articles")
    def article_list() -> flask.Response:
        args = flask.request.args
        size = int(args.get("page[size]", DEFAULT_PAGE_SIZE))
        number = int(args.get("page[number]", 1))
        if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
            return _error(400, "Invalid page.", parameter="page[size]")
        include = {p for p in args.get("include", "").split(",") if p}
        if not include <= INCLUDABLE:
            return _error(400, "Invalid include.", parameter="include")
        if "comments.author" in include:
            include.add("comments")
        attributes, relationships = _fieldset(args)
        query = sa.select(*ARTICLE_COLUMNS)
        count = sa.select(sa.func.count()).select_from(articles)
        conditions = []
        if flask.request.headers.get(SCOPE_HEADER) == "published":
            conditions.append(articles.c.draft == sa.false())
        author_name = args.get("filter[author][name]")
        if author_name is not None:
            conditions.append(
                articles.c.author_id.in_(
                    sa.select(authors.c.id).where(authors.c.name == author_name)
                )
            )
        author_id = args.get("filter[author_id]")
        if author_id is not None:
            conditions.append(articles.c.author_id == int(author_id))
        if conditions:
            query = query.where(*conditions)
            count = count.where(*conditions)
        order = []
        for key in [k for k in args.get("sort", "").split(",") if k]:
            column = SORTABLE.get(key.lstrip("-"))
            if column is None:
                return _error(400, "Invalid sort.", parameter="sort")
            order.append(column.desc() if key.startswith("-") else column.asc())
        order.append(articles.c.id.asc())
        query = query.order_by(*order).limit(size).offset((number - 1) * size)
        builder = Builder()
        with engine.connect() as conn:
            rows = conn.execute(query).all()
            linkage, included = _included(conn, builder, rows, include) if include else ({}, [])
            total = conn.execute(count).scalar_one()
        document: dict[str, Any] = {
            "data": [
                builder.article(row, attributes, relationships, linkage.get(row.id)) for row in rows
            ]
        }
        if include:
            document["included"] = included
        document["links"] = _pagination_links(total, number, size)
        document["meta"] = {"count": total}
        document["jsonapi"] = JSONAPI
        return _respond(document)

    @app.get("/articles/<int:article_id>/relationships/tags")
    def article_tags_relationship(article_id: int) -> flask.Response:
        with engine.connect() as conn:
            if not _article_exists(conn, article_id):
                return _error(404, f"Article {article_id} not found.")
            tag_ids = conn.execute(ARTICLE_TAGS, {"id": article_id}).scalars().all()
        root = flask.request.host_url
        size = DEFAULT_PAGE_SIZE
        pages = _pagination_links(len(tag_ids), 1, size)
        document = {
            "links": {
                "self": flask.request.base_url,
                "related": f"{root}articles/{article_id}/tags",
                "first": pages["first"],
                "prev": None,
                "next": pages["next"],
                "last": pages["last"],
            },
            "meta": {"count": len(tag_ids)},
            "data": [{"type": "tags", "id": str(i)} for i in tag_ids[:size]],
            "jsonapi": JSONAPI,
        }
        return _respond(document)

    @app.get("/articles/<int:article_id>/comments")
    def article_comments(article_id: int) -> flask.Response:
        args = flask.request.args
        size = int(args.get("page[size]", DEFAULT_PAGE_SIZE))
        number = int(args.get("page[number]", 1))
        if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
            return _error(400, "Invalid page.", parameter="page[size]")
        condition = comments.c.article_id == article_id
        with engine.connect() as conn:
            if not _article_exists(conn, article_id):
                return _error(404, f"Article {article_id} not found.")
            rows = conn.execute(
                sa.select(comments)
                .where(condition)
                .order_by(comments.c.id)
                .limit(size)
                .offset((number - 1) * size)
            ).all()
            total = conn.execute(
                sa.select(sa.func.count()).select_from(comments).where(condition)
            ).scalar_one()
        builder = Builder()
        document = {
            "data": [builder.comment(row, with_author=False) for row in rows],
            "links": _pagination_links(total, number, size),
            "meta": {"count": total},
            "jsonapi": JSONAPI,
        }
        return _respond(document)

    @app.post("/articles")
    def article_create() -> flask.Response:
        values = _article_values(flask.request.get_json(force=True), creating=True)
        if isinstance(values, flask.Response):
            return values
        values.setdefault("body", "")
        values.setdefault("views", 0)
        values.setdefault("draft", False)
        values["created"] = datetime.now(timezone.utc).replace(tzinfo=None)
        try:
            with engine.begin() as conn:
                row = conn.execute(
                    articles.insert().values(**values).returning(*ARTICLE_COLUMNS)
                ).one()
        except IntegrityError:
            return _error(404, "Related author not found.", pointer="/data/relationships/author")
        resource = Builder().article(row)
        location = resource["links"]["self"]
        return _respond(
            {"data": resource, "links": {"self": location}, "jsonapi": JSONAPI},
            201,
            Location=location,
        )

    @app.patch("/articles/<int:article_id>")
    def article_update(article_id: int) -> flask.Response:
        values = _article_values(flask.request.get_json(force=True), creating=False)
        if isinstance(values, flask.Response):
            return values
        with engine.begin() as conn:
            statement = articles.update().where(articles.c.id == article_id)
            row = conn.execute(statement.values(**values).returning(*ARTICLE_COLUMNS)).first()
        if row is None:
            return _error(404, f"Article {article_id} not found.")
        return _respond(
            {
                "data": Builder().article(row),
                "links": {"self": flask.request.base_url},
                "jsonapi": JSONAPI,
            }
        )

    return app


REQUESTS = {
    **article_requests(),
    **more_requests(scope_headers={SCOPE_HEADER: "published"}),
}
