"""Helpers for testing cpnetwork and code built on it (fixtures, factories, conformance)."""
