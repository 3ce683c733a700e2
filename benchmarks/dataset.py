"""The benchmark dataset: a deterministic SQLite file of the blog schema, cached in data/.

Sizes (the issue's "1,000 / 10,000 / 50,000 / 50 rows"):

=============  ======  ==================================================================
table          rows    shape
=============  ======  ==================================================================
authors         1,000  20 distinct names (50 authors share each), unique e-mails
articles       10,000  ~500-character bodies, unique ``views``; author = ``id % 1000 + 1``
comments       50,000  5 per article on average (random article), random author
tags               50  unique names
article_tags   20,000  2 distinct random tags per article
=============  ======  ==================================================================

The schema is the blog demo's (``examples/blog/models.py``), written here as DDL so that
every target, whatever its SQLAlchemy models, reads the same tables. Everything comes from
``random.Random(SEED)``: the same file on every machine. Run ``python benchmarks/dataset.py``
to (re)build it; :func:`ensure_dataset` builds it once and reuses it.
"""

from __future__ import annotations

import random
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

SEED = 20240501
VERSION = 3  # bump when the content changes: the file name carries it
N_AUTHORS = 1_000
N_ARTICLES = 10_000
N_COMMENTS = 50_000
N_TAGS = 50
TAGS_PER_ARTICLE = 2
BODY_LENGTH = 500

DATA_DIR = Path(__file__).resolve().parent / "data"
DATASET = DATA_DIR / f"blog-v{VERSION}.sqlite"

# 20 names, each shared by 50 authors: a filter on the author's name matches 500 articles.
AUTHOR_NAMES = [
    "Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov",
    "Donald Knuth", "Margaret Hamilton", "Ken Thompson", "Frances Allen", "John McCarthy",
    "Radia Perlman", "Dennis Ritchie", "Adele Goldberg", "Niklaus Wirth", "Shafi Goldwasser",
    "Tony Hoare", "Leslie Lamport", "Jean Sammet", "Guido van Rossum", "Karen Jones",
]  # fmt: skip
FILTER_NAME = AUTHOR_NAMES[3]

WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
    "sunt culpa qui officia deserunt mollit anim id est laborum"
).split()

SCHEMA = """
CREATE TABLE authors (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(200) NOT NULL UNIQUE
);
CREATE TABLE articles (
    id INTEGER NOT NULL PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    created DATETIME NOT NULL,
    views INTEGER NOT NULL,
    draft BOOLEAN NOT NULL DEFAULT 0,
    author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL
);
CREATE INDEX ix_articles_author_id ON articles (author_id);
CREATE INDEX ix_articles_draft ON articles (draft);
CREATE TABLE comments (
    id INTEGER NOT NULL PRIMARY KEY,
    body TEXT NOT NULL,
    created DATETIME NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL
);
CREATE INDEX ix_comments_article_id ON comments (article_id);
CREATE INDEX ix_comments_author_id ON comments (author_id);
CREATE TABLE tags (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(50) NOT NULL UNIQUE
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
);
"""

BASE_TIME = datetime(2024, 1, 1, 8, 0, 0)


def _text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length].rstrip().capitalize() + "."


def _timestamp(seconds: int) -> str:
    # The text SQLAlchemy's SQLite DateTime stores and parses back.
    return (BASE_TIME + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path) -> None:
    """Write the dataset to `path` (replaced if present)."""
    rng = random.Random(SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO authors (id, name, email) VALUES (?, ?, ?)",
        (
            (i, AUTHOR_NAMES[(i - 1) % len(AUTHOR_NAMES)], f"author{i}@example.org")
            for i in range(1, N_AUTHORS + 1)
        ),
    )
    db.executemany(
        "INSERT INTO tags (id, name) VALUES (?, ?)",
        ((i, f"tag-{i:02d}") for i in range(1, N_TAGS + 1)),
    )
    articles = []
    for i in range(1, N_ARTICLES + 1):
        title = _text(rng, rng.randint(20, 60)).rstrip(".")
        # 7919 is prime to 100,000: every article has its own view count (a stable sort).
        views = (i * 7919) % 100_000
        articles.append(
            (i, title, _text(rng, BODY_LENGTH), _timestamp(i * 600), views, i % N_AUTHORS + 1)
        )
    db.executemany(
        "INSERT INTO articles (id, title, body, created, views, author_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        articles,
    )
    comments = [
        (
            i,
            _text(rng, rng.randint(40, 200)),
            _timestamp(i * 120),
            rng.randint(1, N_ARTICLES),
            rng.randint(1, N_AUTHORS),
        )
        for i in range(1, N_COMMENTS + 1)
    ]
    db.executemany(
        "INSERT INTO comments (id, body, created, article_id, author_id) VALUES (?, ?, ?, ?, ?)",
        comments,
    )
    db.executemany(
        "INSERT INTO article_tags (article_id, tag_id) VALUES (?, ?)",
        (
            (i, tag)
            for i in range(1, N_ARTICLES + 1)
            for tag in sorted(rng.sample(range(1, N_TAGS + 1), TAGS_PER_ARTICLE))
        ),
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()
    tmp.replace(path)


def ensure_dataset(path: Path = DATASET) -> Path:
    """The cached dataset file, built first if missing."""
    if not path.exists():
        build(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DATASET
    build(target)
    print(target)
