"""Cursor pagination over the in-memory repository pages like the SQL one (PROF-4, PAG-4)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from flask_jsonapi import ResourceRepositoryViewSet
from flask_jsonapi.resource_repositories.memory import MemoryRepository
from tests.support.notes import NoteSchema, notes_app

CONTENTS = ["b", "a", "c", "a", "b", "d", "a"]


def cursor_client(rows: list[SimpleNamespace] | None = None):
    class NoteViewSet(ResourceRepositoryViewSet):
        schema = NoteSchema
        pagination = "cursor"

    if rows is None:
        rows = [SimpleNamespace(id=i + 1, content=c, parent_id=1) for i, c in enumerate(CONTENTS)]
    viewset = NoteViewSet(repository=MemoryRepository(rows))
    return notes_app(lambda api: api.repository(viewset, "notes", "/notes")).test_client()


def walk(client, url: str, direction: str = "next") -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.document
        pages.append([note["id"] for note in response.document["data"]])
        url = response.document["links"][direction]
        assert len(pages) <= len(CONTENTS), f"the links go round in circles: {pages}"
    return pages


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["1", "2", "3", "4", "5", "6", "7"]),
        ("&sort=content", ["2", "4", "7", "1", "5", "3", "6"]),
        ("&sort=-content", ["6", "3", "1", "5", "2", "4", "7"]),
    ],
    ids=["id", "content", "-content"],
)
def test_next_links_visit_every_note_once_in_sort_order(sort: str, expected: list[str]) -> None:
    """PROF-4: the pages follow the sort, ties by id, each note exactly once."""
    pages = walk(cursor_client(), f"/notes?page[size]=3{sort}")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sum(pages, []) == expected


def test_objects_without_the_sort_attribute_sort_as_null_and_page_prof_4() -> None:
    """PROF-4, SRT-4: stored objects that lack the sort attribute sort as null (first
    ascending, last descending), and the cursor pages visit each object once."""
    parents = {1: 2, 3: 1, 5: 1}  # notes 2 and 4 have no parent_id at all
    rows = [
        SimpleNamespace(
            id=i, content=f"n{i}", **({"parent_id": parents[i]} if i in parents else {})
        )
        for i in range(1, 6)
    ]
    client = cursor_client(rows)
    assert sum(walk(client, "/notes?page[size]=2&sort=parentId"), []) == ["2", "4", "3", "5", "1"]
    assert sum(walk(client, "/notes?page[size]=2&sort=-parentId"), []) == ["1", "3", "5", "2", "4"]


def test_prev_links_walk_the_same_pages_backwards() -> None:
    """PROF-4: from the last page, prev links give the pages in reverse, first prev null."""
    client = cursor_client()
    forward = walk(client, "/notes?page[size]=3&sort=content")
    last_url = client.get("/notes?page[size]=3&sort=content").document["links"]["next"]
    last_url = client.get(last_url).document["links"]["next"]
    assert walk(client, last_url, "prev") == forward[::-1]
