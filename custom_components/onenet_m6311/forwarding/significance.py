"""Which state changes are worth the cellular bytes: Home Assistant's rules, deadbands, silence.

With "Send only significant changes" on, a change goes out only when Home Assistant's own
significant-change rules (`homeassistant.helpers.significant_change`: each domain's
`significant_change.py`, as the Alexa and Google Assistant state reports use them) call it
significant, and, for an entity with a deadband, when its value moved by at least that much
since the last value sent. A maximum silence still sends an entity's current value when
nothing was sent for it that long, so the platform can tell a quiet sensor from a dead one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.helpers.significant_change import create_checker

from ..const import DOMAIN
from .values import record_value

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.core import HomeAssistant, State
    from homeassistant.helpers.significant_change import SignificantlyChangedChecker

_DEADBAND_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*")


@dataclass(frozen=True, slots=True)
class Deadband:
    """How far a number must move from the last value sent to be sent again."""

    absolute: float | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> Deadband | None:
        """`0.5`, `2%` or both (`0.5 2%`, `0.5, 2%`); empty: none. ValueError if unreadable."""
        glued = re.sub(r"\s+%", "%", text.strip())  # "2 %" is "2%"
        parts = [part for part in re.split(r"[,\s]+", glued) if part]
        absolute = percent = None
        for part in parts:
            match = _DEADBAND_PART.fullmatch(part)
            if match is None or float(match[1]) == 0:
                msg = f"not a deadband: {text!r}"
                raise ValueError(msg)
            if match[2] and percent is None:
                percent = float(match[1])
            elif not match[2] and absolute is None:
                absolute = float(match[1])
            else:
                msg = f"a deadband has one absolute and one percent part at most: {text!r}"
                raise ValueError(msg)
        return cls(absolute, percent) if parts else None

    def __str__(self) -> str:
        """The form `parse` reads."""
        parts = []
        if self.absolute is not None:
            parts.append(f"{self.absolute:g}")
        if self.percent is not None:
            parts.append(f"{self.percent:g}%")
        return " ".join(parts)

    def holds(self, old: float, new: float) -> bool:
        """Whether moving from `old` to `new` stays inside the band (every part set counts)."""
        change = abs(new - old)
        if self.absolute is not None and change < self.absolute:
            return True
        if self.percent is not None:
            relative = math.inf if old == 0 else change / abs(old) * 100
            if relative < self.percent:
                return True
        return False


def _number(state: str) -> float | None:
    """The number the state is sent as (values.py's rule), or None when it is sent as text."""
    value = record_value(state)
    return float(value) if isinstance(value, int | float) else None


class SignificanceFilter:
    """Home Assistant's significant-change rules, with the entities' deadbands on top."""

    def __init__(self, hass: HomeAssistant, deadbands: Mapping[str, Deadband]) -> None:
        """Prepare; `async_start` loads the domains' rules."""
        self._hass = hass
        self._deadbands = deadbands
        self._checker: SignificantlyChangedChecker | None = None

    async def async_start(self) -> None:
        """Load every loaded domain's significant-change rules (once per Home Assistant)."""
        self._checker = await create_checker(self._hass, DOMAIN, self._inside_deadband)

    def is_significant(self, state: State) -> bool:
        """Whether to send this state; a state sent becomes the one later ones compare with."""
        if self._checker is None:
            return True
        return self._checker.async_is_significant_change(state, extra_arg=state.entity_id)

    def sent(self, state: State) -> None:
        """A state went out whatever the rules say (a snapshot, the silence, a start)."""
        if self._checker is not None:
            self._checker.last_approved_entities[state.entity_id] = (state, state.entity_id)

    def _inside_deadband(
        self,
        _hass: HomeAssistant,
        old_state: str,
        _old_attrs: Mapping[str, object],
        _old_extra: object,
        new_state: str,
        _new_attrs: Mapping[str, object],
        entity_id: object,
    ) -> bool | None:
        """False (not significant) while a number stays inside its entity's deadband."""
        deadband = self._deadbands.get(str(entity_id))
        old, new = _number(old_state), _number(new_state)
        if deadband is None or old is None or new is None:
            return None
        return False if deadband.holds(old, new) else None


class SilenceWatch:
    """When each entity last had a value sent, to resend the quiet ones after `limit` s."""

    def __init__(self, limit: float) -> None:
        """`limit` seconds of silence at most; 0: no limit."""
        self.limit = limit
        self._last: dict[str, float] = {}

    def sent(self, entity_id: str, now: float) -> None:
        """A value of the entity went to the outbox (or waits for its minimum interval)."""
        self._last[entity_id] = now

    def silent(self, entity_ids: Iterable[str], now: float) -> list[str]:
        """The entities nothing was sent for in `limit` seconds (first seen: from now on)."""
        last = self._last
        quiet = []
        for entity_id in entity_ids:
            since = last.setdefault(entity_id, now)
            if now - since >= self.limit:
                quiet.append(entity_id)
        return quiet
