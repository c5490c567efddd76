"""The forwarding benchmark, run by `scripts/bench` inside Home Assistant's test harness.

It is not a timed test: it asserts only that the run is valid (every record confirmed, no
line sent during a measured burst, each time mode's records timed as the mode says, every cloud
command's event fired), prints the table and writes docs/benchmark.md.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from homeassistant.components import mqtt
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.onenet_m6311.const import (
    CONF_ACK_MODE,
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_DEVICE_ID,
    CONF_ENCRYPT,
    CONF_FORWARD_ENTITIES,
    CONF_MASTER_KEY,
    CONF_MODE,
    CONF_TIMESTAMPS,
    DOMAIN,
)
from custom_components.onenet_m6311.forwarding.settings import TimeMode
from emulator.module import ModuleEmulator
from emulator.platform import PlatformEmulator

from .command_latency import CommandLatency, measure_command_latency
from .forwarding import (
    BAUDRATE,
    CLOUD_LATENCY,
    Bench,
    Cost,
    Latency,
    LineMeter,
    Throughput,
    Values,
    burst_cpu,
    ciotdat_lines,
    measure_latency,
    measure_throughput,
    require,
)
from .outbox import measure_outbox
from .report import Results, machine, report
from .time_modes import (
    HOME_SENSORS,
    Readings,
    TimeModeFigures,
    TimeModeRun,
    check_times,
    measure_burst,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from custom_components.onenet_m6311.forwarding.forwarder import Forwarder

IMEI = "867567041234567"
MASTER_KEY = "syp2wjH2rowlyX1H7bqwynVVnK8="
REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmark.md"

SENSORS = 10
THROUGHPUT_STEPS = 150
"""Changes per sensor in a throughput burst: 1 500 records."""
LATENCY_CHANGES = 300
LATENCY_INTERVAL = 0.05
COST_ROUNDS = 9
COST_STEPS = 50
"""Changes per sensor in a cost burst: 500 changes per side per round."""
BATCH_WINDOW = 1.0
"""The integration's default; the cost bursts must end within it (checked)."""
TIME_MODE_BURSTS = 3
TIME_MODE_STEPS = 6
"""Readings per home sensor in a burst: 60 records, which without times are confirmed about
4 s after their change (the 1 s batch window, then 9 or 10 lines of the default 256 bytes),
within the 5 s after which "only when delayed" would send a time (checked: none went with
one)."""
COMMANDS = 300
COMMAND_GAP = 0.02


@pytest.fixture
async def platform() -> AsyncIterator[PlatformEmulator]:
    """The emulated OneNET platform (in-memory database)."""
    emulator = PlatformEmulator(master_key=MASTER_KEY, project_id="23219")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def module(platform: PlatformEmulator, tmp_path: Path) -> AsyncIterator[ModuleEmulator]:
    """The emulated M6311 at 115200 baud with 200 ms per cloud operation."""
    emulator = ModuleEmulator(
        platform_http_url=platform.http_url,
        edp_port=platform.edp_port,
        imei=IMEI,
        link_path=tmp_path / "ttyM6311",
        baudrate=BAUDRATE,
        cloud_latency=CLOUD_LATENCY,
    )
    await emulator.start()
    yield emulator
    await emulator.stop()


def sensors(group: str) -> list[str]:
    """Entity ids of one group of sensors."""
    return [f"sensor.bench_{group}_{n}" for n in range(SENSORS)]


