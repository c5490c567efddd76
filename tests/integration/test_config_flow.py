"""The config flow, the options flow and the module checks behind them.

Against the emulated M6311 on a real pseudo-terminal and the emulated OneNET platform over real
TCP wherever the emulators can be put in the situation; a scripted fake on a pty (tests/library)
stands in for what no M6311 emulator does: a device that speaks AT but not OneNET's commands, a
port that vanishes mid-answer, and module states the emulator cannot be brought to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
import serialx
from homeassistant.config_entries import SOURCE_USB, SOURCE_USER, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry
from serialx import SerialPortInfo

from custom_components.onenet_m6311.config_flow import SECTION_SERIAL
from custom_components.onenet_m6311.const import (
    CONF_ALLOWED_ACTIONS,
    CONF_AUTH_KEY,
    CONF_AUTH_VALUE,
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_DEVICE_ID,
    CONF_ENCRYPT,
    CONF_MASTER_KEY,
    CONF_MODE,
    CONF_PING_INTERVAL,
    CONF_PROJECT_ID,
    DOMAIN,
)
from custom_components.onenet_m6311.m6311 import ConnectMode, LoginSettings, M6311Client
from custom_components.onenet_m6311.m6311 import client as client_module
from custom_components.onenet_m6311.options_flow import SECTION_DELIVERY
from emulator.module import Dialect, ModuleEmulator
from emulator.platform import PlatformEmulator
from tests.library.fake_module import FakeModule

from .conftest import (
    AUTH_VALUE,
    IMEI,
    MASTER_KEY,
    entry_data,
    set_up_entry,
    state_of_entry,
    wait_online_link,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path
    from unittest.mock import AsyncMock

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant

OTHER_IMEI = "867567049999999"
WRONG_KEY = "wrongMasterKey0000000000000="
"""Well-formed (the library sends it) but not the project's master APIKEY."""


# -- helpers ---------------------------------------------------------------------------------


def port_input(port: str, baudrate: int = 115200) -> dict[str, Any]:
    """What the user (or reconfigure) form sends: the port and the collapsed serial section."""
    return {CONF_DEVICE: port, SECTION_SERIAL: {CONF_BAUDRATE: baudrate}}


def path_of(module: ModuleEmulator) -> str:
    """The module's stable link path (every module here is made with one)."""
    assert module.link_path is not None
    return module.link_path


def fields(result: ConfigFlowResult) -> set[str]:
    """The names of a form's fields."""
    schema = result.get("data_schema")
    assert schema is not None
    return {str(key) for key in schema.schema}


def suggested(result: ConfigFlowResult, name: str) -> object:
    """The suggested value of a form's field."""
    schema = result.get("data_schema")
    assert schema is not None
    for key in schema.schema:
        if str(key) == name:
            return (key.description or {}).get("suggested_value")
    pytest.fail(f"no field {name}")


def default(result: ConfigFlowResult, name: str) -> object:
    """The default of a form's field."""
    schema = result.get("data_schema")
    assert schema is not None
    for key in schema.schema:
        if str(key) == name:
            return key.default()
    pytest.fail(f"no field {name}")


def framed(*lines: str) -> bytes:
    """Lines as a module prints them."""
    return b"".join(b"\r\n" + line.encode() + b"\r\n" for line in lines)


async def start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


async def configure(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: dict[str, Any]
) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def to_mode_step(
    hass: HomeAssistant, port: str, step: str, shown: str | None = None
) -> ConfigFlowResult:
    """A user flow through the port and the menu, to one mode's credentials form.

    `shown` is the form's step when it differs from the menu's (a module holding a device).
    """
    result = await configure(hass, await start_user_flow(hass), port_input(port))
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "mode"
    assert result["menu_options"] == ["stored_device", "device", "project"]
    result = await configure(hass, result, {"next_step_id": step})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == (shown or step)
    assert result["errors"] == {}
    return result


def mode1_input(device_id: str, master_key: str = MASTER_KEY) -> dict[str, Any]:
    return {CONF_DEVICE_ID: device_id, CONF_MASTER_KEY: master_key, CONF_ENCRYPT: False}


async def provision(module: ModuleEmulator) -> str:
    """Have the module create its device (mode 0), as an earlier installation did."""
    async with M6311Client(path_of(module)) as client:
        await client.disable_echo()
        await client.set_master_key(MASTER_KEY)
        await client.init_device()
        return await client.read_device_id()


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await set_up_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED


async def unload(hass: HomeAssistant, entry_id: str) -> None:
    """Let go of the port before a test stops an emulator it made itself."""
    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()


# -- fakes -----------------------------------------------------------------------------------


@dataclass
class HangingUpModule(FakeModule):
    """A module whose USB cable is pulled the moment a given command arrives."""

    hang_up_on: str = "AT"

    def _answer(self, line: str) -> None:
        if line == self.hang_up_on:
            self.received.append(line)
            self.close()
            return
        super()._answer(line)


