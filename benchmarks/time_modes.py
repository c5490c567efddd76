"""Part 5 of the benchmark: bytes per record on the serial line and over the air, per time mode.

The same bursts of realistic sensor readings go through the module once per "Send the time of
each change" mode. The serial figures come from `LineMeter` (measured); the air figures from
the AT+CIOTDAT lines the module received, each encoded as the SAVEDATA packet the emulated
module sends for it, with the emulator's own EDP codec, plus a model of the IPv4 and TCP
headers (`IP_TCP_HEADERS`, `MSS`).
"""

from __future__ import annotations

import asyncio
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from custom_components.onenet_m6311.forwarding.settings import DELAYED_AFTER, TimeMode
from custom_components.onenet_m6311.m6311.data_usage import LinkContext, Traffic, account
from custom_components.onenet_m6311.m6311.exchanges import typed_exchange
from emulator.edp import AesCipher, SaveData, encode
from emulator.module.atparse import parse_line, split_params

from .forwarding import Throughput, measure_throughput, require

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custom_components.onenet_m6311.forwarding.forwarder import Forwarder

    from .forwarding import Bench

IP_TCP_HEADERS = 40
"""IPv4 (20 bytes) and TCP (20 bytes) headers of one segment, without options."""
TCP_TIMESTAMPS = 12
"""The TCP timestamp option (10 bytes, padded to 12) most stacks add to every segment."""
MSS = 1460
"""TCP payload per segment on a 1500-byte MTU; a SAVEDATA of one line (to 1024 bytes) fits."""
AES_KEY = bytes(16)
"""Any 16 bytes: only the length of the ciphertext is used."""

MODE_NAMES = {
    TimeMode.ALWAYS: "always",
    TimeMode.DELAYED: f"only when delayed (> {DELAYED_AFTER:g} s)",
    TimeMode.NEVER: "never",
}
"""The modes as the options form names them."""

HOME_SENSORS = {
    "sensor.kitchen_temperature": (21.5, 0.1, 1),
    "sensor.kitchen_humidity": (48.2, 0.1, 1),
    "sensor.living_room_temperature": (22.0, 0.1, 1),
    "sensor.living_room_humidity": (45.3, 0.1, 1),
    "sensor.bedroom_temperature": (19.8, 0.1, 1),
    "sensor.bathroom_humidity": (62.5, 0.1, 1),
    "sensor.outdoor_temperature": (12.5, 0.1, 1),
    "sensor.office_carbon_dioxide": (612, 1, 0),
    "sensor.heat_pump_power": (1450, 5, 0),
    "sensor.water_heater_temperature": (55.0, 0.1, 1),
}
"""Entity -> (typical reading, step, decimals): datastreams of 26 characters on average and
values of about 4, so a record with its time is about 52 bytes, as in a typical home."""


class Readings:
    """Plausible sensor states: each entity wanders in steps around its typical reading."""

    SWING = 20
    """Steps in one swing; a state always differs from the entity's previous one."""

    def __init__(self) -> None:
        """Every entity starts at the low end of its swing."""
        self._steps = {entity_id: itertools.count() for entity_id in HOME_SENSORS}

    def next(self, entity_id: str) -> str:
        """The entity's next state, as Home Assistant writes a number (`21.5`)."""
        typical, step, decimals = HOME_SENSORS[entity_id]
        offset = next(self._steps[entity_id]) % self.SWING - self.SWING // 2
        return f"{typical + offset * step:.{decimals}f}"


@dataclass(frozen=True, slots=True)
class Air:
    """What the AT+CIOTDAT lines of a run cost over the air (uplink), by the codec and model."""

    lines: int
    records: int
    untimed: int
    """Records that went without a time (`key,,value`): the platform stamps their arrival."""
    edp: int
    """Bytes of the SAVEDATA packets, one per line."""
    edp_encrypted: int
    """The same packets with EDP encryption on (AES-128, padded to 16-byte blocks)."""
    segments: int
    """TCP segments carrying the packets (`MSS` bytes each at most)."""
    billed: int
    """Both ways, headers and acknowledgements included, as the Cellular data sensor counts
    (`m6311/data_usage.py`, docs/data-usage.md)."""

    def __add__(self, other: Air) -> Air:
        """Both runs' figures together."""
        return Air(
            lines=self.lines + other.lines,
            records=self.records + other.records,
            untimed=self.untimed + other.untimed,
            edp=self.edp + other.edp,
            edp_encrypted=self.edp_encrypted + other.edp_encrypted,
            segments=self.segments + other.segments,
            billed=self.billed + other.billed,
        )

    @property
    def headers(self) -> int:
        """IPv4 and TCP header bytes of the segments."""
        return self.segments * IP_TCP_HEADERS


