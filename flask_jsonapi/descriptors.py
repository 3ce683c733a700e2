"""``NotImplementedProperty``: a class attribute a subclass must set."""

from __future__ import annotations

from typing import Any


class NotImplementedProperty:
    """Raises ``NotImplementedError`` when read before a subclass or instance sets it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is not None and self.name in vars(instance):
            return vars(instance)[self.name]
        raise NotImplementedError(f"{self.name} is not set on {owner.__name__ if owner else '?'}")

    def __set__(self, instance: Any, value: Any) -> None:
        vars(instance)[self.name] = value
