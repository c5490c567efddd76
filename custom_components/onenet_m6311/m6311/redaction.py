"""Keeping secrets out of logs, including the logs of the serial library underneath.

serialx logs every byte it sends and receives at DEBUG level, so a master APIKEY in
`AT+CIOTMKEY=` (or its `+OK=<key>` answer) would reach the log of anyone who turns debug
logging on. `SECRETS` is a logging filter, installed on serialx's loggers and this library's,
that replaces every registered secret in a record before any handler sees it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

REDACTED = "**REDACTED**"
FILTERED_LOGGERS = ("serialx", __package__ or "m6311")
"""Logger name prefixes whose records are scrubbed (a filter acts on its own logger only)."""


class SecretFilter(logging.Filter):
    """Replaces registered secrets in log records; counts registrations, so scopes nest."""

    def __init__(self) -> None:
        """Start with no secret registered."""
        super().__init__()
        self._secrets: Counter[str] = Counter()
        self._hiding = 0
        self._lock = threading.Lock()  # records may be logged from executor threads

    def add(self, secrets: Iterable[str]) -> None:
        """Register secrets (empty strings are ignored)."""
        with self._lock:
            self._secrets.update(secret for secret in secrets if secret)

    def remove(self, secrets: Iterable[str]) -> None:
        """Unregister secrets added before."""
        with self._lock:
            self._secrets.subtract(secret for secret in secrets if secret)
            self._secrets = +self._secrets  # drop the ones no longer registered

    @contextlib.contextmanager
    def scoped(self, secrets: Iterable[str]) -> Iterator[None]:
        """Register secrets for the duration of a block."""
        kept = tuple(secrets)
        self.add(kept)
        try:
            yield
        finally:
            self.remove(kept)

    @contextlib.contextmanager
    def hiding_traffic(self) -> Iterator[None]:
        """Drop serialx's records for a block, where an answer holds an unknown secret.

        A troubleshooting `AT+CIOTKEY?` prints the device key, which nobody registered.
        """
        self._hiding += 1
        try:
            yield
        finally:
            self._hiding -= 1

    @property
    def hiding(self) -> bool:
        """Whether serial traffic is being hidden (an answer may hold an unknown secret)."""
        return self._hiding > 0

    def redact(self, text: str) -> str:
        """The text with every registered secret replaced."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)  # longest first
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record's message; drop serial traffic records while hiding it."""
        if self._hiding and record.name.split(".", 1)[0] == "serialx":
            return False
        if self._secrets:
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True


SECRETS = SecretFilter()
"""The process's one filter (logging is process-wide too)."""


def install_log_filter() -> None:
    """Put `SECRETS` on every existing logger under `FILTERED_LOGGERS` (idempotent)."""
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in FILTERED_LOGGERS)
    ]
    for name in {*names, *FILTERED_LOGGERS}:
        logger = logging.getLogger(name)
        if SECRETS not in logger.filters:
            logger.addFilter(SECRETS)
