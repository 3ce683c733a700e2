"""``make stress``: the blog demo under gunicorn on PostgreSQL, worked by concurrent clients.

The demo (``examples.blog``) is served by gunicorn (gthread, 4 workers x 4 threads by
default) on a free port of 127.0.0.1, over the PostgreSQL database ``--database-url``
(default ``$STRESS_DATABASE_URL``, else ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
created when missing, its blog tables dropped and seeded anew). For ``--duration`` seconds,
``--clients`` threads (a quarter each) do:

* readers: lists, details, includes, related and relationship endpoints;
* writers: POST/PATCH/DELETE of articles (any writer's, so PATCH races DELETE and two
  DELETEs race) and of their own comments;
* incrementers: read-modify-write of one counter (article 1's ``views``) with
  ``If-Match``, reading again on 412;
* taggers: each owns distinct tags, adds and removes them on shared articles through the
  relationship endpoints and through Atomic Operations; every two seconds all of them add
  one contested tag to, and remove another from, the same article at once; each replaces
  the tags of an article of its own. So the final members are known.

while ``--kills`` times a connection kills every backend of the database
(``pg_terminate_backend``). Then it prints the figures and checks them: no 5xx (503
during a kill window excepted, counted apart), no transport error, no answer outside the
expected ones, no lost increment, the relationship members as expected, each
collection's ``meta.count`` equal to its rows, the rows the clients created and deleted
as their answers said. Exit status 1 when a check fails, 2 when it cannot run.

    .venv/bin/python scripts/stress.py [--duration 60] [--clients 16] [--kills 3]

gunicorn and the clients' tools come with the ``dev`` extra (``make stress`` installs it).
Every process it starts is stopped when it ends, on failure too.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import URL, Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from examples.blog.api import DATABASE_URL_ENV  # noqa: E402
from examples.blog.models import Article, Base, Comment, Tag, article_tags  # noqa: E402
from examples.blog.seed import seed  # noqa: E402
from flask_jsonapi.testing import assert_valid_document  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASE_URL_VARIABLE = "STRESS_DATABASE_URL"
HOST = "127.0.0.1"
MEDIA_TYPE = "application/vnd.api+json"
ATOMIC_TYPE = f'{MEDIA_TYPE}; ext="https://jsonapi.org/ext/atomic"'
# A 503 whose request was in flight from just before a kill until this long after it ended
# is the kill's (the killed backends exit a little after pg_terminate_backend returns).
KILL_GRACE = 1.0
# Seeded rows (examples/blog/seed.py): articles 1..200, authors 1..20, tags 1..15.
SEEDED_ARTICLES = 200
SEEDED_AUTHORS = 20
COUNTER_ARTICLE = 1
SHARED_ARTICLES = [2, 3, 4, 5]
TAGS_PER_TAGGER = 4
# Seconds each contested tag is added (removed) by every tagger at once (class Contest).
CONTEST_ROUND = 2.0
FIGURE_WIDTH = 27  # the names column of the printed figures
# Writers comment on these seeded articles only, never on the shared or counter ones.
COMMENTED_ARTICLES = range(10, SEEDED_ARTICLES + 1)


_STARTED = time.monotonic()


def log(message: str) -> None:
    """``message`` on stderr, after the seconds since the script started."""
    print(f"[{time.monotonic() - _STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)


# --- what the clients saw -------------------------------------------------------------


@dataclass
class Answer:
    """One request: what it did, how it ended, and when."""

    action: str
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    started: float
    ended: float
    detail: str = ""
    method: str = "GET"
    url: str = ""


@dataclass
class Tally:
    """Everything the clients recorded; list.append is atomic, counters take the lock."""

    answers: list[Answer] = field(default_factory=list)
    unexpected: list[Answer] = field(default_factory=list)
    broken_contract: list[str] = field(default_factory=list)
    kills: list[tuple[float, float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    increments_ok: int = 0
    increments_412: int = 0
    increments_503: int = 0
    # Writers: rows they know exist, rows they know were deleted, rows a 503 left in doubt.
    live_titles: set[str] = field(default_factory=set)
    deleted_titles: set[str] = field(default_factory=set)
    doubtful_titles: set[str] = field(default_factory=set)
    live_comments: set[str] = field(default_factory=set)
    deleted_comments: set[str] = field(default_factory=set)
    doubtful_comments: set[str] = field(default_factory=set)
    # Articles created and not yet deleted (id -> title): any writer edits or deletes any of
    # them, so PATCH races DELETE and two DELETEs race; 204s per id, ids answered 404.
    shelf: dict[str, str] = field(default_factory=dict)
    deletes_204: Counter[str] = field(default_factory=Counter)
    gone_404: set[str] = field(default_factory=set)

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + amount)

    def in_kill_window(self, answer: Answer) -> bool:
        return any(
            answer.started <= ended + KILL_GRACE and answer.ended >= started - 0.1
            for started, ended, _ in self.kills
        )


def _detail(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return response.text[:200]
    return "; ".join(str(e.get("detail") or e.get("title")) for e in errors)[:300]


class Client:
    """One client's HTTP connection, recording every answer in the tally."""

    def __init__(self, base_url: str, tally: Tally, seed: int) -> None:
        # Plain HTTP on loopback: verify=False spares loading a CA bundle per client.
        self.http = httpx.Client(
            base_url=base_url, timeout=30, headers={"Accept": MEDIA_TYPE}, verify=False
        )
        self.tally = tally
        self.rng = random.Random(seed)

    def send(
        self,
        action: str,
        method: str,
        url: str,
        expect: Iterable[int],
        document: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        """The response, or ``None`` when none came; an answer outside ``expect`` (and
        not 5xx, judged later against the kill windows) is recorded as unexpected."""
        sent = dict(headers or {})
        if document is not None:
            sent.setdefault("Content-Type", MEDIA_TYPE)
        started = time.monotonic()
        try:
            response = self.http.request(method, url, json=document, headers=sent)
        except httpx.HTTPError as error:
            detail = f"{type(error).__name__}: {error}"
            self.tally.answers.append(
                Answer(action, 0, started, time.monotonic(), detail, method, url)
            )
            return None
        answer = Answer(action, response.status_code, started, time.monotonic(), "", method, url)
        if response.status_code >= 400:
            answer.detail = _detail(response)
            try:
                assert_valid_document(response.json())
            except Exception as error:  # noqa: BLE001 - any invalidity is reported
                self.tally.broken_contract.append(
                    f"{action}: {response.status_code} is not a JSON:API error document: "
                    f"{str(error)[:200]}"
                )
        self.tally.answers.append(answer)
        if response.status_code < 500 and response.status_code not in expect:
            self.tally.unexpected.append(answer)
        return response

    def send_idempotent(
        self,
        action: str,
        method: str,
        url: str,
        expect: set[int],
        document: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        """Send again after a 503: the write is idempotent, so its outcome is known."""
        response = self.send(action, method, url, expect, document, headers)
        for _ in range(10):
            if response is None or response.status_code != 503:
                return response
            time.sleep(0.1)
            again = action + " (again after 503)"
            response = self.send(again, method, url, expect, document, headers)
        return response

    def send_atomic(
        self, operations: list[dict[str, Any]], label: str = ""
    ) -> httpx.Response | None:
        """``POST /operations`` (Atomic Operations), sent again after a 503: the adds,
        removes and replaces it carries are idempotent."""
        headers = {"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE}
        document = {"atomic:operations": operations}
        action = f"POST /operations (tags{' ' + label if label else ''})"
        return self.send_idempotent(action, "POST", "/operations", {200, 204}, document, headers)

    def close(self) -> None:
        self.http.close()


# --- the clients ----------------------------------------------------------------------


# What readers GET: (action, URL template).
READS = [
    ("GET /articles (page)", "/articles?page[size]=20&page[number]={page}"),
    ("GET /articles/N", "/articles/{article}"),
    ("GET /articles/N?include", "/articles/{article}?include=author,comments,tags"),
    ("GET /articles?include&sort", "/articles?include=author,tags&sort=-views&page[size]=10"),
    ("GET /comments?include", "/comments?include=article,author&page[number]={page}"),
    ("GET /articles/N/comments", "/articles/{article}/comments"),
    ("GET /articles/N/relationships/tags", "/articles/{shared}/relationships/tags"),
    ("GET /tags", "/tags?page[size]=100"),
    ("GET /authors/N?include", "/authors/{author}?include=articles"),
]


def reader(client: Client, stop: threading.Event) -> None:
    """GETs of every kind of read endpoint; every one must answer 200."""
    rng = client.rng
    while not stop.is_set():
        action, url = rng.choice(READS)
        values = {
            "article": rng.randint(1, SEEDED_ARTICLES),
            "author": rng.randint(1, SEEDED_AUTHORS),
            "page": rng.randint(1, 12),
            "shared": rng.choice(SHARED_ARTICLES),
        }
        client.send(action, "GET", url.format(**values), {200})


def _new_article(client: Client, title: str) -> None:
    author = {"type": "authors", "id": str(client.rng.randint(1, SEEDED_AUTHORS))}
    document = {
        "data": {
            "type": "articles",
            "attributes": {"title": title, "body": "written under load", "views": 0},
            "relationships": {"author": {"data": author}},
        }
    }
    tally = client.tally
    response = client.send("POST /articles", "POST", "/articles", {201}, document)
    if response is not None and response.status_code == 201:
        with tally.lock:
            tally.shelf[response.json()["data"]["id"]] = title
            tally.live_titles.add(title)
    elif response is not None and response.status_code == 503:
        tally.doubtful_titles.add(title)


def _edit_or_delete_article(client: Client, delete: bool, serial: int) -> None:
    """PATCH or DELETE of any writer's article: another writer may have deleted it (404),
    or be deleting it now; of two DELETEs of one row, one is 204 and the other 404."""
    tally = client.tally
    with tally.lock:
        if not tally.shelf:
            return
        # Among the newest few, so that writers often pick the same one at once.
        id_, title = client.rng.choice(list(tally.shelf.items())[-3:])
    url = f"/articles/{id_}"
    if delete:
        response = client.send_idempotent("DELETE /articles/N", "DELETE", url, {204, 404})
    else:
        attributes = {"body": f"edited {serial}"}
        document = {"data": {"type": "articles", "id": id_, "attributes": attributes}}
        response = client.send_idempotent("PATCH /articles/N", "PATCH", url, {200, 404}, document)
    if response is None or response.status_code not in (204, 404):
        return
    with tally.lock:
        if response.status_code == 204:
            tally.deletes_204[id_] += 1
        else:
            tally.gone_404.add(id_)
        # Gone either way (the end checks the 404s against the 204s and the table).
        tally.shelf.pop(id_, None)
        tally.live_titles.discard(title)
        tally.deleted_titles.add(title)


def writer(client: Client, number: int, stop: threading.Event) -> None:
    """Articles (shared among writers) and comments (its own): created, edited, deleted;
    every answer tells which rows exist (a 503 on a POST leaves its row in doubt: the
    commit may have happened before the connection died)."""
    rng, tally = client.rng, client.tally
    comments: dict[str, str] = {}  # id -> marker
    serial = itertools.count(1)
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.25:
            _new_article(client, f"stress-w{number}-a{next(serial)}")
        elif roll < 0.52:
            _edit_or_delete_article(client, delete=roll >= 0.40, serial=next(serial))
        elif roll < 0.77 or not comments:
            marker = f"stress-w{number}-c{next(serial)}"
            article = {"type": "articles", "id": str(rng.choice(COMMENTED_ARTICLES))}
            document = {
                "data": {
                    "type": "comments",
                    "attributes": {"body": marker},
                    "relationships": {"article": {"data": article}},
                }
            }
            response = client.send("POST /comments", "POST", "/comments", {201}, document)
            if response is not None and response.status_code == 201:
                comments[response.json()["data"]["id"]] = marker
                tally.live_comments.add(marker)
            elif response is not None and response.status_code == 503:
                tally.doubtful_comments.add(marker)
        elif roll < 0.88:
            id_ = rng.choice(list(comments))
            attributes = {"body": f"{comments[id_]} edited {next(serial)}"}
            document = {"data": {"type": "comments", "id": id_, "attributes": attributes}}
            url = f"/comments/{id_}"
            client.send_idempotent("PATCH /comments/N", "PATCH", url, {200}, document)
        else:
            id_ = rng.choice(list(comments))
            url = f"/comments/{id_}"
            response = client.send_idempotent("DELETE /comments/N", "DELETE", url, {204})
            if response is not None and response.status_code == 204:
                marker = comments.pop(id_)
                tally.live_comments.discard(marker)
                tally.deleted_comments.add(marker)


def _read_counter(client: Client) -> tuple[str | None, int] | None:
    response = client.send(
        "GET /articles/1 (counter)", "GET", f"/articles/{COUNTER_ARTICLE}", {200}
    )
    if response is None or response.status_code != 200:
        return None
    etag = response.headers.get("ETag")
    if etag is None or etag.startswith("W/"):
        client.tally.broken_contract.append(f"GET /articles/1 gave no strong ETag: {etag!r}")
    return etag, response.json()["data"]["attributes"]["views"]


def incrementer(client: Client, stop: threading.Event) -> None:
    """``views + 1`` with ``If-Match`` until stopped: a 412 means another client won, so
    read again; a 503 is sent again unchanged (the precondition makes that safe)."""
    tally = client.tally
    state = None
    while not stop.is_set():
        if state is None:
            state = _read_counter(client)
            continue
        etag, views = state
        document = {
            "data": {
                "type": "articles",
                "id": str(COUNTER_ARTICLE),
                "attributes": {"views": views + 1},
            }
        }
        headers = {"If-Match": etag} if etag else {}
        response = client.send(
            "PATCH /articles/1 (increment)",
            "PATCH",
            f"/articles/{COUNTER_ARTICLE}",
            {200, 412},
            document,
            headers,
        )
        if response is None:
            state = None
        elif response.status_code == 200:
            tally.add("increments_ok")
            stored = response.json()["data"]["attributes"]["views"]
            new_etag = response.headers.get("ETag")
            if stored != views + 1:
                tally.broken_contract.append(f"increment to {views + 1} answered {stored}")
            if new_etag is None or new_etag == etag:
                tally.broken_contract.append(f"PATCH 200 without a new ETag ({new_etag!r})")
                state = None
            else:
                state = (new_etag, stored)
        elif response.status_code == 412:
            tally.add("increments_412")
            state = None
        elif response.status_code == 503:
            # In doubt: if the first try committed, this precondition is stale now (412).
            tally.add("increments_503")
        else:
            state = None


@dataclass
class TagPlan:
    """What one tagger owns: its tags, and an article whose tags only it replaces."""

    tags: list[int]
    own_article: int
    # Its tags on each shared article and on its own article, as its 2xx answers left them.
    on_shared: dict[int, set[int]] = field(default_factory=dict)
    on_own: set[int] = field(default_factory=set)


@dataclass
class Contest:
    """Tags every tagger adds, or removes, at once: in round i (CONTEST_ROUND seconds) all
    add tag ``adding[i]`` to and remove ``removing[i]`` from article ``SHARED_ARTICLES[i % 4]``.
    The ``removing`` tags are on every shared article at first. After the round's first
    add (remove), the others add a member already there (remove one already gone)."""

    adding: list[int]
    removing: list[int]
    started: float = 0.0
    # (article, tag) pairs some 2xx answer added or removed.
    added: set[tuple[int, int]] = field(default_factory=set)
    removed: set[tuple[int, int]] = field(default_factory=set)

    def now(self) -> tuple[int, int, int]:
        """This round's article, tag to add and tag to remove."""
        round_ = int((time.monotonic() - self.started) / CONTEST_ROUND)
        article = SHARED_ARTICLES[round_ % len(SHARED_ARTICLES)]
        return (
            article,
            self.adding[round_ % len(self.adding)],
            self.removing[round_ % len(self.removing)],
        )


def _linkage(ids: Iterable[int]) -> list[dict[str, str]]:
    return [{"type": "tags", "id": str(id_)} for id_ in sorted(ids)]


def _tags_ref(article: int) -> dict[str, str]:
    return {"type": "articles", "id": str(article), "relationship": "tags"}


def _contested(client: Client, plan: TagPlan, contest: Contest) -> None:
    """This round's add and remove, with some of its own tags, plain or atomic."""
    rng = client.rng
    article, to_add, to_remove = contest.now()
    mine = set(rng.sample(plan.tags, rng.randint(0, 2)))
    url = f"/articles/{article}/relationships/tags"
    way = rng.randrange(3)
    if way == 0:
        document = {"data": _linkage(mine | {to_add})}
        response = client.send_idempotent(
            "POST /articles/N/relationships/tags (contested)", "POST", url, {200, 204}, document
        )
    elif way == 1:
        document = {"data": _linkage(mine | {to_remove})}
        response = client.send_idempotent(
            "DELETE /articles/N/relationships/tags (contested)", "DELETE", url, {200, 204}, document
        )
    else:
        response = client.send_atomic(
            [
                {"op": "add", "ref": _tags_ref(article), "data": _linkage(mine | {to_add})},
                {"op": "remove", "ref": _tags_ref(article), "data": _linkage({to_remove})},
            ],
            "(contested)",
        )
    if response is None or response.status_code not in (200, 204):
        return
    if way != 1:
        contest.added.add((article, to_add))
        plan.on_shared[article] |= mine
    if way != 0:
        contest.removed.add((article, to_remove))
    if way == 1:
        plan.on_shared[article] -= mine


def _replace_own(client: Client, plan: TagPlan, subset: set[int]) -> None:
    """Its own article's tags replaced: relationship PATCH, resource PATCH or atomic."""
    own = plan.own_article
    way = client.rng.randrange(3)
    if way == 0:
        url = f"/articles/{own}/relationships/tags"
        response = client.send_idempotent(
            "PATCH /articles/N/relationships/tags",
            "PATCH",
            url,
            {200, 204},
            {"data": _linkage(subset)},
        )
    elif way == 1:
        relationships = {"tags": {"data": _linkage(subset)}}
        document = {"data": {"type": "articles", "id": str(own), "relationships": relationships}}
        response = client.send_idempotent(
            "PATCH /articles/N (relationships.tags)", "PATCH", f"/articles/{own}", {200}, document
        )
    else:
        response = client.send_atomic(
            [{"op": "update", "ref": _tags_ref(own), "data": _linkage(subset)}], "(replace)"
        )
    if response is not None and response.status_code in (200, 204):
        plan.on_own = subset


def tagger(client: Client, plan: TagPlan, contest: Contest, stop: threading.Event) -> None:
    """Adds and removes of its own tags on the shared articles (which every tagger works
    on at once), plain and atomic; the round's contested add and remove; replaces of its
    own article's tags."""
    rng = client.rng
    plan.on_shared = {article: set() for article in SHARED_ARTICLES}
    while not stop.is_set():
        roll = rng.random()
        subset = set(rng.sample(plan.tags, rng.randint(1, len(plan.tags))))
        article = rng.choice(SHARED_ARTICLES)
        url = f"/articles/{article}/relationships/tags"
        document = {"data": _linkage(subset)}
        if roll < 0.2:
            action = "POST /articles/N/relationships/tags"
            response = client.send_idempotent(action, "POST", url, {200, 204}, document)
            if response is not None and response.status_code in (200, 204):
                plan.on_shared[article] |= subset
        elif roll < 0.4:
            action = "DELETE /articles/N/relationships/tags"
            response = client.send_idempotent(action, "DELETE", url, {200, 204}, document)
            if response is not None and response.status_code in (200, 204):
                plan.on_shared[article] -= subset
        elif roll < 0.6:
            operations = []
            changes = []
            for _ in range(rng.randint(1, 3)):
                article = rng.choice(SHARED_ARTICLES)
                subset = set(rng.sample(plan.tags, rng.randint(1, len(plan.tags))))
                op = rng.choice(["add", "remove"])
                operations.append({"op": op, "ref": _tags_ref(article), "data": _linkage(subset)})
                changes.append((op, article, subset))
            response = client.send_atomic(operations)
            if response is not None and response.status_code in (200, 204):
                for op, article, subset in changes:
                    if op == "add":
                        plan.on_shared[article] |= subset
                    else:
                        plan.on_shared[article] -= subset
        elif roll < 0.85:
            _contested(client, plan, contest)
        else:
            _replace_own(client, plan, subset)


def killer(
    engine: Engine, database: str, at: list[float], tally: Tally, stop: threading.Event
) -> None:
    """At each time of ``at``: terminate every other backend of ``database``."""
    for moment in at:
        if stop.wait(max(0.0, moment - time.monotonic())):
            return
        started = time.monotonic()
        with engine.connect() as connection:
            killed = connection.execute(
                sa.text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            ).scalar_one()
        tally.kills.append((started, time.monotonic(), killed))
        log(f"kill {len(tally.kills)}: {killed} backends terminated")


# --- the database and the server ------------------------------------------------------


def ensure_database(url: URL) -> None:
    """Create the database of ``url`` when it does not exist yet."""
    admin = sa.create_engine(
        url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            ).first()
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(url.database)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
                log(f"created database {url.database}")
    finally:
        admin.dispose()


@dataclass
class Setup:
    """The rows the run starts from."""

    initial_views: int
    # The tags of each shared article at the start: seeded ones and the contested removes.
    initial_tags: dict[int, set[int]]
    plans: list[TagPlan]
    contest: Contest


def prepare(engine: Engine, taggers: int, rounds: int) -> Setup:
    """Drop the blog tables, seed them anew, and add each tagger's tags and article, and
    the contested tags of ``rounds`` rounds."""
    with engine.begin() as connection:
        # Connections a stopped run left behind would hold locks on the tables.
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        for table in reversed(Base.metadata.sorted_tables):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name} CASCADE")
        Base.metadata.create_all(connection)
    with Session(engine) as session:
        seed(session)
        plans = []
        for number in range(taggers):
            tags = [Tag(name=f"stress-t{number}-{k}") for k in range(TAGS_PER_TAGGER)]
            article = Article(title=f"stress-tagger-{number}", body="its tags are replaced")
            session.add_all([*tags, article])
            session.flush()
            plans.append(TagPlan(tags=[tag.id for tag in tags], own_article=article.id))
        adding = [Tag(name=f"stress-add-{k}") for k in range(rounds)]
        removing = [Tag(name=f"stress-remove-{k}") for k in range(rounds)]
        session.add_all([*adding, *removing])
        session.flush()
        session.execute(
            article_tags.insert(),
            [{"article_id": a, "tag_id": t.id} for a in SHARED_ARTICLES for t in removing],
        )
        session.commit()
        initial_views = session.get(Article, COUNTER_ARTICLE).views
        contest = Contest([tag.id for tag in adding], [tag.id for tag in removing])
    return Setup(initial_views, _tags_in_database(engine, SHARED_ARTICLES), plans, contest)


def _tags_in_database(engine: Engine, articles: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {article: set() for article in articles}
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(article_tags.c.article_id, article_tags.c.tag_id).where(
                article_tags.c.article_id.in_(list(found))
            )
        )
        for article, tag in rows:
            found[article].add(tag)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    # Linux: gunicorn's master gets SIGTERM if this script is killed outright (SIGKILL).
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_gunicorn(
    url: URL, workers: int, threads: int, logfile: Path
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving the demo on a free port of 127.0.0.1, answering requests."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--bind", f"{HOST}:{port}", "--timeout", "60", "--graceful-timeout", "5",
        "--log-level", "warning", "examples.blog:create_app(seed_data=False)",
    ]  # fmt: skip
    environment = {**os.environ, DATABASE_URL_ENV: url.render_as_string(hide_password=False)}
    # gunicorn's log and the app's (the library logs each 503 it answers) go to one file.
    with logfile.open("ab") as output:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    deadline = time.monotonic() + 90
    while True:
        if server.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {server.returncode}: {logfile.read_text()[-2000:]}"
            )
        try:
            response = httpx.get(
                f"http://{HOST}:{port}/articles/1", headers={"Accept": MEDIA_TYPE}, timeout=5
            )
            if response.status_code == 200:
                return server, port
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_gunicorn(server)
            raise RuntimeError("gunicorn did not answer within 90 s")
        time.sleep(0.3)


def stop_gunicorn(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's process group (its master and workers), then SIGKILL to any
    of them still there after 15 s."""
    _signal_group(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(server.pid, signal.SIGKILL)
    server.wait()


def _signal_group(group: int, number: int) -> None:
    try:
        os.killpg(group, number)
    except ProcessLookupError:
        pass


# --- the checks -------------------------------------------------------------------------


def _rows(engine: Engine, statement: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(statement).all()


Figures = list[tuple[str, str]]


def _check_answers(tally: Tally, elapsed: float, failures: list[str]) -> Figures:
    """No 5xx but a 503 during a kill, an answer to every request, only expected ones."""
    answers = tally.answers
    statuses = Counter(answer.status for answer in answers)
    server_errors = [a for a in answers if a.status >= 500]
    during_kills = [a for a in server_errors if a.status == 503 and tally.in_kill_window(a)]
    bad_5xx = [a for a in server_errors if not (a.status == 503 and tally.in_kill_window(a))]
    no_answer = [a for a in answers if a.status == 0]
    for text, count in Counter(f"{a.status} on {a.action}: {a.detail}" for a in bad_5xx).items():
        failures.append(f"{text} (x{count})")
    for answer in no_answer[:10]:
        failures.append(f"no answer to {answer.action} {answer.url}: {answer.detail}")
    unexpected = Counter(f"{a.status} on {a.action}: {a.detail}" for a in tally.unexpected)
    for text, count in unexpected.most_common(20):
        failures.append(f"unexpected {text} (x{count})")
    for text, count in Counter(tally.broken_contract).most_common(20):
        failures.append(f"{text} (x{count})")
    if not answers:
        failures.append("no request was answered")
    by_status = ", ".join(f"{status or 'none'}: {n}" for status, n in sorted(statuses.items()))
    return [
        ("requests", f"{len(answers)} ({len(answers) / elapsed:.0f}/s; by status {by_status})"),
        ("latency", _latency(answers)),
        ("5xx", f"{len(bad_5xx)} (503 during a kill, excepted: {len(during_kills)})"),
        ("no answer", str(len(no_answer))),
        ("unexpected answers", str(len(tally.unexpected))),
    ]


def _latency(answers: list[Answer]) -> str:
    """p50, p99 and the slowest, in milliseconds."""
    times = sorted(answer.ended - answer.started for answer in answers)
    if not times:
        return "-"
    p50, p99 = (times[min(len(times) - 1, int(q * len(times)))] for q in (0.5, 0.99))
    return f"p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms, max {times[-1] * 1e3:.0f} ms"


def _check_counter(http: httpx.Client, setup: Setup, tally: Tally, failures: list[str]) -> Figures:
    """The counter grew by the increments answered 200 (plus at most those a 503 left in
    doubt: committed just before the connection died)."""
    final = http.get(f"/articles/{COUNTER_ARTICLE}").json()["data"]["attributes"]["views"]
    stored = final - setup.initial_views
    lost = tally.increments_ok - stored
    if lost > 0:
        failures.append(
            f"lost increments: {lost} ({tally.increments_ok} answered 200, the counter grew "
            f"by {stored})"
        )
    if stored - tally.increments_ok > tally.increments_503:
        failures.append(
            f"the counter grew by {stored}, more than the {tally.increments_ok} increments "
            f"answered 200 and the {tally.increments_503} left in doubt by a 503"
        )
    if tally.increments_ok == 0:
        failures.append("no increment succeeded")
    return [
        ("increments (2xx)", str(tally.increments_ok)),
        ("counter grew by", f"{stored} (lost increments: {max(lost, 0)})"),
        ("412s retried", str(tally.increments_412)),
        ("increments resent after 503", str(tally.increments_503)),
    ]


def _check_members(
    engine: Engine, http: httpx.Client, setup: Setup, failures: list[str]
) -> Figures:
    """Each article's tags, served and in the table, are what the 2xx answers left."""
    contest = setup.contest
    expected_tags = {
        article: {
            tag for tag in setup.initial_tags[article] if (article, tag) not in contest.removed
        }
        | {tag for tag in contest.adding if (article, tag) in contest.added}
        | set().union(*(plan.on_shared[article] for plan in setup.plans))
        for article in SHARED_ARTICLES
    }
    expected_tags.update({plan.own_article: set(plan.on_own) for plan in setup.plans})
    in_table = _tags_in_database(engine, expected_tags)
    as_expected = 0
    for article, expected in expected_tags.items():
        served = http.get(f"/articles/{article}/relationships/tags").json()["data"]
        served_ids = {int(linkage["id"]) for linkage in served}
        if served_ids == expected == in_table[article]:
            as_expected += 1
        else:
            failures.append(
                f"article {article}'s tags: expected {sorted(expected)}, served "
                f"{sorted(served_ids)}, in the table {sorted(in_table[article])}"
            )
    return [
        (
            "relationship members",
            f"{as_expected} of {len(expected_tags)} articles as expected (contested: "
            f"{len(contest.added)} tags added, {len(contest.removed)} removed, by all at once)",
        )
    ]


def _check_rows(engine: Engine, http: httpx.Client, tally: Tally, failures: list[str]) -> Figures:
    """``meta.count`` is the table's rows; the writers' rows are what their answers said;
    of racing DELETEs one is 204, and a 404 is only for a row some DELETE removed."""
    counts = {}
    for name, model in (("articles", Article), ("comments", Comment), ("tags", Tag)):
        document = http.get(f"/{name}?page[size]=1").json()
        rows = _rows(engine, sa.select(sa.func.count()).select_from(model))[0][0]
        counts[name] = (document.get("meta", {}).get("count"), rows)
        if counts[name][0] != rows:
            failures.append(f"/{name}: meta.count {counts[name][0]} but {rows} rows")
    title, body = Article.title, Comment.body
    titles = {row[0] for row in _rows(engine, sa.select(title).where(title.like("stress-w%")))}
    markers = {
        row[0].split(" ")[0] for row in _rows(engine, sa.select(body).where(body.like("stress-w%")))
    }
    for what, found, live, deleted, doubtful in (
        ("articles", titles, tally.live_titles, tally.deleted_titles, tally.doubtful_titles),
        ("comments", markers, tally.live_comments, tally.deleted_comments, tally.doubtful_comments),
    ):
        if live - found:
            failures.append(f"{what} answered 201 but not stored: {sorted(live - found)[:10]}")
        unexplained = found - live - doubtful
        if unexplained:
            revived = unexplained & deleted
            failures.append(
                f"{what} stored that no answer created (or deleted: {sorted(revived)[:10]}): "
                f"{sorted(unexplained - revived)[:10]}"
            )

    twice = sorted(id_ for id_, count in tally.deletes_204.items() if count > 1)
    if twice:
        failures.append(f"articles whose DELETE answered 204 twice: {twice[:10]}")
    deleted_503 = {
        a.url.rsplit("/", 1)[1] for a in tally.answers if a.status == 503 and a.method == "DELETE"
    }
    unexplained_404 = sorted(tally.gone_404 - set(tally.deletes_204) - deleted_503)
    if unexplained_404:
        failures.append(f"articles answered 404 that no DELETE removed: {unexplained_404[:10]}")
    gone = [int(id_) for id_ in tally.gone_404]
    still_there = _rows(engine, sa.select(Article.id).where(Article.id.in_(gone)))
    if still_there:
        failures.append(f"articles answered 404 but stored: {[row[0] for row in still_there]}")
    doubtful = len(tally.doubtful_titles) + len(tally.doubtful_comments)
    return [
        ("rows = meta.count", ", ".join(f"{n} {c} = {r}" for n, (c, r) in counts.items())),
        (
            "writers' rows",
            f"{len(titles)} articles, {len(markers)} comments (in doubt after 503: {doubtful})",
        ),
        (
            "shared articles deleted",
            f"{sum(tally.deletes_204.values())} (204), {len(tally.gone_404)} answered 404 "
            "after another's DELETE",
        ),
    ]


def check(
    args: argparse.Namespace,
    engine: Engine,
    http: httpx.Client,
    setup: Setup,
    tally: Tally,
    elapsed: float,
) -> list[str]:
    """Print the figures; the failed checks, each one line."""
    failures: list[str] = []
    figures = _check_answers(tally, elapsed, failures)
    figures += _check_counter(http, setup, tally, failures)
    figures += _check_members(engine, http, setup, failures)
    figures += _check_rows(engine, http, tally, failures)
    if len(tally.kills) != args.kills:
        failures.append(f"{len(tally.kills)} of {args.kills} kills happened")
    backends = _rows(
        engine,
        sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ),
    )[0][0]
    figures += [
        ("backends killed", ", ".join(str(killed) for _, _, killed in tally.kills) or "none"),
        ("connections open at the end", str(backends)),
    ]
    print(
        f"\nstress: {args.workers} gunicorn workers x {args.threads} threads (gthread) on {HOST}, "
        f"database {engine.url.database}, {elapsed:.0f} s, {args.clients} clients, "
        f"{len(tally.kills)} kills"
    )
    for name, value in figures:
        print(f"  {name:<{FIGURE_WIDTH}}  {value}")
    return failures


# --- the run ------------------------------------------------------------------------------


def _split(clients: int) -> dict[str, int]:
    """A quarter of the clients each for reading, writing, incrementing and tagging."""
    roles = ["readers", "writers", "incrementers", "taggers"]
    counts = {role: clients // 4 for role in roles}
    for role in roles[: clients % 4]:
        counts[role] += 1
    return counts


def run(args: argparse.Namespace) -> int:
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql":
        log(f"stress: needs a PostgreSQL URL, not {url.get_backend_name()}")
        return 2
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    roles = _split(args.clients)
    try:
        ensure_database(url)
    except sa.exc.OperationalError as error:
        log(f"stress: cannot reach PostgreSQL at {url.render_as_string()}: {error.orig}")
        return 2
    engine = sa.create_engine(url, poolclass=NullPool)
    log(f"seeding the blog tables of {url.database}")
    setup = prepare(engine, roles["taggers"], rounds=int(args.duration / CONTEST_ROUND) + 1)
    killing = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    logdir = Path(tempfile.mkdtemp(prefix="jsonapi-stress-"))
    logfile = logdir / "gunicorn.log"
    # The first validation compiles the JSON:API schemas (seconds): not on the clock.
    warm_up = threading.Thread(target=assert_valid_document, args=({"meta": {}},))
    warm_up.start()
    log(f"starting gunicorn ({args.workers} workers x {args.threads} threads) on {url.database}")
    server, port = start_gunicorn(url, args.workers, args.threads, logfile)
    warm_up.join()
    log(f"gunicorn answers on {HOST}:{port}")
    base_url = f"http://{HOST}:{port}"
    tally = Tally()
    stop = threading.Event()
    clients: list[Client] = []
    threads: list[threading.Thread] = []
    try:
        seeds = itertools.count(args.seed)
        targets: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        for _ in range(roles["readers"]):
            targets.append((reader, ()))
        for number in range(roles["writers"]):
            targets.append((writer, (number,)))
        for _ in range(roles["incrementers"]):
            targets.append((incrementer, ()))
        for plan in setup.plans:
            targets.append((tagger, (plan, setup.contest)))
        log(f"{args.duration} s of load from {args.clients} clients ({roles}), {args.kills} kills")
        for function, extra in targets:
            client = Client(base_url, tally, next(seeds))
            clients.append(client)
            threads.append(
                threading.Thread(target=function, args=(client, *extra, stop), daemon=True)
            )
        started = setup.contest.started = time.monotonic()
        kill_times = [
            started + args.duration * (k + 1) / (args.kills + 1) for k in range(args.kills)
        ]
        threads.append(
            threading.Thread(
                target=killer, args=(killing, url.database, kill_times, tally, stop), daemon=True
            )
        )
        for thread in threads:
            thread.start()
        stop.wait(args.duration)
        stop.set()
        deadline = time.monotonic() + 45
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - started
        log("checking")
        stuck = sum(thread.is_alive() for thread in threads)
        with httpx.Client(base_url=base_url, timeout=30, headers={"Accept": MEDIA_TYPE}) as http:
            failures = check(args, engine, http, setup, tally, elapsed)
        if stuck:
            failures.append(f"{stuck} client threads still waiting 45 s after the end")
    finally:
        stop.set()
        stop_gunicorn(server)
        for client in clients:
            client.close()
        engine.dispose()
        killing.dispose()
    server_log = logfile.read_text(errors="replace") if logfile.exists() else ""
    tracebacks = server_log.count("Traceback (most recent call last)")
    unavailable = server_log.count("database unavailable:")
    lines = len(server_log.splitlines())
    summary = f"{lines} lines, {tracebacks} tracebacks, {unavailable} 'database unavailable'"
    print(f"  {'server log':<{FIGURE_WIDTH}}  {summary} (the 503s)")
    if tracebacks:
        failures.append(f"{tracebacks} tracebacks in the server's log")
    if failures:
        log(f"server log ({logfile}), last lines:\n" + "\n".join(server_log.splitlines()[-40:]))
        print("\nFAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    shutil.rmtree(logdir, ignore_errors=True)
    print("\nPASSED")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL,
        help=f"PostgreSQL; its blog tables are dropped (default ${DATABASE_URL_VARIABLE}, "
        f"else {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--clients", type=int, default=16, help="client threads, >= 4 (16)")
    parser.add_argument("--kills", type=int, default=3, help="connection kills (3)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--seed", type=int, default=1, help="the clients' random seed (1)")
    args = parser.parse_args(argv)
    if args.clients < 4:
        parser.error("--clients: at least 4 (one of each kind)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a test's timeout, CI) unwinds through the cleanup like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
