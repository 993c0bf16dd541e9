"""Temporary: the test environment has the Home Assistant it should."""

import sys

from homeassistant.const import __version__
import pytest_homeassistant_custom_component


def test_home_assistant_version() -> None:
    """Min runs 2026.2.3 on 3.13, newest 2026.10.4 on 3.14."""
    expected = "2026.10.4" if sys.version_info >= (3, 14) else "2026.2.3"
    print(__version__, sys.version, pytest_homeassistant_custom_component.__name__)
    assert __version__ == expected
