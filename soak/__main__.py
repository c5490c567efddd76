"""`python -m soak` (`scripts/soak`): run the soak, print its figures, write docs/reliability.md."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from .report import document, summary
from .run import QUICK, Soak, SoakPlan

REPO = Path(__file__).resolve().parent.parent


def _say(text: str) -> None:
    sys.stderr.write(f"==> {text}\n")
    sys.stderr.flush()


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the short form CI runs")
    parser.add_argument("--changes", type=int, help="how many changes (10000)")
    parser.add_argument("--rate", type=float, help="changes per second (40)")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/reliability.md")
    return parser.parse_args(argv)


async def run(argv: list[str]) -> int:
    """Run the soak; 0 when it passed."""
    args = parse_args(argv)
    plan = QUICK if args.quick else SoakPlan()
    if args.changes:
        plan = replace(plan, changes=args.changes)
    if args.rate:
        plan = replace(plan, rate=args.rate)
    with tempfile.TemporaryDirectory(prefix="onenet-soak-") as state_dir:
        result = await Soak(plan, Path(state_dir), log=_say).run()
    print(summary(result))  # noqa: T201
    if not args.no_doc and not args.quick:
        (REPO / "docs" / "reliability.md").write_text(document(result), encoding="utf-8")
        _say("written: docs/reliability.md")
    return 0 if result.passed else 1


def main() -> int:
    """Entry point."""
    return asyncio.run(run(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
