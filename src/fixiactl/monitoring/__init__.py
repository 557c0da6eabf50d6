"""`fixiactl stack up --monitoring`: Prometheus, Alertmanager, exporters, the local alert
receiver and the PgBouncer collector, plus the integrity check of what they scrape."""
