"""Secrets stay out of log records, the serial library's included."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from custom_components.onenet_m6311.m6311 import commands
from custom_components.onenet_m6311.m6311.redaction import (
    REDACTED,
    SECRETS,
    SecretFilter,
    install_log_filter,
)

from .fake_module import FakeModule

if TYPE_CHECKING:
    import pytest


def test_registered_secrets_are_replaced_and_scopes_nest() -> None:
    secrets = SecretFilter()
    secrets.add(["abc", ""])
    with secrets.scoped(["abc", "abcdef"]):
        assert secrets.redact("x abcdef abc") == f"x {REDACTED} {REDACTED}"
    assert secrets.redact("abcdef") == f"{REDACTED}def"  # "abc" is still registered once
    secrets.remove(["abc"])
    assert secrets.redact("abcdef") == "abcdef"


def test_a_record_is_scrubbed_never_dropped() -> None:
    secrets = SecretFilter()
    secrets.add(["k3y"])
    record = logging.LogRecord(
        "serialx.x", logging.DEBUG, __file__, 1, "sent %r", (b"AT=k3y",), None
    )
    assert secrets.filter(record)
    assert record.getMessage() == f"sent b'AT={REDACTED}'"
    plain = logging.LogRecord("serialx.x", logging.DEBUG, __file__, 1, "sent %s", ("AT",), None)
    assert secrets.filter(plain)
    assert plain.args == ("AT",)


def test_hiding_traffic_drops_only_serialx_records() -> None:
    secrets = SecretFilter()
    serial = logging.LogRecord("serialx.transport", logging.DEBUG, __file__, 1, "rx", None, None)
    ours = logging.LogRecord("m6311.client", logging.DEBUG, __file__, 1, "rx", None, None)
    with secrets.hiding_traffic():
        assert not secrets.filter(serial)
        assert secrets.filter(ours)
    assert secrets.filter(serial)


def test_secret_commands_name_their_secrets() -> None:
    assert commands.set_master_key("Mk1=").secrets == ("Mk1=",)
    assert commands.connect_device("1", "Mk1=").secrets == ("Mk1=",)
    assert commands.connect_project("2", "SYS", "v4l").secrets == ("v4l",)
    assert "Mk1=" in commands.raw("AT+CIOTMKEY=Mk1=").secrets
    assert commands.raw("AT+CSQ").secrets == ()


async def test_serial_traffic_logs_never_show_a_master_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from custom_components.onenet_m6311.m6311.client import M6311Client  # noqa: PLC0415

    install_log_filter()
    caplog.set_level(logging.DEBUG)
    fake = FakeModule(replies={'AT+CIOTMKEY="Sup3rSecret"': b"\r\n+OK=Sup3rSecret\r\n"}, echo=True)
    async with M6311Client(fake.open()) as client:
        await client.set_master_key("Sup3rSecret")
    fake.close()
    assert "CIOTMKEY" in caplog.text  # the traffic was logged...
    assert "Sup3rSecret" not in caplog.text  # ...without the key
    assert SECRETS.redact("Sup3rSecret") == "Sup3rSecret"  # and the scope ended
