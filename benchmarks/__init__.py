"""Benchmarks of the Joulo integration in Home Assistant against the simulator; not in `scripts/test`."""
