"""An SDK-like EDP device against the platform emulator, over real TCP on 127.0.0.1.

The device is ours, written from the byte layouts of OneNET's C SDK (`cm-heclouds/edp_c`:
`EdpKit.c`, `Openssl.c`, and the sample `Main.c`) as docs/edp.md gives them. It builds every
byte it sends by hand and parses every byte it receives by hand, without `emulator.edp`, so
these tests hold the platform emulator to the SDK's format, not to the emulator's own codec.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .platform_helpers import WAIT, call

if TYPE_CHECKING:
    from emulator.platform import PlatformEmulator
    from emulator.platform.store import StoredDatapoint

# Packet types (EdpKit.h).
CONNREQ = 0x10
CONNRESP = 0x20
SAVEDATA = 0x80
SAVEACK = 0x90
CMDREQ = 0xA0
CMDRESP = 0xB0
PINGREQ = 0xC0
PINGRESP = 0xD0
ENCRYPTREQ = 0xE0
ENCRYPTRESP = 0xF0

AES_BLOCK = 16
PAD_BASE = 0x30  # the SDK pads n bytes of '0' + n
RSA_BLOCK = 128
DESTINATION = "45523"  # Main.c sends every save to a destination device (demo.sh's -d)


# --- the SDK's writers, in our words --------------------------------------------------------


def remaining_length(length: int) -> bytes:
    """WriteRemainlen: 7 bits a byte, low group first, bit 7 set while more bytes follow."""
    out = bytearray()
    while True:
        length, digit = divmod(length, 0x80)
        if not length:
            out.append(digit)
            return bytes(out)
        out.append(digit | 0x80)


def u16(value: int) -> bytes:
    """WriteUint16: most significant byte first."""
    return value.to_bytes(2, "big")


def u32(value: int) -> bytes:
    """WriteUint32: most significant byte first."""
    return value.to_bytes(4, "big")


def string(text: str) -> bytes:
    """WriteStr: a u16 length, then the bytes."""
    raw = text.encode()
    return u16(len(raw)) + raw


def connect1(device_id: str, api_key: str) -> bytes:
    """PacketConnect1's body: "EDP", version 1, flags 0x40, keepalive 300, device id, key."""
    return string("EDP") + b"\x01\x40" + u16(300) + string(device_id) + string(api_key)


def connect2(user_id: str, auth_info: str) -> bytes:
    """PacketConnect2's body: flags 0xC0, keepalive 128, empty device id, user id, auth_info."""
    head = string("EDP") + b"\x01\xc0" + u16(128) + b"\x00\x00"
    return head + string(user_id) + string(auth_info)


def savedata(payload_type: int, payload: bytes, msg_id: int = 0) -> bytes:
    """A PacketSavedata* body: flags, destination, [msg id], type, payload.

    Main.c always names a destination (flag 0x80); a msg id of 0 leaves flag 0x40 and the id out.
    """
    flags = 0x80 | (0x40 if msg_id else 0)
    head = bytes([flags]) + string(DESTINATION) + (u16(msg_id) if msg_id else b"")
    return head + bytes([payload_type]) + payload


def cmdresp(cmd_id: bytes, answer: bytes) -> bytes:
    """PacketCmdResp's body: the command id, then the u32 length and answer only if not empty."""
    head = u16(len(cmd_id)) + cmd_id
    return head + u32(len(answer)) + answer if answer else head


class SdkAes:
    """Openssl.c's AES: 128-bit key, block by block (ECB), '0' + n padding, empty bodies as is."""

    def __init__(self, key: bytes) -> None:
        """Use the session key from ENCRYPTRESP."""
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305  # the SDK's mode

    def encrypt(self, body: bytes) -> bytes:
        """SymmEncrypt: nothing to do for an empty body; else pad 1..16 bytes and encrypt."""
        if not body:
            return body
        count = AES_BLOCK - len(body) % AES_BLOCK
        encryptor = self._cipher.encryptor()
        return encryptor.update(body + bytes([PAD_BASE + count]) * count) + encryptor.finalize()

    def decrypt(self, body: bytes) -> bytes:
        """SymmDecrypt: nothing to do for an empty body; else decrypt and drop the padding."""
        if not body:
            return body
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(body) + decryptor.finalize()
        count = plain[-1] - PAD_BASE
        assert 1 <= count <= AES_BLOCK, plain.hex()
        return plain[:-count]


