"""Where the demo's Home Assistant listens: 127.0.0.1 unless `scripts/demo --listen` says otherwise.

No hass runs here: these read the configuration `DemoStack` writes, the address it prints and
probes, and the command line; tests/e2e/test_hass_process.py looks at the sockets of a real one,
tests/e2e/test_browser.py at the repairs and the files of a real one.
"""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.http.config import HTTP_STORAGE_SCHEMA
from homeassistant.util.yaml import load_yaml_dict

from demo.__main__ import LISTEN_VARIABLE, parse_args, summary
from demo.stack import HTTP_SETTINGS_STORE, SAMPLE_TEXT, DemoError, DemoOptions, DemoStack

if TYPE_CHECKING:
    from pathlib import Path


def written_http(tmp_path: Path, **options: Any) -> dict[str, Any]:
    """The HTTP settings a stack with `options` writes: in Home Assistant's storage, in the
    layout its releases migrate from, which the release's own schema takes as they are; nothing
    in configuration.yaml for Home Assistant to import (tests/e2e/test_browser.py checks that a
    real one runs on them, confirmed)."""
    DemoStack(DemoOptions(state_dir=tmp_path, **options)).write_config()
    config = tmp_path / "config"
    assert "http" not in load_yaml_dict(str(config / "configuration.yaml"))
    key, version = HTTP_SETTINGS_STORE
    store = json.loads((config / ".storage" / key).read_text(encoding="utf-8"))
    assert (store["key"], store["version"]) == (key, version)
    settings: dict[str, Any] = store["data"]
    assert HTTP_STORAGE_SCHEMA(settings).items() >= settings.items()
    return settings


def test_home_assistant_listens_on_127_0_0_1_by_default(tmp_path: Path) -> None:
    assert written_http(tmp_path) == {"server_host": ["127.0.0.1"], "server_port": 8123}
    assert DemoStack(DemoOptions(state_dir=tmp_path)).hass_url == "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8124"),  # noqa: S104  # what the option is for
        ("::", "http://[::1]:8124"),
        ("192.168.1.20", "http://192.168.1.20:8124"),
        ("fd00::20", "http://[fd00::20]:8124"),
    ],
)
def test_another_address_is_written_and_reached(tmp_path: Path, host: str, url: str) -> None:
    assert written_http(tmp_path, hass_host=host, hass_port=8124) == {
        "server_host": [host],
        "server_port": 8124,
    }
    stack = DemoStack(DemoOptions(state_dir=tmp_path, hass_host=host, hass_port=8124))
    assert stack.hass_url == url


def test_the_command_line_defaults_to_127_0_0_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LISTEN_VARIABLE, raising=False)
    assert parse_args([]).listen == "127.0.0.1"
    assert parse_args(["--listen", "0.0.0.0"]).listen == "0.0.0.0"  # noqa: S104
    monkeypatch.setenv(LISTEN_VARIABLE, "::")
    assert parse_args([]).listen == "::"
    assert parse_args(["--listen", "127.0.0.1"]).listen == "127.0.0.1"


def test_the_command_line_takes_only_an_ip_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(LISTEN_VARIABLE, raising=False)
    with pytest.raises(SystemExit):
        parse_args(["--listen", "localhost"])
    assert "not an IP address: 'localhost'" in capsys.readouterr().err


def test_an_address_hass_cannot_listen_on_fails_before_it_starts(
    socket_enabled: None, tmp_path: Path
) -> None:
    # Home Assistant would not fail: it would fall back to every address of the machine.
    # (An address that is not this machine's fails the same way; which one is not, depends on
    # the machine.)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = DemoStack(DemoOptions(state_dir=tmp_path, hass_port=port))
        with pytest.raises(DemoError, match=rf"cannot listen on 127\.0\.0\.1 port {port}"):
            stack.check_hass_address()
    stack.check_hass_address()  # free again


def test_the_files_folder_is_allowed_and_printed_with_an_action(tmp_path: Path) -> None:
    stack = DemoStack(DemoOptions(state_dir=tmp_path, allowed_dirs=(tmp_path / "more",)))
    stack.write_config()
    core = load_yaml_dict(str(tmp_path / "config" / "configuration.yaml"))["homeassistant"]
    assert core["allowlist_external_dirs"] == [str(tmp_path / "files"), str(tmp_path / "more")]
    assert stack.sample_file.read_text(encoding="utf-8") == SAMPLE_TEXT
    stack.emulator = {
        "web_url": "http://127.0.0.1:8875/",
        "http_url": "http://127.0.0.1:8875",
        "control_url": "http://127.0.0.1:8877",
        "link_path": "/dev/pts/9",
        "master_key": "key",
        "modes": {1: {"fields": {"device_id": "35270468"}}},
    }
    stack.entry_id = "01ENTRY"
    text = summary(stack)
    assert f"Files            {tmp_path / 'files'}  " in text
    assert (
        "  action: onenet_m6311.send_file\n"
        "  data:\n"
        "    config_entry_id: 01ENTRY\n"
        "    datastream: hello\n"
        f"    file_path: {stack.sample_file}\n"
    ) in text
