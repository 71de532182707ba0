"""The server's access log, written by a thread of its own instead of by the event loop between requests."""

from __future__ import annotations

import atexit
import logging
import queue
from logging.handlers import QueueHandler, QueueListener

ACCESS_LOGGER = "uvicorn.access"


class _PassThrough(QueueHandler):
    """Hands the record over as it is: the real handler formats it (uvicorn's access format needs the record's
    arguments, which QueueHandler's own preparation would fold into the message)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def access_log_off_the_request_path() -> QueueListener | None:
    """Move the access log's handlers behind a queue: the loop only enqueues each line; a listener thread
    formats and writes it. Returns the listener (None when there is nothing to move or it was moved already)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    handlers = [h for h in logger.handlers if not isinstance(h, QueueHandler)]
    if not handlers or len(handlers) != len(logger.handlers):
        return None
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = QueueListener(lines, *handlers, respect_handler_level=True)
    for handler in handlers:
        logger.removeHandler(handler)
    logger.addHandler(_PassThrough(lines))
    listener.start()
    atexit.register(_flush, listener)
    return listener


def _flush(listener: QueueListener) -> None:
    """Write what is still queued, once (the listener may have been stopped already)."""
    if getattr(listener, "_thread", None) is not None:
        listener.stop()
