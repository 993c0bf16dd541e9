"""Tests of the Joulo API simulator."""
