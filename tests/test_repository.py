"""Rules about the repository itself: HACS metadata, supported releases, the library's isolation."""

import ast
import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "custom_components" / "onenet_m6311"
LIBRARY = INTEGRATION / "m6311"


def _imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_library_never_imports_home_assistant() -> None:
    files = sorted(LIBRARY.rglob("*.py"))
    assert files, "the protocol library has no modules"
    offenders = {
        str(path.relative_to(REPO)): name
        for path in files
        for name in _imported_modules(path)
        if name == "homeassistant" or name.startswith("homeassistant.")
    }
    assert offenders == {}


def test_integration_never_imports_the_emulator() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in INTEGRATION.rglob("*.py")
        if any(name.split(".")[0] == "emulator" for name in _imported_modules(path))
    ]
    assert offenders == []


def test_manifest_names_its_platforms_needs() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    # hassfest's rules are tests/test_hassfest.py; these are this integration's own choices.
    # Home Assistant talks to the module on a local line and is pushed its events: no internet.
    assert manifest["iot_class"] == "local_push"
    # The README's troubleshooting turns serialx's debug log on; the logger page must offer it.
    assert manifest["loggers"] == ["serialx"]
    assert manifest["dependencies"] == ["usb"]
    assert not any("pyserial" in req for req in manifest["requirements"])
    assert any(req.startswith("serialx") for req in manifest["requirements"])


def test_usb_discovery_matches_only_adapters_that_name_the_module() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    chips = {(matcher["vid"], matcher["pid"]) for matcher in manifest["usb"]}
    # CH340, CH9102, CP210x, FTDI FT232R and FT230X.
    assert {("1A86", "7523"), ("10C4", "EA60"), ("0403", "6001")} <= chips
    # Generic chips sit in front of every kind of device: a description keeps discovery (and
    # its probe of the port) to adapters that say they carry an M6311.
    assert all(matcher["description"] == "*m6311*" for matcher in manifest["usb"])


def test_manifest_accepts_the_serialx_home_assistant_pins() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    (serialx,) = [Requirement(req) for req in manifest["requirements"] if req.startswith("serialx")]
    # Home Assistant installs requirements under its own constraints: the serialx each release
    # from the declared minimum on pins must fit (each venv of scripts/test also checks its own
    # release's pins: tests/integration/test_loader.py).
    pinned_by_release = {
        "2026.5.0": "1.7.0",
        "2026.6.0": "1.8.0",
        "2026.7.0": "1.8.2",
        "2026.9.0": "1.9.0",
        "2026.9.4": "1.10.0",
        "2026.10.4": "1.11.0",
        "2026.11.0": "1.15.1",
    }
    for release, version in pinned_by_release.items():
        assert serialx.specifier.contains(version), release
    assert str(serialx.specifier) == ">=1.7.0"  # no lower: 1.7.0 is the oldest release's pin


def test_hacs_metadata_uses_only_known_keys() -> None:
    hacs = json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))
    known = {
        "name",
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "persistent_directory",
        "render_readme",
        "zip_release",
    }
    assert set(hacs) <= known
    assert hacs["name"] == "OneNET M6311"
    # SerialPortSelector, which the config flow uses, exists from 2026.5.
    assert tuple(int(part) for part in hacs["homeassistant"].split(".")[:2]) >= (2026, 5)


def _release_of(group: str) -> str:
    """The Home Assistant version a dependency group of pyproject.toml installs."""
    groups = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (version,) = [
        str(next(iter(requirement.specifier)).version)
        for requirement in map(Requirement, groups["dependency-groups"][group])
        if requirement.name == "homeassistant"
    ]
    return version


def test_the_declared_minimum_is_the_release_the_tests_run_on() -> None:
    # HACS offers the integration from hacs.json's release; scripts/test runs the integration
    # tests on that very release (.venv-oldest), so the claim cannot drift from what is tested.
    hacs = json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))
    assert hacs["homeassistant"] == _release_of("test-oldest")


def test_the_readme_names_the_releases_the_tests_run_on() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    requirements = readme.split("## Requirements", 1)[1].split("\n## ", 1)[0]
    oldest = _release_of("test-oldest")
    assert f"Home Assistant {oldest.rsplit('.', 1)[0]} or newer" in requirements
    for group in ("test-oldest", "test", "newest"):
        assert _release_of(group) in requirements, group


def test_the_development_guide_names_the_releases_the_tests_run_on() -> None:
    # How each release is tested moved from the README to docs/development.md.
    guide = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    supported = guide.split("## Supported Home Assistant releases", 1)[1].split("\n## ", 1)[0]
    test = guide.split("\n## Test\n", 1)[1].split("\n## ", 1)[0]
    oldest = _release_of("test-oldest")
    assert f"Home Assistant {oldest.rsplit('.', 1)[0]} or newer" in supported
    for group in ("test-oldest", "test", "newest"):
        assert _release_of(group) in supported, group
        assert _release_of(group) in test, group


# Built from pieces, so that this file does not hold the very paths it looks for.
OUTSIDE = re.compile("|".join([r"/w" + r"ork/", r"\.\./sh" + r"ared/", r"/r" + r"oot/"]))
"""Paths of development machines: a user's checkout has none of them."""


IGNORED = {
    *(".git", ".venv", ".venv-oldest", ".venv-newest", ".cache", ".demo", "artifacts"),
    *("__pycache__", ".hypothesis"),
    *(".pytest_cache", ".mypy_cache", ".ruff_cache", "htmlcov"),
}
"""What .gitignore names (and .git itself): made on this machine, never in a checkout."""


def _repository_files() -> list[Path]:
    return [
        path
        for path in REPO.rglob("*")
        if path.is_file()
        and not IGNORED & set(path.relative_to(REPO).parts)
        and path.suffix not in {".png", ".jpg", ".ico", ".pyc"}
        and not path.name.startswith(".coverage")
    ]


def test_nothing_points_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {match[0]}"
        for path in _repository_files()
        for match in OUTSIDE.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_the_protocol_documents_are_linked() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/protocol.md)" in readme
    for document in ("protocol.md", "edp.md", "onenet-http.md"):
        assert (REPO / "docs" / document).is_file()