@dataclass(frozen=True, slots=True)
class Received:
    """A packet from the platform: its type, its bytes as they came, its body in the clear."""

    type: int
    wire: bytes
    body: bytes


class SdkDevice:
    """Main.c's device: one TCP link, packets built as the SDK builds them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap an open connection; plaintext until `exchange_keys`."""
        self.reader = reader
        self.writer = writer
        self.aes: SdkAes | None = None

    @classmethod
    async def connect(cls, platform: PlatformEmulator) -> SdkDevice:
        """Open a TCP connection to the platform's EDP port."""
        return cls(*await asyncio.open_connection(*platform.edp_address))

    async def send(self, packet_type: int, body: bytes) -> bytes:
        """Write a packet, after SymmEncrypt when the link is encrypted; return its bytes."""
        if self.aes is not None and packet_type != ENCRYPTREQ:
            body = self.aes.encrypt(body)
        wire = bytes([packet_type]) + remaining_length(len(body)) + body
        self.writer.write(wire)
        await self.writer.drain()
        return wire

    async def receive(self) -> Received:
        """Read one packet; decrypt it as Main.c does (everything but ENCRYPTRESP)."""
        async with asyncio.timeout(WAIT):
            head = await self.reader.readexactly(1)
            length, length_bytes = await self._remaining_length()
            body = await self.reader.readexactly(length)
        if self.aes is not None and head[0] != ENCRYPTRESP:
            return Received(head[0], head + length_bytes + body, self.aes.decrypt(body))
        return Received(head[0], head + length_bytes + body, body)

    async def _remaining_length(self) -> tuple[int, bytes]:
        """The remaining length and its bytes (at most four, as IsPkgComplete allows)."""
        raw = bytearray()
        for _ in range(4):
            raw += await self.reader.readexactly(1)
            if not raw[-1] & 0x80:
                return sum((b & 0x7F) << (7 * i) for i, b in enumerate(raw)), bytes(raw)
        msg = f"remaining length over four bytes: {raw.hex()}"
        raise AssertionError(msg)

    async def request(self, packet_type: int, body: bytes) -> Received:
        """Send a packet and read the platform's next one."""
        await self.send(packet_type, body)
        return await self.receive()

    async def exchange_keys(self) -> None:
        """PacketEncryptReq and UnpackEncryptResp: RSA-1024 out, the AES key back."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505  # EDP fixes RSA-1024
        public = private_key.public_key().public_numbers()
        exponent, modulus = public.e.to_bytes(4, "big"), public.n.to_bytes(RSA_BLOCK, "big")
        answer = await self.request(ENCRYPTREQ, exponent + modulus + b"\x01")
        assert answer.type == ENCRYPTRESP
        key_length = int.from_bytes(answer.body[:2], "big")
        assert len(answer.body) == 2 + key_length  # the remaining length UnpackEncryptResp wants
        sealed = answer.body[2:]
        key = b"".join(
            private_key.decrypt(sealed[start : start + RSA_BLOCK], padding.PKCS1v15())
            for start in range(0, key_length, RSA_BLOCK)
        )
        self.aes = SdkAes(key[:AES_BLOCK])

    async def close(self) -> None:
        """Close from the device side."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@pytest.fixture(params=[False, True], ids=["plain", "encrypted"])
def encrypt(request: pytest.FixtureRequest) -> bool:
    """Run a test on a plain link and on an encrypted one."""
    value: bool = request.param
    return value


async def logged_in(platform: PlatformEmulator, *, encrypt: bool) -> tuple[SdkDevice, str]:
    """A new device logged in the way Main.c does: [keys,] PacketConnect1 with an APIKEY."""
    device_id = platform.create_device("sdk")
    device = await SdkDevice.connect(platform)
    if encrypt:
        await device.exchange_keys()
    answer = await device.request(CONNREQ, connect1(device_id, platform.create_key(device_id)))
    assert (answer.type, answer.body) == (CONNRESP, b"\x00\x00")
    await platform.wait_online(device_id)
    return device, device_id


