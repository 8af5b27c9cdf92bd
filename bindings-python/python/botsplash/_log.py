"""Hands the native core's log records to the ``logging`` logger ``"botsplash"``.

The core captures its records while a call runs; they are emitted here when the call returns
to Python, each stamped with the time it was made rather than the time it is emitted.
"""

from __future__ import annotations

import logging
from typing import List, Tuple

logger = logging.getLogger("botsplash")


def _emit(records: List[Tuple[int, str, float]]) -> None:
    for level, message, created in records:
        if not logger.isEnabledFor(level):
            continue
        # No args: the message is final text, a "%" in it is not a format directive.
        record = logger.makeRecord(logger.name, level, "(botsplash core)", 0, message, (), None)
        record.created = created
        record.msecs = int((created - int(created)) * 1000) + 0.0
        start = getattr(logging, "_startTime", None)
        if isinstance(start, float):
            record.relativeCreated = (created - start) * 1000
        logger.handle(record)
