"""The benchmark's targets: one Flask app module per library, each exposing ``create_app``
and ``REQUESTS`` (request name -> method, path, query string, body, expected status)."""
