"""Relationship endpoints (``/articles/1/relationships/author``) and related endpoints
(``/articles/1/author``), built on a view set's detail view so its hooks apply.

Relationship endpoints read and change linkage (to-one ``PATCH``; to-many ``PATCH``
replaces, ``POST`` adds, ``DELETE`` removes); related endpoints serve the related
resource or collection with the whole query language.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import flask
from werkzeug.datastructures import MultiDict

from . import exceptions, scopes
from .allowed_actions import Actions
from .authentication import guard_reach
from .document import parse_relationship_document
from .filters_schema import default_filters
from .links import LinkBuilder, pagination_links, request_url
from .policy import READ
from .query import QueryConfig, ResourceQuery, parse_query
from .query.cursor import encode_cursor
from .query.model import IncludeNode
from .query.model import Page as QueryPage
from .query.parser import CURSOR_PROFILE, parse_page
from .resource_repositories.repositories import offers_row_access
from .schema.compiled import RelationshipSpec
from .schema.serializer import linkage_of, read
from .services import Page, ResourceService
from .write_only import all_members, is_write_only, member_page


class _RelationshipMixin:
    """Shared by both endpoint kinds: the parent resource and the named relationship."""

    relationship_kwarg = "relationship"

    def relationship_spec(self) -> RelationshipSpec:
        member = self.kwargs[self.relationship_kwarg]
        spec = self.compiled.relationships.get(member)
        current = scopes.current()
        if current is not None and member in current.hidden().get(self.compiled.type_, ()):
            spec = None  # a hidden relationship answers as one that does not exist
        if spec is None:
            # No `source`: the culprit is a URL path segment, not a query parameter (ERR-9).
            raise exceptions.ObjectNotFound(
                None,
                f"'{self.compiled.type_}' has no relationship '{member}'.",
            )
        decorated = self.registry.decorated_types()
        if decorated:
            guard_reach(decorated, [spec.type_], self.compiled.type_)
        return spec

    def require_action(self, action: str) -> None:
        """Honour ``allowed_actions`` of a view set's detail view (reading or updating)."""
        allowed = getattr(self, "allowed_actions", None)
        if allowed is not None and action not in allowed:
            raise exceptions.MethodNotAllowed(
                f"{action.capitalize()} is not allowed for this resource"
            )

    def relation_rows(self, spec: RelationshipSpec) -> Any:
        """The parent's relationship ``spec`` read as rows (the view's repository's
        ``relation_reader``), or ``None`` when the ORM path must read it: hooks of the
        user's, or object checks on either side."""
        factory = getattr(self, "relation_reader", None)
        if factory is None:
            return None
        checks = scopes.object_checks()
        if self.compiled.type_ in checks or spec.type_ in checks:
            return None
        return factory(spec.attribute, getattr(spec.field, "id_field", None) or "id")

    def read_parent_row(self, relation: Any) -> tuple[Any, Any]:
        """The value the parent's members match on and the parent's id, as rows (404 when
        the client may not see it); the parent type's policy must allow reading."""
        service = self.service()
        service.require(READ)
        return relation.parent(service.url_id(self.resource_id))

    def read_parent(self, spec: RelationshipSpec, *, load: bool = True) -> tuple[Any, Any]:
        """The parent resource's id and object; with its relationship `spec` loaded unless
        not `load` (a related page that its repository narrows to the parent itself)."""
        service = self.service()
        id_ = service.url_id(self.resource_id)
        if not load:
            return id_, service.fetch_one(id_, ResourceQuery(), rows=False)
        node = IncludeNode(spec.member, spec.attribute, spec.type_, spec.many, {}, included=False)
        return id_, service.fetch_one(id_, ResourceQuery(load={spec.member: node}), rows=False)


