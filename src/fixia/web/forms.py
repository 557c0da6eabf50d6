"""Reading a submitted form with explicit limits (issue #27).

Starlette's defaults (1,000 fields, 1 MiB per part, 1,000 files) are far more than any page
here sends; the body limit already caps the total, and these cap what one form may make the
parser allocate: many small fields, one large field, or a spooled file upload. Every reader
(the CSRF check first, then the view) goes through here, and Starlette caches the parsed
form on the request, so the limits of the first read are the ones that apply.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData

from fixia.config import Settings
from fixia.platform.body_limit import UPLOAD_LIMIT_KEY


async def read_form(request: Request) -> FormData:
    settings: Settings = request.app.state.settings
    limits = settings.security
    # Upload routes (their larger body limit marked the scope) take exactly one file.
    upload = request.scope.get(UPLOAD_LIMIT_KEY) is not None
    return await request.form(
        max_files=1 if upload else limits.form_max_files,
        max_fields=limits.form_max_fields,
        max_part_size=limits.form_max_part_bytes,
    )
