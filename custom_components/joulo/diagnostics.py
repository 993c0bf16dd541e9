"""Diagnostics of the Joulo integration, with the token, e-mail, names and TAG ids redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant

from .coordinator import JouloConfigEntry, JouloCoordinator

TO_REDACT = {CONF_API_TOKEN, "email", "name", "id_tag", "id_tags"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: JouloConfigEntry
) -> dict[str, Any]:
    """Return the entry, what each coordinator last read, and how its polls have been going."""
    runtime = entry.runtime_data
    return async_redact_data(
        {
            "entry": {
                "data": dict(entry.data),
                "options": dict(entry.options),
                "unique_id": entry.unique_id,
            },
            "vehicles": [
                {
                    "name": vehicle.name,
                    "id_tags": sorted(vehicle.id_tags),
                    "chargers": sorted(vehicle.chargers),
                    "reimbursement": vehicle.reimbursement,
                    "rate": vehicle.rate,
                }
                for vehicle in runtime.vehicles
            ],
            "costs": runtime.costs.summary(),
            "sessions_with_readings": None if runtime.readings is None else len(runtime.readings),
            "chargers": [asdict(charger) for charger in runtime.chargers.data.values()],
            "charging_power": dict(runtime.chargers.data.power),
            "sessions": {
                "recent": [asdict(session) for session in runtime.sessions.data.recent],
                "last_completed": {
                    charger_id: asdict(session)
                    for charger_id, session in runtime.sessions.data.last_completed.items()
                },
                "estimate_basis": (
                    asdict(basis) if (basis := runtime.sessions.data.estimate_basis) else None
                ),
            },
            "missed_this_year": (
                None
                if runtime.missed_this_year is None
                else {
                    charger_id: asdict(tally)
                    for charger_id, tally in runtime.missed_this_year.items()
                }
            ),
            "energy": asdict(runtime.energy.data),
            "rate_limited_until": runtime.client.gate.closed_until,
            "polling": {
                name: _polling(coordinator)
                for name, coordinator in (
                    ("chargers", runtime.chargers),
                    ("sessions", runtime.sessions),
                    ("energy", runtime.energy),
                )
            },
            "reads_retried": runtime.retries,
        },
        TO_REDACT,
    )


def _polling(coordinator: JouloCoordinator[Any]) -> dict[str, Any]:
    """A coordinator's failed refreshes in a row, its last good answer, and whether it is up."""
    return {
        "failures_in_a_row": coordinator.health.failures_in_a_row,
        "last_success": coordinator.health.last_success,
        "last_update_success": coordinator.last_update_success,
    }