class RelationshipViewMixin(_RelationshipMixin):
    """``/<type>/<id>/relationships/<name>``: GET, PATCH, POST, DELETE on linkage (UREL-*)."""

    methods: ClassVar[list[str]] = ["GET", "PATCH", "POST", "DELETE"]
    body_methods: ClassVar[frozenset[str]] = frozenset({"PATCH", "POST", "DELETE"})

    def get(self, *args: Any, **kwargs: Any) -> flask.Response:
        for name in flask.request.args:
            if name.split("[")[0] in ("include", "fields", "sort", "filter"):
                raise exceptions.InvalidQueryParameter(
                    f"'{name}' does not apply to a relationship endpoint.", parameter=name
                )
        self.require_action(Actions.read)
        spec = self.relationship_spec()
        with self.transaction():
            relation = self.relation_rows(spec)
            if relation is not None:
                value, parent_id = self.read_parent_row(relation)
                members = _row_members(spec, relation, value)
                document = self._linkage_document(spec, parent_id, members, paginate=True)
            else:
                _, parent = self.read_parent(spec)
                document = self.linkage_document(spec, parent, paginate=True)
        return self.document_response(document)

    def patch(self, *args: Any, **kwargs: Any) -> flask.Response:
        spec = self.relationship_spec()
        if spec.many and not spec.allow_replace:
            raise exceptions.ForbiddenError(
                f"Relationship '{spec.member}' cannot be replaced as a whole; "
                "add or remove members instead.",
                {"pointer": "/data"},
            )
        return self._change(spec, "replace")

    def post(self, *args: Any, **kwargs: Any) -> flask.Response:
        return self._change(self._to_many_only(), "add")

    def delete(self, *args: Any, **kwargs: Any) -> flask.Response:
        return self._change(self._to_many_only(), "remove")

    def _to_many_only(self) -> RelationshipSpec:
        spec = self.relationship_spec()
        if not spec.many:
            raise exceptions.MethodNotAllowed(
                f"'{spec.member}' is a to-one relationship: use PATCH to change it.",
                headers={"Allow": "GET, HEAD, OPTIONS, PATCH"},
            )
        return spec

    def _change(self, spec: RelationshipSpec, mode: str) -> flask.Response:
        self.require_action(Actions.update)
        if not spec.load:
            raise exceptions.ForbiddenError(f"Relationship '{spec.member}' is read-only.")
        linkage = parse_relationship_document(self.request_document())
        service = self.service()
        with self.transaction():
            conditional = "If-Match" in flask.request.headers or self.if_match_required()
            if conditional:
                self.lock_row(service.url_id(self.resource_id))
            id_, parent = self.read_parent(spec)
            if conditional:
                # Compared with what GET of this URL answers now, the row locked above.
                self.check_if_match(
                    lambda: self.linkage_document(spec, parent, paginate=True),
                    what=f"relationship '{spec.member}'",
                )
            value = service.resolve_linkage(spec, linkage, "/data")
            updated = service.change_members(id_, spec, value, mode, parent)
            document = self.linkage_document(spec, updated)
            # GET pages a to-many and counts it: its document is the ETag's.
            representation = (
                self.linkage_document(spec, updated, paginate=True) if spec.many else None
            )
        return self.document_response(document, representation=representation)

    def linkage_document(
        self,
        spec: RelationshipSpec,
        parent: Any,
        *,
        paginate: bool = False,
        elsewhere: bool = False,
    ) -> dict[str, Any]:
        """The linkage document of ``parent``'s relationship; ``paginate``: as GET answers
        it (a to-many paged and counted); ``elsewhere``: as GET of the relationship's own
        URL answers it, computed while answering another request (Atomic Operations)."""
        value = read(parent, spec.attribute)
        check = scopes.object_checks().get(spec.type_)
        parent_id = read(parent, self.compiled.id_attribute)
        if is_write_only(value) and check is None:
            # Paged and counted in SQL: the model says its members are never read whole.
            return self._linkage_document(
                spec,
                parent_id,
                _collection_members(spec, value),
                paginate=paginate,
                elsewhere=elsewhere,
            )
        data = linkage_of(spec, value, check)

        def members(offset: int, limit: int | None) -> tuple[Any, int]:
            if limit is None:
                return data, len(data) if spec.many else 0
            return data[offset : offset + limit], len(data)

        return self._linkage_document(
            spec, parent_id, members, paginate=paginate, elsewhere=elsewhere
        )

    def _linkage_document(
        self,
        spec: RelationshipSpec,
        parent_id: Any,
        members: Callable[[int, int | None], tuple[Any, int]],
        *,
        paginate: bool = False,
        elsewhere: bool = False,
    ) -> dict[str, Any]:
        """The linkage document of the parent ``parent_id``'s relationship ``spec``, whose
        ``members(offset, limit)`` answers the linkage from ``offset`` (all of it when
        ``limit`` is ``None``) and the number of members in all."""
        links = LinkBuilder(self.registry).relationship(
            self.compiled.type_, self.compiled.format_id(parent_id), spec.member
        )
        self_link = (links or {}).get("self") or request_url()
        document: dict[str, Any] = {"links": {**(links or {}), "self": self_link}}
        if spec.many and paginate:
            args = MultiDict() if elsewhere else flask.request.args
            # Linkage is this library's own list, paged whatever the view's storage.
            page = parse_page(args, dataclasses.replace(self.query_config(), paginate=True))
            url = self_link if elsewhere else None
            if page.style == "cursor":
                data, total = members(0, None)
                data, more, cursors = _linkage_window(data, page)
                links = pagination_links(
                    page, total, len(data), more=more, cursors=cursors, url=url
                )
                self.negotiated = dataclasses.replace(self.negotiated, profile=(CURSOR_PROFILE,))
            else:
                data, total = members(page.offset, page.size)
                links = pagination_links(page, total, len(data), url=url)
            document["links"].update(links)
            document["links"]["self"] = self_link
            document["meta"] = {"count": total}
        else:
            data, _ = members(0, None)
        document["data"] = data
        return document


