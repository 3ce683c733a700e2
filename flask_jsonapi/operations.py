"""The Atomic Operations extension (jsonapi.org/ext/atomic): many writes, one transaction.

Each operation runs through the same services (and so the same view hooks, validation
and permissions) as the plain endpoints. Any failure rolls back every operation, and the
error's ``source.pointer`` starts with ``/atomic:operations/N``.

An operation's precondition is its ``meta.ifMatch`` (an ``If-Match`` value), compared with
the ETag that ``GET`` of its target's URL answers (the resource, or the relationship of a
``ref.relationship``) as the earlier operations left it; a stale one fails the request
(412). The ``If-Match`` header itself does not apply to ``/operations`` (400).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import flask
from werkzeug.exceptions import HTTPException

from . import conditional, exceptions, limits, scopes
from .authentication import guard_reach
from .document import ResourceInput, parse_linkage, parse_resource
from .negotiation import ATOMIC_EXTENSION, Negotiated
from .query.parser import plain_query
from .registry import ResourceEntry
from .relationships import relationship_view_class
from .resources import ResourceBase
from .schema.serializer import serializer_for
from .services import ResourceService

OPERATIONS = "atomic:operations"
RESULTS = "atomic:results"
IF_MATCH = "ifMatch"  # the member of an operation's meta that holds its precondition


@dataclass(frozen=True)
class Target:
    """What an operation addresses: a type, maybe a resource, maybe one relationship."""

    type: str
    id: str | None = None
    lid: str | None = None
    relationship: str | None = None


class _Hooks:
    """A view set's list and detail hooks as one object, for :class:`ResourceService`."""

    def __init__(self, entry: ResourceEntry, api: Any) -> None:
        viewset = entry.viewset
        kwargs = {"api": api, **viewset.get_views_kwargs()}
        detail = viewset.detail_view_cls(**kwargs)
        listing = viewset.list_view_cls(filter_schema=viewset.filter_schema, **kwargs)
        self.read, self.update, self.destroy = detail.read, detail.update, detail.destroy
        self.create, self.read_many, self.get_count = (
            listing.create,
            listing.read_many,
            listing.get_count,
        )
        self.member_writer = getattr(detail, "member_writer", None)
        self._views = (detail, listing)
        self.client_generated_ids = detail.accepts_client_ids()
        self.user_storage = detail.user_storage
        self.permission_checker = getattr(detail, "permission_checker", None)

    def retry_safe(self) -> bool:
        """Whether both views write through the library's hooks only."""
        return all(getattr(view, "retry_safe", lambda: False)() for view in self._views)


