"""Logging: structlog with constant event names; JSON for the daemon, pretty console on a terminal.

Secrets never reach a log line: values under secret-looking keys are replaced, and so is any
occurrence of a registered secret value (the credentials read from the environment) anywhere in
an event.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

import structlog

LogFormat = Literal["auto", "json", "console"]
_SECRET_KEY = re.compile(r"secret|password|passphrase|token|api[_-]?key|private[_-]?key", re.I)
MASK = "***"


class Redactor:
    """A structlog processor that masks secrets by key name and by value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = {s for s in secrets if s and len(s) >= 4}

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4:
            self.secrets.add(secret)

    def __call__(self, _logger: object, _name: str,
                 event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            if _SECRET_KEY.search(key) and value:
                event[key] = MASK
            elif self.secrets:
                event[key] = self._mask(value)
        return event

    def _mask(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: self._mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._mask(v) for v in value]
        return value


REDACTOR = Redactor()


class LogTap:
    """A structlog processor that hands each (already redacted) event to subscribers, e.g. the
    daemon's `logs` topic. Sinks run on the thread that logged; a sink must not block."""

    def __init__(self) -> None:
        self.sinks: list[Any] = []

    def __call__(self, _logger: object, _name: str,
                 event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for sink in self.sinks:
            sink(event)
        return event


TAP = LogTap()


def configure_logging(*, fmt: LogFormat = "auto", level: str = "info", stream: Any = None) -> None:
    """Set up structlog once for the process (the daemon calls this at start)."""
    stream = stream or sys.stderr
    console = fmt == "console" or (fmt == "auto" and stream.isatty())
    renderer: Any = structlog.dev.ConsoleRenderer(colors=stream.isatty()) if console \
        else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            REDACTOR,
            TAP,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
