"""Forwarding entity states: state changes -> records -> outbox, and the sender drains it.

Which entities: the ones chosen in the options, and every entity carrying the chosen label
(followed as labels change). Each state change becomes a record stamped with the time it
happened (Home Assistant's local time); attributes chosen per entity become records beside it.
Within an entity's minimum interval only the last value is kept and sent when the interval
ends. Periodic snapshots send every forwarded entity's current state.

Nothing that happens while Home Assistant or the module is away is missed: forwarding starts
with the entry, whether the module answers or not, and at every start each followed entity
whose state differs from the last value that entered the outbox for it (the outbox keeps
those) is queued. An entity that appears with the value it had is not sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_added_domain,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..m6311 import M6311ValidationError
from ..m6311.records import check_datastream
from .outbox import Outbox, OutboxRecord
from .outbox_files import async_import_legacy_outbox, outbox_path
from .sender import Sender
from .settings import TimeMode
from .significance import SignificanceFilter, SilenceWatch
from .values import record_time, record_value

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry

    from ..delivery import Delivery
    from .sender import ModuleLink
    from .settings import ForwardSettings

ISSUE_OUTBOX_FULL = "outbox_full"


@dataclass(frozen=True, slots=True)
class ForwardStats:
    """What the forwarding sensors show."""

    queued: int = 0
    sent: int = 0
    dropped: int = 0
    skipped: int = 0
    """States not sent: unavailable, unknown, or a value the record format cannot hold."""
    insignificant: int = 0
    """Changes not sent: Home Assistant's rules or a deadband found them insignificant."""
    last_sent: datetime | None = None


