"""The Home Assistant release of a test venv, for scripts/test and scripts/lib/env.sh.

python scripts/lib/release.py version GROUP
    The homeassistant version a dependency group of pyproject.toml installs ("test-oldest").
python scripts/lib/release.py misaligned
    Run by a venv's Python: name==version for each installed package that the installed Home
    Assistant pins (package_constraints.txt, its integrations' manifests) at another version.
    .venv-newest installs the newest release over a harness made for the previous one; pip then
    aligns these, as Home Assistant's own installation does under its constraints.
"""

import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# The voice packages Home Assistant pins at 1.x have no wheel for Python 3.14; the demo group
# installs 2.x (pyproject.toml says why), and they stay so.
KEEP_AS_INSTALLED = {"pymicro-vad", "pyspeex-noise"}

PIN = re.compile(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def normalized(name: str) -> str:
    """A distribution name as the package index compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def group_release(group: str) -> str:
    """The homeassistant==X.Y.Z of a dependency group."""
    groups = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["dependency-groups"]
    for requirement in groups[group]:
        name, _, version = requirement.partition("==")
        if normalized(name) == "homeassistant":
            return version
    message = f"dependency group {group!r} names no homeassistant release"
    raise SystemExit(message)


def release_pins() -> dict[str, tuple[str, str]]:
    """What the installed Home Assistant pins, by normalized name: (name, version)."""
    import homeassistant  # noqa: PLC0415  # only the venv being aligned has it

    root = Path(homeassistant.__file__).parent
    lines = (root / "package_constraints.txt").read_text(encoding="utf-8").splitlines()
    for manifest in sorted((root / "components").glob("*/manifest.json")):
        lines += json.loads(manifest.read_text(encoding="utf-8")).get("requirements", [])
    pins: dict[str, tuple[str, str]] = {}
    for line in lines:
        if match := PIN.fullmatch(line.strip()):
            pins[normalized(match[1])] = (match[1], match[2])
    return pins


def misaligned() -> list[str]:
    """name==version for each installed package the release pins at another version."""
    installed = {normalized(d.metadata["Name"]): d.version for d in metadata.distributions()}
    return sorted(
        f"{name}=={version}"
        for key, (name, version) in release_pins().items()
        if key in installed and installed[key] != version and key not in KEEP_AS_INSTALLED
    )


def main(argv: list[str]) -> None:
    """Print what the command asks for."""
    match argv:
        case ["version", group]:
            print(group_release(group))
        case ["misaligned"]:
            print("\n".join(misaligned()))
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
