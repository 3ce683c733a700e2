"""The benchmark dataset in PostgreSQL: the SQLite file's rows copied into a database.

Run by run.py inside a target's venv (it needs psycopg): ``pg_dataset.py URL SQLITE_FILE``.
The tables are replaced only when the database does not already hold this dataset version
(a one-row table ``bench_dataset`` records it), so a second run starts at once.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import psycopg
from dataset import VERSION

SCHEMA = """
DROP TABLE IF EXISTS bench_dataset, article_tags, comments, tags, articles, authors CASCADE;
CREATE TABLE authors (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(200) NOT NULL UNIQUE
);
CREATE TABLE articles (
    id SERIAL PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    created TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    views INTEGER NOT NULL,
    draft BOOLEAN NOT NULL DEFAULT false,
    author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL
);
CREATE INDEX ix_articles_author_id ON articles (author_id);
CREATE INDEX ix_articles_draft ON articles (draft);
CREATE TABLE comments (
    id SERIAL PRIMARY KEY,
    body TEXT NOT NULL,
    created TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL
);
CREATE INDEX ix_comments_article_id ON comments (article_id);
CREATE INDEX ix_comments_author_id ON comments (author_id);
CREATE TABLE tags (
    id SERIAL PRIMARY KEY,
    name VARCHAR(50) NOT NULL UNIQUE
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
);
CREATE TABLE bench_dataset (version INTEGER NOT NULL);
"""

TABLES = {
    "authors": ("id", "name", "email"),
    "articles": ("id", "title", "body", "created", "views", "draft", "author_id"),
    "comments": ("id", "body", "created", "article_id", "author_id"),
    "tags": ("id", "name"),
    "article_tags": ("article_id", "tag_id"),
}


def _loaded(conn: psycopg.Connection) -> bool:
    try:
        row = conn.execute("SELECT version FROM bench_dataset").fetchone()
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        return False
    return row is not None and row[0] == VERSION


def load(url: str, source: Path) -> str:
    """Copy `source` (the SQLite dataset) into the PostgreSQL database at `url`."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        if _loaded(conn):
            return "already loaded"
        conn.execute(SCHEMA)
        lite = sqlite3.connect(source)
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {names} FROM {table}"):
                    if table == "articles":
                        row = (*row[:5], bool(row[5]), row[6])
                    copy.write_row(row)
            if "id" in columns:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        lite.close()
        conn.execute("INSERT INTO bench_dataset (version) VALUES (%s)", (VERSION,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return "loaded"


if __name__ == "__main__":
    print(load(sys.argv[1], Path(sys.argv[2])))
