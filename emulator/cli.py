"""`python -m emulator` (`scripts/emulate`): the platform and the module emulator, wired together.

It starts the OneNET platform emulator (web page, HTTP API and EDP on 127.0.0.1) and an
emulated M6311 on a pseudo-terminal, makes the devices modes 1 and 2 log in as, prints the
serial port, the credentials of each AT+CIOTCONNECTPARA mode and the addresses, and runs
until Ctrl-C or SIGTERM. Devices, datapoints and the module's flash are kept in the cache
folder, so a restart finds them again (--memory keeps nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .module import PROFILES, Dialect, parse_dialect, profile_named
from .module.dialect import Phrases
from .pair import (
    DEFAULT_AUTH_KEY,
    DEFAULT_AUTH_VALUE,
    DEFAULT_CACHE_DIR,
    DEFAULT_CONTROL_PORT,
    DEFAULT_EDP_PORT,
    DEFAULT_HTTP_PORT,
    DEFAULT_IMEI,
    EmulatorPair,
    PairError,
    PairInfo,
    PairOptions,
)
from .platform import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID

if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "scripts/emulate"


def _dialect(text: str) -> Dialect:
    try:
        return parse_dialect(text)
    except KeyError:
        names = ", ".join(str(flag.name).lower() for flag in Dialect if flag)
        msg = f"unknown dialect {text!r}; names joined by '|' among: {names}"
        raise argparse.ArgumentTypeError(msg) from None


def _profile(text: str) -> str:
    try:
        return profile_named(text).name
    except KeyError as error:
        raise argparse.ArgumentTypeError(error.args[0]) from None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        msg = f"not a number of seconds: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return seconds


def _line_length(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        msg = f"not a line length in bytes: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:  # noqa: PLR2004  # the TCP port range
        msg = f"not a TCP port: {text!r} (0 picks a free one)"
        raise argparse.ArgumentTypeError(msg)
    return port


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_argument_group("where")
    where.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        metavar="DIR",
        help="database, module flash and serial link (default: %(default)s)",
    )
    where.add_argument(
        "--memory", action="store_true", help="keep no database and no flash: start afresh"
    )
    where.add_argument(
        "--link", type=Path, metavar="PATH", help="stable symlink to the pty (DIR/ttyM6311)"
    )
    ports = (
        ("--http-port", DEFAULT_HTTP_PORT, "web page and HTTP API"),
        ("--edp-port", DEFAULT_EDP_PORT, "EDP"),
        ("--control-port", DEFAULT_CONTROL_PORT, "the module's control API"),
    )
    for option, default, what in ports:
        where.add_argument(
            option, type=_port, default=default, metavar="PORT", help=f"{what} (%(default)s)"
        )
    where.add_argument("--no-control", action="store_true", help="no control API")
    where.add_argument(
        "--tcp", type=_port, metavar="PORT", help="serve the serial line on TCP too (socket://)"
    )
    where.add_argument(
        "--tcp-jitter",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="deliver TCP writes in 1-4 pieces, pauses up to this long between them (0: whole)",
    )
    where.add_argument(
        "--tcp-seed", type=int, metavar="N", help="seed of that jitter (default: a new one)"
    )
    cloud = parser.add_argument_group("platform")
    cloud.add_argument(
        "--master-key",
        default=DEFAULT_MASTER_KEY,
        metavar="KEY",
        help="master APIKEY (%(default)s)",
    )
    cloud.add_argument(
        "--project-id", default=DEFAULT_PROJECT_ID, metavar="ID", help="(%(default)s)"
    )
    cloud.add_argument(
        "--auth-key",
        default=DEFAULT_AUTH_KEY,
        metavar="KEY",
        help="mode 2 auth_info key (%(default)s)",
    )
    cloud.add_argument(
        "--auth-value",
        default=DEFAULT_AUTH_VALUE,
        metavar="VALUE",
        help="mode 2 auth_info value (%(default)s)",
    )
    module = parser.add_argument_group("module")
    module.add_argument("--imei", default=DEFAULT_IMEI, help="(%(default)s)")
    module.add_argument(
        "--dialect",
        type=_dialect,
        default=Dialect.DOCUMENTED,
        metavar="NAMES",
        help="answer forms seen in the wild, e.g. plain_result|cr_only (default: documented)",
    )
    module.add_argument(
        "--profile",
        type=_profile,
        metavar="NAME",
        help=f"a real firmware's behaviours and limits, added to --dialect: {', '.join(PROFILES)}",
    )
    module.add_argument(
        "--max-line",
        type=_line_length,
        metavar="N",
        help="longest command line in bytes (1024; m6311r: 256)",
    )
    module.add_argument(
        "--startup-delay",
        type=_seconds,
        metavar="SECONDS",
        help="slow_start: the module is deaf this long after power-on (15)",
    )
    module.add_argument(
        "--connect-delay",
        type=_seconds,
        metavar="SECONDS",
        help="connect_late, connect_only: from the platform's yes to CONNECT OK (1.5)",
    )
    module.add_argument("--baudrate", type=int, default=115200, help="(%(default)s)")
    module.add_argument(
        "--check-baudrate", action="store_true", help="a client at another speed reads line noise"
    )
    module.add_argument(
        "--no-input-pacing",
        action="store_true",
        help="hand what the client writes to the module at once (default: at the baud rate)",
    )
    module.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="per cloud operation (0)"
    )
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON object, then nothing")
    output.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> PairOptions:
    """The pair's options from the command line."""
    return PairOptions(
        cache_dir=args.cache_dir.absolute(),
        persist=not args.memory,
        link_path=None if args.link is None else args.link.absolute(),
        http_port=args.http_port,
        edp_port=args.edp_port,
        control_port=None if args.no_control else args.control_port,
        tcp_port=args.tcp,
        master_key=args.master_key,
        project_id=args.project_id,
        auth_key=args.auth_key,
        auth_value=args.auth_value,
        imei=args.imei,
        dialect=args.dialect,
        baudrate=args.baudrate,
        check_baudrate=args.check_baudrate,
        pace_input=not args.no_input_pacing,
        latency=args.latency,
        profile=args.profile,
        max_line=args.max_line,
        connect_delay=args.connect_delay,
        startup_delay=args.startup_delay,
        tcp_jitter=args.tcp_jitter,
        tcp_seed=args.tcp_seed,
    )


