"""Allowed actions: limit a resource to some of create, fetch, fetch list, update, delete.

The original flask-jsonapi's ``Actions`` and ``AllowedActions*`` mixins (also importable
from ``flask_jsonapi.resources``). A denied action is a 405 whose ``Allow`` header lists
only the methods left; by default nothing is allowed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

from . import exceptions


class Actions:
    """Action names for ``allowed_actions`` (the original's values)."""

    create = "create"
    read = "fetch"
    read_many = "fetch list"
    update = "update"
    destroy = "delete"


def check_allowed_action(action: str) -> Callable[[Callable], Callable]:
    """Method decorator: 405 (with ``Allow``) unless ``action`` is in ``self.allowed_actions``."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            if action not in self.allowed_actions:
                raise exceptions.MethodNotAllowed(
                    f"{action.capitalize()} is not allowed for this resource",
                    headers={"Allow": ", ".join(self.allowed_methods())},
                )
            return method(self, *args, **kwargs)

        return guarded

    return decorate


class AllowedActionsResourceMixin:
    """Limits a view to ``allowed_actions`` (``Actions`` values); by default nothing is allowed.

    List the mixin first: ``class V(AllowedActionsResourceListMixin, ResourceList)``.
    """

    allowed_actions: tuple[str, ...] = ()
    method_actions: ClassVar[dict[str, str]] = {}

    def __init__(self, *, allowed_actions: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if allowed_actions is not None:
            self.allowed_actions = tuple(allowed_actions)

    def allowed_methods(self) -> list[str]:
        """Only the methods whose action is allowed (``OPTIONS`` always)."""
        return [
            method
            for method in super().allowed_methods()  # type: ignore[misc]
            if method not in self.method_actions
            or self.method_actions[method] in self.allowed_actions
        ]


class AllowedActionsResourceDetailMixin(AllowedActionsResourceMixin):
    """Guards GET/HEAD (``Actions.read``), PATCH (``update``) and DELETE (``destroy``)."""

    method_actions: ClassVar[dict[str, str]] = {
        "GET": Actions.read,
        "HEAD": Actions.read,
        "PATCH": Actions.update,
        "DELETE": Actions.destroy,
    }

    @check_allowed_action(Actions.read)
    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **kwargs)  # type: ignore[misc]

    @check_allowed_action(Actions.update)
    def patch(self, *args: Any, **kwargs: Any) -> Any:
        return super().patch(*args, **kwargs)  # type: ignore[misc]

    @check_allowed_action(Actions.destroy)
    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return super().delete(*args, **kwargs)  # type: ignore[misc]


class AllowedActionsResourceListMixin(AllowedActionsResourceMixin):
    """Guards GET/HEAD (``Actions.read_many``) and POST (``Actions.create``)."""

    method_actions: ClassVar[dict[str, str]] = {
        "GET": Actions.read_many,
        "HEAD": Actions.read_many,
        "POST": Actions.create,
    }

    @check_allowed_action(Actions.read_many)
    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **kwargs)  # type: ignore[misc]

    @check_allowed_action(Actions.create)
    def post(self, *args: Any, **kwargs: Any) -> Any:
        return super().post(*args, **kwargs)  # type: ignore[misc]


class AllowedActionsResourceViewSetMixin:
    """A ViewSet's ``allowed_actions`` for both views; list it before the ViewSet class.

    Its views get the allowed-actions mixins added when their classes lack them.
    """

    allowed_actions: tuple[str, ...] = ()

    def get_views_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_views_kwargs()  # type: ignore[misc]
        kwargs["allowed_actions"] = self.allowed_actions
        return kwargs

    def as_detail_view(self, view_name: str, **extra: Any) -> Any:
        self.detail_view_cls = _with_mixin(
            self.detail_view_cls,  # type: ignore[attr-defined]
            AllowedActionsResourceDetailMixin,
        )
        return super().as_detail_view(view_name, **extra)  # type: ignore[misc]

    def as_list_view(self, view_name: str, **extra: Any) -> Any:
        self.list_view_cls = _with_mixin(
            self.list_view_cls,  # type: ignore[attr-defined]
            AllowedActionsResourceListMixin,
        )
        return super().as_list_view(view_name, **extra)  # type: ignore[misc]


def _with_mixin(view_cls: type, mixin: type) -> type:
    if issubclass(view_cls, mixin):
        return view_cls
    return type(f"AllowedActions{view_cls.__name__}", (mixin, view_cls), {})
