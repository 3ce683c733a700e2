"""Permission checkers: decide, per action and object, whether the current user may act.

A checker returns what it was given (possibly narrowed) or raises
:class:`PermissionException`, which answers 403 Forbidden as a JSON:API error document.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, TypeVar

from .. import exceptions

READ_ACTION = "read"
DESTROY_ACTION = "destroy"
UPDATE_ACTION = "update"
LIST_ACTION = "list"
CREATE_ACTION = "create"

Resource = TypeVar("Resource")


class PermissionException(exceptions.JsonApiException):
    """The current user may not do this (403)."""

    title = "Forbidden"
    status = 403

    def __init__(
        self,
        source: Mapping[str, Any] | None = None,
        detail: str | None = "You do not have permission to do this.",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, detail, *args, **kwargs)


class PermissionChecker(abc.ABC):
    """The checks a protected view runs; each returns its input or raises PermissionException."""

    @abc.abstractmethod
    def check_read_permission(self, *, resource: Resource) -> Resource:
        """``resource`` if it may be read."""

    @abc.abstractmethod
    def check_destroy_permission(self, *, resource: Resource) -> Resource:
        """``resource`` if it may be deleted."""

    @abc.abstractmethod
    def check_update_permission(self, *, resource: Resource, data: dict) -> tuple[Resource, dict]:
        """``(resource, data)`` if ``resource`` may be changed to ``data``."""

    @abc.abstractmethod
    def check_create_permission(self, *, data: dict) -> dict:
        """``data`` if a resource may be created from it."""

    def check_list_permission(self, *, resources: list[Resource]) -> list[Resource]:
        """The resources that pass :meth:`check_read_permission`."""
        allowed = []
        for resource in resources:
            try:
                allowed.append(self.check_read_permission(resource=resource))
            except PermissionException:
                continue
        return allowed


class ObjectLevelPermissionChecker(PermissionChecker):
    """Checks through one id on the object or in the data (``object_id_attribute``)."""

    class ObjectIdNotFoundInData(PermissionException):
        """The data lacks ``object_id_attribute``, so permission cannot be granted (403)."""

    @property
    @abc.abstractmethod
    def object_id_attribute(self) -> str:
        """The attribute (and data key) holding the id permissions depend on."""

    @abc.abstractmethod
    def has_permission(self, object_id: Any, action: str) -> bool:
        """Whether ``action`` is allowed for objects with ``object_id``."""

    def check_read_permission(self, *, resource: Resource) -> Resource:
        return self._check_resource(resource, READ_ACTION)

    def check_destroy_permission(self, *, resource: Resource) -> Resource:
        return self._check_resource(resource, DESTROY_ACTION)

    def check_update_permission(self, *, resource: Resource, data: dict) -> tuple[Resource, dict]:
        self._check_resource(resource, UPDATE_ACTION)
        try:
            self._check_data(data, UPDATE_ACTION)
        except self.ObjectIdNotFoundInData:
            pass  # the update keeps the object's current id, already checked
        return resource, data

    def check_create_permission(self, *, data: dict) -> dict:
        return self._check_data(data, CREATE_ACTION)

    def get_object_id_from_resource(self, resource: Any) -> Any:
        return getattr(resource, self.object_id_attribute)

    def get_object_id_from_data(self, data: Mapping[str, Any]) -> Any:
        try:
            return data[self.object_id_attribute]
        except KeyError:
            raise self.ObjectIdNotFoundInData(
                None, f"'{self.object_id_attribute}' is needed to check permissions."
            ) from None

    def check_or_raise(self, *, object_id: Any, action: str) -> None:
        if not self.has_permission(object_id=object_id, action=action):
            raise PermissionException()

    def _check_resource(self, resource: Resource, action: str) -> Resource:
        self.check_or_raise(object_id=self.get_object_id_from_resource(resource), action=action)
        return resource

    def _check_data(self, data: dict, action: str) -> dict:
        self.check_or_raise(object_id=self.get_object_id_from_data(data), action=action)
        return data
