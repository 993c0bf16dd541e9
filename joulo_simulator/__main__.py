"""Run the simulator alone, in real time: ``python -m joulo_simulator --port 8765 --speed 60``."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
import signal

from .account import DEMO_TOKEN, SimSession
from .server import SimulatorServer
from .simulator import JouloSimulator

CHARGING_POWER_KW = 11.0
"""The power of the session that ``--charging`` starts."""
CHARGING_DURATION = timedelta(hours=1)
"""How long the session that ``--charging`` starts runs (real time, whatever the speed)."""


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        msg = f"must be positive: {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m joulo_simulator", description="Serve a simulated Joulo API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0: any)")
    parser.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="make autopilot sessions N times shorter and more frequent (the clock stays real time)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated account")
    parser.add_argument(
        "--autopilot",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let online chargers start and end sessions by themselves",
    )
    parser.add_argument(
        "--upstream-sync",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show cloud chargers only at their 15-minute syncs, as Joulo does (OCPP stays live)",
    )
    parser.add_argument(
        "--charging",
        action="store_true",
        help="start with a session running on the first online charger that reports live "
        f"({CHARGING_POWER_KW:g} kW for an hour)",
    )
    return parser.parse_args(argv)


def start_charging(sim: JouloSimulator) -> SimSession:
    """Start a session now on the default account's first online, live-reporting charger.

    A live (OCPP) charger, so that its power and energy show at once rather than at a cloud sync.
    """
    charger = next(
        charger
        for charger in sim.default_account.chargers.values()
        if charger.reports_live and charger.status == "online"
    )
    return sim.start_session(charger.id, power_kw=CHARGING_POWER_KW, duration=CHARGING_DURATION)


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    sim = JouloSimulator(
        seed=args.seed,
        speed=args.speed,
        autopilot=args.autopilot,
        upstream_sync=args.upstream_sync,
    )
    charging = start_charging(sim) if args.charging else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with SimulatorServer(sim, args.host, args.port) as server:
        print(f"base_url: {server.base_url}", flush=True)
        print(f"token: {DEMO_TOKEN}", flush=True)
        print(f"admin_url: {server.admin_url}", flush=True)
        if charging is not None:
            print(f"charging: {charging.charger_id}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the simulator from the command line."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
