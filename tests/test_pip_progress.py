"""The progress lines of a long pip install: scripts/lib/pip_progress.py, run by env.sh.

A stand-in for pip prints what pip prints, pausing where pip does; the runner must report where
it is every few seconds, keep everything in its log, and show the last lines when pip fails.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

RUNNER = Path(__file__).resolve().parent.parent / "scripts" / "lib" / "pip_progress.py"

RESOLVING = """\
print("Collecting a==1 (from -r pyproject.toml)")
print("  Downloading a-1.0-py3-none-any.whl.metadata (2.1 kB)")
print("Collecting b>=2 (from a==1)")
print("  Using cached b-2.0-py3-none-any.whl.metadata (1.0 kB)")
print("Downloading a-1.0-py3-none-any.whl (10 kB)")
print("Using cached b-2.0-py3-none-any.whl (5 kB)")
"""
INSTALLING = """\
print("Installing collected packages: b, a")
"""
INSTALLED = """\
print("Successfully installed a-1.0 b-2.0")
"""
CONFLICT_NOTICE = """\
print("ERROR: pip's dependency resolver does not currently take into account all the packages "
      "that are installed.", file=sys.stderr)
print("harness 1.0 requires a==0.9, but you have a 1.0 which is incompatible.", file=sys.stderr)
"""
FAILURE = """\
print("ERROR: No matching distribution found for c==3", file=sys.stderr)
sys.exit(1)
"""
PAUSE = "time.sleep(1.5)\n"


def run_pip(tmp_path: Path, script: str, *options: str) -> subprocess.CompletedProcess[str]:
    """The runner around a stand-in for pip that runs `script`; a progress line every 0.1 s."""
    fake_pip = tmp_path / "fake_pip.py"
    fake_pip.write_text("import sys, time\n" + script, encoding="utf-8")
    runner = [sys.executable, str(RUNNER), "--log", str(tmp_path / "pip.log"), *options]
    return subprocess.run(  # noqa: S603  # this repository's script
        [*runner, "--", sys.executable, str(fake_pip)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_long_install_says_where_it_is_and_how_it_ended(tmp_path: Path) -> None:
    script = RESOLVING + PAUSE + INSTALLING + PAUSE + INSTALLED
    result = run_pip(tmp_path, script, "--every", "0.1")
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert any(
        line.startswith("    pip: 2 requirements collected, 2 files downloaded (") for line in lines
    ), result.stderr
    assert any(line.startswith("    pip: installing 2 packages (") for line in lines)
    assert lines[-1].startswith("    pip: 2 packages installed (")
    assert result.stdout == ""
    log = (tmp_path / "pip.log").read_text(encoding="utf-8")
    assert "Successfully installed a-1.0 b-2.0" in log


def test_a_quick_install_stays_silent(tmp_path: Path) -> None:
    result = run_pip(tmp_path, RESOLVING + INSTALLING + INSTALLED, "--every", "30")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_failure_shows_the_error_and_the_last_lines_and_keeps_the_status(
    tmp_path: Path,
) -> None:
    result = run_pip(tmp_path, RESOLVING + FAILURE, "--every", "30")
    assert result.returncode == 1
    log = tmp_path / "pip.log"
    assert result.stderr == textwrap.dedent(f"""\
        ERROR: No matching distribution found for c==3
            pip: failed (exit status 1); its last lines, all in {log}:
            | Collecting a==1 (from -r pyproject.toml)
            |   Downloading a-1.0-py3-none-any.whl.metadata (2.1 kB)
            | Collecting b>=2 (from a==1)
            |   Using cached b-2.0-py3-none-any.whl.metadata (1.0 kB)
            | Downloading a-1.0-py3-none-any.whl (10 kB)
            | Using cached b-2.0-py3-none-any.whl (5 kB)
        """)
    text = log.read_text(encoding="utf-8")
    assert "Using cached b-2.0-py3-none-any.whl (5 kB)" in text
    assert "No matching distribution found for c==3" in text


def test_the_resolver_conflict_notice_is_shown_unless_asked_to_hide_it(tmp_path: Path) -> None:
    script = RESOLVING + INSTALLING + INSTALLED + CONFLICT_NOTICE
    shown = run_pip(tmp_path, script, "--every", "30")
    assert "which is incompatible" in shown.stderr
    hidden = run_pip(tmp_path, script, "--every", "30", "--hide-resolver-conflicts")
    assert (hidden.returncode, hidden.stderr) == (0, "")
    # The log keeps it either way.
    assert (tmp_path / "pip.log").read_text(encoding="utf-8").count("which is incompatible") == 2


def test_the_log_is_appended_to_with_each_command(tmp_path: Path) -> None:
    run_pip(tmp_path, RESOLVING)
    run_pip(tmp_path, INSTALLED)
    commands = [
        line
        for line in (tmp_path / "pip.log").read_text(encoding="utf-8").splitlines()
        if line.startswith("$ ")
    ]
    assert len(commands) == 2
