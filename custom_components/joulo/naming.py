"""How the account, its chargers and its vehicles are named and identified, never by the token."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntry

_VEHICLE_PREFIX: Final = "vehicle_"


def account_key(entry: ConfigEntry[Any]) -> str:
    """Return what identifies the account in unique ids: its Joulo id, else the entry's id."""
    return entry.unique_id or entry.entry_id


def charger_name(charger_id: str, *names: str | None) -> str:
    """A charger's display name: the first of `names` that is set, else "Charger" and its id's start.

    Callers pass what they know, freshest first: the charger's nickname, a session's nickname, the
    name its device has.
    """
    return next((name for name in names if name), f"Charger {charger_id[:8]}")


def vehicle_key(subentry_id: str) -> str:
    """Return what identifies a vehicle in identifiers and unique ids: its config subentry's id.

    Prefixed, so that it is never taken for a charger's id.
    """
    return f"{_VEHICLE_PREFIX}{subentry_id}"


def is_vehicle_key(identifier: str) -> bool:
    """Whether an identifier of ours is a vehicle's (see `vehicle_key`)."""
    return identifier.startswith(_VEHICLE_PREFIX)
