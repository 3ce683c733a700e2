"""Resource types known to one :class:`~flask_jsonapi.Api`: schema, repository, endpoints.

Includes, relationship writes and links of one type reach the others through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .policy import Policy
from .schema.compiled import CompiledSchema, compile_schema
from .scopes import RequestScopes


@dataclass
class ResourceEntry:
    """One registered resource type."""

    type_: str
    compiled: CompiledSchema
    repository: Any = None
    list_endpoint: str | None = None
    detail_endpoint: str | None = None
    relationship_endpoint: str | None = None
    related_endpoint: str | None = None
    filter_schema: Any = None
    viewset: Any = None
    query_options: dict[str, Any] = field(default_factory=dict)
    policy: Policy | None = None


class Registry:
    """Resource type -> :class:`ResourceEntry`."""

    def __init__(self) -> None:
        self._entries: dict[str, ResourceEntry] = {}
        # URL root (from the WSGI environ) -> (type, kind) -> URL template, by LinkBuilder.
        self.link_templates: dict[tuple, dict] = {}
        self._scoped_sessions: list[Any] | None = None
        # Compiled schema -> the filters of a resource without a filter_schema (until the
        # next add: they reach related types through this registry).
        self._default_filters: dict[CompiledSchema, Any] = {}
        self._policies: tuple[dict, dict] | None = None
        self._decorated: dict[str, tuple[Any, ...]] | None = None
        # Endpoint -> (type, its view set's endpoints by kind), for the links of a type
        # that several view sets serve.
        self._sites: dict[str, tuple[str, dict[str, str]]] = {}

    def add(self, schema: Any, **endpoints: Any) -> ResourceEntry:
        """Register (or complete) the entry of ``schema``'s type."""
        compiled = compile_schema(schema)
        self.link_templates.clear()
        self._scoped_sessions = None
        self._default_filters.clear()
        self.policies_changed()
        entry = self._entries.get(compiled.type_)
        if entry is None:
            entry = self._entries[compiled.type_] = ResourceEntry(compiled.type_, compiled)
        for name, value in endpoints.items():
            if value is not None and getattr(entry, name) is None:
                setattr(entry, name, value)
        self._add_related(compiled)
        return entry

    def _add_related(self, compiled: CompiledSchema) -> None:
        for spec in compiled.relationships.values():
            schema = spec.related_schema
            if spec.type_ and spec.type_ not in self._entries and isinstance(schema, type):
                self.add(schema)

    def add_site(self, type_: str, endpoints: dict[str, str]) -> None:
        """Record the endpoints (``{"detail": ..., "relationship": ...}``) of one view set
        of ``type_``: a request to any of them links to them."""
        for endpoint in endpoints.values():
            self._sites[endpoint] = (type_, endpoints)

    def site(self, endpoint: str | None) -> tuple[str, dict[str, str]] | None:
        """The type and the view set endpoints that ``endpoint`` belongs to, if any."""
        return self._sites.get(endpoint) if endpoint else None

    def get(self, type_: str) -> ResourceEntry | None:
        return self._entries.get(type_)

    def schema(self, type_: str) -> CompiledSchema | None:
        """The compiled schema of a type, ``None`` when the type is unknown."""
        entry = self._entries.get(type_)
        return entry.compiled if entry else None

    def scoped_sessions(self) -> list[Any]:
        """The distinct scoped sessions of the registered repositories (ended after each
        request)."""
        if self._scoped_sessions is None:
            sessions: dict[int, Any] = {}
            for entry in self._entries.values():
                session = getattr(entry.repository, "session", None)
                if session is not None and hasattr(session, "remove"):
                    sessions[id(session)] = session
            self._scoped_sessions = list(sessions.values())
        return self._scoped_sessions

    def request_scopes(self) -> RequestScopes | None:
        """The policies of the registered types for one request (``None`` when no type
        has one): criteria by model for the statements, object checks by type."""
        if self._policies is None:
            by_model: dict[Any, tuple[Policy, ...]] = {}
            by_type: dict[str, tuple[Policy, ...]] = {}
            for entry in self._entries.values():
                if entry.policy is None:
                    continue
                by_type[entry.type_] = (*by_type.get(entry.type_, ()), entry.policy)
                model = getattr(entry.repository, "model", None)
                if model is not None:
                    by_model[model] = (*by_model.get(model, ()), entry.policy)
            self._policies = (by_model, by_type)
        by_model, by_type = self._policies
        if not by_type:
            return None
        return RequestScopes(by_model, by_type)

    def policies_changed(self) -> None:
        """Forget the policies gathered so far (one was set on an entry)."""
        self._policies = None
        self._decorated = None

    def decorated_types(self) -> dict[str, tuple[Any, ...]]:
        """Type -> its view set's ``view_decorators``, for the types that have some: they
        guard every request that reaches the type's rows, not only its URLs."""
        if self._decorated is None:
            self._decorated = {
                entry.type_: tuple(entry.viewset.view_decorators)
                for entry in self._entries.values()
                if getattr(entry.viewset, "view_decorators", None)
            }
        return self._decorated

    def policy(self, type_: str) -> Policy | None:
        """The policy of ``type_``, if it has one."""
        entry = self._entries.get(type_)
        return entry.policy if entry is not None else None

    def cached_default_filters(self) -> dict[CompiledSchema, Any]:
        """Where ``filters_schema.default_filters`` keeps the filters it built for this set
        of registered types (emptied when a type is added)."""
        return self._default_filters

    def __iter__(self):
        return iter(self._entries.values())
