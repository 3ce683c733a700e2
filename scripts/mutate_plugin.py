"""A pytest plugin for ``make mutate`` only: every test starts with the library's caches empty.

mutmut runs each mutant's tests in a process forked from one that already ran the suite,
so a result cached there (a parsed ``Accept`` header, a compiled schema, a built query)
would be answered without running the mutated code, and the mutant would wrongly survive.
"""

from __future__ import annotations

import sys

import pytest

# Module-level caches that are plain dicts (the functools caches are found by themselves).
_DICT_CACHES = {
    "flask_jsonapi.schema.compiled": "_cache",
    "flask_jsonapi.query.config": "_CACHE",
    "flask_jsonapi.scopes": "_MEMO",
    "flask_jsonapi.links": "_HOST_URLS",
}


def clear_library_caches() -> None:
    """Empty every cache a module of ``flask_jsonapi`` keeps between requests."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "flask_jsonapi" or name.startswith("flask_jsonapi.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()
        cache = getattr(module, _DICT_CACHES.get(name, ""), None)
        if isinstance(cache, dict):
            cache.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    clear_library_caches()