class OperationsView(ResourceBase):
    """``POST /operations`` with ``ext="https://jsonapi.org/ext/atomic"`` (ATOM-*)."""

    methods: ClassVar[list[str]] = ["POST"]
    supported_extensions: ClassVar[frozenset[str]] = frozenset({ATOMIC_EXTENSION})
    etags: ClassVar[bool] = False  # results are no representation of a resource

    def __init__(self, *, api: Any) -> None:
        super().__init__(api=api)
        self._precondition: tuple[Any, str] = (None, "")

    def post(self) -> flask.Response:
        content_type = flask.request.headers.get("Content-Type", "")
        if ATOMIC_EXTENSION not in content_type:
            # ATOM-26: without the extension the body is a plain JSON:API document, which
            # this endpoint has no use for: it is not run as operations.
            raise exceptions.InvalidDocument(
                "This endpoint takes Atomic Operations only, sent with "
                f'Content-Type: application/vnd.api+json; ext="{ATOMIC_EXTENSION}".',
                "",
            )
        self.negotiated = type(self.negotiated)(ext=(ATOMIC_EXTENSION,))
        if "If-Match" in flask.request.headers:
            raise exceptions.BadRequest(
                {"header": "If-Match"},
                "If-Match does not apply to /operations: give each operation's precondition "
                f"in its meta.{IF_MATCH}.",
            )
        document = self.request_document()
        if not isinstance(document, dict) or not isinstance(document.get(OPERATIONS), list):
            raise exceptions.InvalidDocument(
                f"The request document needs an '{OPERATIONS}' array.",
                f"/{OPERATIONS}" if isinstance(document, dict) and OPERATIONS in document else "",
            )
        operations = document[OPERATIONS]
        if not operations:
            raise exceptions.InvalidDocument("There are no operations.", f"/{OPERATIONS}")
        limit = limits.get("JSONAPI_MAX_OPERATIONS")
        if len(operations) > limit:
            raise exceptions.PayloadTooLarge(
                {"pointer": f"/{OPERATIONS}"},
                f"One request may carry at most {limit} operations, not {len(operations)}.",
            )
        lids: dict[tuple[str, str], str] = {}
        results = []
        with self._transaction():
            for index, operation in enumerate(operations):
                pointer = f"/{OPERATIONS}/{index}"
                try:
                    results.append(self._run(operation, pointer, lids))
                except exceptions.JsonApiException as error:
                    raise _point(error, pointer) from None
        if all(not result for result in results):
            return self.document_response(None, status=204)
        return self.document_response({RESULTS: results})

    def retry_safe(self) -> bool:
        """Whether every type's views write through the library's hooks only, so that the
        whole request may run again after a transaction conflict."""
        return all(
            _Hooks(entry, self.api).retry_safe()
            for entry in self.registry
            if getattr(entry, "viewset", None) is not None
        )

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        with contextlib.ExitStack() as stack:
            sessions = set()
            for entry in self.registry:
                repository = entry.repository
                if repository is None:
                    continue
                get_session = getattr(repository, "get_session", None)
                key = id(get_session() if get_session else repository)
                if key not in sessions:
                    sessions.add(key)
                    stack.enter_context(repository.begin_transaction())
            yield

    # -- one operation -----------------------------------------------------------------

    def _run(self, operation: Any, pointer: str, lids: dict) -> dict[str, Any]:
        if not isinstance(operation, dict):
            raise exceptions.InvalidDocument("An operation must be an object.", pointer)
        op = operation.get("op")
        if op not in ("add", "update", "remove"):
            raise exceptions.InvalidDocument(
                "'op' must be 'add', 'update' or 'remove'.",
                f"{pointer}/op" if "op" in operation else pointer,
            )
        if "ref" in operation and "href" in operation:
            raise exceptions.InvalidDocument("Give 'ref' or 'href', not both.", pointer)
        target = self._target(operation, pointer)
        data = operation.get("data")
        decorated = self.registry.decorated_types()
        if decorated:
            # The view decorators of each type an operation reaches guard it as they guard
            # that type's URLs: nothing here that the plain endpoints would refuse.
            guard_reach(decorated, self._reached(target, data), "")
        meta = operation.get("meta")
        if (
            IF_MATCH in (meta if isinstance(meta, dict) else {})
            and op == "add"
            and not (target is not None and target.relationship)
        ):
            raise exceptions.InvalidDocument(
                f"'{IF_MATCH}' applies to operations on an existing resource, not to 'add'.",
                f"{pointer}/meta/{IF_MATCH}",
            )
        self._precondition = (meta.get(IF_MATCH) if isinstance(meta, dict) else None, pointer)
        return self._perform(op, target, data, pointer, lids)

    def _reached(self, target: Target | None, data: Any) -> list[str]:
        types = [target.type] if target is not None else []
        entry = self.registry.get(target.type) if target is not None else None
        if target is not None and target.relationship and entry is not None:
            spec = entry.compiled.relationships.get(target.relationship)
            if spec is not None:
                types.append(spec.type_)
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            types.append(data["type"])
            entry = self.registry.get(data["type"])
            relationships = data.get("relationships")
            if entry is not None and isinstance(relationships, dict):
                for member in relationships:
                    spec = entry.compiled.relationships.get(member)
                    if spec is not None:
                        types.append(spec.type_)
        return types

    def _perform(
        self, op: str, target: Target | None, data: Any, pointer: str, lids: dict
    ) -> dict[str, Any]:
        if target is not None and target.relationship:
            return self._relationship(op, target, data, pointer, lids)
        if op == "add":
            resource = parse_resource(data, f"{pointer}/data")
            if target is not None and target.type != resource.type:
                raise exceptions.InvalidType(
                    {"pointer": f"{pointer}/data/type"}, "'data' does not match the target type."
                )
            if resource.lid is not None and (resource.type, resource.lid) in lids:
                raise exceptions.InvalidDocument(
                    f"lid '{resource.lid}' is already used by an earlier operation.",
                    f"{pointer}/data/lid",
                )
            service = self._service(resource.type, pointer, lids)
            obj = service.create(resource)
            result = self._resource(service, obj)
            if resource.lid is not None:
                lids[(resource.type, resource.lid)] = result["id"]
            return {"data": result}
        if op == "update":
            resource = parse_resource(data, f"{pointer}/data")
            raw_id = self._resolve_id(resource.type, resource.id, resource.lid, pointer, lids)
            if target is not None:
                target_id = self._resolve_id(target.type, target.id, target.lid, pointer, lids)
                if (target.type, target_id) != (resource.type, raw_id):
                    raise exceptions.Conflict(
                        {"pointer": f"{pointer}/data"}, "'data' does not match 'ref'."
                    )
            service = self._service(resource.type, pointer, lids)
            resource = ResourceInput(
                resource.type,
                raw_id,
                None,
                resource.attributes,
                resource.relationships,
                resource.pointer,
                resource.relationship_pointers,
            )
            self._check_precondition(resource.type, raw_id)
            obj = service.update(service.url_id(raw_id), resource, raw_id)
            if obj is None:  # an update hook of the user's that answers nothing (a 204)
                return {}
            return {"data": self._resource(service, obj)}
        if target is None:
            raise exceptions.InvalidDocument("'remove' needs a 'ref' or 'href'.", pointer)
        raw_id = self._resolve_id(target.type, target.id, target.lid, pointer, lids)
        service = self._service(target.type, pointer, lids)
        self._check_precondition(target.type, raw_id)
        service.delete(service.url_id(raw_id))
        return {}

    def _relationship(
        self, op: str, target: Target, data: Any, pointer: str, lids: dict
    ) -> dict[str, Any]:
        service = self._service(target.type, pointer, lids)
        spec = service.relationship_spec(target.relationship, f"{pointer}/ref/relationship")
        if not spec.load:
            raise exceptions.ForbiddenError(f"Relationship '{spec.member}' is read-only.")
        if op != "update" and not spec.many:
            raise exceptions.InvalidDocument(
                f"'{op}' applies to to-many relationships; use 'update' for '{spec.member}'.",
                f"{pointer}/op",
            )
        if op == "update" and spec.many and not spec.allow_replace:
            raise exceptions.ForbiddenError(
                f"Relationship '{spec.member}' cannot be replaced as a whole."
            )
        raw_id = self._resolve_id(target.type, target.id, target.lid, pointer, lids)
        id_ = service.url_id(raw_id)
        self._check_precondition(target.type, raw_id, spec.member)
        linkage = parse_linkage(data, f"{pointer}/data")
        value = service.resolve_linkage(spec, linkage, f"{pointer}/data")
        service.change_members(id_, spec, value, "replace" if op == "update" else op)
        return {}

    # -- preconditions -----------------------------------------------------------------

    def _check_precondition(self, type_: str, raw_id: str, relationship: str | None = None) -> None:
        """The operation's ``meta.ifMatch`` against the ETag ``GET`` of its target answers
        now (the row locked first): 412 when stale, 428 when missing and required."""
        value, pointer = self._precondition
        source = {"pointer": f"{pointer}/meta/{IF_MATCH}"}
        entry = self.registry.get(type_)
        viewset = entry.viewset
        kwargs = {"api": self.api, **viewset.get_views_kwargs()}
        if relationship is None:
            view = viewset.detail_view_cls(**kwargs)
        else:
            view = relationship_view_class(viewset.detail_view_cls)(**kwargs)
            view.kwargs = {view.id_kwarg: raw_id, view.relationship_kwarg: relationship}
        if value is not None and not isinstance(value, str):
            raise exceptions.InvalidDocument(f"'{IF_MATCH}' must be a string.", source["pointer"])
        view.negotiated = Negotiated()  # the ETag of a plain GET, as a client read it
        try:
            conditional.check_if_match(
                value,
                lambda: self._current_tag(view, raw_id, relationship),
                required=view.if_match_required(),
                lock=lambda: view.lock_row(view.service().url_id(raw_id)),
                what=f"'{type_}' {raw_id}" + (f" '{relationship}'" if relationship else ""),
                asked=f"meta.{IF_MATCH} on the operation",
            )
        except (exceptions.PreconditionFailed, exceptions.PreconditionRequired) as error:
            error.source = source if value is not None else {"pointer": pointer}
            raise

    def _current_tag(self, view: Any, raw_id: str, relationship: str | None) -> str:
        """The ETag ``GET`` of the target answers now: the row's version's for a resource
        of a versioned model (read before the document, as ``GET`` does), else the hash
        of the document."""
        version = None
        if relationship is None and view.versioned():
            version = view.row_version(view.service().url_id(raw_id))
        document = self._current(view, raw_id)
        url = document.get("links", {}).get("self")
        if version is None or url is None:
            return conditional.etag_of(view.render(document))
        return view.version_etag(version, url)

    @staticmethod
    def _current(view: Any, raw_id: str) -> dict[str, Any]:
        """The document ``GET`` of ``view``'s URL for ``raw_id`` answers now."""
        if hasattr(view, "linkage_document"):
            spec = view.relationship_spec()
            _, parent = view.read_parent(spec)
            return view.linkage_document(spec, parent, paginate=True, elsewhere=True)
        query = view.restrict(plain_query(view.compiled, view.registry.schema))
        obj = view.service().fetch_one(view.service().url_id(raw_id), query)
        return view.resource_document(obj, query, self_link=False)

    # -- targets, services, results ----------------------------------------------------

    def _target(self, operation: dict, pointer: str) -> Target | None:
        if "ref" in operation:
            ref = operation["ref"]
            if not isinstance(ref, dict) or not isinstance(ref.get("type"), str):
                raise exceptions.InvalidDocument("'ref' needs a 'type'.", f"{pointer}/ref")
            # ATOM-7: exactly one of id/lid, every member a string.
            if ("id" in ref) == ("lid" in ref):
                raise exceptions.InvalidDocument(
                    "'ref' needs exactly one of 'id' and 'lid'.", f"{pointer}/ref"
                )
            for name in ("id", "lid", "relationship"):
                if name in ref and not isinstance(ref[name], str):
                    raise exceptions.InvalidDocument(
                        f"'{name}' must be a string.", f"{pointer}/ref/{name}"
                    )
            return Target(ref["type"], ref.get("id"), ref.get("lid"), ref.get("relationship"))
        if "href" in operation:
            return self._target_from_href(operation["href"], f"{pointer}/href")
        return None

    def _target_from_href(self, href: Any, pointer: str) -> Target:
        if not isinstance(href, str):
            raise exceptions.InvalidDocument("'href' must be a string.", pointer)
        path = _api_path(href)
        if path is None:
            raise exceptions.InvalidDocument(
                f"'{href}' is not a URL of this API (its scheme, host or path prefix differ).",
                pointer,
            )
        adapter = flask.current_app.url_map.bind("localhost", script_name=flask.request.script_root)
        try:
            endpoint, values = adapter.match(path, method="GET")
        except HTTPException:
            raise exceptions.InvalidDocument(
                f"'{href}' is not a URL of this API.", pointer
            ) from None
        for entry in self.registry:
            if endpoint == entry.list_endpoint:
                return Target(entry.type_)
            if endpoint == entry.detail_endpoint:
                return Target(entry.type_, str(values.get("id")))
            if endpoint == entry.relationship_endpoint:
                return Target(entry.type_, str(values.get("id")), None, values["relationship"])
        raise exceptions.InvalidDocument(f"'{href}' is not a resource URL.", pointer)

    def _service(self, type_: str, pointer: str, lids: dict) -> ResourceService:
        entry = self.registry.get(type_)
        if entry is None or getattr(entry, "viewset", None) is None:
            raise exceptions.ObjectNotFound(
                {"pointer": pointer}, f"'{type_}' is not a resource type of this API."
            )
        hooks = _Hooks(entry, self.api)
        return ResourceService(
            hooks,
            entry.compiled,
            self.registry,
            client_generated_ids=hooks.client_generated_ids,
            lids=lids,
        )

    def _resolve_id(
        self, type_: str, id_: str | None, lid: str | None, pointer: str, lids: dict
    ) -> str:
        if id_ is not None:
            return str(id_)
        if lid is not None and (type_, lid) in lids:
            return lids[(type_, lid)]
        if lid is not None:
            raise exceptions.ObjectNotFound(
                {"pointer": pointer}, f"No earlier operation created '{type_}' with lid '{lid}'."
            )
        raise exceptions.InvalidDocument("The target needs an 'id' or a 'lid'.", pointer)

    def _resource(self, service: ResourceService, obj: Any) -> dict[str, Any]:
        from .links import LinkBuilder

        compiled = service.compiled
        current = scopes.current()
        hidden = current.hidden().get(compiled.type_) if current is not None else None
        fieldset = None
        if hidden:
            fieldset = (frozenset(compiled.attributes) | frozenset(compiled.relationships)) - hidden
        serializer = serializer_for(compiled, fieldset)
        return serializer.serialize(
            obj, LinkBuilder(self.registry), frozenset(), scopes.object_checks()
        )


