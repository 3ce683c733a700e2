"""``Api``: registers resources and routes on a Flask app or Blueprint."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import flask
import orjson
from flask.globals import _cv_app as _app_context
from sqlalchemy import orm
from werkzeug.exceptions import HTTPException

from . import routing, validation
from .authentication import decorate, error_response
from .document import error_document
from .exceptions import JsonApiException
from .faults import database_faults, unavailable
from .negotiation import MEDIA_TYPE, content_type
from .openapi import install as install_openapi
from .policy import Policy
from .registry import Registry
from .relationships import related_view_class, relationship_view_class
from .resource_repositories.direct_reads import close_direct
from .resources import ResourceDetail, ResourceList
from .schema.compiled import compile_schema

logger = logging.getLogger("flask_jsonapi")


class Api:
    """The JSON:API of an app: ``Api(app)``, or ``Api()`` then ``init_app(app)``.

    ``decorators`` wrap every view the Api registers, ``/operations`` included (for
    authentication); a refusal they answer (401, 403, ...) becomes a JSON:API error document.

    ``app`` may be a Flask app or a Blueprint. Errors the routing raises under the
    API's URLs (unknown URL, wrong method, body too large) become JSON:API documents.
    """

    def __init__(
        self,
        app: flask.Flask | flask.Blueprint | None = None,
        *,
        decorators: Sequence[Callable] = (),
    ) -> None:
        self.registry = Registry()
        # Wrap every view this Api registers (resource, relationship, related, operations):
        # authentication for the whole API.
        self.decorators = tuple(decorators)
        self.app: flask.Flask | flask.Blueprint | None = None
        self._deferred: list[Callable[[], None]] = []
        self._paths: set[str] = set()
        self._prefixes: list[str] = []
        self._validated = False
        self.operations_endpoint: str | None = None  # described by the OpenAPI document
        if app is not None:
            self.init_app(app)

    # -- set-up ------------------------------------------------------------------------

    def init_app(self, app: flask.Flask | flask.Blueprint) -> None:
        """Bind to an app or Blueprint; routes registered before are added now."""
        self.app = app
        if isinstance(app, flask.Blueprint):
            app.record_once(lambda state: self._install(state.app, state.url_prefix or ""))
        else:
            self._install(app, "")
        deferred, self._deferred = self._deferred, []
        for register in deferred:
            register()

    def _install(self, app: flask.Flask, prefix: str) -> None:
        self._prefixes.append(prefix.rstrip("/"))
        apis = app.extensions.setdefault("flask_jsonapi", [])
        if not apis:
            from .cli import jsonapi_cli

            app.cli.add_command(jsonapi_cli)
            app.register_error_handler(HTTPException, _http_error)
            app.register_error_handler(JsonApiException, _jsonapi_error)
            for fault in database_faults():
                app.register_error_handler(fault, _database_fault)
            app.teardown_appcontext(_remove_sessions)
        apis.append(self)
        app.before_request(self._validate_once)
        install_openapi(self, app, prefix)

    @property
    def prefixes(self) -> list[str]:
        """The URL prefixes the API is registered under (``""`` for an app, a Blueprint's)."""
        return list(self._prefixes)

    def owns(self, path: str) -> bool:
        """Whether ``path`` lies under one of this API's resource URLs, or under the URL
        prefix of the Blueprint it is registered on (``/api/nope`` for a Blueprint at
        ``/api``)."""
        roots = [prefix + base for prefix in self._prefixes for base in self._paths]
        roots += [prefix for prefix in self._prefixes if prefix]
        # Whole segments only: /articlesX is not under /articles.
        return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)

    def _endpoint(self, name: str) -> str:
        if isinstance(self.app, flask.Blueprint):
            return f"{self.app.name}.{name}"
        return name

    def _add_url_rule(self, url: str, endpoint: str, view: Callable, options: dict) -> None:
        base = "/" + url.strip("/").split("/")[0] if url.strip("/") else "/"
        self._paths.add(base)
        self.app.add_url_rule(url, endpoint, self.decorate(view), **options)

    def decorate(self, view: Callable) -> Callable:
        """``view`` wrapped in the Api's ``decorators``; what they answer in the view's
        place is a JSON:API document."""
        if not self.decorators:
            return view
        return decorate(view, self.decorators)

    def _when_bound(self, register: Callable[[], None]) -> None:
        self._validated = False
        if self.app is None:
            self._deferred.append(register)
        else:
            register()

    # -- registration ------------------------------------------------------------------

    def route(
        self,
        resource: type,
        view_name: str,
        *urls: str,
        view_kwargs: dict[str, Any] | None = None,
        url_rule_options: dict[str, Any] | None = None,
    ) -> None:
        """Route a view class (a ``ResourceList``/``ResourceDetail`` subclass) at ``urls``."""

        def register() -> None:
            kwargs = dict(view_kwargs or {})
            view = resource.as_view(view_name, api=self, **kwargs)
            for url in urls:
                self._add_url_rule(url, view_name, view, dict(url_rule_options or {}))
            schema = kwargs.get("schema") or getattr(resource, "schema", None)
            if schema is None or not _is_set(resource, kwargs):
                return
            endpoint = self._endpoint(view_name)
            if issubclass(resource, ResourceDetail) and all("<" in u for u in urls):
                self.registry.add(schema, detail_endpoint=endpoint)
            elif issubclass(resource, ResourceList):
                self.registry.add(schema, list_endpoint=endpoint)

        self._when_bound(register)

    def repository(
        self,
        viewset: Any,
        base_view_name: str,
        *urls: str,
        url_rule_options: dict[str, Any] | None = None,
    ) -> None:
        """Route a ``ResourceRepositoryViewSet``: the list at ``urls``, the detail below."""

        def register() -> None:
            validation.check_view_set(viewset)
            existing = self.registry.get(compile_schema(viewset.schema).type_)
            if existing is not None:
                validation.check_same_type(existing, viewset)
            options = dict(url_rule_options or {})
            list_view = viewset.as_list_view(f"{base_view_name}_list", api=self)
            detail_view = viewset.as_detail_view(f"{base_view_name}_detail", api=self)
            views_kwargs = {"api": self, **viewset.get_views_kwargs()}
            relationship_view = viewset.decorate(
                relationship_view_class(viewset.detail_view_cls).as_view(
                    f"{base_view_name}_relationship", **views_kwargs
                )
            )
            related_view = viewset.decorate(
                related_view_class(viewset.detail_view_cls).as_view(
                    f"{base_view_name}_related", **views_kwargs
                )
            )
            for url in urls:
                self._add_url_rule(url, f"{base_view_name}_list", list_view, options)
                detail_url = self.get_detail_url(url)
                self._add_url_rule(detail_url, f"{base_view_name}_detail", detail_view, options)
                slash = "/" if url.endswith("/") else ""
                base = detail_url.rstrip("/")
                self._add_url_rule(
                    f"{base}/relationships/<relationship>{slash}",
                    f"{base_view_name}_relationship",
                    relationship_view,
                    options,
                )
                self._add_url_rule(
                    f"{base}/<relationship>{slash}",
                    f"{base_view_name}_related",
                    related_view,
                    options,
                )
            endpoints = {
                kind: self._endpoint(f"{base_view_name}_{kind}")
                for kind in ("list", "detail", "relationship", "related")
            }
            entry = self.registry.add(
                viewset.schema,
                **{f"{kind}_endpoint": name for kind, name in endpoints.items()},
                repository=viewset.repository,
            )
            self.registry.add_site(entry.type_, endpoints)
            if entry.viewset is None:  # a second view set of the type shares the first's
                entry.filter_schema = viewset.filter_schema
                entry.viewset = viewset
                entry.query_options = viewset.query_options()
            policy = viewset.get_policy()
            _check_policy(policy, viewset)
            if policy is not None and entry.policy is None:
                entry.policy = policy
            self.registry.policies_changed()

        self._when_bound(register)

    def operations(self, url: str, view_name: str = "jsonapi_operations") -> None:
        """Serve the Atomic Operations extension at ``url`` (``POST`` only)."""
        from .operations import OperationsView

        def register() -> None:
            view = OperationsView.as_view(view_name, api=self)
            self._add_url_rule(url, view_name, view, {})
            self.operations_endpoint = self._endpoint(view_name)

        self._when_bound(register)

    def validate(self, *, strict: bool = True) -> None:
        """Check the registered resources together (relationship types, schemas against
        models, repositories); raise :class:`~flask_jsonapi.exceptions.ConfigurationError`
        for the first mistake. Call it at the end of an app factory to fail at start-up.

        It also runs by itself before the first request, not ``strict``: there a
        relationship to a type nothing serves (and no near-miss of one) is only logged.
        """
        for entry in self.registry:
            if entry.viewset is not None:
                validation.check_view_set(entry.viewset)
        validation.check_registry(self.registry, strict=strict)
        self._validated = True

    def _validate_once(self) -> None:
        if not self._validated:
            self.validate(strict=False)
        # Done: off the app's hooks, which Flask would otherwise call on every request. A
        # new list, so that a request going through the old one at this moment is undisturbed.
        app = _app_context.get().app
        hooks = app.before_request_funcs.get(None, [])
        app.before_request_funcs[None] = [hook for hook in hooks if hook != self._validate_once]

    @staticmethod
    def get_detail_url(url: str) -> str:
        """``/articles/`` -> ``/articles/<id>/``; ``/articles`` -> ``/articles/<id>``."""
        return f"{url}<id>/" if url.endswith("/") else f"{url}/<id>"