def _row_members(
    spec: RelationshipSpec, relation: Any, value: Any
) -> Callable[[int, int | None], tuple[Any, int]]:
    """The linkage of the members of a parent matching ``value``, read by ``relation``."""

    def members(offset: int, limit: int | None) -> tuple[Any, int]:
        ids, total = relation.ids(value, offset, limit)
        type_ = spec.type_
        data = [{"type": type_, "id": str(id_)} for id_ in ids]
        if not spec.many:
            return (data[0] if data else None), total
        return data, total

    return members


def _collection_members(
    spec: RelationshipSpec, collection: Any
) -> Callable[[int, int | None], tuple[Any, int]]:
    """The linkage of the members of a write-only ``collection``, paged in SQL."""

    def members(offset: int, limit: int | None) -> tuple[Any, int]:
        if limit is None:
            data = linkage_of(spec, all_members(collection))
            return data, len(data)
        page, total = member_page(collection, offset, limit)
        return linkage_of(spec, page), total

    return members


def _linkage_window(
    linkage: list[dict[str, str]], page: QueryPage
) -> tuple[list[dict[str, str]], bool, tuple[str, str] | None]:
    """A cursor page of a relationship's linkage, in the relationship's order: the
    identifiers, whether more follow (precede, for ``page[before]``), and the cursors of
    the first and last (each names its member's id)."""
    ids = [identifier["id"] for identifier in linkage]
    cursor = page.after if page.after is not None else page.before
    if cursor is None:
        start, end = 0, page.size
    else:
        if len(cursor) != 1 or cursor[0] not in ids:
            raise exceptions.InvalidPage(
                "The cursor names no member of this relationship (any more).",
                parameter="page[after]" if page.after is not None else "page[before]",
            )
        position = ids.index(cursor[0])
        if page.after is not None:
            start, end = position + 1, position + 1 + page.size
        else:
            start, end = max(0, position - page.size), position
    window = linkage[start:end]
    more = start > 0 if page.before is not None else end < len(linkage)
    if not window:
        return window, more, None
    first, last = window[0]["id"], window[-1]["id"]
    return window, more, (encode_cursor((), (first,)), encode_cursor((), (last,)))


