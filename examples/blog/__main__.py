"""Serve the blog demo (`make run [PORT=5055] [HOST=0.0.0.0]` or `python -m examples.blog`).

The address comes from ``--host``/``--port`` (``$PORT`` for the port), else
127.0.0.1:5000 (on macOS port 5000 is often taken by AirPlay: pick another one).
The database is ``$BLOG_DATABASE_URL`` when set (``postgresql+psycopg://user@host/blog``),
else SQLite in examples/blog/blog.db; an empty one is created and filled with sample rows.
"""

from __future__ import annotations

import argparse
import os

from .api import create_app


def parse_address(argv: list[str] | None = None) -> tuple[str, int]:
    """The host and port to serve on, from the command line or the environment."""
    parser = argparse.ArgumentParser(prog="python -m examples.blog", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000))
    args = parser.parse_args(argv)
    return args.host, args.port


if __name__ == "__main__":
    host, port = parse_address()
    create_app().run(host=host, port=port, threaded=True)
