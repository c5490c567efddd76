"""Turning the library's errors into Home Assistant's translated errors."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .m6311 import (
    M6311CommandError,
    M6311ConnectionError,
    M6311Error,
    M6311TimeoutError,
    M6311ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def translated_module_errors() -> Iterator[None]:
    """Raise library errors as translated Home Assistant errors (texts carry no secrets).

    Bad input becomes a `ServiceValidationError`; a link or module failure a
    `HomeAssistantError`.
    """
    try:
        yield
    except M6311ValidationError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_input",
            translation_placeholders={"error": str(err)},
        ) from err
    except M6311ConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="not_connected"
        ) from err
    except M6311TimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="module_timeout",
            translation_placeholders={"error": str(err)},
        ) from err
    except M6311CommandError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="module_error",
            translation_placeholders={
                "command": err.command,
                "meaning": err.meaning,
                "code": "" if err.error_code is None else str(err.error_code),
            },
        ) from err
    except M6311Error as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="unexpected_answer",
            translation_placeholders={"error": str(err)},
        ) from err
