"""The emulated module keeps an empty body clear on an encrypted link, as the C SDK does.

OneNET's C SDK (`cm-heclouds/edp_c`, `Openssl.c`: `SymmEncrypt`, `SymmDecrypt`) leaves a packet
whose remaining length is 0 as it is, so a heartbeat is `C0 00` out and `D0 00` back whether the
link is encrypted or not. Checked over real TCP against the platform emulator, by the bytes the
module counts on its EDP socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emulator.platform import DEFAULT_MASTER_KEY

from .module_support import framed

if TYPE_CHECKING:
    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

    from .module_support import SerialClient

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_a_heartbeat_is_two_bytes_each_way(
    encrypt: int, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = platform.create_device("m6311")
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await port.ask(f"AT+CIOTSTART={encrypt}", framed("+OK"))
    await platform.wait_online(device_id)
    written, read = module.edp_bytes.written, module.edp_bytes.read
    await port.ask("AT+CIOTPING", framed("+OK PING succ!"))
    assert module.edp_bytes.written - written == len(bytes.fromhex("C0 00"))
    assert module.edp_bytes.read - read == len(bytes.fromhex("D0 00"))
    assert platform.is_online(device_id)
