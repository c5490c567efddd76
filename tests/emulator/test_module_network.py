"""The module's place on the cellular network (27.007), its restart and the wedged fault."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from emulator.module import ConnectMode, Dialect
from emulator.platform import DEFAULT_MASTER_KEY

from .module_support import SerialClient, attached, framed, running

if TYPE_CHECKING:
    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

SLOW_BOOT = ("RDY", "+CPIN: READY", "Call Ready", "SMS Ready", "+PBREADY")


async def online_device(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> str:
    """A platform-made device logged in with mode 1; returns its id."""
    device_id = platform.create_device("m6311")
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await port.ask("AT+CIOTSTART=0", framed("+OK"))
    await platform.wait_online(device_id)
    return device_id


def is_wedged(module: ModuleEmulator) -> bool:
    """`module.wedged`, read anew (mypy would keep an asserted value across awaits)."""
    return module.wedged


# --- AT+CREG / AT+CGREG -----------------------------------------------------------------------


async def test_registration_queries_after_power_on() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CREG?", framed("+CREG: 0,1", "OK"))
        await port.ask("AT+CGREG?", framed("+CGREG: 0,1", "OK"))
        await port.ask("AT+creg?", framed("+CREG: 0,1", "OK"))  # the name in any case


@pytest.mark.parametrize("stat", [0, 1, 2, 3, 4, 5])
async def test_every_registration_stat_is_reported(stat: int) -> None:
    async with running() as module, attached(module) as port:
        await module.set_network_state(registration=stat)
        await port.ask("AT+CREG?", framed(f"+CREG: 0,{stat}", "OK"))
        await port.ask("AT+CGREG?", framed(f"+CGREG: 0,{stat}", "OK"))
        assert module.network_up is (stat in {1, 5})


@pytest.mark.parametrize(
    "line",
    [
        "AT+CREG",
        "AT+CREG=",
        "AT+CREG=3",
        "AT+CREG=?",
        "AT+CREG=1,1",
        "AT+CREG=a",
        "AT+CGREG",
        "AT+CGREG=9",
        "AT+CGREG=-1",
    ],
)
async def test_other_registration_forms_are_refused(line: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed("ERROR"))
        await port.ask("AT+CREG?", framed("+CREG: 0,1", "OK"))
        await port.ask("AT+CGREG?", framed("+CGREG: 0,1", "OK"))


async def test_registration_changes_are_printed_only_as_asked() -> None:
    async with running() as module, attached(module) as port:
        await module.set_network_state(registration=2)  # n = 0: nothing printed
        await port.ask("AT", framed("OK"))
        await port.ask("AT+CREG=1", framed("OK"))
        await module.set_network_state(registration=5)
        await port.expect(framed("+CREG: 5"))
        await module.set_network_state(registration=5)  # no change: nothing printed
        await port.ask("AT+CGREG=1", framed("OK"))
        await module.set_network_state(registration=3)
        await port.expect(framed("+CREG: 3", "+CGREG: 3"))
        await port.ask("AT+CREG=0", framed("OK"))
        await module.set_network_state(registration=1)
        await port.expect(framed("+CGREG: 1"))
        await port.ask("AT+CREG?", framed("+CREG: 0,1", "OK"))
        await port.ask("AT+CGREG?", framed("+CGREG: 1,1", "OK"))
        await port.ask("AT+CREG=2", framed("OK"))  # 2 reports as 1 does (no cell known)
        await port.ask("AT+CREG?", framed("+CREG: 2,1", "OK"))
        await module.set_network_state(registration=4)
        await port.expect(framed("+CREG: 4", "+CGREG: 4"))


async def test_a_power_cycle_turns_the_reports_off_and_keeps_the_network() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CREG=1", framed("OK"))
        await port.ask("AT+CGREG=1", framed("OK"))
        await module.set_network_state(registration=5)
        await port.expect(framed("+CREG: 5", "+CGREG: 5"))
        await module.reboot()
        await port.expect(framed("RDY"))
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        await module.set_network_state(registration=2)
        await port.ask("AT+CREG?", framed("+CREG: 0,2", "OK"))  # nothing printed before it
        await port.ask("AT+CGREG?", framed("+CGREG: 0,2", "OK"))


async def test_set_network_maps_onto_the_registration() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CREG=1", framed("OK"))
        await module.set_network(up=False)
        await port.expect(framed("+CREG: 2"))
        await port.ask("AT+CSQ", framed("+CSQ: 99,99", "OK"))
        await module.set_network(up=False)  # already down: nothing printed
        await module.set_network(up=True)
        await port.expect(framed("+CREG: 1"))
        await module.set_network_state(registration=5)
        await port.expect(framed("+CREG: 5"))
        await module.set_network(up=True)  # roaming is up already: it stays
        await port.ask("AT+CREG?", framed("+CREG: 1,5", "OK"))
        await module.set_network_state(registration=3)
        await port.expect(framed("+CREG: 3"))
        await module.set_network(up=False)  # denied is down already: it stays
        await port.ask("AT+CREG?", framed("+CREG: 1,3", "OK"))


# --- AT+COPS ----------------------------------------------------------------------------------


async def test_the_operator_is_named_while_registered() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+COPS?", framed('+COPS: 0,0,"CHINA MOBILE"', "OK"))
        await module.set_network_state(registration=5, operator="CMCC")
        await port.ask("AT+COPS?", framed('+COPS: 0,0,"CMCC"', "OK"))
        for stat in (0, 2, 3, 4):
            await module.set_network_state(registration=stat)
            await port.ask("AT+COPS?", framed("+COPS: 0", "OK"))
        await module.set_network_state(registration=1, sim="absent")
        await port.expect(framed("+CPIN: NOT INSERTED"))
        await port.ask("AT+COPS?", framed("+COPS: 0", "OK"))
        await module.set_network_state(sim="ready")
        await port.expect(framed("+CPIN: READY"))
        await port.ask("AT+COPS?", framed('+COPS: 0,0,"CMCC"', "OK"))
        assert module.operator == "CMCC"


@pytest.mark.parametrize(("line", "answer"), [("AT+COPS=0", "OK"), ("AT+COPS", "ERROR")])
async def test_other_operator_forms(line: str, answer: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed(answer))


@pytest.mark.parametrize("line", ["AT+COPS=1", "AT+COPS=?", 'AT+COPS=1,0,"CMCC"'])
async def test_manual_operator_selection_is_refused(line: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed("ERROR"))


@pytest.mark.parametrize("name", ["", 'CHINA "MOBILE"', "two\r\nlines"])
async def test_an_operator_name_cops_cannot_carry_is_refused(name: str) -> None:
    async with running() as module:
        with pytest.raises(ValueError, match="not a valid"):
            await module.set_network_state(registration=3, operator=name)
        assert module.operator == "CHINA MOBILE"
        assert int(module.registration) == 1  # nothing changed


# --- the SIM: AT+CPIN, AT+CCID, AT+CIMI -------------------------------------------------------


async def test_a_ready_sim_answers_its_identity() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CPIN?", framed("+CPIN: READY", "OK"))
        await port.ask("AT+CCID", framed("+CCID: 89860012345678901234", "OK"))
        await port.ask("AT+CCID?", framed("+CCID: 89860012345678901234", "OK"))
        await port.ask("AT+CIMI", framed("460001234567890", "OK"))


@pytest.mark.parametrize("line", ["AT+CPIN", "AT+CPIN=1234", "AT+CCID=1", "AT+CIMI?", "AT+CIMI=1"])
async def test_other_sim_forms_are_refused(line: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed("ERROR"))


async def test_without_a_sim_the_sim_commands_fail_and_there_is_no_network() -> None:
    async with running() as module, attached(module) as port:
        await module.set_network_state(sim="absent")
        await port.expect(framed("+CPIN: NOT INSERTED"))
        await port.ask("AT+CPIN?", framed("+CME ERROR: 10"))
        await port.ask("AT+CCID", framed("+CME ERROR: 10"))
        await port.ask("AT+CCID?", framed("+CME ERROR: 10"))
        await port.ask("AT+CIMI", framed("+CME ERROR: 10"))
        await port.ask("AT+CREG?", framed("+CREG: 0,0", "OK"))  # no SIM: not even searching
        await port.ask("AT+CSQ", framed("+CSQ: 99,99", "OK"))
        assert not module.network_up
        assert int(module.registration) == 1  # what the network would give with a SIM
        await port.ask("AT+CIOTMKEY=k", framed("+OK=k"))
        await port.ask("AT+CIOTINIT", framed("+ERR=-100"))  # no radio


async def test_sim_changes_are_printed_with_the_registration_they_bring() -> None:
    async with running() as module, attached(module) as port:
        await port.ask("AT+CREG=1", framed("OK"))
        await module.set_network_state(sim="absent")
        await port.expect(framed("+CPIN: NOT INSERTED", "+CREG: 0"))
        await module.set_network_state(sim="ready")
        await port.expect(framed("+CPIN: READY", "+CREG: 1"))
        await module.set_network_state(sim="pin")
        await port.expect(framed("+CPIN: SIM PIN", "+CREG: 0"))
        await module.set_network_state(sim="pin")  # no change: nothing printed
        await port.ask("AT+CPIN?", framed("+CPIN: SIM PIN", "OK"))
        await port.ask("AT+CCID", framed("+CCID: 89860012345678901234", "OK"))
        await port.ask("AT+CIMI", framed("+CME ERROR: 11"))  # locked until its PIN is given
        await port.ask("AT+CSQ", framed("+CSQ: 99,99", "OK"))
        await module.set_network_state(sim="absent")
        await port.expect(framed("+CPIN: NOT INSERTED"))  # stat 0 already
        await module.set_network_state(sim="pin")
        await port.expect(framed("+CPIN: SIM PIN"))
        await module.set_network_state(sim="ready", registration=5)
        await port.expect(framed("+CPIN: READY", "+CREG: 5"))
        await port.ask("AT+CSQ", framed("+CSQ: 20,99", "OK"))


async def test_a_bad_sim_or_registration_changes_nothing() -> None:
    async with running() as module:
        changes: list[dict[str, Any]] = [{"sim": "gone"}, {"registration": 6}, {"registration": -1}]
        for change in changes:
            with pytest.raises(ValueError, match="not a valid"):
                await module.set_network_state(**change)
        assert (int(module.registration), str(module.sim)) == (1, "ready")


async def test_slow_start_says_what_the_sim_is() -> None:
    async with running(dialect=Dialect.SLOW_START, startup_delay=0.5) as module:
        await module.set_network_state(sim="absent")  # still starting: nothing printed
        port = await SerialClient.open(module.serial_path)
        await port.expect(framed("RDY", "+CPIN: NOT INSERTED", *SLOW_BOOT[2:]))
        await module.set_network_state(sim="pin")
        await port.expect(framed("+CPIN: SIM PIN"))
        await module.reboot()
        await port.expect(framed("RDY", "+CPIN: SIM PIN", *SLOW_BOOT[2:]))
        await port.close()


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("AT+CREG?", ("+CREG: 1", "+CREG: 0,1", "+CGREG: 0,1", "OK")),
        ("AT+CIMI", ("+CREG: 1", "460001234567890", "+CGREG: 0,1", "OK")),
    ],
)
async def test_network_answers_get_their_reports_as_every_answer(
    line: str, answer: tuple[str, ...]
) -> None:
    async with running(dialect=Dialect.REPORTS | Dialect.PLAIN_RESULT) as module:
        port = await SerialClient.open(module.serial_path)
        await port.ask(line, line.encode() + b"\r\n" + framed(*answer))
        await port.close()


# --- no network: the link ---------------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    "change", [{"registration": 2}, {"registration": 3}, {"registration": 0}, {"sim": "absent"}]
)
async def test_losing_the_network_drops_the_link_and_logins_fail(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient, change: dict[str, Any]
) -> None:
    device_id = await online_device(platform, module, port)
    await module.set_network_state(**change)
    await platform.wait_online(device_id, online=False)
    if "sim" in change:
        await port.expect(framed("+CPIN: NOT INSERTED"))
    await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
    await port.ask("AT+CSQ", framed("+CSQ: 99,99", "OK"))
    await port.ask("AT+CIOTSTART=0", framed("+ERR=-109"))
    await module.set_network_state(registration=5, sim="ready")
    if "sim" in change:
        await port.expect(framed("+CPIN: READY"))
    await port.ask("AT+CIOTSTART=0", framed("+OK"))  # roaming is registered too
    await platform.wait_online(device_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_a_new_operator_name_keeps_the_link(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port)
    await module.set_network_state(operator="CMCC", registration=5)
    await port.ask("AT+CIOTSTATUS", framed("+OK=device_up"))
    await port.ask("AT+COPS?", framed('+COPS: 0,0,"CMCC"', "OK"))


# --- AT+CFUN ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("AT+CFUN?", ("+CFUN: 1", "OK")),
        ("AT+CFUN=1", ("OK",)),
        ("AT+CFUN=1,0", ("OK",)),
        ("AT+CFUN", ("ERROR",)),
        ("AT+CFUN=0", ("ERROR",)),
        ("AT+CFUN=4", ("ERROR",)),
        ("AT+CFUN=0,1", ("ERROR",)),
        ("AT+CFUN=1,2", ("ERROR",)),
        ("AT+CFUN=?", ("ERROR",)),
    ],
)
async def test_cfun_forms(line: str, answer: tuple[str, ...]) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed(*answer))
        await port.ask("AT+CFUN?", framed("+CFUN: 1", "OK"))  # still full functionality
        assert module.restarts == 0


@pytest.mark.usefixtures("socket_enabled")
async def test_cfun_restart_is_a_power_cycle(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port)
    await port.ask("AT+CREG=1", framed("OK"))
    await port.ask("AT+CGREG=1", framed("OK"))
    module.delay_answers(0.05)  # a fault: a restart clears it too
    await port.ask("AT+CFUN=1,1", framed("OK", "RDY"))
    await platform.wait_online(device_id, online=False)
    assert module.restarts == 1
    assert module.echo
    assert module.mode is ConnectMode.DEVICE
    await port.ask("AT+CIOTSTATUS", b"AT+CIOTSTATUS\r\n" + framed("+OK=Device_down"))
    await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
    await port.ask("AT+CREG?", framed("+CREG: 0,1", "OK"))  # reports off again
    await port.ask("AT+CGREG?", framed("+CGREG: 0,1", "OK"))
    await module.set_network_state(registration=2)
    await port.ask("AT+CIOTCONNECTPARA?", framed("+OK=1"))  # nothing was printed before
    await module.set_network_state(registration=1)
    await port.ask("AT+CFUN=1,1", framed("OK", "RDY"))
    assert module.restarts == 2
    await module.reboot()  # not counted: it was not asked for with AT+CFUN
    await port.expect(framed("RDY"))
    assert module.restarts == 2


async def test_cfun_restart_of_a_slow_starter_is_deaf_for_its_start_up() -> None:
    async with running(dialect=Dialect.SLOW_START, startup_delay=0.5) as module:
        port = await SerialClient.open(module.serial_path)
        await port.expect(framed(*SLOW_BOOT))
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        await port.ask("AT+CFUN=1,1", framed("OK"))
        port.send("ATE0")  # lost: the module is restarting
        await port.expect(framed(*SLOW_BOOT))
        await port.ask("AT", b"AT\r\n" + framed("OK"))  # echo on: ATE0 never arrived
        assert module.commands == ["ATE0", "AT+CFUN=1,1", "AT"]
        assert module.restarts == 1
        await port.close()


async def test_stopping_during_a_restart_leaves_nothing_running() -> None:
    async with running() as module, attached(module) as port:
        port.send("AT+CFUN=1,1")
        await port.expect(framed("OK"))
    assert not module.awake


# --- the wedged fault -------------------------------------------------------------------------

WEDGED_CLOUD = [
    "AT+CIOTSTART=0",
    "AT+CIOTSTART",
    "AT+CIOTPING",
    'AT+CIOTDAT=1,1,"temp,,25"',
    'AT+CIOTSEND=0,0,1,"temp,,25"',
    "AT+CIOTBINSET=5,image,4",
    'AT+CIOTBINSEND=2,"01aa"',
    "AT+CIOTBINEND",
    "AT+CIOTINIT",
]


async def check_wedged(port: SerialClient) -> None:
    """Cloud commands answer a plain ERROR, local ones as always."""
    for line in WEDGED_CLOUD:
        await port.ask(line, framed("ERROR"))
    await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
    await port.ask("AT", framed("OK"))
    await port.ask("AT+CSQ", framed("+CSQ: 20,99", "OK"))
    await port.ask("AT+CGSN", framed("867567041234567", "OK"))
    await port.ask("AT+CREG?", framed("+CREG: 0,1", "OK"))
    await port.ask("AT+CFUN?", framed("+CFUN: 1", "OK"))
    await port.ask("AT+CIOT?", framed("+ERR=-102"))
    await port.ask("AT+CIOTMKEY?", framed("+ERR=-102"))


@pytest.mark.usefixtures("socket_enabled")
async def test_a_wedged_module_answers_only_locally_until_restarted(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port)
    await module.wedge()
    assert is_wedged(module)
    await platform.wait_online(device_id, online=False)
    await check_wedged(port)
    # Nothing but a restart clears it: not a quit, a new login, the network or a dropped link.
    await port.ask("AT+CIOTQUIT", framed("+ERR=-111"))
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await module.set_network(up=False)
    await module.set_network(up=True)
    await module.drop_cloud()
    await port.ask("AT+CIOTSTART=0", framed("ERROR"))
    await port.ask("ATE1", framed("OK"))
    await port.ask("AT+CFUN=1,1", b"AT+CFUN=1,1\r\n" + framed("OK", "RDY"))
    assert not is_wedged(module)
    assert module.restarts == 1
    await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
    await online_device(platform, module, port)
    await port.ask("AT+CIOTPING", framed("+OK PING succ!"))


async def test_wedged_answers_are_plain_in_every_dialect() -> None:
    dialect = Dialect.PLAIN_RESULT | Dialect.STATUS_NUMERIC
    async with running(dialect=dialect) as module, attached(module) as port:
        await module.wedge()
        await port.ask("AT+CIOTSTART=0", framed("ERROR"))
        await port.ask("AT+CIOTSTATUS", framed("+CIOTSTATUS: 0", "OK"))
        await port.ask("AT+CIOTSTART?", framed("ERROR"))  # whatever the form


@pytest.mark.parametrize("restart", ["reboot", "replug"])
async def test_a_power_cycle_clears_the_wedge(restart: str) -> None:
    async with running() as module:
        async with attached(module) as port:
            await module.wedge()
            await port.ask("AT+CIOTPING", framed("ERROR"))
        if restart == "reboot":
            await module.reboot()
        else:
            await module.unplug()
            assert is_wedged(module)  # no power, but nothing has started again yet
            await module.replug()
        assert not is_wedged(module)
        await module.drained()
        async with attached(module) as port:
            await port.ask("AT+CIOTPING", framed("+ERR"))  # not wedged: merely offline
        assert module.restarts == 0


async def test_a_login_behind_its_answer_fails_when_the_module_wedges() -> None:
    late = running(dialect=Dialect.CONNECT_LATE, cloud_latency=5.0)
    async with late as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await module.wedge()
        await port.expect(framed("CONNECT FAIL"))
        await port.ask("AT+CIOTSTART=0", framed("ERROR"))


# --- the control API --------------------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_the_control_api_drives_the_network_the_wedge_and_counts_restarts() -> None:
    async with (
        running(control_port=0) as module,
        attached(module) as port,
        aiohttp.ClientSession() as http,
    ):
        url = module.control_url
        assert url is not None

        async def post(path: str, body: object = None) -> dict[str, Any]:
            async with http.post(url + path, json=body) as response:
                assert response.status == 200, await response.text()
                answer = await response.json()
                assert isinstance(answer, dict)
                return answer

        async with http.get(url + "/state") as response:
            state = await response.json()
        assert {key: state[key] for key in NETWORK_KEYS} == {
            "registration": 1,
            "sim": "ready",
            "operator": "CHINA MOBILE",
            "network_up": True,
            "wedged": False,
            "restarts": 0,
        }

        await port.ask("AT+CREG=1", framed("OK"))
        state = await post("/network-state", {"registration": 5, "operator": "CMCC"})
        assert (state["registration"], state["operator"], state["network_up"]) == (5, "CMCC", True)
        await port.expect(framed("+CREG: 5"))
        await port.ask("AT+COPS?", framed('+COPS: 0,0,"CMCC"', "OK"))
        state = await post("/network-state", {"sim": "absent"})
        assert (state["sim"], state["registration"], state["network_up"]) == (
            "absent",
            5,
            False,
        )
        await port.expect(framed("+CPIN: NOT INSERTED", "+CREG: 0"))
        await port.ask("AT+CCID", framed("+CME ERROR: 10"))
        state = await post("/network-state", {"sim": "pin"})
        await port.expect(framed("+CPIN: SIM PIN"))
        state = await post("/network-state", {"sim": "ready", "registration": 1})
        await port.expect(framed("+CPIN: READY", "+CREG: 1"))
        assert (state["sim"], state["network_up"]) == ("ready", True)
        assert (await post("/network-state", {}))["registration"] == 1  # nothing to change

        # /network and /network-state agree: down is registration 2, up registration 1.
        state = await post("/network", {"up": False})
        assert (state["registration"], state["network_up"]) == (2, False)
        await port.expect(framed("+CREG: 2"))
        state = await post("/network-state", {"registration": 1})
        assert state["network_up"] is True
        await port.expect(framed("+CREG: 1"))

        state = await post("/wedge")
        assert state["wedged"] is True
        await port.ask("AT+CIOTSTART", framed("ERROR"))
        await port.ask("AT+CFUN=1,1", framed("OK", "RDY"))
        async with http.get(url + "/state") as response:
            state = await response.json()
        assert (state["wedged"], state["restarts"], state["echo"]) == (False, 1, True)

        for body in [
            {"registration": 6},
            {"registration": -1},
            {"registration": True},
            {"registration": "1"},
            {"registration": 1.0},
            {"sim": "gone"},
            {"sim": 1},
            {"operator": 'a"b'},
            {"operator": ""},
            {"operator": 3},
            {"up": True},
            [1],
        ]:
            async with http.post(url + "/network-state", json=body) as response:
                assert response.status == 400, body
        async with http.get(url + "/state") as response:
            state = await response.json()
        assert {key: state[key] for key in NETWORK_KEYS} == {
            "registration": 1,
            "sim": "ready",
            "operator": "CMCC",
            "network_up": True,
            "wedged": False,
            "restarts": 1,
        }


NETWORK_KEYS = ("registration", "sim", "operator", "network_up", "wedged", "restarts")