class Forwarder:
    """Follows the chosen entities and feeds the outbox; owns the sender."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        link: ModuleLink,
        delivery: Delivery,
        settings: ForwardSettings,
    ) -> None:
        """Prepare; nothing is followed before `async_start`."""
        self.hass = hass
        self.entry = entry
        self.settings = settings
        self.outbox = Outbox(outbox_path(hass, entry.entry_id), settings.capacity)
        self.sender = Sender(link, delivery, self.outbox, settings, self._on_sent)
        self.skipped = 0
        self.insignificant = 0
        self.last_sent: datetime | None = None
        self._significance = (
            SignificanceFilter(hass, settings.deadbands) if settings.significant_only else None
        )
        self._silence = SilenceWatch(settings.max_silence)
        self._tracked: frozenset[str] = frozenset()
        self._unsub_states: CALLBACK_TYPE | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._last_record_at: dict[str, float] = {}
        self._held: dict[str, dict[str, OutboxRecord]] = {}
        """Per entity, the records waiting for its minimum interval, one per datastream."""
        self._held_timers: dict[str, CALLBACK_TYPE] = {}
        self._listeners: list[Callable[[], None]] = []
        self._full_reported = False
        self._datastreams: dict[tuple[str, str | None], str | None] = {}
        self._time_cache: tuple[int, str] = (-1, "")
        self._stopped = False
        self._unsub_stop: CALLBACK_TYPE | None = None

    @property
    def stats(self) -> ForwardStats:
        """The counters, now."""
        return ForwardStats(
            queued=len(self.outbox),
            sent=self.outbox.sent,
            dropped=self.outbox.dropped,
            skipped=self.skipped,
            insignificant=self.insignificant,
            last_sent=self.last_sent,
        )

    @property
    def following(self) -> frozenset[str]:
        """The entities whose states are forwarded now."""
        return self._tracked

    def add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` whenever the counters changed (their coordinator debounces it)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- life cycle ------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Open the outbox, follow the entities, queue what changed meanwhile, start the sender."""
        await self.outbox.async_open()
        await async_import_legacy_outbox(self.hass, self.entry.entry_id, self.outbox)
        if self._significance is not None:
            await self._significance.async_start()
        # Home Assistant does not unload entries when it stops: write the outbox then.
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_hass_stop
        )
        self._follow(self._wanted_entities())
        self._queue_changed_meanwhile()
        self._follow_selection_changes()
        if self.settings.snapshot_interval > 0:
            self._every(self.settings.snapshot_interval, self._snapshot, "snapshot")
        if self.settings.max_silence > 0:
            # A tenth of the limit: a quiet entity is heard of again within 110 % of it.
            self._every(self.settings.max_silence / 10, self._break_silences, "silence")
        self.entry.async_create_background_task(
            self.hass, self.sender.run(), f"{DOMAIN} sender {self.entry.entry_id}"
        )
        if len(self.outbox):
            self.sender.wake()

    def _every(self, seconds: float, action: Callable[[datetime], None], name: str) -> None:
        self._unsubs.append(
            async_track_time_interval(
                self.hass, action, timedelta(seconds=seconds), name=f"{DOMAIN} {name}"
            )
        )

    async def async_stop(self) -> None:
        """Stop following; held values go to the outbox, which is written at once."""
        if self._stopped:
            return
        self._stopped = True
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        for unsubscribe in (*self._unsubs, *self._held_timers.values()):
            unsubscribe()
        self._unsubs.clear()
        self._held_timers.clear()
        if self._unsub_states is not None:
            self._unsub_states()
            self._unsub_states = None
        for records in self._held.values():
            self.outbox.add(records.values())
        self._held.clear()
        await self.sender.async_stop()
        await self.outbox.async_close()

    async def _on_hass_stop(self, _event: Event) -> None:
        self._unsub_stop = None  # fired: a listener called once is already gone
        await self.async_stop()

    # -- which entities --------------------------------------------------------------------

    def _wanted_entities(self) -> frozenset[str]:
        return self.settings.selection.select(self.hass)

    def _follow_selection_changes(self) -> None:
        """What labels, areas and domains select changes with the registries and new states."""
        selection = self.settings.selection
        if not selection.follows_registries:
            return
        for event_type in (er.EVENT_ENTITY_REGISTRY_UPDATED, dr.EVENT_DEVICE_REGISTRY_UPDATED):
            self._unsubs.append(self.hass.bus.async_listen(event_type, self._on_registry_updated))
        if selection.domains:
            self._unsubs.append(
                async_track_state_added_domain(
                    self.hass, sorted(selection.domains), self._on_state_added
                )
            )

    @callback
    def _on_state_added(self, event: Event[EventStateChangedData]) -> None:
        """A new entity of a chosen domain: followed, and its first state forwarded."""
        if event.data["entity_id"] in self._tracked:
            return
        self._follow(self._wanted_entities())
        if event.data["entity_id"] in self._tracked:
            self._on_state_changed(event)

    def _follow(self, entity_ids: frozenset[str]) -> None:
        if entity_ids == self._tracked:
            return
        if self._unsub_states is not None:
            self._unsub_states()
            self._unsub_states = None
        self._tracked = entity_ids
        if entity_ids and self.settings.send_on_change:
            self._unsub_states = async_track_state_change_event(
                self.hass, sorted(entity_ids), self._on_state_changed
            )

    @callback
    def _on_registry_updated(self, event: Event[Any]) -> None:
        self._follow(self._wanted_entities())

    # -- records ---------------------------------------------------------------------------

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is None:
            return
        if self._significance is not None and not self._significance.is_significant(state):
            self.insignificant += 1
            self._notify_listeners()
            return
        previous = event.data["old_state"]
        records = self._records(state, state.last_updated, previous)
        if previous is None:  # the entity appeared (a start, a reload): new values only
            records = self._not_queued_before(records)
        self._offer(state.entity_id, records)

    def _queue_changed_meanwhile(self) -> None:
        """Queue the followed states that differ from what last entered the outbox.

        They changed while Home Assistant was stopped, starting, or the entry was unloaded.
        """
        if not self.settings.send_on_change:
            return
        for entity_id in sorted(self._tracked):
            if (state := self.hass.states.get(entity_id)) is not None:
                self._sent_anyway(state)
                self._queue(self._not_queued_before(self._records(state, state.last_updated)))

    def _not_queued_before(self, records: list[OutboxRecord]) -> list[OutboxRecord]:
        last_value = self.outbox.last_value
        return [record for record in records if last_value(record.datastream) != record.value]

    @callback
    def _snapshot(self, now: datetime) -> None:
        for entity_id in sorted(self._tracked):
            if (state := self.hass.states.get(entity_id)) is not None:
                self._sent_anyway(state)
                self._queue(self._records(state, now))

    @callback
    def _break_silences(self, now: datetime) -> None:
        """Send the current value of each entity nothing was sent for in the maximum silence."""
        for entity_id in self._silence.silent(sorted(self._tracked), self.hass.loop.time()):
            if (state := self.hass.states.get(entity_id)) is not None:
                self._sent_anyway(state)
                self._offer(entity_id, self._records(state, now))

    def _sent_anyway(self, state: State) -> None:
        """A state goes out whatever the rules say: later changes compare with it."""
        self._silence.sent(state.entity_id, self.hass.loop.time())
        if self._significance is not None:
            self._significance.sent(state)

    def _records(
        self, state: State, when: datetime, previous: State | None = None
    ) -> list[OutboxRecord]:
        """Records of a state; with `previous`, only of what changed since.

        A change of an attribute nobody forwards sends nothing.
        """
        time = None if self.settings.time_mode is TimeMode.NEVER else self._time(when)
        entity_id = state.entity_id
        records: list[OutboxRecord] = []
        if previous is None or state.state != previous.state:
            self._add_record(records, entity_id, None, state.state, time)
        # Most entities forward their state alone: the attributes cost nothing then.
        if names := self.settings.attributes.get(entity_id):
            before = previous.attributes if previous is not None else None
            for name in names:
                value = state.attributes.get(name)
                if before is None or value != before.get(name):
                    self._add_record(records, entity_id, name, value, time)
        return records

    def _add_record(
        self,
        records: list[OutboxRecord],
        entity_id: str,
        attribute: str | None,
        raw: object,
        time: str | None,
    ) -> None:
        if (record := self._record(entity_id, attribute, raw, time)) is not None:
            records.append(record)

    def _record(
        self, entity_id: str, attribute: str | None, raw: object, time: str | None
    ) -> OutboxRecord | None:
        value = record_value(raw)  # always a value the record format takes (values.py)
        datastream = self._datastream(entity_id, attribute)
        if value is None or datastream is None:
            self.skipped += 1
            return None
        return OutboxRecord(datastream, value, time)

    def _datastream(self, entity_id: str, attribute: str | None) -> str | None:
        """The datastream of an entity's state or attribute, checked once; None if invalid."""
        key = (entity_id, attribute)
        try:
            return self._datastreams[key]
        except KeyError:
            pass
        datastream: str | None = self.settings.datastream(entity_id, attribute)
        try:
            check_datastream(datastream)
        except M6311ValidationError as err:
            LOGGER.warning("Not forwarding %s: %s", entity_id, err)
            datastream = None
        self._datastreams[key] = datastream
        return datastream

    def _time(self, when: datetime) -> str:
        """`record_time`, formatted once per second: a burst shares its seconds."""
        second = int(when.timestamp())
        if self._time_cache[0] != second:
            self._time_cache = (second, record_time(when))
        return self._time_cache[1]

    def _offer(self, entity_id: str, records: list[OutboxRecord]) -> None:
        """Queue an entity's records now, or hold them until its minimum interval ends."""
        if not records:
            return
        self._silence.sent(entity_id, self.hass.loop.time())
        if not self.settings.min_interval:  # the default: nothing is ever held
            self._queue(records)
            return
        now = self.hass.loop.time()
        due = self._last_record_at.get(entity_id, -1e18) + self.settings.min_interval
        if now >= due and entity_id not in self._held:
            self._last_record_at[entity_id] = now
            self._queue(records)
            return
        held = self._held.setdefault(entity_id, {})
        held.update((record.datastream, record) for record in records)  # the last value wins
        if entity_id not in self._held_timers:
            self._held_timers[entity_id] = async_call_later(
                self.hass, max(due - now, 0), self._release_held(entity_id)
            )

    def _release_held(self, entity_id: str) -> Callable[[datetime], None]:
        @callback
        def release(_now: datetime) -> None:
            self._held_timers.pop(entity_id, None)
            if (records := self._held.pop(entity_id, None)) is not None:
                self._last_record_at[entity_id] = self.hass.loop.time()
                self._queue(list(records.values()))

        return release

    def _queue(self, records: list[OutboxRecord]) -> None:
        if not records:
            return
        dropped = self.outbox.add(records)
        if dropped:
            self._report_full(dropped)
        self.sender.wake()
        self._notify_listeners()

    # -- reporting -------------------------------------------------------------------------

    def _report_full(self, dropped: int) -> None:
        if self._full_reported:
            return
        self._full_reported = True
        LOGGER.warning(
            "The outbox is full (%d records): the oldest are dropped (%d so far); "
            "the link has been down too long or the line is too slow",
            self.outbox.capacity,
            self.outbox.dropped,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_OUTBOX_FULL}_{self.entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_OUTBOX_FULL,
            translation_placeholders={
                "title": self.entry.title,
                "capacity": str(self.outbox.capacity),
            },
        )

    def _on_sent(self) -> None:
        self.last_sent = dt_util.utcnow()
        if self._full_reported and len(self.outbox) < self.outbox.capacity // 2:
            self._full_reported = False
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_OUTBOX_FULL}_{self.entry.entry_id}")
        self._notify_listeners()

    def _notify_listeners(self) -> None:
        for listener in list(self._listeners):
            listener()
