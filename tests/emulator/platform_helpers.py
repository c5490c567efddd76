"""Helpers for the platform emulator tests: a scripted EDP device and an HTTP caller."""

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import aiohttp

from emulator.edp import (
    AesCipher,
    Decoder,
    EncryptReq,
    EncryptResp,
    Message,
    RsaKeyPair,
    encode,
)

if TYPE_CHECKING:
    from emulator.platform import PlatformEmulator

WAIT = 5.0


class EdpDevice:
    """A raw EDP client: send messages, receive decoded ones, see the link close."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap an open connection."""
        self.reader = reader
        self.writer = writer
        self.decoder = Decoder()
        self.cipher: AesCipher | None = None
        self._pending: list[Message] = []

    @classmethod
    async def connect(cls, platform: PlatformEmulator) -> EdpDevice:
        """Open a TCP connection to the platform's EDP port."""
        reader, writer = await asyncio.open_connection(*platform.edp_address)
        return cls(reader, writer)

    async def send(self, message: Message) -> None:
        """Send one message (encrypted after `encrypt()`)."""
        await self.send_raw(encode(message, self.cipher))

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are."""
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self) -> Message:
        """The next message from the platform."""
        async with asyncio.timeout(WAIT):
            while not self._pending:
                data = await self.reader.read(65536)
                if not data:
                    msg = "connection closed"
                    raise ConnectionError(msg)
                self._pending += self.decoder.feed(data)
        return self._pending.pop(0)

    async def request(self, message: Message) -> Message:
        """Send a message and return the platform's next message."""
        await self.send(message)
        return await self.receive()

    async def encrypt(self) -> None:
        """Do the RSA/AES key exchange; everything afterwards is encrypted."""
        pair = RsaKeyPair.generate()
        response = await self.request(EncryptReq(pair.public_exponent, pair.modulus))
        assert isinstance(response, EncryptResp)
        self.cipher = AesCipher(pair.decrypt_session_key(response.encrypted_key))
        self.decoder.cipher = self.cipher

    async def closed_by_peer(self) -> bool:
        """Wait for the platform to close the link; True if it did (after any data)."""
        async with asyncio.timeout(WAIT):
            while await self.reader.read(65536):
                pass
        return True

    async def close(self) -> None:
        """Close from the device side."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def call(
    platform: PlatformEmulator,
    method: str,
    path: str,
    key: str | None = None,
    **kwargs: Any,  # passed through to aiohttp
) -> dict[str, Any]:
    """One HTTP API call with the master key (or `key`); the decoded JSON answer."""
    headers = {"api-key": platform.master_key if key is None else key}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, platform.http_url + path, headers=headers, **kwargs) as response,
    ):
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result