# --- logging in -----------------------------------------------------------------------------


async def test_device_id_login(platform_emulator: PlatformEmulator, encrypt: bool) -> None:
    device, device_id = await logged_in(platform_emulator, encrypt=encrypt)
    assert platform_emulator.edp.sessions[device_id].keepalive == 300
    await device.close()


async def test_project_login_with_spaced_auth_info(
    platform_emulator: PlatformEmulator, encrypt: bool
) -> None:
    # Main.c's commented PacketConnect2 example spaces its auth_info object so.
    device_id = platform_emulator.create_device("sdk", auth_info='{"SYS":"0DEiuApATHgLurKNEl6"}')
    device = await SdkDevice.connect(platform_emulator)
    if encrypt:
        await device.exchange_keys()
    body = connect2(platform_emulator.project_id, '{ "SYS" : "0DEiuApATHgLurKNEl6" }')
    answer = await device.request(CONNREQ, body)
    assert (answer.type, answer.body) == (CONNRESP, b"\x00\x00")
    assert len(answer.wire) == (18 if encrypt else 4)  # two bytes pad to one AES block
    await platform_emulator.wait_online(device_id)
    assert platform_emulator.edp.sessions[device_id].keepalive == 128
    await device.close()


# --- the heartbeat --------------------------------------------------------------------------


async def test_heartbeat_as_main_c_sends_it(
    platform_emulator: PlatformEmulator, encrypt: bool
) -> None:
    # PacketPing is `C0 00`; SymmEncrypt leaves it so, and PINGRESP comes back as `D0 00`.
    device, device_id = await logged_in(platform_emulator, encrypt=encrypt)
    for _ in range(3):
        assert await device.send(PINGREQ, b"") == bytes.fromhex("C0 00")
        answer = await device.receive()
        assert answer.wire == bytes.fromhex("D0 00")
    assert platform_emulator.is_online(device_id)
    await device.close()


# --- saving data ----------------------------------------------------------------------------

# cJSON_Print of PacketSavedataDouble's type 1 object (value 22.5, time 2015-03-22 22:31:12).
CJSON_DATASTREAMS = (
    '{\n\t"datastreams":\t[{\n'
    '\t\t\t"id":\t"temperature",\n'
    '\t\t\t"datapoints":\t[{\n'
    '\t\t\t\t\t"at":\t"2015-03-22 22:31:12",\n'
    '\t\t\t\t\t"value":\t22.500000\n'
    "\t\t\t\t}]\n"
    "\t\t}]\n"
    "}"
)
# cJSON_Print of PacketSavedataInt's type 3 object, Main.c's value 1234, and of a type 4 one.
CJSON_SIMPLE = '{\n\t"light":\t1234\n}'
CJSON_TIMED = '{\n\t"light":\t{\n\t\t"2015-03-22 22:31:13":\t-0.500000\n\t}\n}'
# Main.c's split string, and its float points {1, 0.5}, {2, 0.8}, {3, -0.5} at its example
# time 20160405144601, written out as PackSavedataFloatWithTime lays them.
SPLIT_STRING = ",;temperature,2015-03-22 22:31:12,22.5;humidity,35%;pm2.5,89;1001"
FLOATS = bytes.fromhex(
    "10 04 05 0E 2E 01"  # 2016-04-05 14:46:01: year - 2000, month, day, hour, minute, second
    "00 03"  # count, big-endian
    "00 01 00 00 00 3F"  # stream 1 (big-endian), 0.5f = 0x3F000000 little-endian
    "00 02 CD CC 4C 3F"  # stream 2, 0.8f = 0x3F4CCCCD
    "00 03 00 00 00 BF"  # stream 3, -0.5f = 0xBF000000
)
FLOAT32_0_8 = 0xCCCCCD / 2**24  # what 0x3F4CCCCD is exactly


def _saves() -> list[tuple[int, bytes]]:
    """(type, payload) of every save, in Main.c's order of menu entries."""
    return [
        (1, string(CJSON_DATASTREAMS)),
        (3, string(CJSON_SIMPLE)),
        (4, string(CJSON_TIMED)),
        (5, string(SPLIT_STRING)),
        (7, FLOATS),
    ]


