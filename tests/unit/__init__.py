"""Unit tests of the integration's pure functions."""
