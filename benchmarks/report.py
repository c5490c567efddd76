"""The report of a benchmark run (docs/benchmark.md): the machine, then every part's figures."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

from homeassistant.const import __version__ as ha_version

from custom_components.onenet_m6311.m6311 import DEFAULT_LINE_LIMIT

from .command_latency import CommandLatency, command_latency_section
from .forwarding import (
    BAUDRATE,
    BITS_PER_BYTE,
    CLOUD_LATENCY,
    Cost,
    Latency,
    Throughput,
    percentile,
)
from .outbox import OutboxFigures, outbox_section
from .time_modes import TimeModeFigures, time_modes_section


def machine() -> dict[str, str]:
    """CPU, cores, Python, Home Assistant and serialx versions, and the date (blocking I/O)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # noqa: PTH123
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": cpu,
        "cores": f"{os.cpu_count()} (usable by this process: {usable})",
        "Python": platform.python_version(),
        "Home Assistant": ha_version,
        "serialx": metadata.version("serialx"),
        "OS": f"{platform.system()} {platform.release()}",
    }


@dataclass(frozen=True, slots=True)
class Results:
    """Everything one run measured."""

    throughput: list[Throughput]
    cost: Cost
    cost_rounds: int
    cost_entities: int
    latency: dict[str, Latency]
    latency_interval: float
    machine: dict[str, str]
    outbox: OutboxFigures
    time_modes: TimeModeFigures
    commands: CommandLatency


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f}"


