"""The row-level security of the current request, for the code that builds statements.

Private API. A view activates it at the start of each request from its registry's
policies (:class:`~flask_jsonapi.policy.Policy`); the repository, the filters, the sorts
and the row reads ask it for the criterion of each model they read. It lives apart
from the registry so that those lower layers need not import it: the registry hands
its policies down as a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from flask.globals import _cv_app as _app_context
from sqlalchemy import orm
from sqlalchemy.sql.util import ClauseAdapter

from .policy import READ, Policy

_KEY = "_jsonapi_scopes"


class RequestScopes:
    """The policies of one request: criteria per model (computed once each), checks of
    loaded objects per resource type."""

    def __init__(
        self,
        by_model: Mapping[Any, tuple[Policy, ...]],
        by_type: Mapping[str, tuple[Policy, ...]],
    ) -> None:
        self._by_model = by_model
        self._by_type = by_type
        self._criteria: dict[Any, Any] = {}
        self._options: list[Any] | None = None
        self._checks: dict[str, Callable[[Any], bool]] | None = None
        self._hidden: dict[str, frozenset[str]] | None = None

    def criterion(self, model: Any) -> Any:
        """The criterion rows of ``model`` must satisfy for this client, or ``None``."""
        try:
            return self._criteria[model]
        except KeyError:
            pass
        parts = []
        for policy in self._by_model.get(model, ()):
            if not policy.allows(READ):
                parts = [sa.false()]
                break
            criterion = policy.scope(model)
            if criterion is not None:
                parts.append(criterion)
        result = None if not parts else parts[0] if len(parts) == 1 else sa.and_(*parts)
        self._criteria[model] = result
        return result

    def criteria(self) -> tuple[Any, ...]:
        """The criterion of every model a policy scopes, in a fixed order: everything a
        statement built in this request can carry of the policies."""
        return tuple(self.criterion(model) for model in self._by_model)

    def aliased_criterion(self, model: Any, alias: Any) -> Any:
        """:meth:`criterion` written on ``alias`` (an ``aliased(model)``)."""
        criterion = self.criterion(model)
        if criterion is None:
            return None
        return ClauseAdapter(sa.inspect(alias).selectable).traverse(criterion)

    def loader_options(self) -> list[Any]:
        """ORM options that carry every criterion into relationship loads (eager and lazy)."""
        if self._options is None:
            self._options = [
                orm.with_loader_criteria(model, criterion, include_aliases=True)
                for model in self._by_model
                if (criterion := self.criterion(model)) is not None
            ]
        return self._options

    def checks_objects(self, model: Any) -> bool:
        """Whether objects of ``model`` must be loaded to be checked (no SQL scope can do)."""
        return any(policy.checks_objects for policy in self._by_model.get(model, ()))

    def object_check(self, type_: str) -> Callable[[Any], bool] | None:
        """The check of loaded objects of ``type_``, or ``None`` when they need none."""
        return self.object_checks().get(type_)

    def object_checks(self) -> dict[str, Callable[[Any], bool]]:
        """Resource type -> the check of its loaded objects, for the types that have one."""
        if self._checks is None:
            self._checks = {}
            for type_, policies in self._by_type.items():
                checking = tuple(policy for policy in policies if policy.checks_objects)
                if checking:
                    self._checks[type_] = _all_visible(checking)
        return self._checks

    def hidden(self) -> dict[str, frozenset[str]]:
        """Resource type -> the members hidden from this client, for the types with any."""
        if self._hidden is None:
            self._hidden = {}
            for type_, policies in self._by_type.items():
                members = frozenset(m for policy in policies for m in policy.hidden_fields())
                if members:
                    self._hidden[type_] = members
        return self._hidden


def _all_visible(policies: tuple[Policy, ...]) -> Callable[[Any], bool]:
    return lambda obj: all(policy.visible(obj) for policy in policies)


def object_checks() -> Mapping[str, Callable[[Any], bool]]:
    """The current request's checks of loaded objects by resource type (often empty)."""
    scopes = current()
    return scopes.object_checks() if scopes is not None else {}


# Statements narrowed by criteria, kept while the same objects recur: a policy that
# returns the same criterion object (a constant, or one cached per user) lets a request
# reuse a statement whose SQL and cache key are already known. Keyed by identities and
# checked with `is`; cleared when full, so criteria made anew each request cost nothing.
_MEMO: dict[tuple, tuple[tuple[Any, ...], Any]] = {}
_MEMO_SIZE = 1024


def memo(kind: str, parts: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()``, or what it gave before for these very ``parts`` (compared by identity)."""
    key = (kind, *map(id, parts))
    hit = _MEMO.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)):
        return hit[1]
    value = build()
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = (parts, value)
    return value


def narrowed(statement: Any, criterion: Any) -> Any:
    """``statement.where(criterion)``, the same object again for the same two objects."""
    return memo("where", (statement, criterion), lambda: statement.where(criterion))


def activate(scopes: RequestScopes | None) -> None:
    """Make ``scopes`` the current request's (``None``: nothing is scoped)."""
    _app_context.get().g.__dict__[_KEY] = scopes


def current() -> RequestScopes | None:
    """The current request's scopes, ``None`` outside a request or when nothing is
    scoped."""
    # Asked several times a request: the context variable, not flask.g's proxy.
    context = _app_context.get(None)
    return context.g.__dict__.get(_KEY) if context is not None else None


def criterion(model: Any) -> Any:
    """The current request's criterion for ``model``, or ``None``."""
    scopes = current()
    return scopes.criterion(model) if scopes is not None else None
