"""The seed's promise: ``seed-example.py`` runs unchanged and answers as ``seed-usage.md`` says.

``tests/seed_example.py`` is the user's seed, byte for byte (``test_shared_copies.py``). Each
test loads a fresh module from it, so each gets its own in-memory database (the seed's
module-level ``sqlite:///`` engine) and ids start at 1 whatever the test order.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from tests.support.client import JsonApiClient

SEED_COPY = Path(__file__).with_name("seed_example.py")
MEDIA_TYPE = "application/vnd.api+json"
FIRST_ARTICLE = {"data": {"attributes": {"title": "First article"}, "type": "articles"}}

_module_numbers = itertools.count()

# The seed imports ``declarative_base`` from its SQLAlchemy 1.x location, as its user wrote it.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.MovedIn20Warning")


def load_seed() -> ModuleType:
    """Execute the seed example as a new module (a new engine, database and app)."""
    name = f"seed_example_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(name, SEED_COPY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def seed() -> Iterator[ModuleType]:
    module = load_seed()
    try:
        yield module
    finally:
        module.session.remove()
        module.db_engine.dispose()


@pytest.fixture
def seed_client(seed: ModuleType) -> JsonApiClient:
    seed.app.testing = True
    seed.app.test_client_class = JsonApiClient
    return seed.app.test_client()


def stored_titles(seed: ModuleType) -> list[tuple[int, str]]:
    rows = seed.session.execute(sa.select(seed.Article.id, seed.Article.title)).all()
    seed.session.remove()
    return [tuple(r) for r in rows]


def test_create_article_answers_201_with_location_and_string_id(
    seed: ModuleType, seed_client: JsonApiClient
) -> None:
    """CRT-5, CRT-6, CRT-7, ID-1, DOC-11: the seed's curl POST, answered per seed-usage.md."""
    response = seed_client.post("/articles/", json=FIRST_ARTICLE)

    assert response.status_code == 201
    assert response.mimetype == MEDIA_TYPE
    document = response.document
    data = document["data"]
    assert data["type"] == "articles"
    assert data["id"] == "1"
    assert data["attributes"] == {"title": "First article"}
    assert response.headers["Location"] == data["links"]["self"]
    assert isinstance(document["jsonapi"]["version"], str)
    assert stored_titles(seed) == [(1, "First article")]


def test_created_article_location_resolves(seed_client: JsonApiClient) -> None:
    """RES-9, FET-1: GET on the Location of the created article answers that article."""
    created = seed_client.post("/articles/", json=FIRST_ARTICLE)

    response = seed_client.get(created.headers["Location"])

    assert response.status_code == 200
    assert response.document["data"] == created.document["data"]


def test_list_articles_answers_collection_with_count(seed_client: JsonApiClient) -> None:
    """FET-2, FET-3, ID-1: the seed's curl GET lists the article with ``meta.count`` = 1."""
    seed_client.post("/articles/", json=FIRST_ARTICLE)

    response = seed_client.get("/articles/")

    assert response.status_code == 200
    document = response.document
    assert [(r["type"], r["id"], r["attributes"]) for r in document["data"]] == [
        ("articles", "1", {"title": "First article"})
    ]
    assert document["meta"] == {"count": 1}
    assert isinstance(document["jsonapi"]["version"], str)


def test_list_articles_on_empty_database(seed_client: JsonApiClient) -> None:
    """DOC-8, FET-3: no articles yet -> ``data: []`` and ``meta.count`` = 0."""
    response = seed_client.get("/articles/")

    assert response.status_code == 200
    assert response.document["data"] == []
    assert response.document["meta"] == {"count": 0}


def test_count_and_ids_follow_the_posts(seed: ModuleType, seed_client: JsonApiClient) -> None:
    """ID-1: ids are assigned by the database and answered as strings, in order."""
    for title in ("First article", "Second article"):
        seed_client.post(
            "/articles/", json={"data": {"type": "articles", "attributes": {"title": title}}}
        )

    response = seed_client.get("/articles/")

    assert [r["id"] for r in response.document["data"]] == ["1", "2"]
    assert response.document["meta"] == {"count": 2}
    assert stored_titles(seed) == [(1, "First article"), (2, "Second article")]


def test_each_load_gets_its_own_database() -> None:
    """Loading the seed twice gives two independent apps (the test isolation relies on it)."""
    first, second = load_seed(), load_seed()
    try:
        first.app.test_client_class = JsonApiClient
        first.app.test_client().post("/articles/", json=FIRST_ARTICLE)
        assert stored_titles(first) == [(1, "First article")]
        assert stored_titles(second) == []
    finally:
        for module in (first, second):
            module.session.remove()
            module.db_engine.dispose()
