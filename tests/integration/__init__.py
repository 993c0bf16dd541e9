"""Tests of the Joulo integration in Home Assistant."""
