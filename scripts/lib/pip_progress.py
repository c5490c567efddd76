"""Run a pip install and say every few seconds how far it is, for scripts/lib/env.sh.

python scripts/lib/pip_progress.py --log FILE [--every SECONDS] [--hide-resolver-conflicts]
    -- PYTHON -m pip install --progress-bar off ARG...

A first install of the pinned requirements takes a minute or more, and `pip --quiet` says
nothing all that time. Here pip's whole output goes to FILE (appended), its warnings and errors
(stderr) pass through as they come, and one line on stderr says every SECONDS (10) what it is
doing: how many requirements it has collected and files it has downloaded, then how many packages
it is installing. Lines, not a redrawn bar, so that a CI log stays readable. If pip fails, the
last lines it printed follow its errors. The exit status is pip's.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

TAIL_LINES = 15
"""How many of pip's last lines a failure shows."""

RESOLVER_CONFLICT_NOTICE = ("dependency resolver does not currently", "which is incompatible")
"""pip's notice that installed packages want other versions than those installed."""

DOWNLOAD = re.compile(r"^\s*(?:Downloading|Using cached) (\S+)")
INSTALLING = "Installing collected packages: "
INSTALLED = "Successfully installed "


@dataclass
class PipProgress:
    """What pip said it has done so far, read from its output one line at a time."""

    collected: int = 0
    """Requirements pip has looked at ("Collecting", "Requirement already satisfied")."""
    downloaded: int = 0
    """Distribution files downloaded or taken from pip's cache (metadata files not counted)."""
    installing: int = 0
    """Packages pip named when it began to install them."""
    installed: int = 0
    """Packages pip said it installed, at the end."""
    tail: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=TAIL_LINES)
    )
    """pip's last lines, for a failure."""

    def read(self, line: str) -> None:
        """Count what one line of pip's standard output says."""
        self.tail.append(line)
        text = line.strip()
        if text.startswith(("Collecting ", "Requirement already satisfied: ")):
            self.collected += 1
        elif (download := DOWNLOAD.match(line)) and not download[1].endswith(".metadata"):
            self.downloaded += 1
        elif text.startswith(INSTALLING):
            self.installing = len(text.removeprefix(INSTALLING).split(", "))
        elif text.startswith(INSTALLED):
            self.installed = len(text.removeprefix(INSTALLED).split())

    def summary(self) -> str:
        """Where pip is, in a few words."""
        if self.installed:
            return f"{_count(self.installed, 'package')} installed"
        if self.installing:
            return f"installing {_count(self.installing, 'package')}"
        return (
            f"{_count(self.collected, 'requirement')} collected, "
            f"{_count(self.downloaded, 'file')} downloaded"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _say(text: str) -> None:
    sys.stderr.write(f"    pip: {text}\n")
    sys.stderr.flush()


def _pump(stream: IO[str], log: IO[str], lock: threading.Lock, take: Callable[[str], None]) -> None:
    """Copy each line of `stream` to the log, then hand it to `take`, until pip closes it."""
    for line in stream:
        with lock:
            log.write(line)
            log.flush()
            take(line)


def run(command: list[str], log_path: Path, every: float, *, hide_conflicts: bool) -> int:
    """Run pip's `command`; report progress every `every` seconds; pip's exit status."""
    progress = PipProgress()
    lock = threading.Lock()

    def take_error(line: str) -> None:
        if not (hide_conflicts and any(notice in line for notice in RESOLVER_CONFLICT_NOTICE)):
            sys.stderr.write(line)
            sys.stderr.flush()

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        # Unbuffered: pip's lines must arrive as it prints them, not in 8 KiB blocks.
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        with subprocess.Popen(  # noqa: S603  # the command is env.sh's own pip call
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=env,
        ) as pip:
            assert pip.stdout is not None  # noqa: S101  # asked for above
            assert pip.stderr is not None  # noqa: S101
            pumps = [
                threading.Thread(target=_pump, args=(pip.stdout, log, lock, progress.read)),
                threading.Thread(target=_pump, args=(pip.stderr, log, lock, take_error)),
            ]
            for pump in pumps:
                pump.start()
            reported = _wait_reporting(pip, progress, lock, started, every)
            for pump in pumps:
                pump.join()
    elapsed = time.monotonic() - started
    if pip.returncode != 0:
        _say(f"failed (exit status {pip.returncode}); its last lines, all in {log_path}:")
        sys.stderr.writelines(f"    | {line}" for line in progress.tail)
    elif reported:
        # Whoever saw the progress lines sees how they ended; a quick install stays silent.
        _say(f"{progress.summary()} ({elapsed:.0f} s)")
    return pip.returncode


def _wait_reporting(
    pip: subprocess.Popen[str],
    progress: PipProgress,
    lock: threading.Lock,
    started: float,
    every: float,
) -> bool:
    """Wait for pip, a progress line every `every` seconds; whether any was printed."""
    reported = False
    while True:
        try:
            pip.wait(timeout=every)
        except subprocess.TimeoutExpired:
            with lock:  # a whole line, between two of pip's
                _say(f"{progress.summary()} ({time.monotonic() - started:.0f} s)")
            reported = True
        else:
            return reported


def main(argv: list[str]) -> int:
    """Parse the command line and run pip."""
    parser = argparse.ArgumentParser(
        prog="pip_progress.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log", type=Path, required=True, help="pip's whole output (appended)")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between lines (10)")
    parser.add_argument(
        "--hide-resolver-conflicts",
        action="store_true",
        help="drop pip's notice that installed packages want other versions",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the pip command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no pip command after --")
    return run(command, args.log, args.every, hide_conflicts=args.hide_resolver_conflicts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
