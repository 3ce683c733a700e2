"""HTTP views: ``ResourceList`` and ``ResourceDetail`` with overridable hooks.

A view negotiates, parses the query string and the body, calls the service inside one
transaction, and answers the document; it holds no rules of its own. Subclass
``ResourceList`` (``read_many``, ``get_count``, ``create``) or ``ResourceDetail``
(``read``, ``update``, ``destroy``) for a hand-written resource.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import logging
from typing import Any, ClassVar

import flask
import flask.views
import orjson
from werkzeug.http import parse_etags

from . import conditional, conflicts, exceptions, limits, routing, scopes
from .allowed_actions import (  # noqa: F401 - the original's import path
    Actions,
    AllowedActionsResourceDetailMixin,
    AllowedActionsResourceListMixin,
    AllowedActionsResourceMixin,
    AllowedActionsResourceViewSetMixin,
    check_allowed_action,
)
from .authentication import guard_reach
from .body import read_body
from .descriptors import NotImplementedProperty
from .document import (
    CompoundDocument,
    error_document,
    jsonapi_object,
    load_json,
    parse_resource_document,
)
from .faults import unavailable
from .filters_schema import default_filters
from .links import LinkBuilder, pagination_links, request_url
from .negotiation import Negotiated, check_content_type, content_type, negotiate_accept
from .policy import READ
from .query import QueryConfig, ResourceQuery, parse_query
from .query.hidden import reached_types, without_hidden
from .query.parser import CURSOR_PROFILE, plain_query
from .registry import Registry
from .resource_repositories.repositories import is_stock_repository
from .schema.compiled import compile_schema
from .services import Page, ResourceService

logger = logging.getLogger("flask_jsonapi")

BODY_METHODS = frozenset({"POST", "PATCH"})
#: what a request that asks for no extension negotiates (immutable, so shared)
PLAIN = Negotiated()


class ResourceBase(flask.views.View):
    """What every JSON:API view does: negotiation, errors, documents, transactions."""

    schema: Any = NotImplementedProperty("schema")
    methods: ClassVar[list[str]] = []
    provide_automatic_options = False
    supported_extensions: ClassVar[frozenset[str]] = frozenset()
    body_methods: ClassVar[frozenset[str]] = BODY_METHODS
    # None: decided by who implements the storage (see user_storage).
    client_generated_ids: bool | None = None
    paginate: bool | None = None
    query_options: ClassVar[dict[str, Any]] = {}
    # Writes need If-Match (428 without); None: the config key JSONAPI_REQUIRE_IF_MATCH decides.
    require_if_match: bool | None = None
    # 200/201 documents carry an ETag (and GET answers 304 to a matching If-None-Match).
    etags: ClassVar[bool] = True

    def __init__(
        self,
        *,
        schema: Any = None,
        api: Any = None,
        client_generated_ids: bool | None = None,
        query_options: dict[str, Any] | None = None,
        require_if_match: bool | None = None,
    ) -> None:
        if schema is not None:
            self.schema = schema
        self.api = api
        if client_generated_ids is not None:
            self.client_generated_ids = client_generated_ids
        if require_if_match is not None:
            self.require_if_match = require_if_match
        if query_options is not None:
            self.query_options = query_options
        self.args: tuple = ()
        self.kwargs: dict[str, Any] = {}
        self.negotiated = PLAIN

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Any:
        if (
            cls.init_every_request
            and not cls.decorators
            and not inspect.iscoroutinefunction(cls.dispatch_request)
        ):
            # Flask's view, less its ensure_sync() per request (an inspect call chain) for
            # a dispatch_request that is not a coroutine function.
            def view(**kwargs: Any) -> Any:
                return view.view_class(*class_args, **class_kwargs).dispatch_request(**kwargs)

            view.view_class = cls
            view.__name__ = name
            view.__doc__ = cls.__doc__
            view.__module__ = cls.__module__
        else:
            view = super().as_view(name, *class_args, **class_kwargs)
        view.methods = sorted({*cls.methods, "OPTIONS"})
        view.provide_automatic_options = False
        return view

    # -- context -----------------------------------------------------------------------

    # Both looked up once per view object (one per request): after the first read they are
    # plain attributes, not a Python call each (a GET reads them a dozen times).
    @functools.cached_property
    def registry(self) -> Registry:
        """The registry of this view's API (a registry of its own without one)."""
        if self.api is not None:
            return self.api.registry
        registry = Registry()
        registry.add(self.schema)
        return registry

    @functools.cached_property
    def compiled(self) -> Any:
        """The compiled schema of this view's resource type."""
        own = compile_schema(self.schema)
        return self.registry.schema(own.type_) or self.registry.add(self.schema).compiled

    def user_storage(self) -> bool:
        """Whether the storage behind this view is the user's code (its own hooks here; a
        repository that is not one of this library's in a view set). Such code was written
        against the original's contract and keeps it: a list is paged only when the client
        sends ``page`` parameters, an update hook answering nothing is a 204, and a
        loadable ``id`` field accepts client-generated ids."""
        return True

    def accepts_client_ids(self) -> bool:
        """Whether a POST may carry the resource's ``id`` (CRT-4, CRT-5): the
        ``client_generated_ids`` option; unset, as the original did for the user's storage
        when the schema's ``id`` field loads, and never for this library's storage."""
        if self.client_generated_ids is not None:
            return bool(self.client_generated_ids)
        id_spec = self.compiled.id_spec
        return self.user_storage() and id_spec is not None and not id_spec.field.dump_only

    def service(self) -> ResourceService:
        return ResourceService(
            self, self.compiled, self.registry, client_generated_ids=self.accepts_client_ids()
        )

    def transaction(self) -> Any:
        """The unit of work around one request (a no-op for hand-written resources)."""
        return contextlib.nullcontext()

    def retry_safe(self) -> bool:
        """Whether this request may run again after a transaction conflict (``conflicts``):
        not through hand-written hooks, whose effects outside the database a rollback
        cannot undo."""
        return False

    def note_foreign_work(self) -> None:
        """User code runs inside the request's unit of work (a repository may need to know
        that it can no longer treat the work as reads only)."""

    def query_config(self) -> QueryConfig:
        options = self.query_options
        if options.get("paginate") is None:
            paginate = self.paginate if self.paginate is not None else not self.user_storage()
            options = {**options, "paginate": paginate}
        return QueryConfig.from_app_config(flask.current_app.config, **options)

    # -- dispatch ----------------------------------------------------------------------

    def dispatch_request(self, *args: Any, **kwargs: Any) -> Any:
        self.args, self.kwargs = args, kwargs
        # The request itself, not the proxy: each attribute read through flask.request is
        # three Python calls. Headers are read from the environ as EnvironHeaders would.
        request = flask.request._get_current_object()
        environ = request.environ
        scopes.activate(self.registry.request_scopes())
        try:
            ext = negotiate_accept(environ.get("HTTP_ACCEPT"), self.supported_extensions)
            self.negotiated = Negotiated(ext=ext) if ext else PLAIN
            method_name = request.method
            if method_name == "OPTIONS":
                return self.options_response()
            if method_name in self.body_methods:
                check_content_type(environ.get("CONTENT_TYPE"), self.supported_extensions)
            elif method_name in routing.SAFE_METHODS:
                routing.route_read(request.headers)
            method = getattr(self, "get" if method_name == "HEAD" else method_name.lower())
            result = conflicts.run(
                functools.partial(routing.run_read, method, *args, **kwargs), self.retry_safe
            )
            return result.make_response() if hasattr(result, "make_response") else result
        except exceptions.JsonApiException as error:
            return self.error_response(error)
        except Exception as error:
            fault = unavailable(error)
            if fault is not None:
                return self.error_response(fault)
            if _propagates_exceptions(flask.current_app):
                raise  # TESTING or debug: the test or the debugger sees the exception
            logger.exception("unexpected error in %s %s", request.method, request.path)
            return self.error_response(
                exceptions.JsonApiException(
                    None, "The server could not answer this request.", title="Internal error"
                )
            )

    def allowed_methods(self) -> list[str]:
        """The HTTP methods this resource answers (the ``Allow`` header)."""
        methods = set(self.methods) | {"OPTIONS"}
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def options_response(self) -> flask.Response:
        response = flask.Response(status=204, headers={"Allow": ", ".join(self.allowed_methods())})
        response.headers["Content-Type"] = content_type(self.negotiated.ext)
        response.headers["Vary"] = "Accept"
        return response

    # -- documents ---------------------------------------------------------------------

    def render(self, document: dict[str, Any]) -> bytes:
        """The bytes of ``document`` as this request's answer (with its ``jsonapi`` member)."""
        negotiated = self.negotiated
        document["jsonapi"] = jsonapi_object(negotiated.ext, negotiated.profile)
        return orjson.dumps(document)

    def document_response(
        self,
        document: dict[str, Any] | None,
        status: int = 200,
        headers: Any = None,
        *,
        representation: dict[str, Any] | None = None,
        etag: str | None = None,
    ) -> flask.Response:
        """Encode a document (``None``: an empty 204) with the negotiated media type.

        A 200 or 201 document with primary data gets a strong ``ETag``: the hash of its
        bytes, or of ``representation``'s when that is what ``GET`` of this URL answers
        (a write's response may differ from it); GET answers 304 when ``If-None-Match``
        names it. ``etag`` given (a version's, :meth:`version_etag`) stands for the hash."""
        body = b""
        negotiated = self.negotiated
        if document is not None:
            body = self.render(document)
        mimetype = content_type(negotiated.ext, negotiated.profile)
        if not (self.etags and status in (200, 201) and document is not None):
            etag = None
        elif "data" not in document:
            etag = None
        elif etag is None:
            etag = conditional.etag_of(
                body if representation is None else self.render(representation)
            )
        if etag is not None and status == 200 and conditional.not_modified(etag):
            return self.not_modified_response(etag)
        response = flask.Response(body, status=status, content_type=mimetype)
        # add(), not item assignment: a new response has neither header, and set() walks
        # the list to replace one (twice the calls).
        add = response.headers.add
        add("Vary", "Accept")
        if etag is not None:
            add("ETag", etag)
        if headers:
            response.headers.update(headers)
        return response

    def not_modified_response(self, etag: str) -> flask.Response:
        """``304 Not Modified`` with ``etag`` and no body."""
        negotiated = self.negotiated
        response = flask.Response(
            status=304, content_type=content_type(negotiated.ext, negotiated.profile)
        )
        add = response.headers.add
        add("ETag", etag)
        add("Vary", "Accept")
        return response

    def versioned(self) -> bool:
        """Whether the model has a version column (``version_id_col``); a hand-written
        resource has none."""
        return False

    def row_version(self, id_: Any) -> Any:
        """The version of the row ``id_``, or ``None`` without a version column."""
        return None

    def version_tags(self, query: ResourceQuery) -> bool:
        """Whether a single resource's ETag for ``query`` comes from the row's version:
        the model has a version column and nothing is included (an included row changes
        without changing this row's version: the document's hash is the tag then)."""
        return not query.include and self.versioned()

    def version_etag(self, version: Any, url: str | None = None) -> str:
        """The ETag of the representation at ``url`` (this request's) of a row at
        ``version``, in the negotiated media type."""
        return conditional.version_etag(
            version, request_url() if url is None else url, self.negotiated.content_type
        )

    def if_match_required(self) -> bool:
        """Whether writes here need ``If-Match`` (the view's option, else the config key)."""
        return conditional.if_match_required(self.require_if_match)

    def check_if_match(
        self, current: Any, *, lock: Any = None, what: str = "this resource"
    ) -> None:
        """The request's ``If-Match`` against ``current()``, the document ``GET`` of this
        URL answers now (412 when stale, 428 when missing and required); ``lock`` first."""
        conditional.check_if_match(
            flask.request.headers.get("If-Match"),
            lambda: conditional.etag_of(self.render(current())),
            required=self.if_match_required(),
            lock=lock,
            what=what,
        )

    def get_representation(self, document: dict[str, Any]) -> dict[str, Any] | None:
        """``document`` as ``GET`` of this URL answers it, when a write's response differs
        (its ``self`` link is the resource's, GET's is the request URL); else ``None``."""
        links = document.get("links")
        url = request_url()
        if not isinstance(links, dict) or links.get("self") == url:
            return None
        return {**document, "links": {**links, "self": url}}

    def error_response(self, error: exceptions.JsonApiException) -> flask.Response:
        response = self.document_response(
            error_document(error, self.negotiated.ext), status=error.status
        )
        response.headers.update(error.headers)
        return response

    def parse_query(self, *, collection: bool) -> ResourceQuery:
        request = flask.request._get_current_object()
        # Without a query string, args (parsed on first use) would be empty.
        if not collection and (not request.query_string or not request.args):
            return self.restrict(plain_query(self.compiled, self.registry.schema))
        args = request.args
        filters = getattr(self, "filter_schema", None)
        if filters is None and collection:
            filters = default_filters(self.registry, self.compiled)
        query = parse_query(
            args,
            self.compiled,
            self.registry.schema,
            self.query_config(),
            collection=collection,
            filters=filters.parse if filters is not None else None,
        )
        return self.restrict(query)

    def restrict(self, query: ResourceQuery, compiled: Any = None) -> ResourceQuery:
        """``query`` within the policies and view decorators of every type it reaches:
        without the members hidden from this client (400 when it names one), refused
        as a guarded type it reaches would refuse it."""
        compiled = compiled or self.compiled
        decorated = self.registry.decorated_types()
        if decorated:
            types = reached_types(query, compiled, self.registry.schema)
            guard_reach(decorated, [compiled.type_, *types], self.compiled.type_)
        current = scopes.current()
        hidden = current.hidden() if current is not None else None
        if not hidden:
            return query
        return without_hidden(query, compiled, self.registry.schema, hidden, flask.request.args)

    def guard_linkage(self, resource: Any) -> None:
        """Refuse linkage to a type whose view decorators refuse this client."""
        decorated = self.registry.decorated_types()
        if decorated and resource.relationships:
            types = [
                spec.type_
                for member in resource.relationships
                if (spec := self.compiled.relationships.get(member)) is not None
            ]
            guard_reach(decorated, types, self.compiled.type_)

    def request_document(self) -> Any:
        """The request body as JSON, read in bounded chunks: 413 as soon as it passes
        ``JSONAPI_MAX_BODY_SIZE`` (chunked or not), 400 when its framing is broken."""
        body = self.__dict__.get("_body")
        if body is None:  # kept: a request run again after a conflict reads it again
            body = self.__dict__["_body"] = read_body(limits.get("JSONAPI_MAX_BODY_SIZE"))
        return load_json(body)

    def compound(
        self, objects: list[Any], query: ResourceQuery, compiled: Any = None
    ) -> tuple[list, list]:
        """Resource objects of ``objects`` (of this view's type unless ``compiled`` says
        otherwise) and the included resources."""
        builder = CompoundDocument(
            self.registry.schema,
            LinkBuilder(self.registry),
            query.fields,
            scopes.object_checks(),
            self.fetch_related,
        )
        return builder.build(objects, compiled or self.compiled, query.include)

    def fetch_related(self, type_: str, ids: list[Any]) -> list[Any]:
        """The objects of ``type_`` with these ids, through its repository (for includes
        of a relationship declared over a foreign-key column); missing ones are left out."""
        entry = self.registry.get(type_)
        repository = getattr(entry, "repository", None)
        if repository is None:
            return []
        if is_stock_repository(repository):
            try:
                return repository.get_many_by_ids([entry.compiled.parse_id(str(i)) for i in ids])
            except (ValueError, exceptions.ObjectNotFound):
                pass  # a dangling key: fetch one by one below, leaving it out
        found = []
        for id_ in ids:
            try:
                found.append(repository.get_detail(str(id_)))
            except exceptions.ObjectNotFound:
                continue
        return found

    def resource_document(
        self, obj: Any, query: ResourceQuery, self_link: bool = True, compiled: Any = None
    ) -> dict:
        """A single-resource document (``obj`` may be ``None``: ``"data": null``)."""
        if obj is None:
            document: dict[str, Any] = {"data": None, "links": {"self": request_url()}}
            if query.include:
                document["included"] = []
            return document
        data, included = self.compound([obj], query, compiled)
        document = {"data": data[0]}
        if query.include:
            document["included"] = included
        link = data[0].get("links", {}).get("self") if not self_link else request_url()
        if link:
            document["links"] = {"self": link}
        return document

    def collection_document(self, page: Page, query: ResourceQuery, compiled: Any = None) -> dict:
        data, included = self.compound(page.items, query, compiled)
        document: dict[str, Any] = {"data": data}
        if query.include:
            document["included"] = included
        hook = getattr(type(self), "get_pagination_links", None)
        if hook is not None and hook is not ResourceList.get_pagination_links:
            # An override of the original's hook: its links, when it answers any, replace ours.
            # It runs in the request's transaction, which must then be committed.
            self.note_foreign_work()
            self._links_of = (page, query)
            document["links"] = self.get_pagination_links(
                query.pagination, query.filters
            ) or self.default_links(page, query)
        else:
            document["links"] = self.default_links(page, query)
        if query.page is not None and query.page.style == "cursor":
            self.negotiated = dataclasses.replace(self.negotiated, profile=(CURSOR_PROFILE,))
        if page.total is not None:
            document["meta"] = {"count": page.total}
        return document

    def default_links(self, page: Page, query: ResourceQuery) -> dict[str, Any]:
        """The top-level links of a collection: pagination links, or ``self`` unpaged."""
        if query.page is None:
            return {"self": request_url()}
        return pagination_links(
            query.page, page.total, len(page.items), more=page.more, cursors=page.cursors
        )


