"""kitsu (an independent JavaScript JSON:API client, run with node) against the demo.

``tests/js/kitsu_client.mjs`` performs reads and writes on a live server and prints what
it saw as JSON; this test compares that summary with the database. kitsu is installed
from the committed ``tests/js/package-lock.json`` when ``tests/js/node_modules`` is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from examples.blog.api import create_app
from examples.blog.models import Article, Base, Comment, article_tags
from tests.support.blog_rows import (
    add_rows,
    article_tag_pairs,
    make_article,
    make_author,
    make_comment,
    make_tag,
    row,
)
from tests.support.database import reset_database
from tests.support.live_server import live_server

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "kitsu_client.mjs"
INSTALL_TIMEOUT = 300
RUN_TIMEOUT = 60


def _run(command: list[str], timeout: int, env: dict[str, str] | None = None) -> str:
    """Run ``command`` in tests/js; fail the test with its output when it fails."""
    try:
        done = subprocess.run(
            command,
            cwd=JS_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with kitsu installed into tests/js/node_modules."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the kitsu client test needs Node.js (18 or later)")
    if not (JS_DIR / "node_modules" / "kitsu" / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("node is installed but npm is not: cannot install kitsu")
        _run([npm, "ci", "--no-audit", "--no-fund"], INSTALL_TIMEOUT)
    return node


def _arrange(db_session: Any) -> dict[str, Any]:
    """Rows for the script: 2 authors, 3 tags, an article with comments, one to delete."""
    add_rows(db_session, make_author(1), make_author(2), make_tag(1), make_tag(2), make_tag(3))
    # Titles chosen so that sort=-title puts the kept article first, then the doomed one.
    add_rows(
        db_session,
        make_article(1, title="Zebra crossings", author_id=1),
        make_article(2, title="Yaks", author_id=2),
        make_article(3, title="Aardvarks"),
    )
    db_session.execute(
        article_tags.insert(), [{"article_id": 1, "tag_id": 1}, {"article_id": 1, "tag_id": 3}]
    )
    db_session.commit()
    add_rows(db_session, *(make_comment(n, article_id=1 if n < 3 else 2) for n in (1, 2, 3)))
    return {"article": "1", "doomedArticle": "2", "authors": ["1", "2"], "tags": ["1", "2", "3"]}


@dataclass
class KitsuRun:
    """One run of the script against a live blog: what kitsu saw, and the app's session."""

    summary: dict[str, Any]
    url: str
    db_session: Any


@pytest.fixture(scope="module")
def kitsu_run(node: str, database_url: str) -> Iterator[KitsuRun]:
    """The script, run once per database (node starts slowly) on a clean blog app.

    Like the ``blog_app`` fixture, but module-scoped: every test below reads this one run.
    """
    app = create_app(database_url, seed_data=False)
    engine, db_session = app.extensions["blog"]["engine"], app.extensions["blog"]["session"]
    db_session.remove()
    reset_database(engine, Base.metadata)
    try:
        ids = _arrange(db_session)
        with live_server(app) as server:
            env = {**os.environ, "JSONAPI_BASE_URL": server.url, "KITSU_FIXTURE": json.dumps(ids)}
            summary = json.loads(_run([node, str(SCRIPT)], RUN_TIMEOUT, env))
        yield KitsuRun(summary, server.url, db_session)
    finally:
        db_session.remove()
        engine.dispose()


@pytest.fixture
def summary(kitsu_run: KitsuRun) -> dict[str, Any]:
    """What kitsu saw, step by step (see tests/js/kitsu_client.mjs)."""
    return kitsu_run.summary


@pytest.fixture
def db_session(kitsu_run: KitsuRun) -> Any:
    """The session of the app kitsu talked to, to check the rows it left."""
    return kitsu_run.db_session


