"""OneNET EDP (Enhanced Device Protocol) codec, byte for byte as OneNET's SDKs speak it.

Shared by the platform emulator and the module emulator. `encode(message, cipher)` makes a
packet; a `Decoder` turns a byte stream back into messages.
"""

from .codec import Decoder, decode_body, encode
from .crypto import AesCipher, RsaKeyPair, encrypt_session_key, new_session_key
from .errors import EdpError
from .framing import MAX_REMAINING_LENGTH, decode_remaining_length, encode_remaining_length
from .messages import (
    CmdReq,
    CmdResp,
    ConnClose,
    ConnReq,
    ConnResp,
    ConnRespCode,
    EncryptReq,
    EncryptResp,
    Message,
    MessageType,
    PingReq,
    PingResp,
    SaveAck,
    SaveAckJson,
    SaveData,
    Unknown,
)
from .payloads import Datapoint, PayloadType, split_string_datapoints

__all__ = [
    "MAX_REMAINING_LENGTH",
    "AesCipher",
    "CmdReq",
    "CmdResp",
    "ConnClose",
    "ConnReq",
    "ConnResp",
    "ConnRespCode",
    "Datapoint",
    "Decoder",
    "EdpError",
    "EncryptReq",
    "EncryptResp",
    "Message",
    "MessageType",
    "PayloadType",
    "PingReq",
    "PingResp",
    "RsaKeyPair",
    "SaveAck",
    "SaveAckJson",
    "SaveData",
    "Unknown",
    "decode_body",
    "decode_remaining_length",
    "encode",
    "encode_remaining_length",
    "encrypt_session_key",
    "new_session_key",
    "split_string_datapoints",
]