def report(results: Results) -> str:
    """The Markdown report (docs/benchmark.md)."""
    out = [
        "# Forwarding benchmark",
        "",
        (
            "Written by `scripts/bench` (`benchmarks/`); every figure below comes from the run "
            "described here. Do not edit by hand: run `scripts/bench` again."
        ),
        "",
        "## Machine and parameters",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in results.machine.items()),
        (
            f"| serial line | {BAUDRATE} baud, 8N1 ({BITS_PER_BYTE} bits per byte), both "
            "directions paced (module output by the emulator, client input by `LineMeter`) |"
        ),
        (
            f"| cloud latency | {CLOUD_LATENCY * 1000:.0f} ms before every cloud operation "
            "(module emulator `cloud_latency`) |"
        ),
        (
            f"| integration options | defaults (batch window 1 s, line limit {DEFAULT_LINE_LIMIT}"
            " bytes, the time of each change always sent, heartbeat 60 s) unless stated |"
        ),
        "",
        "## 1. Throughput",
        "",
        (
            "A burst of state changes on 10 sensors (numeric states, with their times), timed from "
            "the first byte the client writes to the last record confirmed in the outbox (`+OK`; "
            "`SAVE succ` in acknowledgement mode). The wire limit is the records per second if the "
            "line carried only the bytes this run put on it, both directions back to back: "
            "`115200 / 10 / (bytes written + bytes read per record)`."
        ),
        "",
        (
            "| mode | records | lines | records/line | bytes/record written + read | achieved "
            "records/s | wire limit records/s | achieved / limit | s per line | of which wire | "
            "model: wire + lines x latency |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    out.extend(
        f"| {run.mode} | {run.records} | {run.lines} | {run.records / run.lines:.1f} | "
        f"{run.written / run.records:.1f} + {run.read / run.records:.1f} | {run.rate:.1f} | "
        f"{run.limit:.1f} | {run.rate / run.limit:.2f} | {run.seconds / run.lines:.3f} | "
        f"{run.wire / run.lines:.3f} | {run.model:.1f} s of {run.seconds:.1f} s measured |"
        for run in results.throughput
    )
    out.append("")
    out.extend(
        f"{run.mode}: per line {run.seconds / run.lines * 1000:.0f} ms measured, of which "
        f"{CLOUD_LATENCY * 1000:.0f} ms cloud latency and {run.wire / run.lines * 1000:.0f} ms "
        f"wire time; the rest ({(run.seconds - run.model) / run.lines * 1000:.0f} ms) is "
        "turnaround (the client, the loop, the emulators)."
        for run in results.throughput
    )
    out += [
        "",
        (
            "What bounds throughput: one command is in flight at a time, and each line waits a "
            "cloud latency before its `+OK`, so records/s is about records-per-line / (wire time "
            "of a line + latency). The line itself would carry the records faster (the wire "
            "limit); a larger share of the line limit, or more records per line, is the only "
            "lever, since the module takes one command at a time."
        ),
    ]
    cost = results.cost
    ours, theirs = cost.per_change(cost.ours), cost.per_change(cost.theirs)

    def rounds(side: list[float]) -> str:
        pairs = zip(side, cost.baseline, strict=True)
        return ", ".join(_us((value - base) / cost.changes) for value, base in pairs)

    out += [
        "",
        "## 2. Event-loop cost per forwarded state change",
        "",
        (
            f"CPU time of the event loop's thread (`time.thread_time`) around a burst of "
            f"{cost.changes} `hass.states.async_set` calls (new numeric states on "
            f"{results.cost_entities} sensors) and `hass.async_block_till_done()`, minus the "
            "same burst on entities that neither "
            "listens to; median over "
            f"{results.cost_rounds} rounds, each round measuring the three sides one after the "
            "other in the same Home Assistant. Home Assistant's `mqtt_statestream` is set up from "
            "YAML (`base_topic`, `include: entities`) with `mqtt.async_publish` replaced by a "
            "no-op coroutine. **Ours includes** the state-change listener, the record (value, "
            "time, validation), the outbox add (in memory; with the transaction's start when its "
            "timer falls in the burst), waking the sender and marking the counters for their "
            "sensors (written at most once a second). **Ours excludes** sending (the sender "
            "sleeps its 1 s batch window through every measured burst: checked, no line went out "
            "during one) and the outbox's SQLite work, which "
            "runs on the outbox's own thread (part 4); theirs excludes publishing (mocked), as "
            "asked."
        ),
        "",
        "| | CPU per change (us) |",
        "|---|---|",
        f"| baseline: `async_set` with neither listening | {_us(cost.baseline_per_change)} |",
        f"| ours (above baseline) | {_us(ours)} |",
        f"| mqtt_statestream (above baseline) | {_us(theirs)} |",
        f"| **ratio ours / mqtt_statestream** | **{ours / theirs:.2f}** |",
        "",
        (
            f"Samples: {results.cost_rounds} rounds x {cost.changes} changes per side "
            f"({results.cost_rounds * cost.changes} changes each). Per round, ours minus baseline "
            f"(us per change): {rounds(cost.ours)}; mqtt_statestream minus baseline: "
            f"{rounds(cost.theirs)}."
        ),
        "",
        "## 3. Latency from state change to confirmation",
        "",
        (
            f"One state change every {results.latency_interval * 1000:.0f} ms (10 sensors in "
            "turn), each timed from just before `async_set` to its record's confirmation in the "
            "outbox "
            "(`+OK`; `SAVE succ` in acknowledgement mode). *All*: every change, the first ones "
            "included (they wait the sender's whole 1 s batch window, which only an empty outbox "
            "starts). *Steady*: the changes made after the first confirmation."
        ),
        "",
        "| mode | samples | changes | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for mode, latency in results.latency.items():
        for name, samples in (
            ("all", latency.samples),
            ("steady", latency.samples[-latency.steady :]),
        ):
            out.append(
                f"| {mode} | {name} | {len(samples)} | {_ms(percentile(samples, 50))} | "
                f"{_ms(percentile(samples, 99))} | {_ms(max(samples))} |"
            )
    out += [
        "",
        *outbox_section(results.outbox),
        *time_modes_section(results.time_modes),
        *command_latency_section(results.commands),
    ]
    return "\n".join(out).rstrip("\n") + "\n"
