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
    """A page: ``size`` items from ``offset``; ``style`` says how links are written."""

    style: str  # "number" | "offset"
    size: int
    offset: int = 0

    @property
    def number(self) -> int:
        return self.offset // self.size + 1

    @property
    def legacy(self) -> dict[str, int]:
        if self.style == "offset":
            return {"offset": self.offset, "limit": self.size}
        return {"size": self.size, "number": self.number}


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
    def pagination(self) -> dict[str, int]:
        """The page in the original's form (``{'size': 50, 'number': 1}``)."""
        return self.page.legacy if self.page else {}

    def fieldset(self, type_: str) -> frozenset[str] | None:
        return self.fields.get(type_)
