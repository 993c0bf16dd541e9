"""Tests of the Joulo API client."""
