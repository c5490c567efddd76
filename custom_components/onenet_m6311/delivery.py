"""The one way data reaches OneNET: records or a file, on the kept link or in one shot.

The forwarder's sender and the actions (`send_data`, `send_file`) both come here, so the
entry's mode decides the commands in one place:

- records: AT+CIOTDAT lines on the kept link; in one shot AT+CIOTSEND lines, each of which
  logs in, sends and logs out;
- a file: AT+CIOTBINSET, AT+CIOTBINSEND chunks and AT+CIOTBINEND on the kept link; in one shot
  the same between an AT+CIOTSTART and an AT+CIOTQUIT of its own;
- acknowledgements (`SAVE succ!msg:<id>`) are waited for when asked, in either mode.

In one-shot mode every send is a login of its own, and the module refuses a second one while
one is up (-106): sends hold the link's lock there, so a file's login and a forwarded line never
overlap. On the kept link, sends share the serial line command by command with heartbeats and
cloud commands, and a failed upload has the login checked at once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .m6311 import LineRefusedError, M6311CommandError, M6311Error, Record, commands

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator, Sequence

    from .m6311 import LoginSettings, M6311Client


class Link(Protocol):
    """What delivery needs of the module link (the coordinator is one)."""

    client: M6311Client
    settings: LoginSettings
    exclusive: asyncio.Lock

    @property
    def keep_link(self) -> bool:
        """Whether the login is held open (off: one-shot mode)."""

    @property
    def ping_interval(self) -> float:
        """Seconds between heartbeats on the kept link."""

    async def async_check_login(self) -> None:
        """See at once whether a send's failure took the login down."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """What a send did."""

    lines: int
    """Command lines the module carried out (AT+CIOTDAT, AT+CIOTSEND; 1 for a file)."""
    acknowledged: bool
    """OneNET confirmed it stored the data (`SAVE succ`); otherwise the module sent it."""
    status: str = ""
    """A file's upload status as the module reports it (`+OK=<status>`), if any."""

    @property
    def outcome(self) -> str:
        """`stored_on_onenet` or `handed_to_module`, for action responses."""
        return "stored_on_onenet" if self.acknowledged else "handed_to_module"


class Delivery:
    """Sends records and files in the entry's mode (see the module docstring)."""

    def __init__(self, link: Link) -> None:
        """Send through `link`'s client."""
        self._link = link

    @property
    def one_shot(self) -> bool:
        """Whether each send logs in by itself (AT+CIOTSEND)."""
        return not self._link.keep_link

    def first_line(self, records: Sequence[Record]) -> list[Record]:
        """The oldest records that fit one command line of this mode (the library decides).

        Raises:
            M6311ValidationError: the first record fits no line.
        """
        return commands.split_records(  # sized for the largest message id
            records,
            msg_id=commands.SEND_ONCE_MSG_ID_MAX if self.one_shot else commands.MSG_ID_MAX,
            line_limit=self._link.client.line_limit,
            one_shot=self.one_shot,
        )[0]

    async def send_records(self, records: Sequence[Record], *, ack: bool) -> Delivered:
        """Send records in as few lines as fit; with `ack`, until OneNET stored each line."""
        client = self._link.client
        # Under the link's lock: its lines never land between an upload's chunks or within a
        # heartbeat's ping and status check (records wait in the outbox meanwhile).
        async with self._link.exclusive:
            if self.one_shot:
                lines = await self._send_once(records, ack=ack)
            else:
                msg_id = client.next_msg_id() if ack else 0
                lines = await client.send_data(records, msg_id=msg_id, wait_ack=ack)
        return Delivered(lines=lines, acknowledged=ack)

    async def _send_once(self, records: Sequence[Record], *, ack: bool) -> int:
        """AT+CIOTSEND lines, one login each; a line refused for its length is split again."""
        client = self._link.client
        pending = list(records)
        lines = 0
        while pending:
            line = self.first_line(pending)
            msg_id = client.next_msg_id(one_shot=True) if ack else 0
            try:
                await client.send_once(
                    line, encrypt=self._link.settings.encrypt, msg_id=msg_id, wait_ack=ack
                )
            except LineRefusedError:
                continue  # the limit is lower now: the same records again, in a shorter line
            del pending[: len(line)]
            lines += 1
        return lines

    async def send_file(self, datastream: str, data: bytes, *, ack: bool) -> Delivered:
        """Upload bytes to a datastream; with `ack`, until OneNET stored the file.

        Heartbeats go between its chunks on the kept link, not beside them; in one-shot mode
        the upload logs in for itself and out again.
        """
        client = self._link.client
        msg_id = client.next_msg_id() if ack else 0
        async with self._link.exclusive, self._logged_in_for_the_upload():
            try:
                status = await client.send_file(
                    datastream,
                    data,
                    msg_id=msg_id,
                    wait_ack=ack,
                    keepalive=None if self.one_shot else self._link.ping_interval,
                )
            except M6311CommandError:
                if not self.one_shot:
                    await self._link.async_check_login()
                raise
        return Delivered(lines=1, acknowledged=ack, status=status)

    @contextlib.asynccontextmanager
    async def _logged_in_for_the_upload(self) -> AsyncIterator[None]:
        """One shot: a login of the upload's own (AT+CIOTSTART), closed after it."""
        if not self.one_shot:
            yield
            return
        client = self._link.client
        await client.open_link(encrypt=self._link.settings.encrypt)
        try:
            yield
        finally:
            with contextlib.suppress(M6311Error):
                await client.quit()
