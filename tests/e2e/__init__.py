"""End-to-end tests: a real hass process with the integration, against the emulators."""
