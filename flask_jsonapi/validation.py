"""Configuration mistakes caught before any request is answered.

:meth:`Api.validate` runs these checks (it runs by itself before the first request);
each raises :class:`~flask_jsonapi.exceptions.ConfigurationError` naming the schema or
view set, the field and the fix, instead of a 500 or a wrong answer later.
"""

from __future__ import annotations

import difflib
import logging
import sys
from typing import Any

from .exceptions import ConfigurationError
from .registry import Registry, ResourceEntry
from .resource_repositories.repositories import ResourceRepository

logger = logging.getLogger("flask_jsonapi")

_HOOKS = ("read", "read_many", "get_count", "create", "update", "destroy")


def check_view_set(viewset: Any) -> None:
    """A view set routed with ``Api.repository``: it needs a repository, and one that can
    reach its storage."""
    name = type(viewset).__name__
    repository = viewset.repository
    if type(repository) is ResourceRepository and not _views_override_hooks(viewset):
        raise ConfigurationError(
            f"{name} has no repository: every request would answer 501. Fix: set "
            f"`repository = YourRepository()` on {name}, or pass repository=... to it."
        )
    sqlalchemy = _sqlalchemy_repositories()
    if sqlalchemy is not None and isinstance(repository, sqlalchemy.SqlAlchemyModelRepository):
        kind = type(repository).__name__
        if repository.model is None:
            raise ConfigurationError(
                f"{kind} (the repository of {name}) has no model. Fix: set `model = YourModel`."
            )
        if repository.session is None:
            raise ConfigurationError(
                f"{kind} (the repository of {name}) has no session: every request would "
                "fail. Fix: set `session = scoped_session(sessionmaker(engine))` on it, or "
                "pass session=... to it."
            )


def check_same_type(entry: ResourceEntry, viewset: Any) -> None:
    """A second view set for a type already served: allowed when it shares the schema and
    the repository (say the same resource at two URLs), a mistake otherwise."""
    first = entry.viewset
    if first is None or first is viewset:
        return
    schema, repository = viewset.schema, viewset.repository
    if schema is not first.schema:
        raise ConfigurationError(
            f"{type(viewset).__name__} serves type '{entry.type_}' with "
            f"{_name(schema)}, but {type(first).__name__} already serves it with "
            f"{_name(first.schema)}. Fix: use one schema for a type (give the other schema "
            "its own Meta.type_)."
        )
    if not _same_repository(repository, first.repository):
        raise ConfigurationError(
            f"{type(viewset).__name__} serves type '{entry.type_}' through "
            f"{type(repository).__name__}, but {type(first).__name__} already serves it "
            f"through {type(first.repository).__name__}; includes and relationship writes "
            "of the type can use only one. Fix: share one repository (or give the other "
            "resource its own Meta.type_)."
        )


def check_registry(registry: Registry, *, strict: bool = True) -> None:
    """Every relationship names a type that can be rendered, and every schema member of a
    SQLAlchemy-backed type is on its model. Not ``strict``: a relationship to a type that
    is no near-miss of a registered one (a prototype linking to what it does not serve
    yet) is logged as a warning instead."""
    types = sorted(entry.type_ for entry in registry)
    for entry in registry:
        for spec in entry.compiled.relationships.values():
            related = registry.get(spec.type_) if spec.type_ else None
            if related is None:
                message, typo = _unknown_type(entry, spec, types)
                if strict or typo:
                    raise ConfigurationError(message)
                logger.warning("%s", message)
        _check_model(entry, registry)


def _unknown_type(entry: ResourceEntry, spec: Any, types: list[str]) -> tuple[str, bool]:
    """The message for a relationship to no registered type, and whether it is a typo."""
    where = f"{entry.compiled.schema_cls.__name__}.{spec.name}"
    if not spec.type_:
        return (
            f"{where}: the relationship has no type_. Fix: "
            f"fields.Relationship(type_='...', schema=...) naming a registered type."
        ), True
    close = difflib.get_close_matches(spec.type_, types, n=1)
    if close:
        return (
            f"{where}: Relationship type_='{spec.type_}' is no registered type; its linkage "
            f"would name a type nothing serves. Fix: type_='{close[0]}'."
        ), True
    return (
        f"{where}: Relationship type_='{spec.type_}' is no registered type: include "
        f"would answer nothing for it. Fix: register a view set for '{spec.type_}' "
        f"(api.repository(...)), or give the relationship schema=<its schema>."
    ), False


def _check_model(entry: ResourceEntry, registry: Registry) -> None:
    sqlalchemy = _sqlalchemy_repositories()
    repository = entry.repository
    if sqlalchemy is None or not isinstance(repository, sqlalchemy.SqlAlchemyModelRepository):
        return
    model = repository.model
    if model is None:
        return
    schema = entry.compiled.schema_cls.__name__
    members = [*entry.compiled.attributes.values(), *entry.compiled.relationships.values()]
    if entry.compiled.id_spec is not None:
        members.append(entry.compiled.id_spec)
    for spec in members:
        if _computed(spec.field):
            continue
        attribute = spec.attribute.split(".")[0]
        if not hasattr(model, attribute):
            raise ConfigurationError(
                f"{schema}.{spec.name}: {model.__name__} has no attribute '{attribute}'; "
                f"GET would render null and POST fail. Fix: name a column, relationship or "
                f"property of {model.__name__} (fields.X(attribute='...')), or add it to "
                "the model."
            )
    mapper = _mapper(model)
    for spec in entry.compiled.relationships.values():
        related = registry.get(spec.type_)
        over_column = mapper is not None and spec.attribute in mapper.column_attrs
        if over_column and related is not None and related.repository is None:
            raise ConfigurationError(
                f"{schema}.{spec.name}: the relationship is declared over the column "
                f"'{spec.attribute}', and no view set serves '{spec.type_}', so include "
                f"could not fetch the related resources. Fix: register a view set for "
                f"'{spec.type_}', or declare the relationship over "
                f"{model.__name__}'s relationship attribute."
            )


def _computed(field: Any) -> bool:
    """Fields that read no attribute of their own (``fields.Method``, ``fields.Function``)."""
    return any(cls.__name__ in ("Method", "Function") for cls in type(field).__mro__)


def _mapper(model: Any) -> Any:
    import sqlalchemy as sa

    try:
        return sa.inspect(model)
    except sa.exc.NoInspectionAvailable:
        return None


def _views_override_hooks(viewset: Any) -> bool:
    from .resource_repository_views import ResourceRepositoryDetailView, ResourceRepositoryListView

    stock = {**vars(ResourceRepositoryDetailView), **vars(ResourceRepositoryListView)}
    for cls in (viewset.detail_view_cls, viewset.list_view_cls):
        for hook in _HOOKS:
            own = getattr(cls, hook, None)
            if own is not None and own is not stock.get(hook) and _is_user_code(own):
                return True
    return False


def _is_user_code(function: Any) -> bool:
    return not (getattr(function, "__module__", "") or "").startswith("flask_jsonapi")


def _same_repository(one: Any, other: Any) -> bool:
    if one is other:
        return True
    try:
        return type(one) is type(other) and vars(one) == vars(other)
    except TypeError:
        return False


def _name(schema: Any) -> str:
    return getattr(schema, "__name__", type(schema).__name__)


def _sqlalchemy_repositories() -> Any:
    return sys.modules.get("flask_jsonapi.resource_repositories.sqlalchemy_repositories")