class ScriptedM6311:
    """An M6311 reduced to a script, for states the emulator cannot be brought into.

    It answers like the documented module; the switches bend single answers: a device ID that
    has gone (`device_id` None), a link still up from an earlier login (`online`), a quit the
    module refuses (`quit_fails`), and a start that answers `+OK` but never brings the link up
    (`start_stays_down`).
    """

    def __init__(self) -> None:
        """Nothing stored but a complete provisioning (AT+CIOT? says OK)."""
        self.device_id: str | None = "4242"
        self.online = False
        self.quit_fails = False
        self.start_stays_down = False
        self.fake = FakeModule(
            replies={
                "AT": framed("OK"),
                "ATE0": framed("OK"),
                "AT+CGSN": framed(OTHER_IMEI, "OK"),
                "AT+CIOT?": framed("+OK"),
                "AT+CIOTINIT": framed("+OK"),
                "AT+CIOTCONNECTPARA=0": framed("+OK"),
                "AT+CIOTID?": lambda _: self._device_id(),
                "AT+CIOTSTATUS": lambda _: framed(
                    "+OK=device_up" if self.online else "+OK=Device_down"
                ),
                "AT+CIOTSTART=0": lambda _: self._start(),
                "AT+CIOTQUIT": lambda _: self._quit(),
            },
            fallback=self._other,
        )

    def _device_id(self) -> bytes:
        return framed("+ERR=-103" if self.device_id is None else f"+OK={self.device_id}")

    def _start(self) -> bytes:
        self.online = not self.start_stays_down
        return framed("+OK")

    def _quit(self) -> bytes:
        if self.quit_fails:
            return framed("+ERR=-111")
        self.online = False
        return framed("+OK")

    @staticmethod
    def _other(line: str) -> bytes:
        if line.startswith("AT+CIOTMKEY="):
            return framed("+OK=" + line.removeprefix("AT+CIOTMKEY="))
        if line.startswith("AT+CIOTCONNECTPARA="):
            return framed("+OK")
        return framed("+ERR")


@pytest.fixture
async def module(hass: HomeAssistant, module: ModuleEmulator) -> AsyncIterator[ModuleEmulator]:
    """The shared module fixture, with the entries on it unloaded before it stops.

    Otherwise an entry left loaded sees its port vanish at teardown and reconnects while
    Home Assistant stops: serialx then reports the cancelled open's FileNotFoundError.
    """
    yield module
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await unload(hass, entry.entry_id)


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScriptedM6311, str]]:
    """A scripted M6311 on a pty, and the pty's path."""
    module = ScriptedM6311()
    path = module.fake.open()
    yield module, path
    module.fake.close()


@pytest.fixture
def skip_entry_setup() -> Iterator[AsyncMock]:
    """Entries made on a scripted fake are not set up: the fake knows only its script.

    Setting entries up is tested against the emulator (here and in test_setup.py); this patches
    Home Assistant's call into the integration, not the library.
    """
    with patch("custom_components.onenet_m6311.async_setup_entry", return_value=True) as setup:
        yield setup


@pytest.fixture
async def other_module(platform: PlatformEmulator, tmp_path: Path) -> AsyncIterator[ModuleEmulator]:
    """A second M6311 (another IMEI) on its own port."""
    emulator = ModuleEmulator(
        platform_http_url=platform.http_url,
        edp_port=platform.edp_port,
        imei=OTHER_IMEI,
        link_path=tmp_path / "ttyOther",
    )
    await emulator.start()
    yield emulator
    await emulator.stop()


# -- user step: every mode -------------------------------------------------------------------


async def test_user_mode1_creates_a_loaded_entry(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator, device_id: str
) -> None:
    result = await to_mode_step(hass, path_of(module), "device")
    assert fields(result) == {CONF_DEVICE_ID, CONF_MASTER_KEY, CONF_ENCRYPT}

    result = await configure(hass, result, mode1_input(f" {device_id} "))
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "M6311 4567"  # the IMEI's last four digits, as the device's name
    assert result["data"] == {
        CONF_DEVICE: path_of(module),
        CONF_BAUDRATE: 115200,
        CONF_MODE: 1,
        CONF_DEVICE_ID: device_id,  # stripped
        CONF_MASTER_KEY: MASTER_KEY,
        CONF_ENCRYPT: False,
    }
    assert result["description"] == "device"
    assert result["description_placeholders"] == {"device_id": device_id}
    entry = result["result"]
    assert entry.unique_id == IMEI
    assert entry.state is ConfigEntryState.LOADED
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.name == entry.title  # one name for one module
    await platform.wait_online(device_id)
    # The flow logged in for real, and out again, before the entry logged in for itself.
    assert module.commands.count("AT+CIOTSTART=0") == 2
    assert "AT+CIOTQUIT" in module.commands


