"""The ASGI entry point the server imports (in each worker): settings come from the environment."""

from typing import Any, cast

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fixia.main import create_app
from fixia.platform.gctuning import tune
from fixia.platform.servers import forwarded_allow_ips

app = create_app()
# Here, not in create_app: tests and tools build many apps in one process, and what a freeze
# keeps is never collected.
tune(app.state.settings.gc)
# granian has no proxy-headers option: the same middleware uvicorn applies with
# proxy_headers=True, with the same trusted peers (fixia.platform.servers).
proxied = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=forwarded_allow_ips())
