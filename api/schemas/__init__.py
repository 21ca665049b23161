"""Marshmallow schemas: shapes of requests and responses."""
