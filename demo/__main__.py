"""`python -m demo` (`scripts/demo`): bring the whole loop up, say where it is, wait for Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys

from .stack import DEMO_ENTITIES, DEMO_USER, DemoError, DemoOptions, DemoStack


def _say(text: str) -> None:
    sys.stderr.write(f"==> {text}\n")
    sys.stderr.flush()


async def run() -> int:
    """Start, print, wait for SIGINT or SIGTERM, stop; the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stack = DemoStack(DemoOptions(log=_say))
    starting = asyncio.create_task(stack.start())
    waiting = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            return 0
        starting.result()
        info = stack.emulator
        sys.stdout.write(
            "\n".join(
                [
                    "",
                    "OneNET M6311 demo running; Ctrl-C stops everything.",
                    "",
                    f"Home Assistant   http://localhost:{stack.options.hass_port}",
                    f"                 user {DEMO_USER!r}, password {stack.options.password!r}",
                    f"Platform page    {info['web_url']}  (device {stack.device_id})",
                    f"Platform API     {info['http_url']}  (api-key {stack.master_key})",
                    f"Module control   {info['control_url']}  (POST /unplug, /replug)",
                    f"Serial port      {info['link_path']}",
                    f"Forwarded        {', '.join(DEMO_ENTITIES)}",
                    "",
                    "Change Demo level in Home Assistant and watch the platform page; a command",
                    "sent from the page fires onenet_m6311_command (Developer tools > Events).",
                ]
            )
            + "\n"
        )
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


def main() -> int:
    """Entry point."""
    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
