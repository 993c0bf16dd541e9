"""Tests of the Joulo integration, its API client and the Joulo simulator."""
