"""The ASGI entry point uvicorn imports: settings come from the environment."""

from fixia.main import create_app

app = create_app()
