"""The translations: complete, equal in keys, and matching what the code and services use."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.util.yaml import load_yaml_dict

from tests.integration.translation_check import flatten

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / "onenet_m6311"
LANGUAGES = ("en", "zh-Hans")


def _load(language: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (INTEGRATION / "translations" / f"{language}.json").read_text(encoding="utf-8")
    )
    return data


def test_every_language_has_the_same_keys() -> None:
    english = flatten(_load("en"))
    for language in LANGUAGES[1:]:
        assert set(flatten(_load(language))) == set(english), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_english(language: str) -> None:
    english = flatten(_load("en"))
    for key, text in flatten(_load(language)).items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key])), key


def _raised_translation_keys(path: Path) -> set[str]:
    """The keys of the exceptions a module makes: calls naming a translation domain and key.

    Entity descriptions name a translation key too, without a domain: the integration tests
    look those up as entities register (tests/integration/translation_check.py).
    """
    keys = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            named = {keyword.arg: keyword.value for keyword in node.keywords}
            key = named.get("translation_key")
            if "translation_domain" in named and isinstance(key, ast.Constant):
                keys.add(str(key.value))
    return keys


def test_every_translation_key_the_code_raises_exists() -> None:
    exceptions = set(_load("en")["exceptions"])
    used = set().union(*(_raised_translation_keys(path) for path in INTEGRATION.glob("*.py")))
    assert "values_empty" in used  # the scan finds them
    assert used - exceptions == set()


def test_every_action_is_described() -> None:
    services = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    described = _load("en")["services"]
    assert set(services) == set(described)
    for name, service in services.items():
        assert set(service["fields"]) == set(described[name]["fields"]), name
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    assert set(icons["services"]) == set(services)


def test_every_reason_and_module_error_has_its_message() -> None:
    # The actions name every refusal in the user's language (helpers.translated_module_errors).
    from custom_components.onenet_m6311.helpers import EXPLAINED_REASONS  # noqa: PLC0415
    from custom_components.onenet_m6311.m6311 import DOCUMENTED_CODES, Reason  # noqa: PLC0415

    # A module's refusal the library explains itself goes by its reason's own key, not invalid_.
    own = {str(reason) for reason in EXPLAINED_REASONS}
    validation = [reason for reason in Reason if reason.value not in TIMEOUT_REASONS | own]
    wanted = {f"invalid_{reason}" for reason in validation if reason is not Reason.OTHER}
    wanted |= {f"module_error_{-code}" for code in DOCUMENTED_CODES}
    wanted |= {"module_timeout", "not_acknowledged", "out_of_step", "unexpected_answer"}
    wanted |= {"login_unconfirmed", *own}
    for language in LANGUAGES:
        assert wanted - set(_load(language)["exceptions"]) == set(), language


TIMEOUT_REASONS = {"no_answer", "login_unconfirmed", "not_acknowledged", "out_of_step", "other"}
