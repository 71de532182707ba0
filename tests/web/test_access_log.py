"""The access log is still written, in uvicorn's own format, but by a thread of its own."""

from __future__ import annotations

import io
import logging

from uvicorn.logging import AccessFormatter

from painrewire.web.logs import ACCESS_LOGGER, access_log_off_the_request_path


def test_access_lines_arrive_whole_through_the_queue() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        listener = access_log_off_the_request_path()
        assert listener is not None
        assert access_log_off_the_request_path() is None  # moved once, not stacked
        assert handler not in logger.handlers
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "10.0.0.7:5123",
            "PUT",
            "/api/v1/patients/x/diary/2026-01-05",
            "1.1",
            200,
        )
        listener.stop()
        assert (
            out.getvalue().strip()
            == '10.0.0.7:5123 - "PUT /api/v1/patients/x/diary/2026-01-05 HTTP/1.1" 200 OK'
        )
    finally:
        logger.handlers, logger.level, logger.propagate = saved