def render(info: PairInfo) -> str:
    """What a person reads: where to connect and what to enter in each mode."""
    key = info.master_key
    mode0, mode1, mode2 = info.modes
    if mode0.device_id:
        mode0_lines = [
            f"the module holds device {mode0.device_id}; this alone logs in:",
            f"  {mode0.at[-1]}",
            f"(a new device: {', '.join(mode0.at)})",
        ]
    else:
        mode0_lines = ["the module holds no device yet; it makes one and logs in with:"]
        mode0_lines += [f"  {line}" for line in mode0.at]
    lines = [
        "OneNET M6311 emulators running; Ctrl-C stops them.",
        "",
        f"Serial port      {info.link_path}  (now {info.serial_path}, {info.baudrate} 8N1)",
    ]
    if info.socket_url:
        lines.append(f"                 {info.socket_url}")
    lines += [
        f"Web page         {info.web_url}",
        f"HTTP API         {info.http_url}  (header api-key: the master APIKEY)",
        f"EDP              {info.edp_host}:{info.edp_port}",
    ]
    if info.control_url:
        lines.append(
            f"Control API      {info.control_url}  (GET /state; POST /reboot, /unplug, /replug, "
            "/drop-cloud, ...)"
        )
    stored = "in memory (--memory)" if info.database is None else str(Path(info.database).parent)
    dialect = "|".join(info.dialect) or "documented"
    profile = f"profile {info.profile}, " if info.profile else ""
    latency = f"latency {info.latency:g} s"
    lines += [
        f"Kept in          {stored}",
        f"Module           IMEI {info.imei}, {profile}dialect {dialect}, {latency}",
        "",
        f"Project ID       {info.project_id}",
        f"Master APIKEY    {key}",
        "                 (the emulator's own key, printed on purpose; never print a real one)",
        "",
        "Log in (Home Assistant's set-up form, or AT+CIOTCONNECTPARA by hand):",
        f"  Mode 0  Master APIKEY    {key}",
        *(f"          {line}" for line in mode0_lines),
        f"  Mode 1  Device ID        {mode1.fields['device_id']}",
        f"          Master APIKEY    {key}",
        *(f"            {line}" for line in mode1.at),
        f"  Mode 2  Project ID       {mode2.fields['project_id']}",
        f"          auth_info key    {mode2.fields['auth_key']}",
        f"          auth_info value  {mode2.fields['auth_value']}",
        *(f"            {line}" for line in mode2.at),
        *_m6311r_lines(info),
        f"  Then    {info.start[0]} (plaintext) or {info.start[1]} (encrypted: RSA, then AES-128;",
        f"          'Encrypt the connection' in Home Assistant); AT+CIOTSTATUS says {_up(info)}",
    ]
    return "\n".join(lines)


def _up(info: PairInfo) -> str:
    """What AT+CIOTSTATUS answers once logged in, in the module's dialect."""
    status = Phrases(parse_dialect("|".join(info.dialect))).status(up=True)
    return " then ".join(line.decode() for line in status)


def _m6311r_lines(info: PairInfo) -> list[str]:
    """The M6311R's own way in, when the module speaks it."""
    if not info.m6311r_at:
        return []
    return [
        "  M6311R  as its driver does: the project login with the values in flash",
        *(f"            {line}" for line in info.m6311r_at),
    ]


async def serve(
    pair: EmulatorPair, stop: asyncio.Event, out: TextIO, *, as_json: bool = False
) -> None:
    """Start the pair, print what it is, run until `stop` is set, stop it."""
    info = await pair.start()
    try:
        text = json.dumps(info.as_dict()) if as_json else render(info)
        out.write(text + "\n")
        out.flush()
        await stop.wait()
    finally:
        await pair.stop()
    if not as_json:
        out.write("Emulators stopped.\n")
        out.flush()


async def run(argv: Sequence[str]) -> int:
    """Serve until SIGINT or SIGTERM; the exit status (1: could not start)."""
    args = parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(EmulatorPair(options_from(args)), stop, sys.stdout, as_json=args.json)
    except (PairError, OSError) as error:
        sys.stderr.write(f"{PROG}: cannot start: {error}\n")
        if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
            sys.stderr.write(
                f"{PROG}: is another emulator running? Other ports: --http-port, --edp-port, "
                "--control-port (0 picks a free one)\n"
            )
        return 1
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m emulator`; returns the exit status."""
    try:
        return asyncio.run(run(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # Ctrl-C before the handlers were in place
        return 0