def saved_data(line: str) -> SaveData | None:
    """The SAVEDATA the emulated module sends for an AT+CIOTDAT line (None for other lines).

    As emulator/module/engine.py does: the data field, led by the field and record
    separators `,;`, as a type 5 (split string) payload; message id 0 asks no SAVEACK.
    """
    command = parse_line(line)
    if command is None or command.name != "+CIOTDAT":
        return None
    fields = split_params(command.params, maxsplit=2)
    if fields is None or len(fields) != 3:  # noqa: PLR2004  # msg_id, num, data
        msg = f"the module took an AT+CIOTDAT line it cannot have sent: {line!r}"
        raise RuntimeError(msg)
    msg_id, _count, data = fields
    return SaveData.split_string(",;" + data, int(msg_id) or None)


def sensor_traffic(line: str) -> Traffic:
    """What the Cellular data sensor counts for an AT+CIOTDAT line (the library's accounting)."""
    # The line as the module took it, read as a line typed by hand is: a SAVEDATA needs no
    # link state.
    traffic, _context = account(typed_exchange(line), LinkContext())
    return traffic


def air_of(lines: Sequence[str]) -> Air:
    """The air figures of the AT+CIOTDAT lines among `lines`."""
    cipher = AesCipher(AES_KEY)
    air = Air(lines=0, records=0, untimed=0, edp=0, edp_encrypted=0, segments=0, billed=0)
    for line in lines:
        message = saved_data(line)
        if message is None:
            continue
        packet = encode(message)
        points = message.datapoints()
        billed = sensor_traffic(line)
        require(
            billed.edp_up == len(packet),
            f"the sensor's model counts {billed.edp_up} bytes for a {len(packet)}-byte SAVEDATA",
        )
        air += Air(
            lines=1,
            records=len(points),
            untimed=sum(point.at is None for point in points),
            edp=len(packet),
            edp_encrypted=len(encode(message, cipher)),
            segments=math.ceil(len(packet) / MSS),
            billed=billed.total,
        )
    return air


@dataclass(frozen=True, slots=True)
class Burst:
    """One burst through the module: the serial line's figures and the lines it made."""

    line: Throughput
    air: Air
    out_after: float
    """Seconds from the changes to the last record's confirmation."""


async def measure_burst(
    bench: Bench, forwarder: Forwarder, readings: Readings, steps: int, mode: TimeMode
) -> Burst:
    """`steps` new readings on every home sensor at once, timed until all are confirmed."""
    received = len(bench.module.commands)
    # measure_throughput makes the changes before its first await: this is their time.
    changed_at = asyncio.get_running_loop().time()
    line = await measure_throughput(
        bench, forwarder, list(HOME_SENSORS), steps, MODE_NAMES[mode], value_of=readings.next
    )
    first_write_at = bench.meter.first_write_at
    if first_write_at is None:  # measure_throughput has checked it already
        msg = "nothing was written"
        raise RuntimeError(msg)
    return Burst(
        line=line,
        air=air_of(bench.module.commands[received:]),
        out_after=first_write_at + line.seconds - changed_at,
    )


@dataclass(frozen=True, slots=True)
class TimeModeRun:
    """The bursts of one time mode, added up."""

    mode: TimeMode
    bursts: int
    line: Throughput
    air: Air
    slowest: float
    """Seconds from the changes to the last confirmation, in the slowest burst."""

    @classmethod
    def of(cls, mode: TimeMode, bursts: Sequence[Burst]) -> TimeModeRun:
        """Add the bursts up: records, lines, bytes and seconds."""
        runs = [burst.line for burst in bursts]
        return cls(
            mode=mode,
            bursts=len(bursts),
            line=Throughput(
                mode=MODE_NAMES[mode],
                records=sum(run.records for run in runs),
                lines=sum(run.lines for run in runs),
                seconds=sum(run.seconds for run in runs),
                written=sum(run.written for run in runs),
                read=sum(run.read for run in runs),
            ),
            air=sum((burst.air for burst in bursts[1:]), bursts[0].air),
            slowest=max(burst.out_after for burst in bursts),
        )


def check_times(run: TimeModeRun) -> None:
    """Stop the run unless every record confirmed is in the lines, timed as its mode says."""
    air = run.air
    require(
        air.records == run.line.records,
        f"{run.line.records} records confirmed, {air.records} found in the lines",
    )
    timed = air.records - air.untimed
    if run.mode is TimeMode.ALWAYS:
        require(not air.untimed, f"{air.untimed} records went without their time in mode always")
    else:
        require(not timed, f"{timed} records went with a time in mode {run.mode}: too slow")


@dataclass(frozen=True, slots=True)
class TimeModeFigures:
    """Everything part 5 measured."""

    runs: list[TimeModeRun]
    steps: int
    """Readings per sensor in a burst."""