def _check_policy(policy: Any, viewset: Any) -> None:
    """A row scope is SQL: only a repository that builds its statements with it
    (``SqlAlchemyModelRepository.scoped_query``) can apply it on every path."""
    if policy is None or type(policy).scope is Policy.scope:
        return
    if not hasattr(viewset.repository, "scoped_query"):
        raise TypeError(
            f"{type(viewset).__name__}: {type(policy).__name__}.scope() is a SQL criterion, "
            f"but {type(viewset.repository).__name__} does not build SQL statements; "
            "use a SqlAlchemyModelRepository, or Policy.visible() to check objects."
        )


def _is_set(resource: type, kwargs: dict[str, Any]) -> bool:
    try:
        return kwargs.get("schema") is not None or resource.schema is not None
    except NotImplementedError:
        return False


def _apis() -> list[Api]:
    return _app_context.get().app.extensions.get("flask_jsonapi", [])  # no proxy: every teardown


def _http_error(error: HTTPException) -> Any:
    """Routing errors under an API (404, 405, 413, ...) as JSON:API error documents."""
    request = flask.request
    wants_jsonapi = MEDIA_TYPE in request.headers.get("Accept", "")
    if not (wants_jsonapi or any(api.owns(request.path) for api in _apis())):
        return error
    status = error.code or 500
    exception = JsonApiException(None, error.description, title=error.name, status=status)
    response = flask.Response(orjson.dumps(error_document(exception)), status=status)
    response.headers["Content-Type"] = content_type()
    response.headers["Vary"] = "Accept"
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(sorted(set(error.valid_methods)))
    return response


def _jsonapi_error(error: JsonApiException) -> flask.Response:
    """A JSON:API error raised outside a view's own handling (e.g. by a view decorator)."""
    return error_response(error)


def _database_fault(error: Exception) -> flask.Response:
    """A database fault raised outside a view (by an Api decorator, say) under an API: 503."""
    request = flask.request
    fault = unavailable(error)
    wants_jsonapi = MEDIA_TYPE in request.headers.get("Accept", "")
    if fault is None or not (wants_jsonapi or any(api.owns(request.path) for api in _apis())):
        raise error
    return error_response(fault)


def _remove_sessions(exc: BaseException | None) -> None:
    """End each scoped session after a request, so no connection or transaction lingers."""
    for api in _apis():
        for session in api.registry.scoped_sessions():
            scoped = isinstance(session, orm.scoped_session)
            if scoped and not session.registry.has():
                continue
            current = session() if scoped else None
            if not isinstance(current, orm.Session):
                session.remove()  # a stand-in of the application's (a Mock): as before
                continue
            close_direct(current)  # reads outside a unit of work (none today)
            if current.in_transaction() or current.identity_map or current.new:
                session.remove()
            else:
                session.registry.clear()  # it holds nothing: closing would do nothing
    routing.end_request()