class Integration:
    """Sets the entry up with forwarding options and hands out its forwarder."""

    def __init__(self, hass: HomeAssistant, module: ModuleEmulator, device_id: str) -> None:
        """A mode 1 entry for the module, added to hass."""
        self.hass = hass
        self.entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"M6311 {IMEI}",
            unique_id=IMEI,
            data={
                CONF_DEVICE: module.link_path,
                CONF_BAUDRATE: BAUDRATE,
                CONF_MODE: 1,
                CONF_ENCRYPT: False,
                CONF_DEVICE_ID: device_id,
                CONF_MASTER_KEY: MASTER_KEY,
            },
        )
        self.entry.add_to_hass(hass)

    async def start(self, **options: object) -> Forwarder:
        """Set up with these options (defaults otherwise) and wait for the login."""
        self.hass.config_entries.async_update_entry(self.entry, options=options)
        require(await self.hass.config_entries.async_setup(self.entry.entry_id), "set-up failed")
        await self.hass.async_block_till_done()
        async with asyncio.timeout(30):
            await self.entry.runtime_data.coordinator.async_wait_online()
        forwarder: Forwarder = self.entry.runtime_data.forwarder
        return forwarder

    async def stop(self) -> None:
        """Unload (the outbox must be empty by then)."""
        require(await self.hass.config_entries.async_unload(self.entry.entry_id), "unload failed")
        await self.hass.async_block_till_done()


async def drain(forwarder: Forwarder) -> None:
    """Wait until the outbox is empty and the delayed writes it caused are done."""
    async with asyncio.timeout(120):
        while len(forwarder.outbox):  # noqa: ASYNC110  # nothing announces an empty outbox
            await asyncio.sleep(0.05)
    await forwarder.outbox.async_flush()  # the writes it caused are done
    await asyncio.sleep(1.1)  # the counters' sensors write at most once a second


async def run_throughput(integration: Integration, bench: Bench) -> list[Throughput]:
    """Part 1: a burst through the module, plain and acknowledged."""
    results = []
    for mode, ack in (("plain (+OK)", False), ("acknowledged (SAVE succ)", True)):
        entities = sensors("throughput")
        forwarder = await integration.start(**{CONF_FORWARD_ENTITIES: entities, CONF_ACK_MODE: ack})
        run = await measure_throughput(bench, forwarder, entities, THROUGHPUT_STEPS, mode)
        require(run.records == SENSORS * THROUGHPUT_STEPS, "records went missing")
        results.append(run)
        await drain(forwarder)
        await integration.stop()
    return results


async def run_latency(integration: Integration, bench: Bench) -> dict[str, Latency]:
    """Part 3: a steady stream, plain and acknowledged."""
    results = {}
    for mode, ack in (("plain (+OK)", False), ("acknowledged (SAVE succ)", True)):
        entities = sensors("latency")
        forwarder = await integration.start(**{CONF_FORWARD_ENTITIES: entities, CONF_ACK_MODE: ack})
        await asyncio.sleep(0.5)  # the login's own traffic is over
        results[mode] = await measure_latency(
            bench, forwarder, entities, LATENCY_CHANGES, LATENCY_INTERVAL
        )
        await drain(forwarder)
        await integration.stop()
    return results


async def run_time_modes(integration: Integration, bench: Bench) -> TimeModeFigures:
    """Part 5: the same bursts of home sensor readings in each time mode."""
    readings = Readings()
    runs = []
    for mode in TimeMode:
        forwarder = await integration.start(
            **{CONF_FORWARD_ENTITIES: list(HOME_SENSORS), CONF_TIMESTAMPS: mode.value}
        )
        await drain(forwarder)  # anything the start queued is out of the way
        bursts = []
        for _ in range(TIME_MODE_BURSTS):
            bursts.append(await measure_burst(bench, forwarder, readings, TIME_MODE_STEPS, mode))
            await drain(forwarder)  # the next burst starts a batch window of its own
        run = TimeModeRun.of(mode, bursts)
        check_times(run)
        runs.append(run)
        await integration.stop()
    return TimeModeFigures(runs=runs, steps=TIME_MODE_STEPS)


async def run_command_latency(integration: Integration, bench: Bench) -> CommandLatency:
    """Part 6: cloud commands to the bus event, beside a bare pty; nothing forwarded."""
    await integration.start()
    await asyncio.sleep(0.5)  # the login's own traffic is over
    latency = await measure_command_latency(bench.hass, bench.module, COMMANDS, COMMAND_GAP)
    require(len(latency.integration) == COMMANDS, "a command event went missing")
    await integration.stop()
    return latency


