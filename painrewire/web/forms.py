"""The form a page posted, as a route dependency, so the route itself can be a plain ``def``.

A page route that needed the posted form used to be ``async def`` only to ``await request.form()``, and so ran
its database work on the event loop thread, holding up every other request. With the form read by this (async)
dependency, the route runs in the thread pool like every other. Starlette keeps the parsed form on the request,
so the CSRF check and a refused page shown again read the same form without parsing it twice.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData


async def sent_form(request: Request) -> FormData:
    """The posted form (url-encoded or multipart); empty when nothing was posted as a form."""
    return await request.form()


FormDep = Annotated[FormData, Depends(sent_form)]
