"""Turning the library's errors into Home Assistant's translated errors."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN, LOGGER
from .m6311 import (
    DOCUMENTED_CODES,
    M6311CommandError,
    M6311ConnectionError,
    M6311Error,
    M6311TimeoutError,
    M6311ValidationError,
    Reason,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


@contextmanager
def translated_module_errors() -> Iterator[None]:
    """Raise library errors as Home Assistant errors in the user's language.

    Bad input becomes a `ServiceValidationError`, a link or module failure a
    `HomeAssistantError`; each names its reason through a translation key of its own (the
    library's `Reason`, or the module's error code), never the library's English text. The
    placeholders the library gives hold no secrets.
    """
    try:
        yield
    except M6311ValidationError as err:
        raise ServiceValidationError(**_validation(err)) from err
    except M6311ConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="not_connected"
        ) from err
    except M6311TimeoutError as err:
        raise HomeAssistantError(**_timeout(err)) from err
    except M6311CommandError as err:
        raise HomeAssistantError(**_module_error(err)) from err
    except M6311Error as err:
        LOGGER.debug("Unexpected answer from the module: %s", err)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="unexpected_answer"
        ) from err


def _validation(err: M6311ValidationError) -> dict[str, Any]:
    if err.reason is Reason.OTHER:  # a caller's bug rather than a user's input
        return _translation("invalid_input", {"error": str(err)})
    return _translation(f"invalid_{err.reason}", err.placeholders)


def _timeout(err: M6311TimeoutError) -> dict[str, Any]:
    if err.reason is Reason.NOT_ACKNOWLEDGED:
        return _translation("not_acknowledged", err.placeholders)
    if err.reason is Reason.OUT_OF_STEP:
        return _translation("out_of_step", {})
    if err.reason is Reason.LOGIN_UNCONFIRMED:
        return _translation("login_unconfirmed", err.placeholders)
    return _translation("module_timeout", {"command": "?", "seconds": "?", **err.placeholders})


EXPLAINED_REASONS = frozenset({Reason.LINE_REFUSED, Reason.MODE_REFUSED})
"""Module errors the library explains itself (what was refused, and what it answered)."""


def _module_error(err: M6311CommandError) -> dict[str, Any]:
    if err.reason in EXPLAINED_REASONS:
        return _translation(str(err.reason), err.placeholders)
    if err.error_code in DOCUMENTED_CODES:
        return _translation(f"module_error_{-err.error_code}", {"command": err.command})
    return _translation("module_error", err.placeholders)


def _translation(key: str, placeholders: Mapping[str, str]) -> dict[str, Any]:
    return {
        "translation_domain": DOMAIN,
        "translation_key": key,
        "translation_placeholders": dict(placeholders),
    }
