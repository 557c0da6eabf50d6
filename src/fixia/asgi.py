"""The ASGI entry point uvicorn imports (in each worker): settings come from the environment."""

from fixia.main import create_app
from fixia.platform.gctuning import tune

app = create_app()
# Here, not in create_app: tests and tools build many apps in one process, and what a freeze
# keeps is never collected.
tune(app.state.settings.gc)
