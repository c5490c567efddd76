"""The reader of hass logs that the end-to-end tests fail on (demo/hass_log.py)."""

from demo.hass_log import LINK_WARNINGS, complaints, entries

START = (
    "2026-11-27 14:37:06.573+00:00 WARNING (MainThread) [homeassistant.bootstrap] Skipping pip "
    "installation of required modules. This may cause issues\n"
    "2026-11-27 14:37:06.575+00:00 WARNING (SyncWorker_0) [homeassistant.loader] We found a "
    "custom integration onenet_m6311 which has not been tested by Home Assistant. This component "
    "might cause stability problems, be sure to disable it if you experience issues with Home "
    "Assistant\n"
    "2026-11-27 14:37:08.441+00:00 INFO (MainThread) [custom_components.onenet_m6311] OneNET link "
    "through /dev/ttyUSB0 is up\n"
)
LINK_DOWN = (
    "2026-11-27 14:37:23.519+00:00 WARNING (MainThread) [custom_components.onenet_m6311] OneNET "
    "link through /dev/ttyUSB0 is down; reconnecting\n"
)
BLOCKING_CALL = (
    "2026-11-27 14:37:09.001+00:00 WARNING (MainThread) [homeassistant.util.loop] Detected "
    "blocking call to open with args ('/tmp/x',) inside the event loop by custom integration "
    "'onenet_m6311' at custom_components/onenet_m6311/services.py, line 12: open(path)\n"
)
TASK_EXCEPTION = (
    "2026-11-27 14:37:10.000+00:00 ERROR (MainThread) [homeassistant] Error doing job: Task "
    "exception was never retrieved\n"
    "Traceback (most recent call last):\n"
    '  File "custom_components/onenet_m6311/coordinator.py", line 1, in run\n'
    "RuntimeError: boom\n"
)


def test_a_clean_start_has_no_complaint() -> None:
    assert complaints(START) == []


def test_a_warning_about_the_integration_is_a_complaint() -> None:
    (found,) = complaints(START + BLOCKING_CALL)
    assert found.level == "WARNING"
    assert found.logger == "homeassistant.util.loop"
    assert "custom_components/onenet_m6311/services.py" in str(found)


def test_an_error_keeps_its_traceback() -> None:
    (found,) = complaints(START + TASK_EXCEPTION)
    assert found.level == "ERROR"
    assert str(found).endswith("RuntimeError: boom")


def test_link_warnings_are_complaints_unless_the_test_expects_them() -> None:
    assert len(complaints(START + LINK_DOWN)) == 1
    assert complaints(START + LINK_DOWN, LINK_WARNINGS) == []
    # Expecting link warnings hides nothing else.
    assert len(complaints(START + LINK_DOWN + BLOCKING_CALL, LINK_WARNINGS)) == 1


def test_text_outside_the_log_format_is_a_complaint() -> None:
    crash = "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent first):\n"
    (found,) = complaints(crash + START)
    assert found.level == ""
    assert "Segmentation fault" in str(found)


def test_entries_split_where_a_new_entry_starts() -> None:
    found = entries(START + TASK_EXCEPTION)
    assert [entry.level for entry in found] == ["WARNING", "WARNING", "INFO", "ERROR"]
    assert len(str(found[-1]).splitlines()) == 4
