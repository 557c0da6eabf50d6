"""One call to Prometheus' HTTP API (/api/v1/query, /api/v1/query_range), for every reader
in fixiactl: unreachable, refused and malformed answers all become one readable error."""

from __future__ import annotations

from typing import Any

import httpx

from fixiactl.errors import FixiactlError


def api_get(
    client: httpx.Client,
    url: str,
    params: dict[str, str],
    *,
    hint: str,
    error: type[FixiactlError] = FixiactlError,
) -> list[dict[str, Any]]:
    """The `result` of one Prometheus HTTP API call; `error` when there is none."""
    try:
        response = client.get(url, params=params)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise error(
            f"Prometheus at {url} is unreachable ({type(exc).__name__})", hint=hint
        ) from exc
    if response.status_code != 200 or body.get("status") != "success":
        raise error(
            f"Prometheus refused {params.get('query')!r}: {body.get('error', response.status_code)}"
        )
    result: list[dict[str, Any]] = body["data"]["result"]
    return result
