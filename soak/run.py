"""The soak: a steady stream of changes through a real `hass` while everything else fails.

One probe entity is set through Home Assistant's REST API to 0, 1, 2, ... at a steady rate.
Meanwhile the emulated module's cloud link is dropped every few seconds, the module reboots,
is unplugged and plugged in again, and `hass` itself is killed with SIGKILL (a power cut) and
started again. At the end the emulated platform's datapoints are counted against the values
Home Assistant accepted: lost (must be none), doubled (at most 1 %), and the `hass` log is read
for ERROR lines and tracebacks (must be none).

A change made less than a second before a power cut may not be on disk yet (the outbox
promises a second, not an instant), so the kill comes `KILL_QUIET` seconds after the last
change; the stream then goes on once Home Assistant is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from demo.stack import DemoOptions, DemoStack

from .tally import Tally, tally

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

PROBE = "sensor.soak_probe"
DATASTREAM = "sensor_soak_probe"
KILL_QUIET = 1.5
"""Seconds between the last change and the kill: the outbox writes within one."""
ERROR_LINE = re.compile(r"^\S+ \S+ ERROR |^Traceback \(most recent call last\)")
"""An ERROR line of Home Assistant's log format, or the start of a traceback."""


@dataclass(frozen=True, slots=True)
class SoakPlan:
    """How long, how fast, and which faults, where in the stream."""

    changes: int = 10_000
    rate: float = 40.0
    """Changes per second."""
    cloud_drop_every: float = 5.0
    """Seconds between drops of the module's cloud link."""
    reboots: tuple[float, ...] = (0.15, 0.4, 0.75)
    """Where in the stream (a fraction of the changes) the module reboots."""
    unplugs: tuple[float, ...] = (0.25, 0.85)
    unplugged_for: float = 5.0
    kills: tuple[float, ...] = (0.55,)
    """Where `hass` is killed (SIGKILL) and started again."""
    latency: float = 0.1
    """Seconds the emulated module waits before each cloud operation."""
    settle: float = 180.0
    """Seconds allowed without a new record arriving, once the changes are over: a hang guard,
    not a speed limit (a busy machine drains the queue slower, and each arrival gives it this
    much more)."""

    @property
    def duration(self) -> float:
        """Seconds of changes, faults aside."""
        return self.changes / self.rate


QUICK = SoakPlan(changes=4_000)
"""The short form CI runs (tests/e2e/test_soak.py): the same faults, 40 % of the changes.

Duplicates come per fault, not per change (the line on its way when the fault strikes, up to
about 23 records), so the stream stays long enough for 1 % to mean a few such lines."""


@dataclass(slots=True)
class SoakResult:
    """What the soak saw."""

    plan: SoakPlan
    tally: Tally
    errors: list[str] = field(default_factory=list)
    """ERROR lines and tracebacks in the hass log."""
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    hass_restart_seconds: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Nothing lost, at most 1 % doubled, no errors in the log."""
        return (
            not self.tally.lost
            and not self.tally.unexpected
            and self.tally.duplicate_share <= 0.01  # noqa: PLR2004  # the soak's bar
            and not self.errors
        )


class Soak:
    """Runs one plan against a fresh stack in `state_dir`."""

    def __init__(
        self, plan: SoakPlan, state_dir: Path, log: Callable[[str], None] = lambda _: None
    ) -> None:
        """Nothing starts before `run`."""
        self.plan = plan
        self.log = log
        self.stack = DemoStack(
            DemoOptions.on_free_ports(
                state_dir,
                latency=plan.latency,
                forwarded=(PROBE,),
                log=log,
            )
        )
        self.sent: list[int] = []
        self.faults: dict[str, int] = {"cloud drops": 0, "reboots": 0, "unplugs": 0, "kills": 0}
        """How many of each fault were carried out."""
        self.restarts: list[float] = []
        self._replugs: list[asyncio.Task[None]] = []

    async def run(self) -> SoakResult:
        """Start the stack, stream with faults, wait for the platform, count; stop the stack."""
        started = time.monotonic()
        async with self.stack:
            dropping = asyncio.create_task(self._drop_cloud_regularly())
            try:
                await self._stream()
            finally:
                dropping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await dropping
            result = await self._settled()
            errors = [
                line for line in self.stack.hass_output().splitlines() if ERROR_LINE.match(line)
            ]
        return SoakResult(
            plan=self.plan,
            tally=result,
            errors=errors,
            faults=dict(self.faults),
            seconds=time.monotonic() - started,
            hass_restart_seconds=self.restarts,
        )

    # -- the stream and its faults ---------------------------------------------------------

    async def _stream(self) -> None:
        plan = self.plan
        schedule = self._schedule()
        start = time.monotonic()
        paused = 0.0
        for value in range(plan.changes):
            for action in schedule.pop(value, []):
                before = time.monotonic()
                await action()
                paused += time.monotonic() - before
            due = start + paused + value / plan.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self.stack.set_state(PROBE, str(value))
            self.sent.append(value)
            if value % 1000 == 0:
                self.log(f"{value} changes sent")

    def _schedule(self) -> dict[int, list[Callable[[], Awaitable[None]]]]:
        plan = self.plan
        schedule: dict[int, list[Callable[[], Awaitable[None]]]] = {}

        def at(fraction: float, action: Callable[[], Awaitable[None]]) -> None:
            schedule.setdefault(int(plan.changes * fraction), []).append(action)

        for fraction in plan.reboots:
            at(fraction, self._reboot)
        for fraction in plan.unplugs:
            at(fraction, self._unplug_for_a_while)
        for fraction in plan.kills:
            at(fraction, self._kill_and_restart)
        return schedule

    async def _drop_cloud_regularly(self) -> None:
        while True:
            await asyncio.sleep(self.plan.cloud_drop_every)
            with contextlib.suppress(Exception):  # unplugged meanwhile: nothing to drop
                await self.stack.control("drop-cloud")
                self.faults["cloud drops"] += 1

    async def _reboot(self) -> None:
        self.log("fault: module reboot")
        await self.stack.control("reboot")
        self.faults["reboots"] += 1

    async def _unplug_for_a_while(self) -> None:
        self.log(f"fault: module unplugged for {self.plan.unplugged_for:g} s")
        await self.stack.control("unplug")
        self.faults["unplugs"] += 1

        async def replug_later() -> None:
            await asyncio.sleep(self.plan.unplugged_for)
            await self.stack.control("replug")

        self._replugs.append(asyncio.create_task(replug_later()))

    async def _kill_and_restart(self) -> None:
        await asyncio.sleep(KILL_QUIET)
        self.log("fault: kill -9 of hass")
        await self.stack.kill_hass()
        self.faults["kills"] += 1
        before = time.monotonic()
        await self.stack.restart_hass()
        self.restarts.append(time.monotonic() - before)
        self.log(f"hass is back after {self.restarts[-1]:.1f} s")

    async def _settled(self) -> Tally:
        """Wait until every value sent is on the platform, or none came for `settle` s."""
        await asyncio.gather(*self._replugs)
        deadline = time.monotonic() + self.plan.settle
        received = 0
        while True:
            result = tally(self.sent, (await self.stack.datapoints()).get(DATASTREAM, []))
            if not result.lost:
                return result
            if result.received > received:
                received, deadline = result.received, time.monotonic() + self.plan.settle
            elif time.monotonic() > deadline:
                return result
            await asyncio.sleep(1.0)
