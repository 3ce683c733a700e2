"""Protected views: repository views that ask a :class:`PermissionChecker` before acting.

Override ``protected_read``/``protected_update``/``protected_destroy``/``protected_read_many``/
``protected_create`` to change how the storage is reached, not ``read``/``update``/...
"""

from __future__ import annotations

import logging
from typing import Any

from ..descriptors import NotImplementedProperty
from ..policy import Policy
from ..resource_repository_views import (
    ResourceRepositoryDetailView,
    ResourceRepositoryListView,
    ResourceRepositoryViewSet,
)
from .checkers import PermissionChecker, PermissionException

logger = logging.getLogger(__name__)


class ProtectedDetailViewMixin:
    """GET, PATCH and DELETE of one object, each checked (403 when denied, 404 when missing)."""

    def __init__(self, *, permission_checker: PermissionChecker, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.permission_checker = permission_checker

    def read(self, id: Any, **kwargs: Any) -> Any:
        resource = self.protected_read(id, **kwargs)
        return self.permission_checker.check_read_permission(resource=resource)

    def protected_read(self, id: Any, **kwargs: Any) -> Any:
        return super().read(id, **kwargs)  # type: ignore[misc]

    def destroy(self, id: Any, **kwargs: Any) -> Any:
        resource = self.protected_read(id)
        resource = self.permission_checker.check_destroy_permission(resource=resource)
        return self.protected_destroy(resource, **kwargs)

    def protected_destroy(self, resource: Any, **kwargs: Any) -> Any:
        return super().destroy(resource.id, **kwargs)  # type: ignore[misc]

    def update(self, id: Any, data: dict[str, Any], **kwargs: Any) -> Any:
        resource = self.protected_read(id)
        resource, data = self.permission_checker.check_update_permission(
            resource=resource, data=data
        )
        return self.protected_update(resource, data, **kwargs)

    def protected_update(self, resource: Any, data: dict[str, Any], **kwargs: Any) -> Any:
        return super().update(resource.id, data, **kwargs)  # type: ignore[misc]


class ProtectedListViewMixin:
    """GET and POST of a collection: scoped by ``_apply_permission_filter``, then checked.

    ``_apply_permission_filter(filters)`` adds the filters that keep only the objects the
    user may see; it also scopes ``meta.count``. The default adds none: the list is then
    narrowed object by object by ``check_list_permission`` and the total is not given.
    """

    def __init__(self, *, permission_checker: PermissionChecker, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.permission_checker = permission_checker

    def _apply_permission_filter(self, filters: dict[str, Any]) -> dict[str, Any]:
        return filters

    def read_many(self, filters: dict[str, Any], *args: Any, **kwargs: Any) -> list[Any]:
        filters = self._apply_permission_filter(dict(filters))
        resources = list(self.protected_read_many(filters, *args, **kwargs))
        allowed = self.permission_checker.check_list_permission(resources=resources)
        if len(allowed) != len(resources):
            logger.warning("No permission for %d listed item(s)", len(resources) - len(allowed))
        return allowed

    def protected_read_many(self, filters: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return super().read_many(filters, *args, **kwargs)  # type: ignore[misc]

    def get_count(self, filters: dict[str, Any]) -> int | None:
        if type(self)._apply_permission_filter is ProtectedListViewMixin._apply_permission_filter:
            # Without scoping filters the storage would count objects the user cannot see.
            return None
        return super().get_count(self._apply_permission_filter(dict(filters)))  # type: ignore[misc]

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data = self.permission_checker.check_create_permission(data=data)
        return self.protected_create(data, **kwargs)

    def protected_create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return super().create(data, **kwargs)  # type: ignore[misc]


class ProtectedDetailView(ProtectedDetailViewMixin, ResourceRepositoryDetailView):
    """A repository detail view with permission checks."""


class ProtectedListView(ProtectedListViewMixin, ResourceRepositoryListView):
    """A repository list view with permission checks."""


class CheckerPolicy(Policy):
    """A :class:`PermissionChecker` as its type's policy beyond the type's own URLs: an
    object it would not let the user read is hidden wherever it could appear (included,
    related, linkage, the other side of a write). Objects are checked once loaded; the
    checker's own 403 still answers a request for the type's URLs."""

    def __init__(self, checker: PermissionChecker) -> None:
        self.checker = checker

    def visible(self, obj: Any) -> bool:
        try:
            self.checker.check_read_permission(resource=obj)
        except PermissionException:
            return False
        return True


class ProtectedViewSet(ResourceRepositoryViewSet):
    """A ViewSet whose both views check ``permission_checker`` (required)."""

    detail_view_cls: type = ProtectedDetailView
    list_view_cls: type = ProtectedListView
    permission_checker: Any = NotImplementedProperty("permission_checker")

    def __init__(self, *, permission_checker: PermissionChecker | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if permission_checker is not None:
            self.permission_checker = permission_checker

    def get_views_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_views_kwargs()
        kwargs["permission_checker"] = self.permission_checker
        return kwargs

    def get_policy(self) -> Policy | None:
        """The view set's own ``policy`` or, without one, its checker's."""
        return super().get_policy() or CheckerPolicy(self.permission_checker)
