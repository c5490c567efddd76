"""Form fields the config and options flows share."""

from __future__ import annotations

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .voluptuous_alias import vol


def number_box[N: (int, float)](
    coerce: type[N],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    step: float = 1,
    unit: str | None = None,
) -> vol.All[N]:
    """A number typed in a box (a slider cannot reach 921600 or 0.1 s), coerced to `coerce`.

    Without bounds, the flow checks the range itself and says so in the user's language.
    """
    config = NumberSelectorConfig(step=step, mode=NumberSelectorMode.BOX)
    if minimum is not None:
        config["min"] = minimum
    if maximum is not None:
        config["max"] = maximum
    if unit is not None:
        config["unit_of_measurement"] = unit
    return vol.All(NumberSelector(config), vol.Coerce(coerce))
