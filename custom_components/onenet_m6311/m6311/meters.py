"""What the link costs: serial bytes both ways, counted exactly, and cellular traffic, estimated.

`LinkMeters` watches a connection (`ModuleConnection.watch`) and its events: the bytes written
and read, each command the module carried out (priced by `data_usage` from what the command
states it exchanges), and each cloud command received. Listeners hear of every change, so an
entity can show the counters without polling them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .connection import LinkWatcher
from .data_usage import DataUsageMeter
from .listeners import Listeners

if TYPE_CHECKING:
    from collections.abc import Callable

    from .commands import Command
    from .models import ModuleEvent


class LinkMeters(LinkWatcher):
    """Counters of one module link, across reconnects, from when this object was made."""

    def __init__(self) -> None:
        """Start at nothing."""
        self.serial_bytes_sent = 0
        self.serial_bytes_received = 0
        self.data_usage = DataUsageMeter()
        """The estimated cellular traffic of what the module did."""
        self._listeners: Listeners[[]] = Listeners("a meter listener")

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` whenever a counter changed; returns the call that removes it.

        It is called for every read and write, so it should only note that something changed.
        """
        return self._listeners.add(listener)

    def sent(self, command: Command, size: int) -> None:  # only its size counts
        """Bytes written."""
        self.serial_bytes_sent += size
        self._listeners.notify()

    def received(self, data: bytes, *, hidden: bool) -> None:  # counted alike
        """Bytes read."""
        self.serial_bytes_received += len(data)
        self._listeners.notify()

    def carried_out(self, command: Command) -> None:
        """Only a command the module carried out reached the platform (see data_usage)."""
        self.data_usage.count_command(command)
        self._listeners.notify()

    def event(self, event: ModuleEvent) -> None:
        """Subscriber for the connection's events: a cloud command crossed the link."""
        self.data_usage.count_event(event)
        self._listeners.notify()
