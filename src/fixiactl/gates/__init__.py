"""Quality gates: every check CI runs, runnable locally with `fixiactl gates` / `make gates`."""
