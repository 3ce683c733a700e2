"""The storage interface a resource's views call (the original's ``ResourceRepository``).

Every method has a default that answers 501, so a repository implements only what its
resource supports. Arguments keep the original shapes: ``filters`` is a flat dict
(``{'author__name': 'Bob'}``), ``sorting`` a tuple (``('-created',)``), ``pagination`` a
dict (``{'size': 50, 'number': 1}``); ``include`` (a tree of
:class:`~flask_jsonapi.query.IncludeNode`) names what to load eagerly.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import exceptions


class ResourceRepository:
    """CRUD over one kind of object; subclass it and implement what the resource needs."""

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        raise exceptions.NotImplementedMethod("Creating is not implemented.")

    def get_list(
        self,
        filters: dict[str, Any] | None = None,
        sorting: Sequence[str] | None = None,
        pagination: dict[str, int] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        raise exceptions.NotImplementedMethod("Getting list is not implemented.")

    def get_detail(self, id: Any, **kwargs: Any) -> Any:
        raise exceptions.NotImplementedMethod("Getting object is not implemented.")

    def get_many_by_ids(self, ids: Sequence[Any]) -> list[Any]:
        """The objects with these ids, in that order; 404 if one is missing."""
        return [self.get_detail(id_) for id_ in ids]

    def delete(self, id: Any, **kwargs: Any) -> None:
        raise exceptions.NotImplementedMethod("Deleting is not implemented")

    def update(self, data: dict[str, Any], **kwargs: Any) -> Any:
        raise exceptions.NotImplementedMethod("Updating is not implemented")

    def get_count(self, filters: dict[str, Any] | None = None) -> int | None:
        """The number of objects matching ``filters``; ``None`` when it is not known."""
        return None

    @contextlib.contextmanager
    def begin_transaction(self) -> Iterator[None]:
        """One unit of work: commit when the block succeeds, roll back when it raises."""
        yield


def repository_hook(repository: Any, name: str) -> Callable[..., Any] | None:
    """The optional method ``name`` of a repository, or ``None`` when its class has none.

    Asked of the class: a duck-typed repository (the original accepted any object with
    the CRUD methods) may lack ``begin_transaction`` or ``get_count``, and a
    ``unittest.mock.Mock`` answers every attribute without offering anything.
    """
    if getattr(type(repository), name, None) is None:
        return None
    return getattr(repository, name)


def is_stock_repository(repository: Any) -> bool:
    """Whether ``repository`` is one of this library's classes (a subclass included),
    whose methods take the optional keywords (``include``, ``strategy``) and convert ids."""
    return isinstance(repository, ResourceRepository)


def is_library_storage(repository: Any) -> bool:
    """Whether ``repository`` is storage this library implements (``SqlAlchemyModelRepository``
    or ``MemoryRepository``, subclasses included). Any other repository is code of the
    user's, written against the original's contract (what ``get_list`` receives without
    ``page`` parameters, what an update answers, whether ids may come from clients)."""
    for module_name, class_name in _LIBRARY_STORAGE:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(repository, getattr(module, class_name)):
            return True
    return False


_LIBRARY_STORAGE = (
    ("flask_jsonapi.resource_repositories.sqlalchemy_repositories", "SqlAlchemyModelRepository"),
    ("flask_jsonapi.resource_repositories.memory", "MemoryRepository"),
)


def offers_row_access(repository: Any) -> bool:
    """Whether ``repository`` is a ``SqlAlchemyModelRepository``, the only class whose
    reads and writes may run as rows (the fast path); never inferred from attributes."""
    module = sys.modules.get("flask_jsonapi.resource_repositories.sqlalchemy_repositories")
    return module is not None and isinstance(repository, module.SqlAlchemyModelRepository)
