"""Run the module emulator on its own: `python -m emulator.module --help`.

It prints where clients connect (the pty path, the stable link, the TCP URL, the control API)
and runs until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from dataclasses import replace

from .dialect import parse_dialect
from .emulator import ModuleEmulator
from .engine import ModuleConfig


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m emulator.module", description=__doc__)
    parser.add_argument("--platform-http", default="http://127.0.0.1:8080", help="HTTP API URL")
    parser.add_argument("--edp-host", default="127.0.0.1")
    parser.add_argument("--edp-port", type=int, default=8876)
    parser.add_argument("--imei", default="867567041234567")
    parser.add_argument("--state", default=None, help="JSON file for the stored values")
    parser.add_argument("--dialect", default="", help="e.g. plain_result|cr_only")
    parser.add_argument("--baudrate", type=int, default=115200)
    parser.add_argument(
        "--check-baudrate", action="store_true", help="a client at another speed sees noise"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per cloud operation")
    parser.add_argument("--idle-timeout", type=float, default=128.0)
    parser.add_argument("--link", default=None, help="stable symlink to the pty")
    parser.add_argument("--tcp-port", type=int, default=None, help="serve the UART on TCP too")
    parser.add_argument("--control-port", type=int, default=None, help="control API port")
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> ModuleEmulator:
    """A module emulator configured from the command line."""
    return ModuleEmulator(
        platform_http_url=args.platform_http,
        edp_host=args.edp_host,
        edp_port=args.edp_port,
        imei=args.imei,
        state_path=args.state,
        dialect=parse_dialect(args.dialect),
        baudrate=args.baudrate,
        check_baudrate=args.check_baudrate,
        cloud_latency=args.latency,
        link_path=args.link,
        tcp_port=args.tcp_port,
        control_port=args.control_port,
        config=replace(ModuleConfig(), idle_timeout=args.idle_timeout),
    )


def describe(module: ModuleEmulator) -> str:
    """Where clients connect, one item per line."""
    lines = [f"serial: {module.serial_path}"]
    if module.link_path is not None:
        lines.append(f"link: {module.link_path}")
    if module.tcp_port is not None:
        lines.append(f"tcp: socket://127.0.0.1:{module.tcp_port}")
    if module.control_url is not None:
        lines.append(f"control: {module.control_url}")
    return "\n".join(lines)


async def serve(
    module: ModuleEmulator, stop: asyncio.Event, started: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set; `started` is set once clients can connect."""
    async with module:
        sys.stdout.write(describe(module) + "\n")
        sys.stdout.flush()
        if started is not None:
            started.set()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    logging.basicConfig(level=logging.INFO)
    module = build(parse_args(sys.argv[1:] if argv is None else argv))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(module, asyncio.Event()))


if __name__ == "__main__":
    main()
