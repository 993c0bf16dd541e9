"""The stores a config entry keeps: each written a while after each change, and at once on unload.

Every store of an entry is one of `EntryStore`, so removing the entry removes them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN


class EntryStore(StrEnum):
    """The stores of a config entry, each in `.storage/joulo.<entry id>.<store>`."""

    ANNOUNCEMENTS = "sessions"
    """The sessions announced (and the TAG ids of running ones)."""
    STATISTICS = "statistics"
    """How far the session history is imported into statistics, and this year's tallies."""
    READINGS = "readings"
    """The readings of running sessions' kWh so far, which say in which hours they charged."""
    COSTS = "costs"
    """What each completed session cost, worked out once, and at which price source."""


def _store_key(entry_id: str, store: EntryStore) -> str:
    return f"{DOMAIN}.{entry_id}.{store}"


class DelayedStore[DataT: Mapping[str, Any]]:
    """Keeps what `serialize` returns in one of an entry's stores.

    `schedule_save` after each change writes once `delay` seconds have passed without another;
    `async_flush` (on unload) writes at once what is not written yet.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        store: EntryStore,
        *,
        version: int,
        delay: float,
        serialize: Callable[[], DataT],
    ) -> None:
        """Keep in `store` of the entry `entry_id`, in format `version`, what `serialize` returns."""
        self._store: Store[DataT] = Store(hass, version, _store_key(entry_id, store))
        self._delay = delay
        self._serialize = serialize
        self._unsaved = False

    async def async_load(self) -> DataT | None:
        """What was stored, or None the first time."""
        return await self._store.async_load()

    def schedule_save(self) -> None:
        """Something changed: write it soon."""
        self._unsaved = True
        self._store.async_delay_save(self._data_to_save, self._delay)

    async def async_flush(self) -> None:
        """Write now whatever is not written yet."""
        if self._unsaved:
            await self._store.async_save(self._data_to_save())

    def _data_to_save(self) -> DataT:
        self._unsaved = False
        return self._serialize()


async def async_remove_entry_stores(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every store of a removed entry."""
    for store in EntryStore:
        # The format version only matters to reading; any removes the file.
        await Store[dict[str, Any]](hass, 1, _store_key(entry_id, store)).async_remove()
