"""Rules about the repository itself: the manifest, HACS metadata, and the library's isolation."""

import ast
import json
import re
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


def test_manifest_follows_hassfest_and_hacs_rules() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "onenet_m6311"
    assert manifest["name"] == "OneNET M6311"
    for required in ("codeowners", "documentation", "issue_tracker", "version", "iot_class"):
        assert manifest[required]
    # True exactly when the integration ships a config flow; HACS and hassfest read it.
    assert manifest["config_flow"] is (INTEGRATION / "config_flow.py").exists()
    assert manifest["iot_class"] == "cloud_push"
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
    # Home Assistant installs requirements under its constraint serialx==1.11.0.
    assert serialx.specifier.contains("1.11.0")


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


# Built from pieces, so that this file does not hold the very paths it looks for.
OUTSIDE = re.compile("|".join([r"/w" + r"ork/", r"\.\./sh" + r"ared/", r"/r" + r"oot/"]))
"""Paths of development machines: a user's checkout has none of them."""


IGNORED = {
    *(".git", ".venv", ".cache", ".demo", "artifacts", "__pycache__", ".hypothesis"),
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