class RelatedViewMixin(_RelationshipMixin):
    """``/<type>/<id>/<name>``: the related resource or collection (FET-*, query language)."""

    methods: ClassVar[list[str]] = ["GET"]

    def get(self, *args: Any, **kwargs: Any) -> flask.Response:
        self.require_action(Actions.read)
        spec = self.relationship_spec()
        related = self.registry.get(spec.type_)
        if related is None:
            raise exceptions.ObjectNotFound(None, f"'{spec.type_}' is not served by this API.")
        compiled = related.compiled
        args = flask.request.args
        config = QueryConfig.from_app_config(
            flask.current_app.config, **{**related.query_options, "paginate": True}
        )
        query = parse_query(
            args,
            compiled,
            self.registry.schema,
            config,
            collection=spec.many,
            filters=(
                related.filter_schema
                if related.filter_schema is not None
                else default_filters(self.registry, compiled)
            ).parse,
        )
        query = self.restrict(query, compiled)
        with self.transaction():
            rows = self._related_rows(spec, related, query) if spec.many else None
            if rows is not None:
                relation, reader = rows
                value, _ = self.read_parent_row(relation)
                hooks = _RowHooks(reader.within(*relation.criterion(value)))
                page = ResourceService(hooks, compiled, self.registry).fetch_many(query)
                document = self.collection_document(page, query, compiled)
            elif spec.many:
                # A page the related repository narrows to the parent in SQL needs only the
                # parent's key: loading the whole relationship first would be one more
                # statement, unused. (Asked here only: inspect.signature is no small cost.)
                narrowed = _narrows(related.repository)
                _, parent = self.read_parent(spec, load=not narrowed)
                page = self._related_page(spec, related, parent, query)
                document = self.collection_document(page, query, compiled)
            else:
                _, parent = self.read_parent(spec)
                value = read(parent, spec.attribute)
                check = scopes.object_checks().get(spec.type_)
                if value is not None and check is not None and not check(value):
                    value = None  # hidden: answered as an empty to-one
                document = self.resource_document(value, query, compiled=compiled)
        return self.document_response(document)

    def _related_rows(
        self, spec: RelationshipSpec, related: Any, query: ResourceQuery
    ) -> tuple[Any, Any] | None:
        """The parent's relationship and the related type's row reader for ``query``, when
        both read rows (the fast path); ``None`` otherwise."""
        repository = related.repository
        if not offers_row_access(repository):
            return None
        relation = self.relation_rows(spec)
        if relation is None:
            return None
        reader = repository.row_reader(related.compiled, query.load, query.fields, self.registry)
        return None if reader is None else (relation, reader)

    def _related_page(
        self, spec: RelationshipSpec, related: Any, parent: Any, query: ResourceQuery
    ) -> Page:
        repository = related.repository
        if _narrows(repository):
            hooks = _RelatedHooks(repository, (parent, spec.attribute))
            return ResourceService(hooks, related.compiled, self.registry).fetch_many(query)
        # A repository that cannot narrow its list to one parent: page the loaded objects.
        items = list(all_members(read(parent, spec.attribute)) or ())
        check = scopes.object_checks().get(spec.type_)
        if check is not None:
            items = [item for item in items if check(item)]
        page = query.page
        return Page(items[page.offset : page.offset + page.size], len(items))


class _RelatedHooks:
    """A related type's repository narrowed to the objects of one parent's relationship."""

    def __init__(self, repository: Any, related_to: tuple[Any, str]) -> None:
        self.repository = repository
        self.related_to = related_to

    def read_many(self, filters: dict, sorting: tuple, pagination: dict, **kwargs: Any) -> Any:
        return self.repository.get_list(
            filters, sorting, pagination, related_to=self.related_to, **kwargs
        )

    def get_count(self, filters: dict) -> int | None:
        return self.repository.get_count(filters, related_to=self.related_to)


class _RowHooks:
    """A related type's row reader, narrowed to one parent's members, as a service's
    hooks: the service reads and counts through it."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def row_reader(self, query: ResourceQuery) -> Any:
        return self.reader


def _narrows(repository: Any) -> bool:
    """Whether `repository` pages a parent's related objects in SQL (``related_to``)."""
    get_list = getattr(repository, "get_list", None)
    return get_list is not None and "related_to" in _parameters(get_list)


def _parameters(function: Any) -> tuple[str, ...]:
    try:
        return tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return ()


def relationship_view_class(detail_view_cls: type) -> type:
    """The relationship endpoint view for a view set's detail view class."""
    return type(
        f"{detail_view_cls.__name__}Relationship",
        (RelationshipViewMixin, detail_view_cls),
        {"methods": RelationshipViewMixin.methods},
    )


def related_view_class(detail_view_cls: type) -> type:
    """The related endpoint view for a view set's detail view class."""
    return type(
        f"{detail_view_cls.__name__}Related",
        (RelatedViewMixin, detail_view_cls),
        {"methods": RelatedViewMixin.methods},
    )