EXPECTED: list[tuple[str, str | None, object]] = [
    ("temperature", "2015-03-22 22:31:12", 22.5),
    ("light", None, 1234),
    ("light", "2015-03-22 22:31:13", -0.5),
    ("temperature", "2015-03-22 22:31:12", 22.5),
    ("humidity", None, "35%"),
    ("pm2.5", None, 89),
    ("3", None, 1001),
    ("1", "2016-04-05 14:46:01", 0.5),
    ("2", "2016-04-05 14:46:01", FLOAT32_0_8),
    ("3", "2016-04-05 14:46:01", -0.5),
]


def assert_stored(points: list[StoredDatapoint]) -> None:
    """The stored points are EXPECTED, value and type; None stands for the server's time."""
    assert len(points) == len(EXPECTED)
    for point, (datastream, at, value) in zip(points, EXPECTED, strict=True):
        assert (point.datastream_id, point.value) == (datastream, value)
        assert type(point.value) is type(value)
        if at is None:
            assert len(point.at) == 19  # the server's time, Beijing
        else:
            assert point.at == at


async def test_saves_without_acknowledgement(
    platform_emulator: PlatformEmulator, encrypt: bool
) -> None:
    # Main.c saves with msg id 0: no SAVEACK, so a heartbeat afterwards marks the end.
    device, device_id = await logged_in(platform_emulator, encrypt=encrypt)
    for payload_type, payload in _saves():
        await device.send(SAVEDATA, savedata(payload_type, payload))
    assert (await device.request(PINGREQ, b"")).wire == bytes.fromhex("D0 00")
    assert_stored(platform_emulator.datapoints(device_id))
    await device.close()


async def test_saves_with_acknowledgement(
    platform_emulator: PlatformEmulator, encrypt: bool
) -> None:
    device, device_id = await logged_in(platform_emulator, encrypt=encrypt)
    for msg_id, (payload_type, payload) in enumerate(_saves(), start=0x0101):
        answer = await device.request(SAVEDATA, savedata(payload_type, payload, msg_id))
        # UnpackSavedataAck: flags with bit 6, the msg id, result 0.
        assert (answer.type, answer.body) == (SAVEACK, b"\x40" + u16(msg_id) + b"\x00")
    assert_stored(platform_emulator.datapoints(device_id))
    # The HTTP API gives the type 7 streams under the numbers the device sent.
    result = await call(platform_emulator, "GET", f"/devices/{device_id}/datapoints")
    streams = {
        s["id"]: [p["value"] for p in s["datapoints"]] for s in result["data"]["datastreams"]
    }
    assert streams["1"] == [0.5]
    assert streams["2"] == [FLOAT32_0_8]
    assert streams["3"] == [1001, -0.5]
    await device.close()


# --- commands -------------------------------------------------------------------------------

CJSON_ANSWER = b'{\n\t"switch":\t1,\n\t"level":\t0.750000\n}'


@pytest.mark.parametrize("answer", [b"ok", CJSON_ANSWER, b""], ids=["main.c", "json", "empty"])
async def test_command_and_its_answer(
    platform_emulator: PlatformEmulator, encrypt: bool, answer: bytes
) -> None:
    device, device_id = await logged_in(platform_emulator, encrypt=encrypt)
    uuid = await platform_emulator.send_command(device_id, b'{"switch":1}')
    request = await device.receive()
    # UnpackCmdReq: u16 id length, id, u32 body length, body, nothing after.
    id_length = int.from_bytes(request.body[:2], "big")
    cmd_id = request.body[2 : 2 + id_length]
    body_length = int.from_bytes(request.body[2 + id_length : 6 + id_length], "big")
    assert request.type == CMDREQ
    assert cmd_id == uuid.encode()
    assert request.body[6 + id_length :] == b'{"switch":1}'
    assert body_length == len(b'{"switch":1}')
    await device.send(CMDRESP, cmdresp(cmd_id, answer))  # Main.c answers "ok"
    assert await platform_emulator.wait_command_response(uuid) == answer
    assert platform_emulator.is_online(device_id)
    await device.close()