def test_kitsu_reads_collection_with_include_fields_sort_page_fet_3_inc_5_fld_2_srt_2_pag_1(
    summary: dict[str, Any],
) -> None:
    """FET-3, INC-5, FLD-2, SRT-2, PAG-1: sorted page of 2, linked authors and tags."""
    collection = summary["collection"]
    assert collection["status"] == 200
    assert collection["ids"] == ["1", "2"]
    assert collection["titles"] == ["Zebra crossings", "Yaks"]
    assert collection["bodies"] == [None, None]  # fields[articles] leaves body out
    assert collection["authorNames"] == ["Author 1", "Author 2"]
    assert collection["authorEmails"] == [None, None]  # fields[authors]=name
    assert collection["tagNames"] == [["tag-1", "tag-3"], []]
    assert collection["count"] == 3
    assert "page%5Bnumber%5D=2" in collection["next"]


def test_kitsu_reads_one_related_and_relationship_fet_2_fet_7_fet_1_fet_6(
    summary: dict[str, Any],
) -> None:
    """FET-2, FET-1, FET-6, FET-7: one resource, related resources, relationship linkage."""
    assert summary["one"] == {
        "status": 200,
        "id": "1",
        "title": "Zebra crossings",
        "commentIds": ["1", "2"],
        "commentBodies": ["Comment 1", "Comment 2"],
    }
    assert summary["relatedAuthor"] == {
        "status": 200,
        "id": "1",
        "type": "authors",
        "name": "Author 1",
    }
    assert summary["relatedTags"] == {"status": 200, "ids": ["3", "1"], "names": ["tag-3", "tag-1"]}
    assert summary["relationshipTags"] == {
        "status": 200,
        "ids": ["1", "3"],
        "types": ["tags", "tags"],
    }
    assert summary["relationshipAuthor"] == {"status": 200, "id": "1", "type": "authors"}


def test_kitsu_creates_and_updates_crt_5_crt_6_crt_7_upd_6(
    summary: dict[str, Any], kitsu_run: KitsuRun, db_session: Any
) -> None:
    """CRT-5..7, UPD-2, UPD-6, INC-9: POST with relationships (201, Location), PATCH of
    title and author; both with ``include``, so that kitsu sees the linkage."""
    created = summary["create"]
    assert created["status"] == 201
    assert created["location"] == f"{kitsu_run.url}/articles/{created['id']}"
    assert (created["title"], created["authorId"], created["tagIds"]) == (
        "Written with kitsu",
        "1",
        ["1"],
    )
    assert summary["update"] == {
        "status": 200,
        "title": "Edited with kitsu",
        "body": "Sent by a JavaScript client.",
        "authorId": "2",
    }
    stored = row(db_session, Article, int(created["id"]))
    assert (stored["title"], stored["body"]) == (
        "Edited with kitsu",
        "Sent by a JavaScript client.",
    )


def test_kitsu_changes_relationships_at_relationship_urls_urel_1_urel_3_to_urel_7(
    summary: dict[str, Any], db_session: Any
) -> None:
    """UREL-1, UREL-3..7: POST adds, PATCH replaces, DELETE removes tags; PATCH null author."""
    new_id = int(summary["create"]["id"])
    assert summary["addTags"] == {"status": 200, "ids": ["1", "2"]}
    assert summary["replaceTags"] == {"status": 200, "ids": ["2", "3"]}
    assert summary["removeTags"] == {"status": 200, "ids": ["2"]}
    assert summary["clearAuthor"] == {"status": 200, "data": None}
    assert {tag for article, tag in article_tag_pairs(db_session) if article == new_id} == {2}
    assert row(db_session, Article, new_id)["author_id"] is None


def test_kitsu_deletes_with_a_body_del_1_del_3(summary: dict[str, Any], db_session: Any) -> None:
    """DEL-1, DEL-3: kitsu's DELETE (with a ``data`` body) is 204; the article is then 404."""
    assert summary["delete"] == {"status": 204, "data": None}
    assert summary["missing"]["status"] == 404
    assert summary["missing"]["errors"][0]["status"] == "404"
    assert row(db_session, Article, 2) is None
    assert row(db_session, Comment, 3) is None  # its comment went with it
    assert row(db_session, Article, 1) is not None
    assert {article for article, _ in article_tag_pairs(db_session)} == {
        1,
        int(summary["create"]["id"]),
    }