class ResourceDetail(ResourceBase):
    """One resource at ``.../<id>``: GET, PATCH, DELETE through ``read``/``update``/``destroy``."""

    methods: ClassVar[list[str]] = ["GET", "DELETE", "PATCH"]
    id_kwarg = "id"

    @property
    def resource_id(self) -> Any:
        return self.kwargs[self.id_kwarg]

    def read(self, id: Any) -> Any:
        raise exceptions.NotImplementedMethod("Getting object is not implemented.")

    def update(self, id: Any, data: dict[str, Any], **kwargs: Any) -> Any:
        raise exceptions.NotImplementedMethod("Updating is not implemented")

    def destroy(self, id: Any) -> None:
        raise exceptions.NotImplementedMethod("Deleting is not implemented")

    def get(self, *args: Any, **kwargs: Any) -> flask.Response:
        query = self.parse_query(collection=False)
        service = self.service()
        id_ = service.url_id(self.resource_id)
        etag = None
        with self.transaction():
            if self.version_tags(query):
                # The version first: a write committed between the two reads then leaves a
                # tag older than the document (a later If-Match fails), never the reverse.
                service.require(READ)
                etag = self.version_etag(self.row_version(id_))
                if conditional.not_modified(etag):
                    return self.not_modified_response(etag)  # the document is not read
            document = self.resource_document(service.fetch_one(id_, query), query)
        return self.document_response(document, etag=etag)

    def check_current(
        self, service: ResourceService, id_: Any, query: ResourceQuery | None = None
    ) -> None:
        """The write's ``If-Match`` against what ``GET`` of this URL answers now (in the
        write's transaction, the row locked first); nothing to do without the header
        unless it is required (428)."""
        if "If-Match" not in flask.request.headers and not self.if_match_required():
            return
        if query is None:
            query = self.parse_query(collection=False)
        self.check_if_match(
            lambda: self.resource_document(service.fetch_one(id_, query), query),
            lock=lambda: self.lock_row(id_),
        )

    def lock_row(self, id_: Any) -> None:
        """Lock the row ``id_`` until the transaction ends (a repository's ``lock``;
        nothing for a hand-written resource)."""

    def check_version(self, id_: Any, *, lock: bool) -> None:
        """The write's ``If-Match`` against the tag of the row's version as the session
        holds it (412 when stale, 428 when missing and required). Without ``lock`` the
        write itself is the compare-and-set: the ORM's ``UPDATE ... WHERE version = :v``
        with the version compared here (:meth:`stale_as_failed`)."""
        conditional.check_if_match(
            flask.request.headers.get("If-Match"),
            lambda: self.version_etag(self.row_version(id_)),
            required=self.if_match_required(),
            lock=(lambda: self.lock_row(id_)) if lock else None,
        )

    @contextlib.contextmanager
    def stale_as_failed(self) -> Any:
        """A versioned write that found another version than the one ``If-Match`` named
        (SQLAlchemy's ``StaleDataError``) is 412: running it again could only fail the same
        way, so it is not a conflict to retry (``conflicts``)."""
        try:
            yield
        except Exception as error:
            header = flask.request.headers.get("If-Match")
            if header is None or parse_etags(header).star_tag or not conflicts.is_stale(error):
                raise  # ``*`` holds for any version: a conflict to run again (``conflicts``)
            raise exceptions.PreconditionFailed(
                "This resource has changed since the ETag you sent (If-Match); "
                "GET it again and retry with its new ETag."
            ) from error

    def patch(self, *args: Any, **kwargs: Any) -> flask.Response:
        query = self.parse_query(collection=False)
        resource = parse_resource_document(self.request_document())
        self.guard_linkage(resource)
        service = self.service()
        id_ = service.url_id(self.resource_id)
        versioned = self.version_tags(query)
        etag = None
        with self.transaction():
            if versioned:
                self.check_version(id_, lock=False)
            else:
                self.check_current(service, id_, query)
            with self.stale_as_failed():
                obj = service.update(id_, resource, self.resource_id, query)
            if obj is None:  # an update() answering nothing, and no read(): as the original
                return self.document_response(None, status=204)
            document = self.resource_document(obj, query, self_link=False)
            if versioned:
                etag = self.version_etag(self.row_version(id_))
        return self.document_response(
            document, representation=self.get_representation(document), etag=etag
        )

    def delete(self, *args: Any, **kwargs: Any) -> flask.Response:
        service = self.service()
        id_ = service.url_id(self.resource_id)
        with self.transaction():
            query = None
            if "If-Match" in flask.request.headers or self.if_match_required():
                query = self.parse_query(collection=False)
            if query is not None and self.version_tags(query):
                # Locked: the repository's delete reloads the row after its own lock.
                self.check_version(id_, lock=True)
            else:
                self.check_current(service, id_, query)
            with self.stale_as_failed():
                service.delete(id_)
        # DEL-1 allows either; "meta" serves clients that parse every write response as JSON.
        if flask.current_app.config.get("JSONAPI_DELETE_RESPONSE") == "meta":
            return self.document_response({"meta": {}})
        return self.document_response(None, status=204)


