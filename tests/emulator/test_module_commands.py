"""The module emulator's stored parameters, connection parameters and dialects (no cloud)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from emulator.module import ConnectMode, Dialect, Stored

from .module_support import attached, framed, running

if TYPE_CHECKING:
    from pathlib import Path

KEY = "WRygxraTXCCikfaMnK9S46dfzDYA"


async def test_a_new_module_has_nothing_stored() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CIOT?", framed("+ERR=-102"))
        await port.ask("AT+CIOTMKEY?", framed("+ERR=-102"))
        await port.ask("AT+CIOTID?", framed("+ERR=-103"))
        await port.ask("AT+CIOTKEY?", framed("+ERR=-104"))
        await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))


async def test_ciot_names_the_first_missing_value() -> None:
    async with running() as module, attached(module) as port:
        await port.ask(f"AT+CIOTMKEY={KEY}", framed(f"+OK={KEY}"))
        await port.ask("AT+CIOT?", framed("+ERR=-103"))
        module.stored.device_id = "1088826"
        await port.ask("AT+CIOT?", framed("+ERR=-104"))
        module.stored.device_key = "syp2wjH2rowlyX1H7bqwynVVnK8="
        await port.ask("AT+CIOT?", framed("+OK"))
        await port.ask("AT+CIOT", framed("+ERR=-108"))


@pytest.mark.parametrize(
    "line", [f'AT+CIOTMKEY="{KEY}"', f"AT+CIOTMKEY={KEY}", f'AT+CIOTMKEYA="{KEY}"']
)
async def test_the_master_key_is_set_plain_or_quoted(line: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed(f"+OK={KEY}"))
        await port.ask("AT+CIOTMKEY?", framed("+OK"))
        assert module.stored.master_key == KEY


@pytest.mark.parametrize(
    "line", ["AT+CIOTMKEY=", 'AT+CIOTMKEY=""', 'AT+CIOTMKEY="a', "AT+CIOTMKEY"]
)
async def test_a_bad_master_key_answers_a_bare_err(line: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed("+ERR"))
        assert module.stored.master_key is None


async def test_a_new_master_key_deletes_the_device_made_with_the_old_one() -> None:
    async with running() as module, attached(module) as port:
        module.stored.master_key, module.stored.device_id, module.stored.device_key = (
            "old",
            "1",
            "k",
        )
        await port.ask("AT+CIOTMKEY=new", framed("+OK=new"))
        assert module.stored == Stored("new", None, None)
        await port.ask("AT+CIOTID?", framed("+ERR=-103"))


async def test_id_and_key_queries_and_deletes() -> None:
    async with running() as module, attached(module) as port:
        module.stored.device_id, module.stored.device_key = "1088826", "devkey="
        await port.ask("AT+CIOTID?", framed("+OK=1088826"))
        await port.ask("AT+CIOTKEY?", framed("+OK=devkey="))
        await port.ask("AT+CIOTKEYC", framed("+OK"))
        await port.ask("AT+CIOTKEY?", framed("+ERR=-104"))
        await port.ask("AT+CIOTID?", framed("+OK=1088826"))  # KEYC keeps the id
        await port.ask("AT+CIOTKEYC", framed("+ERR"))  # nothing left to delete
        module.stored.device_key = "devkey="
        await port.ask("AT+CIOTIDC", framed("+OK"))
        assert module.stored == Stored(None, None, None)
        await port.ask("AT+CIOTIDC", framed("+ERR"))
        await port.ask("AT+CIOTID", framed("+ERR=-108"))
        await port.ask("AT+CIOTKEY", framed("+ERR=-108"))
        await port.ask("AT+CIOTIDC?", framed("+ERR"))


async def test_stored_values_survive_a_restart_temporary_ones_do_not(tmp_path: Path) -> None:
    state = tmp_path / "m6311.json"
    async with running(state_path=state) as module, attached(module) as port:
        await port.ask(f'AT+CIOTMKEY="{KEY}"', framed(f"+OK={KEY}"))
        await port.ask('AT+CIOTCONNECTPARA=2,"23219","SYS","abc="', framed("+OK"))
        module.stored.device_id, module.stored.device_key = "42", "key42"
        await port.ask("AT+CIOTKEYC", framed("+OK"))  # a write that saves the file
    assert json.loads(state.read_text()) == {
        "master_key": KEY,
        "device_id": "42",
        "device_key": None,
    }
    async with running(state_path=state) as module, attached(module) as port:
        await port.ask("AT+CIOTMKEY?", framed("+OK"))
        await port.ask("AT+CIOTID?", framed("+OK=42"))
        await port.ask("AT+CIOTCONNECTPARA?", framed("+OK=1"))
        assert module.mode is ConnectMode.DEVICE


async def test_connectpara_sets_each_mode() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CIOTCONNECTPARA?", framed("+OK=1"))  # mode 1 is the default
        await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))
        assert module.mode is ConnectMode.STORED
        await port.ask(
            'AT+CIOTCONNECTPARA=1,"1088826","syp2wjH2rowlyX1H7bqwynVVnK8="', framed("+OK")
        )
        await port.ask(
            "AT+CIOTCONNECTPARA?", framed('+OK=1,"1088826","syp2wjH2rowlyX1H7bqwynVVnK8="')
        )
        await port.ask('AT+CIOTCONNECTPARA=2,"23219","SYS","DcvGb46z="', framed("+OK"))
        await port.ask("AT+CIOTCONNECTPARA?", framed('+OK=2,"23219","SYS","DcvGb46z="'))
        assert module.firmware.params.values == ("23219", "SYS", "DcvGb46z=")


@pytest.mark.parametrize(
    "params",
    [
        "3",
        "0,1",
        '1,"1088826"',
        '1,"1088826","key","x"',
        '1,"","key"',
        '2,"23219","SYS"',
        "x",
        "",
        '1,"10888"26","k"',
    ],
)
async def test_connectpara_refuses_bad_parameters(params: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(f"AT+CIOTCONNECTPARA={params}", framed("+ERR=-108"))
        assert module.mode is ConnectMode.DEVICE


async def test_temporary_parameters_are_forgotten_at_reboot() -> None:
    async with running() as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await module.reboot()
        await port.expect(framed("RDY"))
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))  # echo is back on after a boot
        await port.ask("AT+CIOTCONNECTPARA?", framed("+OK=1"))


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("AT+CIOTSTART=2", "+ERR=-108"),
        ("AT+CIOTSTART=x", "+ERR=-108"),
        ("AT+CIOTSTART?", "+ERR=-108"),
        ("AT+CIOTSTART=0", "+ERR=-108"),  # mode 1 without its parameters
        ("AT+CIOTDAT=0,1,", "+ERR=-108"),
        ('AT+CIOTDAT=0,2,"a,,1"', "+ERR=-108"),
        ('AT+CIOTDAT=65536,1,"a,,1"', "+ERR=-108"),
        ('AT+CIOTDAT=0,1,"a,1"', "+ERR=-108"),
        ('AT+CIOTDAT=0,1,"a,2016-1-1 0:0:0,1"', "+ERR=-108"),
        ('AT+CIOTDAT=0,1,",,1"', "+ERR=-108"),
        ('AT+CIOTDAT=0,1,"a,,"', "+ERR=-108"),
        ('AT+CIOTDAT=0,1,"a,,1"', "+ERR=-105"),
        ("AT+CIOTDAT=0,1,a,,1", "+ERR=-105"),  # unquoted data is read to the line end
        ("AT+CIOTDAT", "+ERR=-108"),
        ('AT+CIOTSEND=2,0,1,"a,,1"', "+ERR=-108"),
        ('AT+CIOTSEND=0,65535,1,"a,,1"', "+ERR=-108"),
        ("AT+CIOTSEND=0,0,1", "+ERR=-108"),
        ("AT+CIOTBINSET=0,image", "+ERR=-108"),
        ("AT+CIOTBINSET=0,,10", "+ERR=-108"),
        ("AT+CIOTBINSET=0,image,0", "+ERR=-108"),
        ("AT+CIOTBINSET=70000,image,10", "+ERR=-108"),
        ("AT+CIOTBINSET=0,image,10", "+ERR=-105"),
        ("AT+CIOTBINSEND=1,01", "+ERR=-106"),  # no upload set
        ("AT+CIOTBINSEND=1", "+ERR=-108"),
        ("AT+CIOTBINEND", "+ERR=-107"),
        ("AT+CIOTBINEND=1", "+ERR=-108"),
        ("AT+CIOTQUIT", "+ERR=-111"),
        ("AT+CIOTQUIT=1", "+ERR=-108"),
        ("AT+CIOTPING", "+ERR"),
        ("AT+CIOTSTATUS?", "+ERR=-108"),
        ("AT+CIOTINIT", "+ERR=-102"),
        ("AT+CIOTINIT?", "+ERR=-108"),
    ],
)
async def test_offline_and_malformed_commands_answer_their_error(line: str, answer: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed(answer))


async def test_mode_0_without_stored_values_cannot_start() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-103"))
        module.stored.device_id = "1"
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-104"))


@pytest.mark.parametrize(
    ("dialect", "ok", "error", "down"),
    [
        (Dialect.DOCUMENTED, [b"+OK=KEY"], [b"+ERR=-103"], [b"+OK=Device_down"]),
        (
            Dialect.PLAIN_RESULT,
            [b"+CIOTMKEY: KEY", b"OK"],
            [b"ERROR"],
            [b"+CIOTSTATUS: Device_down", b"OK"],
        ),
        (Dialect.STATUS_NUMERIC, [b"+OK=KEY"], [b"+ERR=-103"], [b"+CIOTSTATUS: 0", b"+OK"]),
        (
            Dialect.STATUS_BARE | Dialect.PLAIN_RESULT,
            [b"+CIOTMKEY: KEY", b"OK"],
            [b"ERROR"],
            [b"CIOTSTATUS:device_down", b"OK"],
        ),
    ],
)
async def test_dialects_change_results_and_status(
    dialect: Dialect, ok: list[bytes], error: list[bytes], down: list[bytes]
) -> None:
    async with running(dialect=dialect) as module, attached(module) as port:
        await port.ask("AT+CIOTMKEY=KEY", framed(*ok))
        await port.ask("AT+CIOTID?", framed(*error))
        await port.ask("AT+CIOTSTATUS", framed(*down))
        await port.ask("AT", framed("OK"))


async def test_cr_only_dialect_ends_lines_with_cr() -> None:
    async with running(dialect=Dialect.CR_ONLY) as module, attached(module, echo=True) as port:
        await port.ask("ATE0", b"ATE0\r\n\rOK\r")
        await port.ask("AT+CIOTID?", b"\r+ERR=-103\r")


async def test_the_dialect_can_change_while_running() -> None:
    async with running() as module, attached(module) as port:
        module.set_dialect(Dialect.PLAIN_RESULT | Dialect.CR_ONLY)
        await port.ask("AT+CIOTID?", b"\rERROR\r")


async def test_plain_results_put_values_on_an_information_line() -> None:
    async with running(dialect=Dialect.PLAIN_RESULT) as module, attached(module) as port:
        module.stored.device_id, module.stored.device_key = "1088826", "devkey="
        await port.ask("AT+CIOTID?", framed("+CIOTID: 1088826", "OK"))
        await port.ask("AT+CIOTKEY?", framed("+CIOTKEY: devkey=", "OK"))
        await port.ask("AT+CIOTCONNECTPARA?", framed("+CIOTCONNECTPARA: 1", "OK"))
        await port.ask("AT+CIOTBINEND", framed("ERROR"))
