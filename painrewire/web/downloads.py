"""File downloads that carry health data."""

from __future__ import annotations

from fastapi.responses import Response


def pdf_headers(filename: str) -> dict[str, str]:
    """An attachment's headers: its file name, and that no shared cache keeps it (it holds health data)."""
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store, private"}


def pdf_download(content: bytes, filename: str) -> Response:
    """A PDF attachment that no shared cache keeps (it holds health data)."""
    return Response(content, media_type="application/pdf", headers=pdf_headers(filename))
