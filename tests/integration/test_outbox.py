"""The outbox: bounded, persistent, at least once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.onenet_m6311.outbox import Outbox, OutboxRecord

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def records(count: int, start: int = 0) -> list[OutboxRecord]:
    return [
        OutboxRecord("t", n, f"2026-11-23 08:00:{n % 60:02}") for n in range(start, start + count)
    ]


async def test_records_leave_only_when_confirmed(hass: HomeAssistant) -> None:
    outbox = Outbox(hass, "entry")
    outbox.add(records(5))
    taken = outbox.take(3)
    assert [r.value for r in taken] == [0, 1, 2]
    outbox.release()  # the send failed: same records again
    assert outbox.take(3) == taken
    outbox.confirm()
    assert len(outbox) == 2
    assert outbox.sent == 3
    assert [r.value for r in outbox.take(10)] == [3, 4]


async def test_a_full_outbox_drops_the_oldest_and_counts(hass: HomeAssistant) -> None:
    outbox = Outbox(hass, "entry", capacity=4)
    assert outbox.add(records(6)) == 2
    assert outbox.dropped == 2
    assert [r.value for r in outbox.take(10)] == [2, 3, 4, 5]


async def test_records_being_sent_are_spared_when_full(hass: HomeAssistant) -> None:
    outbox = Outbox(hass, "entry", capacity=4)
    outbox.add(records(4))
    outbox.take(2)  # 0 and 1 are on the wire
    outbox.add(records(1, start=4))
    outbox.confirm()
    assert [r.value for r in outbox.take(10)] == [3, 4]  # 2 went, not the records in flight
    assert (outbox.sent, outbox.dropped) == (2, 1)


async def test_a_capacity_smaller_than_a_batch(hass: HomeAssistant) -> None:
    outbox = Outbox(hass, "entry", capacity=2)
    outbox.add(records(2))
    outbox.take(2)
    outbox.add(records(1, start=2))
    outbox.confirm()
    assert [r.value for r in outbox.take(10)] == [2]


async def test_the_outbox_survives_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    outbox = Outbox(hass, "entry", capacity=10)
    outbox.add(records(12))
    outbox.take(1)
    outbox.confirm()
    await outbox.async_save_now()
    assert hass_storage["onenet_m6311.outbox.entry"]["data"]["dropped"] == 2

    again = Outbox(hass, "entry", capacity=5)
    await again.async_load()
    assert [r.value for r in again.take(10)] == [7, 8, 9, 10, 11]
    assert (again.sent, again.dropped) == (1, 2 + 4)  # a smaller capacity drops the oldest


async def test_a_first_start_has_nothing_to_load(hass: HomeAssistant) -> None:
    outbox = Outbox(hass, "fresh")
    await outbox.async_load()
    assert len(outbox) == 0
