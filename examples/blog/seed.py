"""Deterministic sample data for the blog demo: the same rows, in the same order, every run."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Article, Author, Comment, Tag

__all__ = ["seed"]

_FIRST_NAMES = [
    "Ada", "Alan", "Barbara", "Brian", "Claude", "Dennis", "Donald", "Edsger", "Frances",
    "Grace", "Guido", "Hedy", "John", "Ken", "Leslie", "Linus", "Margaret", "Niklaus",
    "Radia", "Tim",
]  # fmt: skip
_LAST_NAMES = [
    "Allen", "Backus", "Cerf", "Dijkstra", "Hamilton", "Hopper", "Kay", "Kernighan",
    "Knuth", "Lamport", "Liskov", "Lovelace", "McCarthy", "Perlman", "Ritchie", "Rossum",
    "Shannon", "Thompson", "Turing", "Wirth",
]  # fmt: skip
_TAG_NAMES = [
    "python", "flask", "sqlalchemy", "postgresql", "sqlite", "json-api", "rest", "http",
    "testing", "performance", "security", "databases", "tutorial", "opinion", "release",
    "packaging", "typing", "async", "caching", "deployment",
]  # fmt: skip
_TITLE_OPENERS = [
    "A gentle introduction to", "Ten things I learned about", "Why we switched to",
    "The hidden cost of", "Notes on", "Getting started with", "Debugging",
    "Rethinking", "A field guide to", "What nobody tells you about", "Benchmarking",
    "Lessons from a year of",
]  # fmt: skip
_TITLE_SUBJECTS = [
    "connection pooling", "JSON:API pagination", "sparse fieldsets", "compound documents",
    "database migrations", "content negotiation", "relationship endpoints", "query planning",
    "error documents", "optimistic locking", "eager loading", "schema validation",
    "atomic operations", "cursor pagination", "HTTP caching", "background jobs",
]  # fmt: skip
_SENTENCES = [
    "The first version was simple, and that was its main virtue.",
    "We measured before we changed anything, and the numbers surprised us.",
    "Most of the time went into a single query that nobody had looked at in months.",
    "The specification is clear on this point, even if the libraries are not.",
    "A small test suite caught the regression before it reached production.",
    "Readers asked for a follow-up, so here it is.",
    "The trade-off is worth it for read-heavy workloads.",
    "Nothing here is new, but it is easy to forget under deadline pressure.",
    "Clients should never have to guess what a response means.",
    "We kept the public interface unchanged and rewrote everything behind it.",
    "It turned out the cache was hiding a bug rather than fixing one.",
    "Every error now tells the client exactly which field was wrong.",
    "The migration ran in under a minute on a table with a million rows.",
    "Indexes are cheap until they are not.",
    "Good defaults matter more than configuration options.",
]
_COMMENTS = [
    "Great write-up, thanks!",
    "This saved me an afternoon of debugging.",
    "Have you tried the same benchmark on PostgreSQL?",
    "I disagree with the conclusion, but the analysis is solid.",
    "Could you share the code for the second example?",
    "We hit exactly this problem last week.",
    "Typo in the third paragraph, otherwise excellent.",
    "How does this interact with pagination?",
    "Bookmarked for later.",
    "The part about error documents was the most useful for me.",
]

# Fixed rather than "now", so that every run produces identical rows.
_EPOCH = datetime(2024, 1, 1, 9, 0, 0)


def _paragraphs(rng: random.Random) -> str:
    return "\n\n".join(
        " ".join(rng.sample(_SENTENCES, rng.randint(2, 5))) for _ in range(rng.randint(1, 4))
    )


def seed(
    session: Session,
    *,
    authors: int = 20,
    articles: int = 200,
    comments_per_article: int = 3,
    tags: int = 15,
) -> None:
    """Fill an empty blog database with sample rows; do nothing when authors already exist."""
    if session.scalar(select(func.count()).select_from(Author)):
        return
    rng = random.Random(42)

    author_rows = []
    for i in range(authors):
        first = _FIRST_NAMES[i % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(i * 7 + i // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
        author_rows.append(
            Author(name=f"{first} {last}", email=f"{first}.{last}.{i + 1}@example.org".lower())
        )
    tag_rows = [
        Tag(name=_TAG_NAMES[i] if i < len(_TAG_NAMES) else f"topic-{i + 1}") for i in range(tags)
    ]
    # Flushed before the articles so that ids follow the order above on every backend.
    session.add_all(author_rows)
    session.add_all(tag_rows)
    session.flush()

    article_rows = []
    for i in range(articles):
        created = _EPOCH + timedelta(hours=12 * i, minutes=rng.randint(0, 599))
        article = Article(
            title=f"{rng.choice(_TITLE_OPENERS)} {rng.choice(_TITLE_SUBJECTS)}",
            body=_paragraphs(rng),
            created=created,
            views=rng.randint(0, 5000),
            # Every twentieth article is a guest post, without an author.
            author=rng.choice(author_rows) if author_rows and i % 20 != 19 else None,
            tags=rng.sample(tag_rows, rng.randint(0, min(4, len(tag_rows)))),
        )
        for _ in range(comments_per_article):
            created += timedelta(minutes=rng.randint(5, 3000))
            article.comments.append(
                Comment(
                    body=rng.choice(_COMMENTS),
                    created=created,
                    author=rng.choice(author_rows) if author_rows and rng.random() >= 0.2 else None,
                )
            )
        article_rows.append(article)
    session.add_all(article_rows)
    session.commit()
