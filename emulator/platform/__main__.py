"""Run the platform emulator from a shell, for demonstrations and manual tests.

    scripts/run python -m emulator.platform --edp-port 8760 --http-port 8080 --db onenet.sqlite

It prints one line with its addresses, then serves until SIGINT or SIGTERM.
"""

import argparse
import asyncio
import signal
import sys

from .edp_server import SaveAckForm
from .emulator import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID, PlatformEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(prog="python -m emulator.platform", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--edp-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--http-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--master-key", default=DEFAULT_MASTER_KEY)
    parser.add_argument("--project-id", default=DEFAULT_PROJECT_ID)
    parser.add_argument(
        "--saveack-form", choices=[form.value for form in SaveAckForm], default=SaveAckForm.C
    )
    parser.add_argument("--keepalive-scale", type=float, default=1.0)
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> PlatformEmulator:
    """An emulator configured from the options."""
    return PlatformEmulator(
        master_key=args.master_key,
        project_id=args.project_id,
        db_path=args.db,
        host=args.host,
        edp_port=args.edp_port,
        http_port=args.http_port,
        keepalive_scale=args.keepalive_scale,
        saveack_form=SaveAckForm(args.saveack_form),
    )


async def serve(platform: PlatformEmulator, stop: asyncio.Event) -> None:
    """Run the emulator until `stop` is set, announcing its addresses on stdout."""
    async with platform:
        host, port = platform.edp_address
        sys.stdout.write(f"EDP {host}:{port} HTTP {platform.http_url}\n")
        sys.stdout.flush()
        await stop.wait()


async def main(argv: list[str] | None) -> None:
    """Serve until a termination signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(build(parse_args(argv)), stop)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


if __name__ == "__main__":
    asyncio.run(main(None))
