"""The benchmark dataset in PostgreSQL: the SQLite file of ``dataset.py`` copied into a database.

    python benchmarks/pg_copy.py URL            # load unless already loaded (same version)
    python benchmarks/pg_copy.py URL --restore  # undo the benchmark's writes

Runs in a venv with SQLAlchemy and psycopg 3 (`make bench` runs it in the hand-written
app's venv, `make bench-http` in its `http` venv).
The tables are the blog demo's (``examples.blog.models``), so the demo's ``create_all``
finds them in place. A table ``bench_dataset`` records the dataset version that was loaded;
a database holding another version (or none, or other row counts) is emptied and loaded
again with ``COPY``, sequences set past the copied ids, then ``VACUUM ANALYZE``. ``--restore``
deletes the articles the POSTs added and gives the PATCHed article its title back, so every
run reads the same rows.

``VACUUM``, not only ``ANALYZE``: a freshly copied table has no visibility map, so every
``count(*)`` (each list's ``meta.count``) would read the whole heap instead of an index
(3.4 ms instead of 1.6 ms for 10,000 articles), a cost no database that autovacuum has
visited pays.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(ROOT)]

import sqlalchemy  # noqa: E402
from dataset import N_ARTICLES, VERSION, ensure_dataset  # noqa: E402

from examples.blog.models import Base  # noqa: E402

TABLES = {
    "authors": "id, name, email",
    "tags": "id, name",
    "articles": "id, title, body, created, views, draft, author_id",
    "comments": "id, body, created, article_id, author_id",
    "article_tags": "article_id, tag_id",
}
WRITTEN_ARTICLE = 9999  # benchmarks/targets/common.py's WRITE_ID


def _psycopg_url(url: str) -> str:
    """The plain libpq URL of a SQLAlchemy URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    return sqlalchemy.make_url(url).set(drivername="postgresql").render_as_string(False)


def load(url: str) -> bool:
    """Load the dataset into `url` unless this version is there already; True if it loaded."""
    import psycopg

    engine = sqlalchemy.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    source = sqlite3.connect(ensure_dataset())
    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bench_dataset (version integer NOT NULL)")
        loaded = connection.execute("SELECT version FROM bench_dataset").fetchall()
        # The counts too: a test run on the same database may have emptied the tables.
        counts = [connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES]
        stale = loaded != [(VERSION,)] or counts != [
            source.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES
        ]
        if stale:
            _copy(connection, source)
    # Also when loaded already: earlier runs' writes leave dead rows behind.
    _vacuum(url)
    return stale


def _copy(connection: Any, source: sqlite3.Connection) -> None:
    connection.execute(f"TRUNCATE bench_dataset, {', '.join(TABLES)} RESTART IDENTITY")
    for table, columns in TABLES.items():
        rows = source.execute(f"SELECT {columns} FROM {table}")
        with connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if table == "articles":
                    row = (*row[:5], bool(row[5]), row[6])
                copy.write_row(row)
    for table in ("authors", "tags", "articles", "comments"):
        connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
        )
    connection.execute("INSERT INTO bench_dataset VALUES (%s)", (VERSION,))


def _vacuum(url: str) -> None:
    import psycopg

    # VACUUM cannot run inside a transaction block.
    with psycopg.connect(_psycopg_url(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def restore(url: str) -> None:
    """Undo the benchmark's POSTs and PATCHes."""
    import psycopg

    source = sqlite3.connect(ensure_dataset())
    (title,) = source.execute(
        "SELECT title FROM articles WHERE id = ?", (WRITTEN_ARTICLE,)
    ).fetchone()
    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute("DELETE FROM articles WHERE id > %s", (N_ARTICLES,))
        connection.execute("UPDATE articles SET title = %s WHERE id = %s", (title, WRITTEN_ARTICLE))
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('articles', 'id'), %s)", (N_ARTICLES,)
        )
    _vacuum(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="SQLAlchemy URL of the PostgreSQL database")
    parser.add_argument("--restore", action="store_true", help="undo the benchmark's writes")
    args = parser.parse_args()
    if args.restore:
        restore(args.url)
    else:
        print("loaded" if load(args.url) else "already loaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