def _api_path(href: str) -> str | None:
    """The path of ``href`` below this app's root, resolved against the request URL;
    ``None`` when it names another scheme, host or path prefix (another API)."""
    request = flask.request
    own = urlsplit(request.host_url)
    try:
        url = urlsplit(urljoin(request.base_url, href))
        same_origin = (url.scheme.lower(), url.hostname, _port(url)) == (
            own.scheme,
            own.hostname,
            _port(own),
        )
    except ValueError:  # an invalid port or IPv6 literal
        return None
    if not same_origin:
        return None
    root = request.script_root.rstrip("/")
    if root and not (url.path == root or url.path.startswith(root + "/")):
        return None
    return url.path[len(root) :] or "/"


def _port(url: Any) -> int | None:
    return url.port or {"http": 80, "https": 443}.get(url.scheme.lower())


def _point(error: exceptions.JsonApiException, pointer: str) -> exceptions.JsonApiException:
    """Make an operation's error point into ``/atomic:operations/N``."""
    errors = error.errors if isinstance(error, exceptions.ErrorList) else [error]
    for item in errors:
        source = item.source if isinstance(item.source, dict) else {}
        current = source.get("pointer")
        if current is None:
            item.source = {"pointer": pointer}
        elif not current.startswith(f"/{OPERATIONS}"):
            item.source = {**source, "pointer": pointer + current}
    return error
