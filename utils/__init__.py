"""Helpers with no business rules."""
