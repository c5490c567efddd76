"""Sending a command to a device: the one routine behind POST /cmds and the web page's form."""

import time
import uuid
from typing import TYPE_CHECKING

from .errors import ApiError, Errno, invalid_parameter
from .store import Command, CommandStatus, beijing_now

if TYPE_CHECKING:
    from .edp_server import EdpServer
    from .store import Store

MAX_COMMAND_BYTES = 64 * 1024 - 1
"""Command bodies must stay under 64 KiB."""
MAX_TIMEOUT = 2_678_400
"""31 days, the platform's longest command timeout."""


def parse_qos(text: str | None) -> int:
    """The `qos` query parameter: 0 (default) or 1."""
    if text in {None, ""}:
        return 0
    if text not in {"0", "1"}:
        msg = f"qos must be 0 or 1: {text}"
        raise invalid_parameter(msg)
    return int(text)


def parse_timeout(text: str | None) -> int:
    """The `timeout` query parameter: 0 (default) to 2678400 seconds."""
    if text in {None, ""}:
        return 0
    try:
        timeout = int(text)
    except ValueError:
        msg = f"timeout must be an integer: {text}"
        raise invalid_parameter(msg) from None
    if not 0 <= timeout <= MAX_TIMEOUT:
        msg = f"timeout must be 0..{MAX_TIMEOUT}: {text}"
        raise invalid_parameter(msg)
    return timeout


class CommandSender:
    """Creates commands and hands them to the EDP server."""

    def __init__(self, store: Store, edp: EdpServer) -> None:
        """Use this store and this EDP server."""
        self._store = store
        self._edp = edp

    async def send(
        self,
        device_id: str,
        body: bytes,
        *,
        qos: int = 0,
        timeout: int = 0,  # noqa: ASYNC109  # the platform's command timeout, not a wait
    ) -> str:
        """Create a command and send it now, or keep it for an offline device when timeout > 0.

        Returns:
            The command's uuid.

        Raises:
            ApiError: unknown device (3), bad body (6), or device offline with timeout 0 (10).
        """
        if self._store.device(device_id) is None:
            raise ApiError(Errno.DEVICE_NOT_EXIST, f"device not exist: {device_id}")
        if not body:
            msg = "empty command"
            raise invalid_parameter(msg)
        if len(body) > MAX_COMMAND_BYTES:
            msg = f"command is {len(body)} bytes, must be under 64 KiB"
            raise invalid_parameter(msg)
        online = self._edp.is_online(device_id)
        if not online and timeout == 0:
            raise ApiError(Errno.DEVICE_NOT_ONLINE, f"device not online: {device_id}")
        command = Command(
            uuid=str(uuid.uuid4()),
            device_id=device_id,
            body=body,
            status=CommandStatus.DEVICE_OFFLINE,
            qos=qos,
            timeout=timeout,
            expires=time.time() + timeout if timeout else None,
            create_time=beijing_now(),
            response=None,
        )
        self._store.add_command(command)
        if online:
            await self._edp.deliver(command)
        return command.uuid
