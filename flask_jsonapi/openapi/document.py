"""The OpenAPI 3.1 document of one :class:`~flask_jsonapi.Api`, built with apispec.

Paths come from the app's URL map (so a Blueprint's prefix is in them); each registered
type gives its collection, resource, relationship and related endpoints, one path per
relationship, and ``/operations`` is described when the Api serves it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import flask
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from ..filters_schema import default_filters
from ..negotiation import ATOMIC_EXTENSION, MEDIA_TYPE
from ..query.config import QueryConfig
from ..query.parser import CURSOR_PROFILE
from ..registry import Registry, ResourceEntry
from . import conditional
from . import parameters as params
from .components import Components, ref

__all__ = ["openapi_document"]

_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>\w+)>")
ATOMIC_MEDIA_TYPE = f'{MEDIA_TYPE}; ext="{ATOMIC_EXTENSION}"'
CURSOR_MEDIA_TYPE = f'{MEDIA_TYPE}; profile="{CURSOR_PROFILE}"'
_ERRORS = {
    400: "Bad request: an invalid query parameter or request document.",
    403: "Forbidden: the request is not allowed on this resource.",
    404: "Not found: no such resource (or related resource).",
    405: "Method not allowed for this resource.",
    406: "Not acceptable: every JSON:API media type in Accept has unsupported parameters.",
    409: "Conflict: a type or id that does not match, or a constraint of the storage.",
    412: "Precondition failed: the If-Match ETag is not the target's current one.",
    413: "The request body is too large.",
    415: "Unsupported media type: Content-Type must be the JSON:API media type.",
    422: "Invalid attribute values (each error points at its member).",
    428: "Precondition required: writes here need If-Match.",
}
_READ_ERRORS = (400, 406)
_WRITE_ERRORS = (400, 403, 404, 406, 409, 413, 415, 422)
# The actions of allowed_actions, by the method of each kind of endpoint.
_ACTIONS = {
    "list": {"get": "fetch list", "post": "create"},
    "detail": {"get": "fetch", "patch": "update", "delete": "delete"},
    "relationship": {"get": "fetch", "patch": "update", "post": "update", "delete": "update"},
    "related": {"get": "fetch"},
}


def openapi_document(api: Any, app: flask.Flask | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``api`` as served by ``app`` (default: the current app)."""
    app = app or flask.current_app
    info = {"title": app.name, "version": "1.0.0", **app.config.get("JSONAPI_OPENAPI_INFO", {})}
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=info.pop("title"),
        version=info.pop("version"),
        openapi_version="3.1.0",
        plugins=[plugin],
        info=info,
    )
    builder = _Builder(spec, Components(spec, plugin, api.registry), api.registry, app)
    for entry in sorted(api.registry, key=lambda e: e.type_):
        builder.add_type(entry)
    endpoint = getattr(api, "operations_endpoint", None)
    if endpoint is not None:
        builder.add_operations(endpoint)
    return spec.to_dict()


