"""An in-memory repository for prototypes and tests: objects in a dict, ids counted up."""

from __future__ import annotations

import contextlib
import copy
import itertools
import operator
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

from .. import exceptions
from ..query.cursor import convert_value
from .repositories import ResourceRepository

_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
    "contains": lambda a, b: a is not None and b in a,
    "icontains": lambda a, b: a is not None and b.lower() in a.lower(),
    "startswith": lambda a, b: a is not None and a.startswith(b),
    "istartswith": lambda a, b: a is not None and a.lower().startswith(b.lower()),
    "endswith": lambda a, b: a is not None and a.endswith(b),
    "iendswith": lambda a, b: a is not None and a.lower().endswith(b.lower()),
    "isnull": lambda a, b: (a is None) == bool(b),
}


class MemoryRepository(ResourceRepository):
    """Keeps objects (``SimpleNamespace`` by default) in memory; not thread-safe."""

    instance_name = "object"

    def __init__(self, objects: Sequence[Any] = (), *, factory: Any = SimpleNamespace) -> None:
        self.factory = factory
        self.objects: dict[Any, Any] = {obj.id: obj for obj in objects}
        self._ids = itertools.count(
            max((o.id for o in objects if isinstance(o.id, int)), default=0) + 1
        )

    @contextlib.contextmanager
    def begin_transaction(self) -> Iterator[None]:
        snapshot = copy.copy(self.objects), {k: copy.copy(vars(v)) for k, v in self.objects.items()}
        try:
            yield
        except BaseException:
            self.objects = snapshot[0]
            for key, state in snapshot[1].items():
                vars(self.objects[key]).clear()
                vars(self.objects[key]).update(state)
            raise

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data = dict(data)
        if data.get("id") is None:
            data["id"] = next(self._ids)
        elif data["id"] in self.objects:
            raise exceptions.Conflict(None, f"{self.instance_name} {data['id']} already exists.")
        obj = self.factory(**data)
        self.objects[obj.id] = obj
        return obj

    def get_detail(self, id: Any, **kwargs: Any) -> Any:
        for key in (id, _as_int(id)):
            if key in self.objects:
                return self.objects[key]
        for key, obj in self.objects.items():
            if str(key) == str(id):  # a URL's string for a UUID (or other) key
                return obj
        raise self.not_found(id)

    def not_found(self, id: Any) -> exceptions.ObjectNotFound:
        """The 404 of ``id`` when it names no object (an object the client may not see
        answers the same)."""
        return exceptions.ObjectNotFound(None, f"{self.instance_name} {id} not found.")

    def get_list(self, filters=None, sorting=None, pagination=None, **kwargs: Any) -> list[Any]:
        items = self._filtered(filters or {})
        for key in reversed(tuple(sorting or ())):
            name = key.lstrip("-+")
            items.sort(key=lambda o, n=name: _sort_key(_path(o, n)), reverse=key.startswith("-"))
        pagination = pagination or {}
        if "cursor" in pagination:
            return _cursor_page(items, tuple(sorting or ()), pagination)
        if "size" in pagination:
            start = pagination["size"] * (pagination.get("number", 1) - 1)
            return items[start : start + pagination["size"]]
        if "limit" in pagination:
            start = pagination.get("offset", 0)
            return items[start : start + pagination["limit"]]
        return items

    def get_count(self, filters: dict[str, Any] | None = None) -> int:
        return len(self._filtered(filters or {}))

    def update(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data = dict(data)
        obj = self.get_detail(data.pop("id"))
        for key, value in data.items():
            setattr(obj, key, value)
        return obj

    def delete(self, id: Any, **kwargs: Any) -> None:
        obj = self.get_detail(id)
        del self.objects[obj.id]

    def _filtered(self, filters: dict[str, Any]) -> list[Any]:
        items = sorted(self.objects.values(), key=lambda o: _sort_key(o.id))
        for key, value in filters.items():
            *path, op = key.split("__")
            if op not in _COMPARE:
                path, op = [*path, op], "eq"
            compare = _COMPARE[op]
            items = [o for o in items if _matches(_path(o, "__".join(path)), compare, value)]
        return items


def _cursor_page(items: list[Any], sorting: tuple[str, ...], pagination: dict) -> list[Any]:
    """The ``limit`` items right after (or before) the cursor's sort-key values, in the
    order of ``items`` (already sorted, ties by id), as the SQL repository's keyset does."""
    names = [key.lstrip("-+") for key in sorting]
    descending = [key.startswith("-") for key in sorting] + [False]

    def key_of(obj: Any) -> list[Any]:
        return [*(_path(obj, name) for name in names), obj.id]

    limit = pagination["limit"]
    backwards = pagination["cursor"] == "before"
    values = pagination.get("values")
    if values is None:
        return items[-limit:] if backwards else items[:limit]
    parameter = f"page[{pagination['cursor']}]"
    values = [
        _like_column(value, items, position, key_of, parameter)
        for position, value in enumerate(values)
    ]
    if backwards:
        return [o for o in items if _compare(key_of(o), values, descending) < 0][-limit:]
    return [o for o in items if _compare(key_of(o), values, descending) > 0][:limit]


def _like_column(value: Any, items: list[Any], position: int, key_of: Any, parameter: str) -> Any:
    """A cursor value in the type the objects hold there (cursors write dates as text)."""
    for obj in items:
        example = key_of(obj)[position]
        if example is not None:
            return convert_value(value, type(example), parameter)
    return value


def _compare(left: list[Any], right: list[Any], descending: list[bool]) -> int:
    for a, b, desc in zip(left, right, descending, strict=True):
        a, b = _sort_key(a), _sort_key(b)
        if a != b:
            return (1 if a > b else -1) * (-1 if desc else 1)
    return 0


def _matches(actual: Any, compare: Any, value: Any) -> bool:
    if isinstance(actual, list):
        return any(_matches(item, compare, value) for item in actual)
    try:
        return bool(compare(actual, value))
    except TypeError:
        return False


def _path(obj: Any, path: str) -> Any:
    value = obj
    for name in path.split("__"):
        if isinstance(value, list):
            value = [getattr(item, name, None) for item in value]
        else:
            value = getattr(value, name, None)
    return value


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def _as_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
