"""Test suite for flask_jsonapi (a package so that ``tests.support`` is importable)."""
