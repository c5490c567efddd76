"""The README and the documents: the user's path first and short, then development; no dead link.

README.md holds what a user needs before `## Development`; what is for developers lives in
docs/development.md, which the Development section links with the other documents.
"""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"

USER_PART_LIMIT = 15_000
"""Bytes (UTF-8) of the README before `## Development`: a user reads it, not a developer."""

DEVELOPMENT_HEADING = "\n## Development\n"

LINKED_DOCUMENTS = (
    "development.md",
    "protocol.md",
    "edp.md",
    "onenet-http.md",
    "platform-emulator.md",
    "data-usage.md",
    "reliability.md",
    "benchmark.md",
)
"""What the Development section links to, beside its two commands."""


def _readme_parts() -> tuple[str, str]:
    """The user part (before `## Development`) and the Development section."""
    text = README.read_text(encoding="utf-8")
    assert text.count(DEVELOPMENT_HEADING) == 1, "one `## Development` heading"
    user, development = text.split(DEVELOPMENT_HEADING)
    return user, development


def test_the_user_part_is_short() -> None:
    user, _ = _readme_parts()
    size = len(user.encode("utf-8"))
    assert size < USER_PART_LIMIT, f"README.md before ## Development: {size} bytes"


def test_development_is_the_last_section() -> None:
    _, development = _readme_parts()
    assert not re.search(r"(?m)^#{1,2} ", development), "a section after ## Development"


def test_development_begins_with_the_demo_and_the_test_command() -> None:
    _, development = _readme_parts()
    # Nothing before the first command: a developer finds both at once.
    assert development.lstrip("\n").startswith("```sh\nscripts/demo\n```\n")
    commands = re.findall(r"(?ms)^```sh\n(.*?)^```", development)
    assert [command.strip() for command in commands[:2]] == ["scripts/demo", "scripts/test"]
    # Both come before the list of documents and any subsection.
    head = re.split(r"(?m)^(?:- \[|### )", development, maxsplit=1)[0]
    assert "```sh\nscripts/test\n```" in head
    for script in ("demo", "test"):
        assert (REPO / "scripts" / script).is_file(), script


def test_development_links_the_documents() -> None:
    _, development = _readme_parts()
    for document in LINKED_DOCUMENTS:
        assert f"(docs/{document})" in development, document


# --- links ---------------------------------------------------------------------------------

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_ANCHOR = re.compile(r"""<a\s[^>]*(?:name|id)\s*=\s*["']([^"']+)["']""")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _documents() -> list[Path]:
    """The repository's own Markdown: the README, docs/, and the emulator's README."""
    return [README, *sorted(DOCS.glob("*.md")), *sorted((REPO / "emulator").rglob("*.md"))]


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and fence is None:
            fence = match[1]
        elif match and match[1] == fence:
            fence = None
        elif fence is None:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: its text, lowercase, punctuation dropped, spaces to `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"<[^>]+>", "", text)  # and HTML by none
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    """Every anchor of a Markdown file: its headings (repeats get -1, -2, ...) and HTML ones."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in _prose_lines(document.read_text(encoding="utf-8")):
        anchors.update(HTML_ANCHOR.findall(line))
        match = HEADING.match(line)
        if match is None:
            continue
        base = slug(match[2])
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def _links(document: Path) -> list[str]:
    """The targets of a Markdown file's links, code (fenced or inline) left out."""
    prose = "\n".join(_prose_lines(document.read_text(encoding="utf-8")))
    return LINK.findall(CODE_SPAN.sub("", prose))


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("How the module's protocol is handled", "how-the-modules-protocol-is-handled"),
        ("12. Serial traces", "12-serial-traces"),
        ("Set-up", "set-up"),
        ("`--profile m6311r` and `outbox_db.py`", "--profile-m6311r-and-outbox_dbpy"),
        ("Data used per day and per month", "data-used-per-day-and-per-month"),
        ("EDP codec (`emulator.edp`)", "edp-codec-emulatoredp"),
    ],
)
def test_anchors_follow_githubs_rules(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_the_link_check_sees_links() -> None:
    # A check that found no link would pass on anything.
    assert "docs/development.md#emulators" in _links(README)
    assert "emulators" in _anchors(DOCS / "development.md")


def test_every_relative_link_resolves() -> None:
    broken: list[str] = []
    for document in _documents():
        where = document.relative_to(REPO)
        for link in _links(document):
            if not link or SCHEME.match(link):
                continue  # a web address: not this repository's to check
            path_part, _, anchor = link.partition("#")
            target = (document.parent / unquote(path_part)).resolve() if path_part else document
            if not target.is_relative_to(REPO) or not target.exists():
                broken.append(f"{where}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
                broken.append(f"{where}: {link} (no such heading)")
    assert broken == []
