"""For tests that compare the fast path with the ORM path: which one ran, and where their
documents differ."""

from __future__ import annotations

from typing import Any

import pytest


def spy_calls(monkeypatch: pytest.MonkeyPatch, cls: type, names: tuple[str, ...]) -> list[str]:
    """Wrap ``names`` of ``cls`` for the test; the returned list grows by a name per call."""
    calls: list[str] = []

    def spy(name: str) -> Any:
        original = getattr(cls, name)

        def spied(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(self, *args, **kwargs)

        return spied

    for name in names:
        monkeypatch.setattr(cls, name, spy(name))
    return calls


def first_difference(fast: Any, orm_: Any, path: str = "") -> str | None:
    """The JSON path where two documents first differ, with both values; ``None`` if equal."""
    if isinstance(fast, dict) and isinstance(orm_, dict):
        for key in sorted(set(fast) | set(orm_)):
            if key not in fast or key not in orm_:
                rows_value, orm_value = fast.get(key, "<absent>"), orm_.get(key, "<absent>")
                return f"{path}/{key}: rows {rows_value!r} orm {orm_value!r}"
            found = first_difference(fast[key], orm_[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(fast, list) and isinstance(orm_, list):
        for index, (a, b) in enumerate(zip(fast, orm_, strict=False)):
            found = first_difference(a, b, f"{path}/{index}")
            if found:
                return found
        if len(fast) != len(orm_):
            return f"{path}: rows has {len(fast)} items, orm {len(orm_)}"
        return None
    return None if fast == orm_ else f"{path}: rows {fast!r} orm {orm_!r}"
