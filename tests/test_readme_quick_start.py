"""README's quick start runs as printed and serves the URLs the docs use (``/articles``)."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from flask_jsonapi.testing import JsonApiClient, resource

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_start_module() -> ModuleType:
    """The first Python block of README.md, executed as a module of its own."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Quick start") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    module = ModuleType("readme_quick_start")
    exec(compile(code, str(README), "exec"), module.__dict__)
    return module


def test_quick_start_serves_articles_without_a_trailing_slash() -> None:
    module = quick_start_module()
    client = JsonApiClient(module.app)

    created = client.post("/articles", json=resource("articles", {"title": "Hello"}))

    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/articles/1"
    listed = client.get("/articles")
    assert listed.status_code == 200
    assert [(r["id"], r["attributes"]) for r in listed.document["data"]] == [
        ("1", {"title": "Hello"})
    ]
    assert client.get("/articles/1").document["data"]["links"]["self"] == (
        "http://localhost/articles/1"
    )
    module.session.remove()
    module.db_engine.dispose()
