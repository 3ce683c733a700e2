"""Count the SQL statements an engine executes, e.g. to catch N+1 query patterns.

Usage::

    with count_statements(engine) as counter:
        client.get("/articles?include=author")
    assert counter.count == 2, counter.statements

Every statement that goes through a DBAPI cursor of ``engine`` is counted (the
``before_cursor_execute`` event), whatever it is: SELECT/INSERT/UPDATE/DELETE, DDL,
``SAVEPOINT`` / ``RELEASE SAVEPOINT`` / ``ROLLBACK TO SAVEPOINT``, and the statements
dialects run on first connect (e.g. PostgreSQL's ``select pg_catalog.version()``, only on
a brand-new engine). An ``executemany()`` counts as one statement. Nothing is filtered out.
Not counted, because they do not go through a cursor: the implicit ``BEGIN`` of the driver
and ``COMMIT`` / ``ROLLBACK`` of a connection (``connection.commit()`` /
``.rollback()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class StatementCounter:
    """Statements seen so far; ``statements`` are the SQL strings as sent to the driver."""

    statements: list[str] = field(default_factory=list)
    parameters: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        """Forget what was counted so far (the listener stays active)."""
        self.statements.clear()
        self.parameters.clear()

    def __str__(self) -> str:
        lines = [f"{self.count} statement(s):"]
        lines.extend(f"  {index}. {sql}" for index, sql in enumerate(self.statements, 1))
        return "\n".join(lines)


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementCounter]:
    """Count the statements executed through cursors of ``engine`` inside the block.

    The listener is removed on exit (also when the block raises); the counter keeps its
    values and can be inspected afterwards.
    """
    counter = StatementCounter()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        counter.statements.append(statement)
        counter.parameters.append(parameters)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
