"""Benchmarks of the Joulo integration against the simulator; each module runs with ``python -m``."""
