"""The typed query object: what a request asked for, validated, before any storage sees it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IncludeNode:
    """One relationship in an include (or load) tree, with the relationships below it."""

    member: str
    attribute: str
    type_: str
    many: bool
    children: Mapping[str, IncludeNode] = field(default_factory=dict)
    included: bool = True  # False: loaded only for linkage, not placed in `included`

    def walk(self, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], IncludeNode]]:
        path = (*prefix, self.attribute)
        yield path, self
        for child in self.children.values():
            yield from child.walk(path)


@dataclass(frozen=True)
class SortKey:
    """Sort by an attribute path on the model (``('author', 'name')``), maybe descending."""

    path: tuple[str, ...]
    descending: bool = False

    @property
    def legacy(self) -> str:
        return ("-" if self.descending else "") + "__".join(self.path)


@dataclass(frozen=True)
class Page:
    """A page: ``size`` items from ``offset``, or after/before a cursor (``style="cursor"``).

    ``count``: whether the total is counted. Pages that are not counted, and cursor pages,
    fetch one item more than ``size`` to learn whether there is a next (or previous) page.
    """

    style: str  # "number" | "offset" | "cursor"
    size: int
    offset: int = 0
    count: bool = True
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None

    @property
    def number(self) -> int:
        return self.offset // self.size + 1

    @property
    def probe(self) -> bool:
        """Whether one extra item is fetched to know if more follow."""
        return self.style == "cursor" or not self.count

    @property
    def legacy(self) -> dict[str, Any]:
        if self.style == "cursor":
            pagination: dict[str, Any] = {"cursor": "after", "limit": self.size + 1}
            if self.before is not None:
                pagination.update(cursor="before", values=list(self.before))
            elif self.after is not None:
                pagination["values"] = list(self.after)
            return pagination
        if self.probe:
            return {"offset": self.offset, "limit": self.size + 1}
        if self.style == "offset":
            return {"offset": self.offset, "limit": self.size}
        return {"size": self.size, "number": self.number}

    def window(self, items: list[Any]) -> tuple[list[Any], bool | None]:
        """The items of this page from what the repository returned, and whether more follow
        (precede, for ``before``); ``None`` when the page was not probed."""
        if not self.probe:
            return items, None
        more = len(items) > self.size
        if self.before is not None:
            return items[-self.size :] if more else items, more
        return items[: self.size], more


@dataclass(frozen=True)
class ResourceQuery:
    """include, fields, sort, page and filter of one request, parsed and validated."""

    include: Mapping[str, IncludeNode] = field(default_factory=dict)
    load: Mapping[str, IncludeNode] = field(default_factory=dict)
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sort: tuple[SortKey, ...] = ()
    page: Page | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sorting(self) -> tuple[str, ...]:
        """The sort keys in the original's form (``('-title', 'author__name')``)."""
        return tuple(key.legacy for key in self.sort)

    @property
    def pagination(self) -> dict[str, Any]:
        """The page in the original's form (``{'size': 50, 'number': 1}``); pages that probe
        for more are ``{'offset': 0, 'limit': 51}``, cursor pages add ``cursor`` and
        ``values`` (the sort-key values, primary key last, to continue after or before)."""
        return self.page.legacy if self.page else {}

    @property
    def count(self) -> bool:
        """Whether the total number of matching resources is wanted (``meta.count``)."""
        return self.page is None or self.page.count

    def fieldset(self, type_: str) -> frozenset[str] | None:
        return self.fields.get(type_)


def page_bounds(pagination: Mapping[str, int]) -> tuple[int, int] | None:
    """The ``LIMIT`` and ``OFFSET`` of a number or offset page in the original's form
    (:attr:`ResourceQuery.pagination`); ``None``: not paged."""
    if "size" in pagination and "number" in pagination:
        size = pagination["size"]
        return size, size * (pagination["number"] - 1)
    if "limit" in pagination:
        return pagination["limit"], pagination.get("offset", 0)
    return None


EXPRESSION_KEY = "$expression"


class FilterKey(str):
    """A filter's key in the flat form (``author__id__gt``), as repositories read it, that
    remembers what the client wrote: the query ``parameter`` it came from
    (``filter[writer][id][gt]``) and its ``name`` in the client's terms (that parameter, or
    the ``name`` of a condition in a filter expression), so that an error the repository
    finds points at the request and not at the model. Equal to (and hashed as) the plain
    key: code that reads ``filters`` as ``{str: value}`` sees no difference."""

    parameter: str
    name: str

    def __new__(cls, key: str, parameter: str, name: str | None = None) -> FilterKey:
        self = super().__new__(cls, key)
        self.parameter = parameter
        self.name = name or parameter
        return self

    def __reduce__(self) -> Any:
        return FilterKey, (str(self), self.parameter, self.name)


@dataclass(frozen=True)
class FilterExpression:
    """``and``/``or``/``not`` of conditions, from ``filter=[...]``; stored in the filters dict
    under :data:`EXPRESSION_KEY`. A condition is a ``(key, value)`` pair of the flat form
    (``('author__name__icontains', 'bob')``) or a nested expression."""

    op: str  # "and" | "or" | "not"
    items: tuple[Any, ...]


class PageItems(list):
    """A page of objects that also carries each object's sort-key values (primary key
    last): what a repository returns for a cursor page, to write the cursors."""

    def __init__(self, items: Any = (), sort_keys: Any = ()) -> None:
        super().__init__(items)
        self.sort_keys: list[tuple[Any, ...]] = list(sort_keys)