def time_modes_section(figures: TimeModeFigures) -> list[str]:
    """The Markdown of part 5."""
    return [
        "## 5. Bytes per record by time mode",
        "",
        *_line_paragraph(figures),
        "",
        *_line_table(figures.runs),
        "",
        *_air_paragraph(),
        "",
        *_air_table(figures.runs),
        "",
    ]


def _line_paragraph(figures: TimeModeFigures) -> list[str]:
    burst = len(HOME_SENSORS) * figures.steps
    return [
        (
            "The option *Send the time of each change* in each of its three modes, one after the "
            f"other in the same run, on the same stream: {figures.runs[0].bursts} bursts of "
            f"{burst} state changes ({figures.steps} new readings on each of {len(HOME_SENSORS)} "
            "sensors with the entity IDs of a home, such as `sensor.kitchen_temperature` -> "
            "datastream `sensor_kitchen_temperature`, and states such as `21.5`, `612` or "
            "`1450`), each burst made at once and timed like part 1 (first byte written to last "
            "record confirmed, summed over the bursts; the wire limit from the bytes of the "
            "bursts), the next one made once the outbox was empty. A burst this size is what "
            "the sender drains promptly: without times it is out within "
            f"{DELAYED_AFTER:g} s of its changes (last column: from the changes to the last "
            "confirmation; the sender settles a line's times when it builds the line, before "
            "that), so it is the steady stream for which *only when delayed* sends no time "
            "at all. Checked: *without a time* counts the records with an empty time field "
            "(`key,,value`) in the AT+CIOTDAT lines the emulated module received, and the run "
            "stops unless it is every record in *only when delayed* and *never* and none in "
            "*always*. *Bytes/record written*: what the client wrote on the serial line "
            "(`LineMeter`, every command of the bursts included) per record confirmed."
        ),
    ]


def _line_table(runs: Sequence[TimeModeRun]) -> list[str]:
    out = [
        (
            "| time mode | records | lines | records/line | without a time | bytes/record "
            "written + read | achieved records/s | wire limit records/s | achieved / limit | "
            "change to last confirmation, slowest burst |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    out.extend(
        f"| {run.line.mode} | {run.line.records} | {run.line.lines} | "
        f"{run.line.records / run.line.lines:.1f} | {run.air.untimed} | "
        f"**{run.line.written / run.line.records:.1f}** + {run.line.read / run.line.records:.1f} "
        f"| **{run.line.rate:.1f}** | {run.line.limit:.1f} | "
        f"{run.line.rate / run.line.limit:.2f} | {run.slowest:.1f} s |"
        for run in runs
    )
    return out


def _air_paragraph() -> list[str]:
    return [
        (
            "Over the air, the module sends one EDP SAVEDATA packet for each AT+CIOTDAT line (type "
            "5, split string: `,;` and the line's data; no message id, so no SAVEACK). Each "
            "line's packet is encoded here with the emulator's EDP codec (`emulator/edp`, as "
            f"`emulator/module` sends it). The model adds {IP_TCP_HEADERS} bytes of IPv4 (20) "
            f"and TCP (20) headers per segment, one segment per packet up to {MSS} bytes: the "
            "minimum, without TCP options (the timestamp option most stacks send adds "
            f"{TCP_TIMESTAMPS} bytes a segment) and without what the radio adds (PDCP, RLC, "
            "header compression). The *uplink* figure is the module's bytes alone: the "
            f"platform's TCP acknowledgements (downlink, {IP_TCP_HEADERS} bytes each, at most one "
            "per segment, so at most the headers column again) are not counted, nor the "
            "heartbeats (PINGREQ, 2 bytes plus headers, once a minute) and the TCP handshake. "
            "The last column is the Cellular data sensor's model for the same lines "
            "(docs/data-usage.md: both ways, with the acknowledging packet of each data "
            "packet); the run checks that its EDP bytes equal the codec's, line by line."
        ),
    ]


def _air_table(runs: Sequence[TimeModeRun]) -> list[str]:
    out = [
        (
            "| time mode | SAVEDATA packets | bytes/packet | EDP bytes/record | IPv4 + TCP "
            "headers/record | **uplink bytes/record** | uplink bytes/record, EDP encryption on "
            "| both ways, as the Cellular data sensor counts |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        air = run.air
        out.append(
            f"| {run.line.mode} | {air.lines} | {air.edp / air.lines:.0f} | "
            f"{air.edp / air.records:.1f} | {air.headers / air.records:.1f} | "
            f"**{(air.edp + air.headers) / air.records:.1f}** | "
            f"{(air.edp_encrypted + air.headers) / air.records:.1f} | "
            f"{air.billed / air.records:.1f} |"
        )
    return out