class ResourceList(ResourceBase):
    """A collection: GET (``read_many``, ``get_count``) and POST (``create``)."""

    methods: ClassVar[list[str]] = ["GET", "POST"]
    filter_schema: Any = None

    def __init__(self, *, filter_schema: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if filter_schema is not None:
            self.filter_schema = filter_schema

    def read_many(self, filters: dict, sorting: tuple, pagination: dict) -> list[Any]:
        raise exceptions.NotImplementedMethod("Getting list is not implemented.")

    def get_count(self, filters: dict) -> int | None:
        return None

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        raise exceptions.NotImplementedMethod("Creating is not implemented.")

    def prepare_response(self, data: dict[str, Any]) -> Any:
        """Create from the loaded ``data`` and answer the new object (the original's hook).

        An override may answer a response object (``response.JsonApiResponse(...)``),
        which is sent as it is, or the created object, which gets the usual document.
        """
        return self.create(data=data)

    def get_pagination_links(self, parsed_pagination: dict, parsed_filters: dict) -> dict:
        """The top-level ``links`` of a GET on the collection (the original's hook).

        ``parsed_pagination`` is the page as ``read_many`` receives it (``{'size': 50,
        'number': 1}``), ``parsed_filters`` the filters. Override it to write your own
        links: a non-empty dict replaces the document's ``links`` whole; an empty one keeps
        this library's. This default answers this library's links, so an override may
        start from ``super().get_pagination_links(...)``. Called only when overridden.
        """
        page, query = self._links_of
        return self.default_links(page, query)

    def get(self, *args: Any, **kwargs: Any) -> flask.Response:
        query = self.parse_query(collection=True)
        with self.transaction():
            document = self.collection_document(self.service().fetch_many(query), query)
        return self.document_response(document)

    def post(self, *args: Any, **kwargs: Any) -> flask.Response:
        query = self.parse_query(collection=False)
        resource = parse_resource_document(self.request_document())
        self.guard_linkage(resource)
        # The stock hook calls create() as the service would; an override stands in for it.
        overridden = type(self).prepare_response is not ResourceList.prepare_response
        with self.transaction():
            obj = self.service().create(
                resource, query, create=self.prepare_response if overridden else None
            )
            if is_response(obj):
                return obj
            document = self.resource_document(obj, query, self_link=False)
            location = document["data"].get("links", {}).get("self")
            etag = None
            if location and self.version_tags(query):
                # The tag GET of the new resource's URL, with this request's query, answers.
                _, mark, query_string = request_url().partition("?")
                url = location + mark + query_string
                etag = self.version_etag(self.row_version(document["data"]["id"]), url)
        headers = {}
        if location:
            headers["Location"] = location
        return self.document_response(document, status=201, headers=headers, etag=etag)


def is_response(obj: Any) -> bool:
    """Whether a hook answered a response object (the original's ``response`` classes)
    rather than a resource object. Asked of the class: a ``Mock`` answers every attribute."""
    return getattr(type(obj), "make_response", None) is not None


def _propagates_exceptions(app: flask.Flask) -> bool:
    """Flask's rule: ``PROPAGATE_EXCEPTIONS``, or else on under ``TESTING`` or debug."""
    propagate = app.config.get("PROPAGATE_EXCEPTIONS")
    return (app.testing or app.debug) if propagate is None else bool(propagate)
