"""Configure logging for the command line: plain lines or JSON, on stderr.

Only ``ingest.cli`` calls :func:`configure_logging`; library code just logs through
``logging.getLogger(__name__)`` with dotted event names (``fetch.retry``, ``run.summary``).
"""

from __future__ import annotations

__all__ = ["JSONFormatter", "configure_logging"]

import json
import logging
import sys
from datetime import UTC, datetime

_PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, message (for log shippers)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line."""
        message = record.getMessage()
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": message.split(" ", 1)[0],
            "message": message,
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str = "WARNING", fmt: str = "text") -> None:
    """Send ingest's logs to stderr at ``level``, as plain lines or JSON (``fmt``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else logging.Formatter(_PLAIN))
    root = logging.getLogger("ingest")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
