"""Run the simulator's application on a TCP port, for tests, benchmarks and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from aiohttp import web

from .app import ADMIN_PATH, API_PATH, create_app

if TYPE_CHECKING:
    from types import TracebackType

    from .simulator import JouloSimulator

_SHUTDOWN_TIMEOUT = 5.0


class SimulatorServer:
    """Serves a :class:`JouloSimulator` over HTTP; port 0 picks a free port."""

    def __init__(self, sim: JouloSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare to serve ``sim`` on ``host``:``port``."""
        self.sim = sim
        self.host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self) -> None:
        """Start listening."""
        if self._runner is not None:
            msg = "the server is already running"
            raise RuntimeError(msg)
        # handler_cancellation: a request whose client went away stops at once (the hang fault).
        runner = web.AppRunner(
            create_app(self.sim),
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
            access_log=None,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening, end open requests (hanging ones at once) and close connections."""
        runner, self._runner = self._runner, None
        self._port = None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._port is None:
            msg = "the server is not running"
            raise RuntimeError(msg)
        return self._port

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:8765``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, the simulator's counterpart of ``https://api.joulo.nl/functions/v1/api``."""
        return self.url + API_PATH

    @property
    def admin_url(self) -> str:
        """The base URL of the simulator's admin routes."""
        return self.url + ADMIN_PATH