class _Builder:
    def __init__(self, spec: APISpec, components: Components, registry: Registry, app: Any):
        self.spec = spec
        self.components = components
        self.registry = registry
        self.app = app
        self.convert = components.attribute
        self.delete_meta = app.config.get("JSONAPI_DELETE_RESPONSE") == "meta"
        self._operation_ids: set[str] = set()

    # -- one resource type -------------------------------------------------------------

    def add_type(self, entry: ResourceEntry) -> None:
        """The endpoints of one type, and a tag that groups them."""
        if not any((entry.list_endpoint, entry.detail_endpoint)):
            return
        self.spec.tag({"name": entry.type_, "description": f"Resources of type '{entry.type_}'."})
        config = QueryConfig.from_app_config(self.app.config, **entry.query_options)
        for rule, path, path_params in self._rules(entry.list_endpoint, entry):
            self._path(path, path_params, rule, entry, "list", self._list_ops(entry, config))
        for rule, path, path_params in self._rules(entry.detail_endpoint, entry):
            self._path(path, path_params, rule, entry, "detail", self._detail_ops(entry))
        for kind, endpoint in (
            ("relationship", entry.relationship_endpoint),
            ("related", entry.related_endpoint),
        ):
            for rule, path, path_params in self._rules(endpoint, entry):
                for member, spec in entry.compiled.relationships.items():
                    concrete = path.replace("{relationship}", quote(member, safe=""))
                    concrete_params = [p for p in path_params if p["name"] != "relationship"]
                    if kind == "relationship":
                        operations = self._relationship_ops(entry, spec, config)
                    else:
                        operations = self._related_ops(entry, spec)
                    self._path(concrete, concrete_params, rule, entry, kind, operations)

    def _rules(self, endpoint: str | None, entry: ResourceEntry):
        if endpoint is None or endpoint not in self.app.view_functions:
            return  # e.g. a Blueprint registered under another name than the Api saw
        for rule in self.app.url_map.iter_rules(endpoint):
            path_params = []
            for match in _ARGUMENT.finditer(rule.rule):
                name = match.group("name")
                if name == "relationship":
                    path_params.append({"name": name})
                    continue
                path_params.append(self._path_parameter(name, match.group("converter"), entry))
            yield rule, _ARGUMENT.sub(r"{\g<name>}", rule.rule), path_params

    def _path_parameter(self, name: str, converter: str | None, entry: ResourceEntry) -> dict:
        schema: dict[str, Any] = {"type": "string"}
        if converter in ("int", "float"):
            schema = {"type": "integer" if converter == "int" else "number"}
        elif name == "id" and entry.compiled.id_spec is not None:
            schema = params.scalar(self.convert(entry.compiled.id_spec.field))
            schema = {k: v for k, v in schema.items() if k in ("type", "format")} or {
                "type": "string"
            }
        return {"name": name, "in": "path", "required": True, "schema": schema}

    def _path(
        self,
        path: str,
        path_params: list[dict],
        rule: Any,
        entry: ResourceEntry,
        kind: str,
        operations: dict[str, dict],
    ) -> None:
        methods = {m.lower() for m in rule.methods or ()}
        allowed = self._allowed_actions(entry)
        kept = {}
        for method, operation in operations.items():
            if method not in methods:
                continue
            if allowed is not None and _ACTIONS[kind].get(method) not in allowed:
                continue
            operation.setdefault("tags", [entry.type_])
            operation["operationId"] = self._operation_id(operation["operationId"])
            kept[method] = self._conditions(operation, method, kind, entry, rule.endpoint)
        if kept:
            self.spec.path(path=path, operations=kept, parameters=path_params or None)

    def _conditions(
        self, operation: dict, method: str, kind: str, entry: ResourceEntry, endpoint: str
    ) -> dict:
        """``operation`` with the conditional request headers and answers it takes."""
        etags = conditional.etags_served(self.app, endpoint)
        if method == "get":
            return conditional.read(operation, etags=etags)
        if kind == "list":
            return conditional.created(operation, etags=etags)
        required = conditional.if_match_required(self.app, entry, endpoint)
        preconditions = _errors((412, 428))
        return conditional.write(
            operation,
            preconditions,
            # A relationship's DELETE answers the linkage left; a resource's, no document.
            etags=etags and (method != "delete" or kind == "relationship"),
            required=required,
        )

    def _allowed_actions(self, entry: ResourceEntry) -> Any:
        # A view set's allowed_actions (a hand-written view may get its own per instance,
        # which the document cannot see: its methods are all described).
        allowed = getattr(entry.viewset, "allowed_actions", None)
        return None if allowed is None else set(allowed)

    def _operation_id(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", base)
        name, n = base, 1
        while name in self._operation_ids:
            n += 1
            name = f"{base}_{n}"
        self._operation_ids.add(name)
        return name

    # -- operations --------------------------------------------------------------------

    def _query(self, entry: ResourceEntry, config: QueryConfig, *, collection: bool) -> list:
        """The query parameters of a document of ``entry``'s type."""
        lookup = self.registry.schema
        compiled = entry.compiled
        parameters = params.include_parameter(compiled, lookup, config.max_include_depth)
        parameters += params.fields_parameters(list(params.related_types(compiled, lookup)))
        if collection:
            parameters += params.sort_parameter(
                compiled, lookup, config.sortable_fields, config.max_include_depth
            )
            parameters += params.page_parameters(config)
            view = self.app.view_functions.get(entry.list_endpoint or "")
            filters = (
                entry.filter_schema
                or getattr(getattr(view, "view_class", None), "filter_schema", None)
                or default_filters(self.registry, compiled)
            )
            parameters += params.filter_parameters(filters, self.convert, config.filter_expressions)
        return parameters

    def _list_ops(self, entry: ResourceEntry, config: QueryConfig) -> dict[str, dict]:
        type_ = entry.type_
        media = CURSOR_MEDIA_TYPE if config.pagination == "cursor" else MEDIA_TYPE
        return {
            "get": {
                "operationId": f"list_{type_}",
                "summary": f"List {type_}",
                "parameters": self._query(entry, config, collection=True),
                "responses": {
                    "200": _content(
                        f"A page of {type_}.",
                        self.components.document(type_, many=True),
                        media,
                    ),
                    **_errors(_READ_ERRORS),
                },
            },
            "post": {
                "operationId": f"create_{type_}",
                "summary": f"Create one of {type_}",
                "parameters": self._query(entry, config, collection=False),
                "requestBody": _body(self.components.request_document(entry, create=True)),
                "responses": {
                    "201": {
                        **_content(
                            f"The created resource of {type_}.",
                            self.components.document(type_, many=False),
                        ),
                        "headers": {
                            "Location": {
                                "description": "The URL of the created resource.",
                                "schema": {"type": "string", "format": "uri"},
                            }
                        },
                    },
                    **_errors(_WRITE_ERRORS),
                },
            },
        }

    def _detail_ops(self, entry: ResourceEntry) -> dict[str, dict]:
        type_ = entry.type_
        config = QueryConfig.from_app_config(self.app.config, **entry.query_options)
        document = self.components.document(type_, many=False)
        deleted = (
            {"200": _content("Deleted.", _meta_document())}
            if self.delete_meta
            else {"204": {"description": "Deleted."}}
        )
        return {
            "get": {
                "operationId": f"get_{type_}",
                "summary": f"Fetch one of {type_}",
                "parameters": self._query(entry, config, collection=False),
                "responses": {
                    "200": _content(f"One resource of {type_}.", document),
                    **_errors((*_READ_ERRORS, 404)),
                },
            },
            "patch": {
                "operationId": f"update_{type_}",
                "summary": f"Update one of {type_}",
                "parameters": self._query(entry, config, collection=False),
                "requestBody": _body(self.components.request_document(entry, create=False)),
                "responses": {
                    "200": _content(f"The updated resource of {type_}.", document),
                    **_errors(_WRITE_ERRORS),
                },
            },
            "delete": {
                "operationId": f"delete_{type_}",
                "summary": f"Delete one of {type_}",
                "responses": {**deleted, **_errors((*_READ_ERRORS, 404, 409))},
            },
        }

    def _relationship_ops(self, entry: ResourceEntry, spec: Any, config: QueryConfig) -> dict:
        name = f"{entry.type_}_{spec.member}"
        document = self.components.linkage_document(spec.type_, spec.many)
        paged = spec.many and config.pagination == "cursor"
        read_media = CURSOR_MEDIA_TYPE if paged else MEDIA_TYPE
        operations: dict[str, dict] = {
            "get": {
                "operationId": f"get_{name}_relationship",
                "summary": f"The linkage of '{spec.member}'",
                "parameters": params.page_parameters(config) if spec.many else [],
                "responses": {
                    "200": _content("The linkage.", document, read_media),
                    **_errors((*_READ_ERRORS, 404)),
                },
            }
        }
        changes = {"patch": ("replace", "Replace")}
        if spec.many:
            changes.update(post=("add", "Add members to"), delete=("remove", "Remove members of"))
        for method, (verb, text) in changes.items():
            operations[method] = {
                "operationId": f"{verb}_{name}_relationship",
                "summary": f"{text} '{spec.member}'",
                "requestBody": _body(self.components.linkage_request(spec.type_, spec.many)),
                "responses": {
                    "200": _content("The linkage after the change.", document),
                    **_errors(_WRITE_ERRORS),
                },
            }
        return operations

    def _related_ops(self, entry: ResourceEntry, spec: Any) -> dict[str, dict]:
        related = self.registry.get(spec.type_)
        if related is None:
            return {}
        config = QueryConfig.from_app_config(self.app.config, **related.query_options)
        media = CURSOR_MEDIA_TYPE if spec.many and config.pagination == "cursor" else MEDIA_TYPE
        document = self.components.document(spec.type_, many=spec.many, nullable=True)
        return {
            "get": {
                "operationId": f"get_{entry.type_}_{spec.member}",
                "summary": f"The related '{spec.member}' ({spec.type_})",
                "tags": [entry.type_],
                "parameters": self._query(related, config, collection=spec.many),
                "responses": {
                    "200": _content(f"The related {spec.type_}.", document, media),
                    **_errors((*_READ_ERRORS, 404)),
                },
            }
        }

    def _atomic_428(self) -> tuple[int, ...]:
        """(428,) when an operation may lack a required ``meta.ifMatch``: some type's
        writes need ``If-Match``."""
        required = any(
            conditional.if_match_required(self.app, entry, entry.detail_endpoint)
            for entry in self.registry
        )
        return (428,) if required else ()

    # -- Atomic Operations -------------------------------------------------------------

    def add_operations(self, endpoint: str) -> None:
        """``POST /operations`` (the Atomic Operations extension)."""
        if endpoint not in self.app.view_functions:
            return
        self.spec.tag({"name": "operations", "description": "Atomic Operations."})
        for rule in self.app.url_map.iter_rules(endpoint):
            operation = {
                "operationId": self._operation_id("atomic_operations"),
                "summary": "Run several writes in one transaction",
                "tags": ["operations"],
                "requestBody": _body(self.components.atomic_request(), ATOMIC_MEDIA_TYPE),
                "responses": {
                    "200": _content(
                        "The result of each operation, in order.",
                        self.components.atomic_results(),
                        ATOMIC_MEDIA_TYPE,
                    ),
                    "204": {"description": "Every operation succeeded; none has a result."},
                    # 412/428: an operation's meta.ifMatch is stale, or missing where required.
                    **_errors((*_WRITE_ERRORS, 412, *self._atomic_428()), ATOMIC_MEDIA_TYPE),
                },
            }
            self.spec.path(
                path=_ARGUMENT.sub(r"{\g<name>}", rule.rule), operations={"post": operation}
            )


def _content(description: str, schema: dict[str, Any], media: str = MEDIA_TYPE) -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _body(schema: dict[str, Any], media: str = MEDIA_TYPE) -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": schema}}}


def _errors(statuses: tuple[int, ...], media: str = MEDIA_TYPE) -> dict[str, Any]:
    return {
        str(status): _content(_ERRORS[status], ref("ErrorDocument"), media)
        for status in sorted(set(statuses))
    }


def _meta_document() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["meta"],
        "properties": {"meta": ref("Meta"), "jsonapi": ref("JsonApi")},
        "additionalProperties": False,
    }
