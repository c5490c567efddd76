"""EDP framing primitives: the remaining length, strings and a bounds-checked body reader."""

import struct

from .errors import EdpError

MAX_REMAINING_LENGTH = 0x0FFF_FFFF
"""The largest value four 7-bit groups can carry (268 435 455)."""

_MAX_LENGTH_BYTES = 4
_UINT16_MAX = 0xFFFF
_UINT32_MAX = 0xFFFF_FFFF


def encode_remaining_length(length: int) -> bytes:
    """Encode a body length as 1-4 bytes, 7 bits each, least significant group first."""
    if not 0 <= length <= MAX_REMAINING_LENGTH:
        msg = f"remaining length {length} outside 0..{MAX_REMAINING_LENGTH}"
        raise EdpError(msg)
    out = bytearray()
    while True:
        group, length = length & 0x7F, length >> 7
        if length:
            out.append(group | 0x80)
        else:
            out.append(group)
            return bytes(out)


def decode_remaining_length(buffer: bytes | bytearray, offset: int) -> tuple[int, int] | None:
    """Read a remaining length starting at `offset`.

    Returns:
        (length, offset of the first body byte), or None when the buffer ends before the
        length does (more bytes are needed).

    Raises:
        EdpError: the length runs over four bytes.
    """
    length = 0
    for index in range(_MAX_LENGTH_BYTES):
        position = offset + index
        if position >= len(buffer):
            return None
        byte = buffer[position]
        length |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return length, position + 1
    msg = "remaining length longer than 4 bytes"
    raise EdpError(msg)


def encode_uint16(value: int) -> bytes:
    """Encode a big-endian uint16, refusing values that do not fit."""
    if not 0 <= value <= _UINT16_MAX:
        msg = f"{value} does not fit in a uint16"
        raise EdpError(msg)
    return struct.pack(">H", value)


def encode_uint32(value: int) -> bytes:
    """Encode a big-endian uint32, refusing values that do not fit."""
    if not 0 <= value <= _UINT32_MAX:
        msg = f"{value} does not fit in a uint32"
        raise EdpError(msg)
    return struct.pack(">I", value)


def encode_string(value: str | bytes) -> bytes:
    """Encode an EDP string: uint16 length, then the bytes (text as UTF-8)."""
    raw = value.encode() if isinstance(value, str) else value
    return encode_uint16(len(raw)) + raw


class Reader:
    """Reads typed fields from one message body, raising EdpError when it runs short."""

    def __init__(self, body: bytes) -> None:
        """Start reading at the first byte of `body`."""
        self._body = body
        self._offset = 0

    @property
    def position(self) -> int:
        """Bytes read so far."""
        return self._offset

    @property
    def remaining(self) -> int:
        """Bytes not yet read."""
        return len(self._body) - self._offset

    def take(self, count: int) -> bytes:
        """Read exactly `count` bytes."""
        if count > self.remaining:
            msg = f"body too short: need {count} bytes, {self.remaining} left"
            raise EdpError(msg)
        chunk = self._body[self._offset : self._offset + count]
        self._offset += count
        return chunk

    def rest(self) -> bytes:
        """Read everything that is left."""
        return self.take(self.remaining)

    def uint8(self) -> int:
        """Read one byte."""
        return self.take(1)[0]

    def uint16(self) -> int:
        """Read a big-endian uint16."""
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def uint32(self) -> int:
        """Read a big-endian uint32."""
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def raw_string(self) -> bytes:
        """Read an EDP string's bytes."""
        return self.take(self.uint16())

    def string(self) -> str:
        """Read an EDP string as UTF-8 text."""
        raw = self.raw_string()
        try:
            return raw.decode()
        except UnicodeDecodeError as err:
            msg = f"string is not UTF-8: {raw!r}"
            raise EdpError(msg) from err

    def expect_end(self, what: str) -> None:
        """Refuse trailing bytes after a message that has a fixed layout."""
        if self.remaining:
            msg = f"{what}: {self.remaining} unexpected trailing bytes"
            raise EdpError(msg)
