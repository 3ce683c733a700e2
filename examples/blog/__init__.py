"""The blog demo: authors, articles, comments and tags served as JSON:API (`make run`)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy, so that importing examples.blog.models or .seed does not import flask_jsonapi.
    if name == "create_app":
        from .api import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
