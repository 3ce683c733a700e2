"""Serve the blog demo on http://127.0.0.1:5000 (`make run` or `python -m examples.blog`)."""

from .api import create_app

if __name__ == "__main__":
    app = create_app()
    app.run(host="127.0.0.1", port=5000, threaded=True)