async def test_user_mode2_encrypted(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator, device_id: str
) -> None:
    result = await to_mode_step(hass, path_of(module), "project")
    assert fields(result) == {CONF_PROJECT_ID, CONF_AUTH_KEY, CONF_AUTH_VALUE, CONF_ENCRYPT}

    result = await configure(
        hass,
        result,
        {
            CONF_PROJECT_ID: "23219",
            CONF_AUTH_KEY: "SYS",
            CONF_AUTH_VALUE: AUTH_VALUE,
            CONF_ENCRYPT: True,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODE] == 2
    assert result["data"][CONF_ENCRYPT] is True
    assert result["description"] is None  # no device ID to tell in mode 2
    assert "AT+CIOTSTART=1" in module.commands
    await platform.wait_online(device_id)


@pytest.mark.parametrize(
    "dialect",
    [
        Dialect.DOCUMENTED,
        # Newer firmware: the master key quoted only, the login reported after its OK.
        Dialect.QUOTED_MKEY | Dialect.CONNECT_LATE | Dialect.PLAIN_RESULT,
        Dialect.QUOTED_MKEY | Dialect.CONNECT_ONLY | Dialect.REPORTS | Dialect.CGSN_INDEXED,
    ],
    ids=["documented", "quoted_key_late_login", "connect_only_with_reports"],
)
async def test_user_mode0_new_module_is_provisioned(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator, dialect: Dialect
) -> None:
    module.set_dialect(dialect)
    result = await to_mode_step(hass, path_of(module), "stored_device")
    assert fields(result) == {CONF_MASTER_KEY, CONF_ENCRYPT}  # nothing stored: the key is asked

    result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    made = module.stored.device_id
    assert made is not None
    assert result["data"][CONF_MODE] == 0
    assert result["data"][CONF_DEVICE_ID] == made
    assert result["description_placeholders"] == {"device_id": made}
    assert "AT+CIOTINIT" in module.commands
    await platform.wait_online(made)


async def test_user_mode0_stored_device_needs_no_key(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator
) -> None:
    stored_id = await provision(module)

    result = await to_mode_step(hass, path_of(module), "stored_device", "stored_device_held")
    assert fields(result) == {CONF_ENCRYPT}
    assert result["description_placeholders"] == {"device_id": stored_id}  # says which
    keys_sent = sum(line.startswith("AT+CIOTMKEY") for line in module.commands)

    result = await configure(hass, result, {CONF_ENCRYPT: False})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_MASTER_KEY not in result["data"]
    assert result["data"][CONF_DEVICE_ID] == stored_id
    # The stored device was checked (CIOTINIT), not replaced by a new key.
    assert sum(line.startswith("AT+CIOTMKEY") for line in module.commands) == keys_sent
    assert module.stored.device_id == stored_id
    await platform.wait_online(stored_id)


# -- user step: the port, and recovery -------------------------------------------------------


async def test_user_missing_port_then_fixed(
    hass: HomeAssistant, module: ModuleEmulator, tmp_path: Path
) -> None:
    result = await configure(
        hass, await start_user_flow(hass), port_input(str(tmp_path / "ttyUSB7"))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result, CONF_DEVICE) == str(tmp_path / "ttyUSB7")

    result = await configure(hass, result, port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU


def port_choices(result: ConfigFlowResult) -> dict[str, str]:
    """The port field's choices: value to label."""
    schema = result.get("data_schema")
    assert schema is not None
    selector = next(value for key, value in schema.schema.items() if str(key) == CONF_DEVICE)
    return {choice["value"]: choice["label"] for choice in selector.config["options"]}


async def test_the_ports_found_and_the_ports_named_are_choices(
    hass: HomeAssistant, module: ModuleEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usb = SerialPortInfo(
        device="/dev/ttyUSB0",
        resolved_device="/dev/ttyUSB0",
        vid=0x10C4,
        pid=0xEA60,
        serial_number="0001",
        manufacturer="Silicon Labs",
        product="CP2102 USB to UART Bridge Controller",
        bcd_device=None,
        interface_description=None,
        interface_num=None,
    )
    monkeypatch.setattr(serialx, "list_serial_ports", lambda: [usb])
    result = await start_user_flow(hass)
    choices = port_choices(result)
    assert list(choices) == ["/dev/ttyUSB0"]
    assert "CP2102" in choices["/dev/ttyUSB0"]  # what it is, beside where
    typed = str(tmp_path / "ttyUSB7")
    result = await configure(hass, result, port_input(typed))
    assert result["errors"] == {"base": "cannot_connect"}
    assert typed in port_choices(result)  # the typed port is a choice: never "unknown item"


async def test_a_network_port_that_does_not_answer_says_so(
    hass: HomeAssistant, socket_enabled: None, unused_tcp_port: int
) -> None:
    url = f"socket://127.0.0.1:{unused_tcp_port}"
    result = await configure(hass, await start_user_flow(hass), port_input(url))
    assert result["errors"] == {"base": "cannot_connect_network"}
    assert result["description_placeholders"] == {
        "scheme": "socket",
        "address": f"127.0.0.1:{unused_tcp_port}",
    }


async def test_user_silent_module_then_fixed(
    hass: HomeAssistant, module: ModuleEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing answers for as long as a module may take to start (shortened here).
    monkeypatch.setattr(client_module, "STARTUP_TIMEOUT", 2.0)
    module.swallow_answers(1000)

    result = await configure(hass, await start_user_flow(hass), port_input(path_of(module)))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_answer"}
    assert len(module.commands) > 1
    assert set(module.commands) == {"AT"}  # asked again and again, nothing else

    module.swallow_answers(0)
    result = await configure(hass, result, port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU


async def test_user_a_module_that_misses_one_answer_is_asked_again(
    hass: HomeAssistant, module: ModuleEmulator
) -> None:
    module.swallow_answers(1)  # the first AT's answer never comes: a module still starting

    result = await configure(hass, await start_user_flow(hass), port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU
    assert module.commands[:2] == ["AT", "AT"]


@pytest.mark.parametrize(
    "replies",
    [
        # An AT modem without OneNET firmware: every AT+CIOT... is an unknown command.
        {},
        # Something that refuses AT+CIOT? with a code no M6311 gives it.
        {"AT+CIOT?": framed("+ERR=-106")},
        # No IMEI in the answer to AT+CGSN.
        {"AT+CGSN": framed("OK")},
    ],
    ids=["no_ciot", "odd_ciot_error", "no_imei"],
)
async def test_user_not_m6311_then_fixed(
    hass: HomeAssistant, module: ModuleEmulator, replies: dict[str, bytes]
) -> None:
    fake = FakeModule(
        replies={
            "AT": framed("OK"),
            "ATE0": framed("OK"),
            "AT+CGSN": framed(IMEI, "OK"),
            **replies,
        },
        fallback=framed("ERROR"),
    )
    port = fake.open()
    try:
        result = await configure(hass, await start_user_flow(hass), port_input(port))
    finally:
        fake.close()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_m6311"}

    result = await configure(hass, result, port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU


@pytest.mark.parametrize(
    ("method", "step"),
    [("identify", "user"), ("login", "device")],
    ids=["finding_the_module", "logging_in"],
)
async def test_an_unexpected_error_shows_the_unknown_error_and_logs_its_traceback(
    hass: HomeAssistant,
    module: ModuleEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
    method: str,
    step: str,
) -> None:
    """A bug or an OS error the library did not expect reaches the log, not the user."""
    if step == "user":
        result = await start_user_flow(hass)
        user_input = port_input(path_of(module))
    else:
        result = await to_mode_step(hass, path_of(module), step)
        user_input = mode1_input(device_id)
    with patch.object(M6311Client, method, side_effect=RuntimeError("a bug")):
        result = await configure(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    assert result["errors"] == {"base": "unknown"}
    [logged] = [record for record in caplog.records if record.exc_info]
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None
    assert isinstance(logged.exc_info[1], RuntimeError)  # the traceback of the bug itself

    result = await configure(hass, result, user_input)  # the flow goes on
    assert result["type"] in (FlowResultType.MENU, FlowResultType.CREATE_ENTRY)


@pytest.mark.parametrize("hang_up_on", ["AT", "AT+CGSN"])
async def test_user_port_gone_during_the_checks(
    hass: HomeAssistant, module: ModuleEmulator, hang_up_on: str
) -> None:
    fake = HangingUpModule(
        replies={"AT": framed("OK"), "ATE0": framed("OK")}, hang_up_on=hang_up_on
    )
    port = fake.open()
    try:
        result = await configure(hass, await start_user_flow(hass), port_input(port))
    finally:
        fake.close()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert fake.received[-1] == hang_up_on

    result = await configure(hass, result, port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU


async def test_plain_result_dialect_is_an_m6311(
    hass: HomeAssistant,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A firmware printing plain OK / ERROR loses the codes of AT+CIOT?, yet it is an M6311.

    Its errors carry no code either: a refused login is "unknown" (and logged), then works.
    """
    module.set_dialect(Dialect.PLAIN_RESULT)
    result = await to_mode_step(hass, path_of(module), "device")
    assert "AT+CIOTSTATUS" in module.commands  # told apart from a modem without OneNET

    with caplog.at_level(logging.WARNING):
        result = await configure(hass, result, mode1_input(device_id, WRONG_KEY))
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected answer from the module while logging in" in caplog.text
    assert WRONG_KEY not in caplog.text

    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await platform.wait_online(device_id)


# -- credentials: errors, each followed by a working retry -----------------------------------


async def test_mode1_wrong_key_then_right(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str
) -> None:
    result = await to_mode_step(hass, path_of(module), "device")

    result = await configure(hass, result, mode1_input(device_id, WRONG_KEY))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert module.commands[-2:] == ["AT+CIOTSTART=0", "AT+CSQ"]  # a signal: the keys are wrong
    assert suggested(result, CONF_DEVICE_ID) == device_id

    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_mode2_on_firmware_with_only_the_m6311r_login(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator
) -> None:
    """The document's mode 2 is refused; the M6311R's stored project and auth info log in."""
    module.set_dialect(Dialect.R_ONLY)
    device_id = platform.create_device("r", auth_info="89860112345")
    result = await to_mode_step(hass, path_of(module), "project")
    result = await configure(
        hass,
        result,
        {
            CONF_PROJECT_ID: "23219",
            CONF_AUTH_KEY: "SYS",
            CONF_AUTH_VALUE: "89860112345",
            CONF_ENCRYPT: False,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert 'AT+CIOTAUTHINFO="89860112345"' in module.commands
    await platform.wait_online(device_id)


async def test_a_mode_the_firmware_lacks_says_what_it_answered(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str
) -> None:
    """Mode 1 has no M6311R counterpart: the form names the module's answer, not "unknown"."""
    module.set_dialect(Dialect.R_ONLY)
    result = await to_mode_step(hass, path_of(module), "device")
    result = await configure(hass, result, mode1_input(device_id))
    assert result["errors"] == {"base": "mode_refused"}
    assert result["description_placeholders"] == {"mode": "1", "answer": "+ERR=-108"}


@pytest.mark.parametrize(
    ("step", "credentials", "field"),
    [
        ("device", {CONF_DEVICE_ID: "abc", CONF_MASTER_KEY: MASTER_KEY}, CONF_DEVICE_ID),
        ("device", {CONF_DEVICE_ID: "١٢٣", CONF_MASTER_KEY: MASTER_KEY}, CONF_DEVICE_ID),
        (
            "project",
            {CONF_PROJECT_ID: "23a19", CONF_AUTH_KEY: "SYS", CONF_AUTH_VALUE: "x"},
            CONF_PROJECT_ID,
        ),
    ],
)
async def test_ids_that_are_not_digits_are_refused_before_the_module_is_asked(
    hass: HomeAssistant,
    module: ModuleEmulator,
    step: str,
    credentials: dict[str, Any],
    field: str,
) -> None:
    result = await to_mode_step(hass, path_of(module), step)
    sent = len(module.commands)
    result = await configure(hass, result, {**credentials, CONF_ENCRYPT: False})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "not_digits"}
    assert len(module.commands) == sent  # nothing went to the module


async def test_mode2_wrong_auth_value_then_right(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str
) -> None:
    result = await to_mode_step(hass, path_of(module), "project")
    credentials = {CONF_PROJECT_ID: "23219", CONF_AUTH_KEY: "SYS", CONF_ENCRYPT: False}

    result = await configure(hass, result, {**credentials, CONF_AUTH_VALUE: "not-the-sim"})
    assert result["errors"] == {"base": "invalid_auth"}

    result = await configure(hass, result, {**credentials, CONF_AUTH_VALUE: AUTH_VALUE})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (CONF_DEVICE_ID, "12 34", {CONF_DEVICE_ID: "not_digits"}),
        (CONF_MASTER_KEY, 'key"with"quotes', {"base": "invalid_parameters"}),
    ],
)
async def test_mode1_characters_the_module_cannot_take_then_fixed(
    hass: HomeAssistant,
    module: ModuleEmulator,
    device_id: str,
    field: str,
    value: str,
    error: dict[str, str],
) -> None:
    result = await to_mode_step(hass, path_of(module), "device")

    result = await configure(hass, result, {**mode1_input(device_id), field: value})
    assert result["errors"] == error
    assert not any(value in line for line in module.commands)  # refused before sending

    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_mode0_radio_off_then_on(hass: HomeAssistant, module: ModuleEmulator) -> None:
    result = await to_mode_step(hass, path_of(module), "stored_device")
    await module.set_network(up=False)

    result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
    assert result["errors"] == {"base": "network_error"}  # -100

    await module.set_network(up=True)
    result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_mode1_no_signal_then_signal(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str
) -> None:
    """The module refuses the start (-109) alike for bad keys and no network: AT+CSQ tells."""
    result = await to_mode_step(hass, path_of(module), "device")
    await module.set_network(up=False)

    result = await configure(hass, result, mode1_input(device_id))
    assert result["errors"] == {"base": "network_error"}
    assert module.commands[-2:] == ["AT+CIOTSTART=0", "AT+CSQ"]

    await module.set_network(up=True)
    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_mode0_platform_unreachable_then_back(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> None:
    """OneNET's HTTP API is down while the module creates its device (-101), then back."""
    first = PlatformEmulator(master_key=MASTER_KEY)
    await first.start()
    http_port, edp_port = first.http_port, first.edp_port
    module = ModuleEmulator(
        platform_http_url=first.http_url,
        edp_port=edp_port,
        imei=IMEI,
        link_path=tmp_path / "ttyM6311",
    )
    await module.start()
    try:
        result = await to_mode_step(hass, path_of(module), "stored_device")
        await first.stop()

        result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
        assert result["errors"] == {"base": "network_error"}

        again = PlatformEmulator(master_key=MASTER_KEY, http_port=http_port, edp_port=edp_port)
        await again.start()
        try:
            result = await configure(
                hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False}
            )
            await hass.async_block_till_done()
            assert result["type"] is FlowResultType.CREATE_ENTRY
            await again.wait_online(result["data"][CONF_DEVICE_ID])
            await unload(hass, result["result"].entry_id)
        finally:
            await again.stop()
    finally:
        await module.stop()


async def test_mode0_wrong_master_key_then_right(
    hass: HomeAssistant, module: ModuleEmulator
) -> None:
    result = await to_mode_step(hass, path_of(module), "stored_device")

    result = await configure(hass, result, {CONF_MASTER_KEY: WRONG_KEY, CONF_ENCRYPT: False})
    assert result["errors"] == {"base": "init_failed"}  # -112: the platform refused

    result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert module.stored.master_key == MASTER_KEY


async def test_mode0_module_swapped_for_a_blank_one(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator
) -> None:
    """The module held a device when checked; a factory-new one answers the login (-102).

    The form then asks for the master key it did not ask for before, and the retry works.
    """
    await provision(module)
    result = await to_mode_step(hass, path_of(module), "stored_device", "stored_device_held")
    assert fields(result) == {CONF_ENCRYPT}

    await module.unplug()
    blank = ModuleEmulator(
        platform_http_url=platform.http_url,
        edp_port=platform.edp_port,
        imei=IMEI,
        link_path=path_of(module),
    )
    await blank.start()
    try:
        result = await configure(hass, result, {CONF_ENCRYPT: False})
        assert result["errors"] == {"base": "no_master_key"}
        assert fields(result) == {CONF_MASTER_KEY, CONF_ENCRYPT}

        result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_DEVICE_ID] == blank.stored.device_id
        await unload(hass, result["result"].entry_id)
    finally:
        await blank.stop()


async def test_mode0_device_gone_asks_for_the_key(
    hass: HomeAssistant, scripted: tuple[ScriptedM6311, str], skip_entry_setup: AsyncMock
) -> None:
    fake, port = scripted
    result = await to_mode_step(hass, port, "stored_device", "stored_device_held")
    assert fields(result) == {CONF_ENCRYPT}
    fake.device_id = None  # AT+CIOTID? now answers -103

    result = await configure(hass, result, {CONF_ENCRYPT: False})
    assert result["errors"] == {"base": "no_device"}
    assert fields(result) == {CONF_MASTER_KEY, CONF_ENCRYPT}

    fake.device_id = "4343"  # the new key makes a new device
    result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE_ID] == "4343"
    assert f'AT+CIOTMKEY="{MASTER_KEY}"' in fake.fake.received
    assert result["result"].unique_id == OTHER_IMEI
    skip_entry_setup.assert_awaited_once()


async def test_login_closes_a_stale_link_and_checks_it_is_up(
    hass: HomeAssistant,
    scripted: tuple[ScriptedM6311, str],
    skip_entry_setup: AsyncMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A link left up (its quit refused) is closed first; a start that stays down is slow.

    Nothing the module said refuses the credentials: the form says so, not "wrong keys".
    """
    monkeypatch.setattr(client_module, "LOGIN_CONFIRM_TIMEOUT", 1.5)
    fake, port = scripted
    fake.online, fake.quit_fails, fake.start_stays_down = True, True, True
    result = await to_mode_step(hass, port, "device")

    result = await configure(hass, result, mode1_input("4242"))
    assert result["errors"] == {"base": "login_unconfirmed"}
    sent = fake.fake.received
    asked = sent[sent.index("AT+CIOTSTATUS") :]
    assert asked[:4] == [
        "AT+CIOTSTATUS",
        "AT+CIOTQUIT",  # refused: ignored, the start is tried anyway
        "AT+CIOTSTART=0",
        "AT+CIOTSTATUS",  # still down after +OK
    ]
    assert set(asked[4:]) == {"AT+CIOTSTATUS"}  # asked again while waiting, nothing else

    fake.quit_fails, fake.start_stays_down = False, False
    result = await configure(hass, result, mode1_input("4242"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sent[-4:] == ["AT+CIOTSTATUS", "AT+CIOTSTART=0", "AT+CIOTSTATUS", "AT+CIOTQUIT"]


async def test_login_closes_a_link_left_by_an_earlier_run(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator, device_id: str
) -> None:
    async with M6311Client(path_of(module)) as client:  # an earlier run, never logged out
        await client.use_device(device_id, MASTER_KEY)
        await client.start()
    assert module.online

    result = await to_mode_step(hass, path_of(module), "device")
    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    logins = [
        index
        for index, line in enumerate(module.commands)
        if line.startswith("AT+CIOTCONNECTPARA=1,")
    ]
    flow_login = logins[1]  # after the earlier run's
    assert module.commands[flow_login + 1 : flow_login + 4] == [
        "AT+CIOTSTATUS",  # up, from before
        "AT+CIOTQUIT",
        "AT+CIOTSTART=0",
    ]
    await platform.wait_online(device_id)


@pytest.mark.parametrize("step", ["device", "stored_device"])
async def test_module_unplugged_before_login_then_back(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str, step: str
) -> None:
    """Between the menu and the credentials the port vanishes (mode 0 provisions first)."""
    credentials = (
        mode1_input(device_id)
        if step == "device"
        else {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False}
    )
    result = await to_mode_step(hass, path_of(module), step)
    await module.unplug()

    result = await configure(hass, result, credentials)
    assert result["errors"] == {"base": "cannot_connect"}

    await module.replug()
    result = await configure(hass, result, credentials)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_module_silent_at_login_then_answers(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str
) -> None:
    result = await to_mode_step(hass, path_of(module), "device")
    module.swallow_answers(1)  # AT+CIOTCONNECTPARA gets no answer

    result = await configure(hass, result, mode1_input(device_id))
    assert result["errors"] == {"base": "no_answer"}

    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


# -- the same module twice -------------------------------------------------------------------


async def test_user_same_module_again_updates_its_port(
    hass: HomeAssistant, module: ModuleEmulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=IMEI,
        data={**entry_data(module, 1), CONF_DEVICE: "/dev/ttyUSB3", CONF_BAUDRATE: 9600},
    )
    entry.add_to_hass(hass)  # not set up: its old port is gone

    result = await configure(hass, await start_user_flow(hass), port_input(path_of(module)))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_DEVICE] == path_of(module)
    assert entry.data[CONF_BAUDRATE] == 115200
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize("name", ["link", "tty"])
async def test_user_port_of_a_running_entry_is_left_alone(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator, name: str
) -> None:
    """The port of a configured entry, under any of its names: nothing asked, nothing unloaded."""
    await setup_entry(hass, mode1_entry)
    sent = len(module.commands)
    port = path_of(module) if name == "link" else module.serial_path

    result = await configure(hass, await start_user_flow(hass), port_input(port))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "port_in_use"
    assert result["description_placeholders"] == {"title": mode1_entry.title}
    assert len(module.commands) == sent  # the flow asked the module nothing
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED
    assert mode1_entry.runtime_data.coordinator.data.online  # never unloaded


# -- USB discovery ---------------------------------------------------------------------------


def usb_info(port: str) -> UsbServiceInfo:
    return UsbServiceInfo(
        device=port,
        vid="1A86",
        pid="7523",
        serial_number="5A1B",
        manufacturer="QinHeng Electronics",
        description="USB Serial",
    )


async def test_usb_discovery_confirmed(
    hass: HomeAssistant, module: ModuleEmulator, device_id: str
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(module.serial_path)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {"port": module.serial_path}
    (progress,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert progress["context"]["title_placeholders"] == {"port": module.serial_path}

    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.MENU
    result = await configure(hass, result, {"next_step_id": "device"})
    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE] == module.serial_path
    assert result["result"].unique_id == IMEI


async def test_usb_discovery_of_something_else(hass: HomeAssistant, tmp_path: Path) -> None:
    fake = FakeModule(replies={"AT": framed("OK")}, fallback=framed("ERROR"))
    port = fake.open()
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=usb_info(port)
        )
    finally:
        fake.close()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_m6311"

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(str(tmp_path / "gone"))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_m6311"


async def test_usb_discovery_of_a_module_that_moved(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    """The entry's port is gone (the link retries); the module turns up on another adapter."""
    hass.config_entries.async_update_entry(
        mode1_entry, data={**mode1_entry.data, CONF_DEVICE: "/dev/ttyUSB3"}
    )
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    assert not mode1_entry.runtime_data.coordinator.data.online

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(module.serial_path)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mode1_entry.data[CONF_DEVICE] == module.serial_path
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED
    await wait_online_link(mode1_entry)  # reloaded on the new port


async def test_usb_discovery_of_a_port_in_use(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    """The adapter of a running entry (seen again at start-up) is left alone: no probe."""
    await setup_entry(hass, mode1_entry)  # on the link path; discovery sees the tty itself
    sent = len(module.commands)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(module.serial_path)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "port_in_use"
    assert len(module.commands) == sent
    assert mode1_entry.state is ConfigEntryState.LOADED


# -- reconfigure -----------------------------------------------------------------------------


async def test_reconfigure_to_a_new_port_and_baud_rate(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    tmp_path: Path,
) -> None:
    """The module moved to an adapter at 57600 baud; at 115200 it only hears line noise."""
    await setup_entry(hass, mode1_entry)
    await module.unplug()
    await platform.wait_online(device_id, online=False)
    moved = ModuleEmulator(
        platform_http_url=platform.http_url,
        edp_port=platform.edp_port,
        imei=IMEI,
        baudrate=57600,
        check_baudrate=True,
        link_path=tmp_path / "ttyMoved",
    )
    await moved.start()
    try:
        result = await mode1_entry.start_reconfigure_flow(hass)
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reconfigure"

        result = await configure(hass, result, port_input(path_of(moved)))
        assert result["errors"] == {"base": "no_answer"}
        assert mode1_entry.state is ConfigEntryState.LOADED  # another port: not released
        assert moved.commands == []  # noise: not even a line

        result = await configure(hass, result, port_input(path_of(moved), 57600))
        assert result["type"] is FlowResultType.MENU
        result = await configure(hass, result, {"next_step_id": "device"})
        result = await configure(hass, result, mode1_input(device_id))
        await hass.async_block_till_done()

        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert mode1_entry.data[CONF_DEVICE] == path_of(moved)
        assert mode1_entry.data[CONF_BAUDRATE] == 57600
        assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED
        await wait_until(lambda: moved.online)  # logged in through the new adapter
        await unload(hass, mode1_entry.entry_id)
    finally:
        await moved.stop()


async def test_reconfigure_same_port_other_name_and_credentials(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    """Mode 1 to mode 2, the tty named directly: the entry lets go of the port, then reloads."""
    await setup_entry(hass, mode1_entry)
    result = await mode1_entry.start_reconfigure_flow(hass)
    assert default(result, CONF_DEVICE) == path_of(module)  # the current port
    result = await configure(hass, result, port_input(module.serial_path))
    assert result["type"] is FlowResultType.MENU
    assert state_of_entry(mode1_entry) is ConfigEntryState.NOT_LOADED

    result = await configure(hass, result, {"next_step_id": "project"})
    result = await configure(
        hass,
        result,
        {
            CONF_PROJECT_ID: "23219",
            CONF_AUTH_KEY: "SYS",
            CONF_AUTH_VALUE: AUTH_VALUE,
            CONF_ENCRYPT: False,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mode1_entry.data == {
        CONF_DEVICE: module.serial_path,
        CONF_BAUDRATE: 115200,
        CONF_MODE: 2,
        CONF_PROJECT_ID: "23219",
        CONF_AUTH_KEY: "SYS",
        CONF_AUTH_VALUE: AUTH_VALUE,
        CONF_ENCRYPT: False,
    }
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED
    assert module.mode == 2
    await platform.wait_online(device_id)


async def test_reconfigure_shows_what_is_set_but_not_the_secrets(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator, device_id: str
) -> None:
    await setup_entry(hass, mode1_entry)
    result = await mode1_entry.start_reconfigure_flow(hass)
    assert path_of(module) in port_choices(result)  # the current port: a known item
    result = await configure(hass, result, port_input(path_of(module)))
    result = await configure(hass, result, {"next_step_id": "device"})
    assert suggested(result, CONF_DEVICE_ID) == device_id  # not typed again
    assert suggested(result, CONF_MASTER_KEY) is None  # a secret is never sent back
    assert suggested(result, CONF_ENCRYPT) is False
    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    await unload(hass, mode1_entry.entry_id)


async def test_reconfigure_port_error_then_fixed(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator, tmp_path: Path
) -> None:
    result = await mode1_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, port_input(str(tmp_path / "ttyUSB9")))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "cannot_connect"}

    result = await configure(hass, result, port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU


async def test_reconfigure_to_another_module(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, other_module: ModuleEmulator
) -> None:
    await setup_entry(hass, mode1_entry)
    before = dict(mode1_entry.data)

    result = await mode1_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, port_input(path_of(other_module)))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_module"
    assert mode1_entry.data == before
    await hass.async_block_till_done()
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED


async def test_reconfigure_to_the_port_of_another_entry_is_refused(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    other_module: ModuleEmulator,
) -> None:
    """Another module's running entry holds that port: it is not the flow's to unload."""
    await setup_entry(hass, mode1_entry)
    other = MockConfigEntry(domain=DOMAIN, unique_id=OTHER_IMEI, data=entry_data(other_module, 1))
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    sent = len(other_module.commands)

    result = await mode1_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, port_input(path_of(other_module)))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "port_in_use"}
    assert state_of_entry(other) is ConfigEntryState.LOADED
    assert len(other_module.commands) >= sent  # its own link goes on; the flow asked nothing
    assert "AT+CIOT?" not in other_module.commands[sent:]
    assert await hass.config_entries.async_unload(other.entry_id)


async def test_reconfigure_abandoned_sets_the_entry_up_again(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    await setup_entry(hass, mode1_entry)
    result = await mode1_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, port_input(path_of(module)))
    assert result["type"] is FlowResultType.MENU
    assert state_of_entry(mode1_entry) is ConfigEntryState.NOT_LOADED

    hass.config_entries.flow.async_abort(result["flow_id"])  # the user closes the dialog
    await hass.async_block_till_done()

    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED


# -- reauth ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("quick_retries")
async def test_reauth_after_a_refused_login(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    """The master key was changed on OneNET: logins fail, reauth asks, the entry reloads."""
    hass.config_entries.async_update_entry(
        mode1_entry, data={**mode1_entry.data, CONF_MASTER_KEY: WRONG_KEY}
    )
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"

    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert fields(result) == {CONF_DEVICE_ID, CONF_MASTER_KEY, CONF_ENCRYPT}
    assert suggested(result, CONF_DEVICE_ID) == device_id
    assert suggested(result, CONF_MASTER_KEY) is None  # secrets are never shown again

    result = await configure(hass, result, mode1_input(device_id, "stillWrong000000000000000000="))
    assert result["errors"] == {"base": "invalid_auth"}

    result = await configure(hass, result, mode1_input(device_id))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mode1_entry.data[CONF_MASTER_KEY] == MASTER_KEY
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED
    await platform.wait_online(device_id)
    await unload(hass, mode1_entry.entry_id)


async def test_reauth_mode0_makes_a_new_device(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator
) -> None:
    old_id = await provision(module)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=IMEI,
        data=entry_data(module, 0, **{CONF_DEVICE_ID: old_id}),
    )
    entry.add_to_hass(hass)
    await setup_entry(hass, entry)

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert fields(result) == {CONF_MASTER_KEY, CONF_ENCRYPT}

    result = await configure(hass, result, {CONF_MASTER_KEY: MASTER_KEY, CONF_ENCRYPT: False})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    new_id = entry.data[CONF_DEVICE_ID]
    assert new_id != old_id  # a new master key always makes a new device
    assert new_id == module.stored.device_id
    assert entry.data[CONF_MASTER_KEY] == MASTER_KEY
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    await platform.wait_online(new_id)


# -- options ---------------------------------------------------------------------------------


async def test_options_actions_checked_sorted_and_deduplicated(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, mode1_entry)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_PING_INTERVAL: 30, CONF_ALLOWED_ACTIONS: ["light.turn_on", "turn on the light"]},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ALLOWED_ACTIONS: "invalid_action"}
    assert suggested(result, CONF_ALLOWED_ACTIONS) == ["light.turn_on", "turn on the light"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_PING_INTERVAL: 30,
            CONF_ALLOWED_ACTIONS: [" switch.toggle", "light.turn_on", "light.turn_on", "  "],
        },
    )
    # Forwarding has a form of its own (test_options_flow.py): nothing forwarded here.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "forwarding"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {SECTION_DELIVERY: {}}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mode1_entry.options[CONF_PING_INTERVAL] == 30
    assert mode1_entry.options[CONF_ALLOWED_ACTIONS] == ["light.turn_on", "switch.toggle"]
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED
    assert mode1_entry.runtime_data.coordinator.ping_interval == 30  # the reloaded entry reads them

    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    assert suggested(result, CONF_PING_INTERVAL) == 30  # the form shows what is stored


# -- the library's login, beyond what the flow does -----------------------------------------


async def test_one_shot_preparation_closes_a_link_left_up(
    module: ModuleEmulator, platform: PlatformEmulator, device_id: str
) -> None:
    """One-shot mode (the coordinator's) sets the mode and logs out a link left from before."""
    settings = LoginSettings(mode=ConnectMode.DEVICE_ID, device_id=device_id, master_key=MASTER_KEY)
    async with M6311Client(path_of(module)) as client:
        await client.use_device(device_id, MASTER_KEY)
        await client.start()  # an earlier run, never logged out
        await platform.wait_online(device_id)

        await client.prepare_one_shot(settings)
        assert not module.online
        assert module.commands[-2:] == ["AT+CIOTSTATUS", "AT+CIOTQUIT"]

        await client.prepare_one_shot(settings)  # logged out already: nothing to close
        assert module.commands[-1] == "AT+CIOTSTATUS"
        assert module.commands[-2].startswith("AT+CIOTCONNECTPARA=1,")

    await platform.wait_online(device_id, online=False)
