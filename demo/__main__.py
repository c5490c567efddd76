"""`python -m demo` (`scripts/demo`): bring the whole loop up, say where it is, wait for Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import sys

from emulator.module import PROFILES

from .stack import (
    DEMO_ENTITIES,
    DEMO_USER,
    HOST,
    SAMPLE_FILE,
    DemoError,
    DemoOptions,
    DemoStack,
)

LISTEN_VARIABLE = "ONENET_DEMO_HOST"
"""The environment variable that gives --listen its default."""

DESCRIPTION = f"""\
Both emulators and a real Home Assistant with the integration set up against the
emulated module, a demo user and demo entities forwarded to the emulated platform.
Prints the addresses and the demo user's password; Ctrl-C stops everything.

Everything listens on {HOST} only, this machine. --listen 0.0.0.0 lets other
machines reach Home Assistant (and log in with the printed password); the emulators
stay on {HOST}.
"""


def _say(text: str) -> None:
    sys.stderr.write(f"==> {text}\n")
    sys.stderr.flush()


def _ip_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        msg = f"not an IP address: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen",
        type=_ip_address,
        default=os.environ.get(LISTEN_VARIABLE) or HOST,
        metavar="ADDRESS",
        help=f"the IP address Home Assistant listens on (${LISTEN_VARIABLE}, else {HOST})",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="the emulated module behaves as this real firmware (default: as documented)",
    )
    return parser.parse_args(argv)


def _where(stack: DemoStack) -> str:
    """Home Assistant's address, and every address it listens on when it does."""
    host = stack.options.hass_host
    if ipaddress.ip_address(host).is_unspecified:
        return f"{stack.hass_url}  (listening on {host}: every address)"
    return stack.hass_url


def summary(stack: DemoStack) -> str:
    """What the demo prints once it runs: where everything is, and what to try."""
    info = stack.emulator
    example = stack.send_file_example()
    return "\n".join(
        [
            "",
            "OneNET M6311 demo running; Ctrl-C stops everything.",
            "",
            f"Home Assistant   {_where(stack)}",
            f"                 user {DEMO_USER!r}, password {stack.options.password!r}",
            f"Platform page    {info['web_url']}  (device {stack.device_id})",
            f"Platform API     {info['http_url']}  (api-key {stack.master_key})",
            f"Module control   {info['control_url']}  (POST /unplug, /replug)",
            f"Serial port      {info['link_path']}",
            f"Forwarded        {', '.join(DEMO_ENTITIES)}",
            f"Files            {stack.files_dir}  (allowed for actions, with {SAMPLE_FILE})",
            "",
            "Change Demo level in Home Assistant and watch the platform page; a command",
            "sent from the page fires onenet_m6311_command (Developer tools > Events).",
            "To upload the sample file, run this in Developer tools > Actions (YAML mode);",
            f"the platform page then shows it under Binary uploads ({example['datastream']!r}):",
            "",
            "  action: onenet_m6311.send_file",
            "  data:",
            *(f"    {name}: {value}" for name, value in example.items()),
            "",
        ]
    )


async def run(options: argparse.Namespace) -> int:
    """Start, print, wait for SIGINT or SIGTERM, stop; the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stack = DemoStack(DemoOptions(hass_host=options.listen, log=_say, profile=options.profile))
    starting = asyncio.create_task(stack.start())
    waiting = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            return 0
        starting.result()
        sys.stdout.write(summary(stack))
        sys.stdout.flush()
        await waiting
    except DemoError as error:
        _say(f"demo failed: {error}")
        return 1
    finally:
        waiting.cancel()
        _say("Stopping Home Assistant and the emulators")
        await stack.stop()
    return 0


def main(argv: list[str]) -> int:
    """Entry point."""
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
