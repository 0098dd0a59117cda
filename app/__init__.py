"""Wiring: settings, the Starlette app, the CLI and the dev supervisor."""
