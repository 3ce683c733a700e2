"""View decorators: ``selective_decorator`` (only for some HTTP methods)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import flask


def selective_decorator(decorator: Callable, methods: Iterable[str]) -> Callable:
    """Apply ``decorator`` to a view only for requests with one of ``methods``."""
    methods = {method.upper() for method in methods}

    def wrap(view: Callable) -> Callable:
        decorated = decorator(view)

        @functools.wraps(view)
        def choose(*args: Any, **kwargs: Any) -> Any:
            if flask.request.method in methods:
                return decorated(*args, **kwargs)
            return view(*args, **kwargs)

        return choose

    return wrap


def check_headers(view: Callable) -> Callable:
    """Kept for compatibility: content negotiation now runs inside every view."""
    return view