async def run_cost(integration: Integration, bench: Bench) -> Cost:
    """Part 2: CPU on the loop per change, ours and mqtt_statestream's, same run."""
    hass, module, values = bench.hass, bench.module, bench.values
    ours, theirs, neither = sensors("ours"), sensors("theirs"), sensors("neither")
    for entity_id in (*ours, *theirs, *neither):  # every entity exists before measuring
        hass.states.async_set(entity_id, values.next())
    hass.config.components.add("mqtt")  # its client is mocked: nothing of it is set up
    config = {"mqtt_statestream": {"base_topic": "homeassistant", "include": {"entities": theirs}}}
    require(await async_setup_component(hass, "mqtt_statestream", config), "statestream failed")
    forwarder = await integration.start(**{CONF_FORWARD_ENTITIES: ours})
    await drain(forwarder)
    cost = Cost(changes=SENSORS * COST_STEPS)
    for _ in range(COST_ROUNDS):
        cost.baseline.append((await burst_cpu(hass, neither, COST_STEPS, values))[0])
        cost.theirs.append((await burst_cpu(hass, theirs, COST_STEPS, values))[0])
        lines = ciotdat_lines(module)
        cpu, wall = await burst_cpu(hass, ours, COST_STEPS, values)
        require(ciotdat_lines(module) == lines, "a line went out during a measured burst")
        require(wall < BATCH_WINDOW, "the burst outlasted the batch window")
        require(len(forwarder.outbox) == cost.changes, "a change made no record")
        cost.ours.append(cpu)
        cost.ours_wall.append(wall)
        await drain(forwarder)
    await integration.stop()
    return cost


@pytest.mark.usefixtures("socket_enabled", "enable_custom_integrations")
@pytest.mark.timeout(900)
async def test_forwarding_benchmark(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator
) -> None:
    """Every part in one run; prints the report and writes it."""
    asyncio.get_running_loop().set_debug(False)  # the harness turns debug on: not production
    logging.getLogger().setLevel(logging.WARNING)  # nor is capturing every debug line
    outbox = await measure_outbox()  # first, in processes of its own, on a quiet machine
    device_id = platform.create_device("bench")
    bench = Bench(hass, module, LineMeter(module), Values())
    integration = Integration(hass, module, device_id)
    throughput = await run_throughput(integration, bench)
    latency = await run_latency(integration, bench)
    time_modes = await run_time_modes(integration, bench)
    commands = await run_command_latency(integration, bench)

    async def no_publish(*_args: object, **_kwargs: object) -> None:
        return None

    async def client_ready(*_args: object, **_kwargs: object) -> bool:
        return True

    with (
        patch.object(mqtt, "async_publish", no_publish),
        patch.object(mqtt, "async_wait_for_mqtt_client", client_ready),
    ):
        cost = await run_cost(integration, bench)

    sent = sum(run.records for run in throughput) + sum(
        len(run.samples) for run in latency.values()
    )
    sent += COST_ROUNDS * cost.changes + sum(run.line.records for run in time_modes.runs)
    async with asyncio.timeout(30):
        while len(platform.datapoints(device_id)) < sent:  # noqa: ASYNC110  # poll the store
            await asyncio.sleep(0.1)

    results = Results(
        throughput=throughput,
        cost=cost,
        cost_rounds=COST_ROUNDS,
        cost_entities=SENSORS,
        latency=latency,
        latency_interval=LATENCY_INTERVAL,
        machine=await hass.async_add_executor_job(machine),
        outbox=outbox,
        time_modes=time_modes,
        commands=commands,
    )
    text = report(results)
    await hass.async_add_executor_job(REPORT.write_text, text, "utf-8")
    print(f"\n{text}\nWritten to {REPORT}")  # noqa: T201  # the benchmark's output
