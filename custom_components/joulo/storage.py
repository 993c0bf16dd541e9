"""A store written a while after each change, and at once on unload if anything is unwritten."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store


class DelayedStore[DataT: Mapping[str, Any]]:
    """Keeps what `serialize` returns in Home Assistant's storage under `key`.

    `schedule_save` after each change writes once `delay` seconds have passed without another;
    `async_flush` (on unload) writes at once what is not written yet.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        key: str,
        *,
        version: int,
        delay: float,
        serialize: Callable[[], DataT],
    ) -> None:
        """Store under `key`, in format `version`, what `serialize` returns."""
        self._store: Store[DataT] = Store(hass, version, key)
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

    async def async_remove(self) -> None:
        """Forget what was stored."""
        await self._store.async_remove()

    def _data_to_save(self) -> DataT:
        self._unsaved = False
        return self._serialize()
