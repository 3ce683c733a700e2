"""SQLAlchemy models of the blog demo: authors write articles, readers comment, tags group."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Article", "Author", "Base", "Comment", "Tag", "article_tags", "utcnow"]


def utcnow() -> datetime:
    """The current UTC time without tzinfo, as stored in the timezone-naive DateTime columns."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the blog models; `Base.metadata` creates the tables."""


article_tags = Table(
    "article_tags",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)

    articles: Mapped[list[Article]] = relationship(back_populates="author", order_by="Article.id")

    def __repr__(self) -> str:
        return f"<Author {self.id} {self.name!r}>"


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    views: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # A draft is seen only by its author (the demo's policy, `ArticlePolicy` in api.py).
    draft: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false(), index=True
    )
    # SET NULL: deleting an author keeps their articles, now without an author.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id", ondelete="SET NULL"), nullable=True, index=True
    )

    author: Mapped[Author | None] = relationship(back_populates="articles")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Comment.id"
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=article_tags, back_populates="articles", order_by="Tag.id"
    )

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.title!r}>"


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # SET NULL: Author has no `comments` collection, so the database must detach them.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id", ondelete="SET NULL"), nullable=True, index=True
    )

    article: Mapped[Article] = relationship(back_populates="comments")
    author: Mapped[Author | None] = relationship()

    def __repr__(self) -> str:
        return f"<Comment {self.id} on article {self.article_id}>"


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)

    articles: Mapped[list[Article]] = relationship(
        secondary=article_tags, back_populates="tags", order_by="Article.id"
    )

    def __repr__(self) -> str:
        return f"<Tag {self.id} {self.name!r}>"
